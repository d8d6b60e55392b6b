//! Replay of recorded traces through the cleaning core, and a summary of the cleaned stream.
//!
//! Owns: [`summarize`] (pure: decoded events in, figures out) and the summary types.
//!
//! Invariant: a summary holds counts and timing figures only, never key codes, key names or
//! slots, so it is safe to print, to store and to paste into a bug report.

use crate::core::clean::{CleanParams, CleanStats, Cleaner};
use crate::core::event::RawEvent;
use crate::core::keyslot::KeySlot;
use crate::core::timing::{DeviceId, Edge, TimingEvent, TimingKind};
use serde::Serialize;
use std::collections::HashMap;

/// Press-to-press gaps above this are pauses, not typing latencies.
const PAUSE_US: i64 = 2_000_000;

/// Distribution of one timing feature, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Spread {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub median_ms: Option<f64>,
    /// 10th percentile.
    pub p10_ms: Option<f64>,
    /// 90th percentile.
    pub p90_ms: Option<f64>,
}

impl Spread {
    fn of(mut samples_us: Vec<i64>) -> Self {
        samples_us.sort_unstable();
        let q = |p: f64| -> Option<f64> {
            let n = samples_us.len();
            (n > 0).then(|| samples_us[((n - 1) as f64 * p).round() as usize] as f64 / 1000.0)
        };
        Self {
            count: samples_us.len(),
            median_ms: q(0.5),
            p10_ms: q(0.1),
            p90_ms: q(0.9),
        }
    }
}

/// What came out of one device's stream.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DeviceSummary {
    /// Raw events read.
    pub events: usize,
    /// Seconds between the first and the last event.
    pub duration_s: f64,
    /// What the cleaning core did (keystrokes, cuts by reason, counters).
    pub clean: CleanStats,
    /// Hold times of complete keystrokes.
    pub hold: Spread,
    /// Press-to-press latencies inside chains (pauses over 2 s excluded).
    pub press_press: Spread,
    /// Release-to-next-press latencies inside chains (negative when keys overlap).
    pub release_press: Spread,
}

/// Runs one device's decoded events through a fresh cleaner and summarises the result.
pub fn summarize(events: &[RawEvent], params: CleanParams) -> DeviceSummary {
    let mut cleaner = Cleaner::new(DeviceId(0), params);
    let mut out = Vec::new();
    for e in events {
        cleaner.push(e, &mut out);
    }
    let last = events.last().map_or(0, |e| e.time_us);
    cleaner.finish(last, &mut out);
    let (hold, press_press, release_press) = features(&out);
    DeviceSummary {
        events: events.len(),
        duration_s: events
            .first()
            .map_or(0.0, |f| (last - f.time_us) as f64 / 1e6),
        clean: cleaner.stats().clone(),
        hold: Spread::of(hold),
        press_press: Spread::of(press_press),
        release_press: Spread::of(release_press),
    }
}

/// Hold, press-press and release-press samples from a cleaned stream, honouring cuts.
fn features(events: &[TimingEvent]) -> (Vec<i64>, Vec<i64>, Vec<i64>) {
    let (mut hold, mut pp, mut rp) = (Vec::new(), Vec::new(), Vec::new());
    let mut open: HashMap<KeySlot, i64> = HashMap::new();
    let mut last_press: Option<i64> = None;
    let mut last_release: Option<i64> = None;
    for e in events {
        match e.kind {
            TimingKind::Cut(_) => {
                open.clear();
                last_press = None;
                last_release = None;
            }
            TimingKind::Key {
                slot,
                edge: Edge::Press,
            } => {
                if let Some(p) = last_press.filter(|p| e.t_us - p <= PAUSE_US) {
                    pp.push(e.t_us - p);
                    if let Some(r) = last_release {
                        rp.push(e.t_us - r);
                    }
                }
                open.insert(slot, e.t_us);
                last_press = Some(e.t_us);
            }
            TimingKind::Key {
                slot,
                edge: Edge::Release,
            } => {
                if let Some(p) = open.remove(&slot) {
                    hold.push(e.t_us - p);
                }
                last_release = Some(e.t_us);
            }
        }
    }
    (hold, pp, rp)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::event::{EV_KEY, EV_SYN};

    fn key(t_ms: i64, code: u16, v: i32) -> [RawEvent; 2] {
        [
            RawEvent::new(t_ms * 1000, EV_KEY, code, v),
            RawEvent::new(t_ms * 1000, EV_SYN, 0, 0),
        ]
    }

    #[test]
    fn summary_counts_and_spreads() {
        // a: 0–80, b: 120–210, orphan release of c mid-stream cuts, d: 400–450.
        let evs: Vec<RawEvent> = [
            key(0, 30, 1),
            key(80, 30, 0),
            key(120, 48, 1),
            key(210, 48, 0),
            key(300, 46, 0),
            key(400, 32, 1),
            key(450, 32, 0),
        ]
        .concat();
        let s = summarize(&evs, CleanParams::default());
        assert_eq!(s.events, 14);
        assert_eq!(s.clean.keystrokes, 3);
        assert_eq!(s.clean.orphan_releases, 1);
        assert_eq!(s.hold.count, 3);
        assert_eq!(s.hold.median_ms, Some(80.0));
        // Only a→b is a latency: the cut separates b from d.
        assert_eq!(s.press_press.count, 1);
        assert_eq!(s.press_press.median_ms, Some(120.0));
        assert_eq!(s.release_press.median_ms, Some(40.0));
        assert!((s.duration_s - 0.45).abs() < 1e-9);
    }
}
