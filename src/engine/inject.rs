//! Injected-typing detector: machine-speed or machine-regular keystrokes (F25, F26).
//!
//! Owns: a short per-device window of hold times and press-press latencies.
//!
//! Rules, per device:
//! - machine speed: over the last `inject_latency_window` keystrokes the median hold or the
//!   median press-press latency is below what human fingers do (HID injectors and uinput
//!   tools at full speed);
//! - machine regular: the latencies over that window, or the holds over the longer
//!   `inject_hold_window`, barely vary (trimmed standard deviation of a few ms): fixed
//!   `DELAY`s, `ydotool --key-delay`, `xdotool`. Human latencies vary by tens of ms; holds
//!   can be quantised by a keyboard's or OS timer (15.6 ms in the Buffalo set), hence the
//!   longer hold window and the trimmed spread instead of a median deviation.
//!
//! The window rules need a burst: most of the window (three quarters) one chain of
//! keystrokes, each within `max_latency_ms` of the last. Isolated presses seconds apart are
//! no injection on their own: a mouse's macro thumb button sends `KEY_LEFTMETA` 1/0 within
//! 8 ms, identically each time (F19), and a foot pedal or a presenter key does the same;
//! judged on holds alone, sixteen of them locked the owner.
//!
//! Machine holds (under `inject_min_hold_ms`, which no finger makes and which the engine
//! therefore never scores) are judged apart, over time and not per chain, because cuts are
//! the sender's to make (a pause over `max_latency_ms`, a bounced key): as many of them as
//! the latency window within [`MACHINE_SPAN_US`], on at least [`MACHINE_MIN_SLOTS`]
//! different keys, is machine typing however it is paced. A macro button repeats one key
//! (two for a chord) and never gets there. This window survives cuts.
//!
//! Jitter added by a tool to its delays alone still leaves its holds regular; a tool that
//! jitters both at human speed is not recognised here and has to be caught by the biometric
//! verifier like any other impostor.
//!
//! A report is edge-triggered: one per burst, re-armed when the window looks human again or
//! the chain is cut. Tokens and scanners never reach this detector (the engine ignores them).

use crate::core::keyslot::KeySlot;
use crate::engine::features::Keystroke;
use crate::engine::EngineParams;
use serde::Serialize;
use std::collections::VecDeque;

/// How far back machine-held keystrokes are counted (µs), across cuts.
pub const MACHINE_SPAN_US: i64 = 60_000_000;
/// Different keys among them that make typing rather than a macro button.
pub const MACHINE_MIN_SLOTS: usize = 4;

/// Why typing was judged not human.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InjectionKind {
    /// Faster than human fingers.
    MachineSpeed,
    /// More regular than human fingers.
    MachineRegular,
}

/// Per-device detector state: the last holds and latencies (ms), newest last.
#[derive(Clone, Debug, Default)]
pub struct InjectDetector {
    holds: VecDeque<f64>,
    lats: VecDeque<Option<f64>>,
    /// The chain windows judge the current burst non-human.
    reported: bool,
    /// Press stamps and keys of recent machine-held keystrokes (kept across cuts).
    machine: VecDeque<(i64, KeySlot)>,
    /// The machine-hold rule holds.
    machine_active: bool,
    scratch: Vec<f64>,
}

/// Median of `v` (sorted in place).
fn median(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Standard deviation without the smallest and largest value (`v` sorted in place).
fn trimmed_sd(v: &mut [f64]) -> f64 {
    v.sort_unstable_by(f64::total_cmp);
    let t = &v[1..v.len() - 1];
    let m = t.iter().sum::<f64>() / t.len() as f64;
    (t.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / t.len() as f64).sqrt()
}

impl InjectDetector {
    /// Forgets the chain windows (a cut: the chain's burst is over). The machine-hold
    /// window is kept: a cut must not hide machine typing.
    pub fn reset(&mut self) {
        self.holds.clear();
        self.lats.clear();
        self.reported = false;
    }

    /// True while a reported burst lasts: its keystrokes are neither scored nor learned.
    pub fn in_burst(&self) -> bool {
        self.reported || self.machine_active
    }

    /// Feeds one keystroke; returns a report on the first keystroke of a non-human burst
    /// (one report while either rule keeps holding).
    pub fn push(&mut self, ks: &Keystroke, p: &EngineParams) -> Option<InjectionKind> {
        let lw = p.inject_latency_window.max(4) as usize;
        let hw = p.inject_hold_window.max(4) as usize;
        let was = self.in_burst();
        self.holds.push_back(ks.hold_us() as f64 / 1000.0);
        self.lats
            .push_back(ks.link.map(|l| l.dd_us as f64 / 1000.0));
        while self.holds.len() > hw.max(lw) {
            self.holds.pop_front();
            self.lats.pop_front();
        }
        let chain = self.judge(p, lw, hw);
        self.reported = chain.is_some();
        self.machine_active = self.machine_rule(ks, p, lw);
        let kind = chain.or(self.machine_active.then_some(InjectionKind::MachineSpeed));
        kind.filter(|_| !was)
    }

    /// Records `ks` if its hold is a machine's; true when enough of them on enough keys
    /// fell within [`MACHINE_SPAN_US`].
    fn machine_rule(&mut self, ks: &Keystroke, p: &EngineParams, lw: usize) -> bool {
        if (ks.hold_us() as f64) < p.inject_min_hold_ms * 1000.0 {
            self.machine.push_back((ks.press_us, ks.slot));
        }
        while self
            .machine
            .front()
            .is_some_and(|&(t, _)| t < ks.press_us - MACHINE_SPAN_US)
        {
            self.machine.pop_front();
        }
        if self.machine.len() < lw {
            return false;
        }
        let mut seen = [0u128; 2];
        for &(_, KeySlot(s)) in &self.machine {
            seen[usize::from(s >> 7)] |= 1 << (s & 127);
        }
        (seen[0].count_ones() + seen[1].count_ones()) as usize >= MACHINE_MIN_SLOTS
    }

    fn judge(&mut self, p: &EngineParams, lw: usize, hw: usize) -> Option<InjectionKind> {
        let n = self.holds.len();
        if n < lw {
            return None;
        }
        // A burst: most of the window is one chain (see the module doc, F19).
        let burst = |w: usize, lats: &VecDeque<Option<f64>>| {
            lats.iter().skip(n - w).flatten().count() * 4 >= w * 3
        };
        if !burst(lw, &self.lats) {
            return None;
        }
        let s = &mut self.scratch;
        s.clear();
        s.extend(self.holds.iter().skip(n - lw));
        if median(s) < p.inject_min_hold_ms {
            return Some(InjectionKind::MachineSpeed);
        }
        s.clear();
        s.extend(self.lats.iter().skip(n - lw).flatten());
        let mut kind = None;
        let lat_sd = trimmed_sd(s);
        if median(s) < p.inject_min_latency_ms {
            kind = Some(InjectionKind::MachineSpeed);
        } else if lat_sd <= p.inject_latency_sd_ms {
            kind = Some(InjectionKind::MachineRegular);
        }
        if kind.is_none() && n >= hw && burst(hw, &self.lats) {
            s.clear();
            s.extend(self.holds.iter().skip(n - hw));
            if trimmed_sd(s) <= p.inject_hold_sd_ms {
                kind = Some(InjectionKind::MachineRegular);
            }
        }
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::KeySlot;
    use crate::engine::features::Link;

    fn ks(t_ms: f64, hold_ms: f64, dd_ms: Option<f64>) -> Keystroke {
        let press_us = (t_ms * 1000.0) as i64;
        Keystroke {
            slot: KeySlot(5),
            press_us,
            release_us: press_us + (hold_ms * 1000.0) as i64,
            link: dd_ms.map(|d| Link {
                prev: KeySlot(5),
                dd_us: (d * 1000.0) as i64,
                ud_us: 0,
            }),
        }
    }

    #[test]
    fn fixed_delays_are_regular_and_reported_once() {
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        let reports: Vec<_> = (0..40)
            .filter_map(|i| d.push(&ks(f64::from(i) * 100.0, 30.0, Some(100.0)), &p))
            .collect();
        assert_eq!(reports, vec![InjectionKind::MachineRegular]);
    }

    #[test]
    fn jittered_delays_with_fixed_holds_are_regular() {
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        let mut x = 9u32;
        let mut got = None;
        for i in 0..40 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let delay = 80.0 + f64::from((x >> 16) % 80); // 80–160 ms, uniform jitter
            got = got.or(d.push(&ks(f64::from(i) * 120.0, 40.0, Some(delay)), &p));
        }
        assert_eq!(got, Some(InjectionKind::MachineRegular));
    }

    #[test]
    fn machine_speed_is_reported() {
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        let mut x = 1u32;
        let mut got = None;
        for i in 0..20 {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let jitter = f64::from((x >> 16) % 5);
            got = got.or(d.push(
                &ks(f64::from(i) * 8.0, 2.0 + jitter, Some(8.0 + jitter)),
                &p,
            ));
        }
        assert_eq!(got, Some(InjectionKind::MachineSpeed));
    }

    #[test]
    fn human_like_variation_is_not_reported() {
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        // Holds quantised to a 15.6 ms timer, as in the Buffalo set.
        let holds = [
            94.0, 109.0, 78.0, 94.0, 140.0, 78.0, 94.0, 125.0, 94.0, 109.0, 78.0, 94.0,
        ];
        let lats = [
            180.0, 140.0, 260.0, 120.0, 200.0, 330.0, 150.0, 170.0, 240.0, 110.0, 190.0, 160.0,
        ];
        for r in 0..4 {
            for i in 0..12 {
                assert_eq!(
                    d.push(
                        &ks(
                            f64::from(r * 12 + i as i32) * 200.0,
                            holds[i],
                            Some(lats[i])
                        ),
                        &p
                    ),
                    None
                );
            }
        }
    }

    #[test]
    fn isolated_identical_short_presses_are_no_burst() {
        // F19: a macro thumb button, 6 ms each time, seconds apart (unlinked): never a
        // report; the same presses in one fast chain are machine typing.
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        for i in 0..100 {
            assert_eq!(d.push(&ks(f64::from(i) * 3000.0, 6.0, None), &p), None);
        }
        let reports: Vec<_> = (0..40)
            .filter_map(|i| d.push(&ks(f64::from(i) * 50.0, 6.0, Some(50.0)), &p))
            .collect();
        assert_eq!(reports, vec![InjectionKind::MachineSpeed]);
    }

    /// A keystroke on key `slot`.
    fn on(mut k: Keystroke, slot: u8) -> Keystroke {
        k.slot = KeySlot(slot);
        k
    }

    #[test]
    fn machine_holds_on_many_keys_are_injection_however_they_are_paced_or_cut() {
        // A payload typed with 5 ms holds, one key every 1.6 s (never a chain) and cut
        // after every key, as an evading injector would: reported once, and every later
        // keystroke of it stays out of scoring.
        let p = EngineParams::default();
        let mut d = InjectDetector::default();
        let mut reports = Vec::new();
        for i in 0..100u8 {
            reports.extend(d.push(&on(ks(f64::from(i) * 1600.0, 5.0, None), 1 + i % 26), &p));
            d.reset();
            if i >= 16 {
                assert!(d.in_burst(), "keystroke {i} would be scored");
            }
        }
        assert_eq!(reports, vec![InjectionKind::MachineSpeed]);
        // The same holds on one key (a macro button) are never injection.
        let mut d = InjectDetector::default();
        for i in 0..100u8 {
            assert_eq!(
                d.push(&on(ks(f64::from(i) * 1600.0, 5.0, None), 7), &p),
                None
            );
            d.reset();
        }
        assert!(!d.in_burst());
    }
}
