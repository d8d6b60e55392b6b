//! Dataset timelines → kernel-like events → the daemon's own cleaning core and engine.
//!
//! Owns: [`KeyRec`] (one dataset key press with its Linux code and stamps) and the
//! conversion to `RawEvent`s (`EV_KEY` press/release, each followed by `SYN_REPORT`), which
//! are then fed through `core::clean::Cleaner` exactly as a live device's events would be.
//!
//! Invariants: events are in time order; at equal stamps a key's own press precedes its
//! release (zero holds, a dataset glitch) while other keys' releases precede presses; a
//! negative hold is clamped to zero rather than reordering the stream.

use crate::core::clean::{CleanParams, Cleaner};
use crate::core::event::{
    RawEvent, EV_KEY, EV_SYN, KEY_PRESS, KEY_RELEASE, KEY_REPEAT, SYN_REPORT,
};
use crate::core::timing::{DeviceId, TimingEvent};
use crate::engine::recent::Recent;
use crate::engine::score;
use crate::engine::{Decision, Engine, EngineParams, Extractor, Keystroke, Profile, SourceKind};

/// One key press from a dataset, already mapped to a Linux key code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyRec {
    /// Linux key code (input side only; never leaves `RawEvent`s).
    pub code: u16,
    /// Press stamp (µs).
    pub press_us: i64,
    /// Release stamp (µs).
    pub release_us: i64,
}

/// The kernel's default autorepeat delay (`input_enable_softrepeat(dev, 250, 33)` in
/// drivers/input/input.c), µs.
pub const REPEAT_DELAY_US: i64 = 250_000;

/// Kernel-like events for a key timeline.
///
/// The datasets fold autorepeat into one long hold; a live keyboard would have sent
/// `EV_KEY` value 2 for a key held past the repeat delay while it was the last key pressed,
/// and the cleaner would cut it. The first such repeat is synthesised (more would change
/// nothing: the cleaner only counts them once the press is void).
pub fn raw_events(keys: &[KeyRec]) -> Vec<RawEvent> {
    raw_events_with(keys, true)
}

/// [`raw_events`], with or without the synthesised autorepeat.
pub fn raw_events_with(keys: &[KeyRec], autorepeat: bool) -> Vec<RawEvent> {
    // (time, order class, index, code, value): 0 = release of an earlier press or a
    // repeat, 1 = press, 2 = zero-hold release.
    let mut ev: Vec<(i64, u8, usize, u16, i32)> = Vec::with_capacity(keys.len() * 2);
    let mut by_press: Vec<i64> = keys.iter().map(|k| k.press_us).collect();
    by_press.sort_unstable();
    for (i, k) in keys.iter().enumerate() {
        let rel = k.release_us.max(k.press_us);
        ev.push((k.press_us, 1, i, k.code, KEY_PRESS));
        ev.push((
            rel,
            if rel == k.press_us { 2 } else { 0 },
            i,
            k.code,
            KEY_RELEASE,
        ));
        let rep = k.press_us + REPEAT_DELAY_US;
        let next_press = by_press
            .get(by_press.partition_point(|&t| t <= k.press_us))
            .copied();
        if autorepeat && rel > rep && next_press.is_none_or(|t| t > rep) {
            ev.push((rep, 0, i, k.code, KEY_REPEAT));
        }
    }
    ev.sort_unstable_by_key(|e| (e.0, e.1, e.2));
    let mut out = Vec::with_capacity(ev.len() * 2);
    for (t, _, _, code, value) in ev {
        out.push(RawEvent::new(t, EV_KEY, code, value));
        out.push(RawEvent::new(t, EV_SYN, SYN_REPORT, 0));
    }
    out
}

/// Cleaned timing events for a key timeline, through the daemon's cleaning core.
pub fn clean(keys: &[KeyRec], device: DeviceId) -> Vec<TimingEvent> {
    clean_with(keys, device, true)
}

/// [`clean`], with or without the synthesised autorepeat (the CMU protocol keeps every
/// repetition whole, as Killourhy & Maxion's feature vectors are).
pub fn clean_with(keys: &[KeyRec], device: DeviceId, autorepeat: bool) -> Vec<TimingEvent> {
    let mut c = Cleaner::new(device, CleanParams::default());
    let mut out = Vec::with_capacity(keys.len() * 2 + 4);
    for e in raw_events_with(keys, autorepeat) {
        c.push(&e, &mut out);
    }
    let end = keys
        .iter()
        .map(|k| k.release_us.max(k.press_us))
        .max()
        .unwrap_or(0);
    c.finish(end, &mut out);
    out
}

/// Keystrokes of a timeline, through the engine's feature extractor.
pub fn keystrokes(timing: &[TimingEvent], max_latency_us: i64) -> Vec<Keystroke> {
    let mut x = Extractor::new(max_latency_us);
    let mut out = Vec::with_capacity(timing.len() / 2);
    for e in timing {
        x.push(e, &mut out);
    }
    out
}

/// Per-keystroke evidence of a keystroke stream under a fixed `profile` (no adaptation, no
/// policy), with the engine's recent-typing state, which restarts after idle gaps as the
/// engine's do.
pub fn evidence(profile: &Profile, ks: &[Keystroke], p: &EngineParams) -> Vec<f64> {
    let idle_us = (p.idle_reverify_s * 1e6) as i64;
    let mut recent = Recent::default();
    let mut last: Option<i64> = None;
    let mut out = Vec::with_capacity(ks.len());
    for k in ks {
        if last.is_some_and(|t| k.press_us - t >= idle_us) {
            recent.reset();
        }
        last = Some(k.release_us);
        if let Some(s) = score::score(profile, k, p, &mut recent) {
            out.push(s.evidence);
        }
    }
    out
}

/// Shifts a timeline so its first press is at `start_us`.
pub fn shifted(keys: &[KeyRec], start_us: i64) -> Vec<KeyRec> {
    let d = keys.first().map_or(0, |k| start_us - k.press_us);
    keys.iter()
        .map(|k| KeyRec {
            code: k.code,
            press_us: k.press_us + d,
            release_us: k.release_us + d,
        })
        .collect()
}

/// Concatenates timelines: the first keeps its stamps, each next one is shifted to start
/// `gap_us` after the last release so far.
pub fn concat(parts: &[&[KeyRec]], gap_us: i64) -> Vec<KeyRec> {
    let mut out: Vec<KeyRec> = Vec::new();
    for p in parts {
        match out.iter().map(|k| k.release_us.max(k.press_us)).max() {
            Some(end) => out.extend(shifted(p, end + gap_us)),
            None => out.extend_from_slice(p),
        }
    }
    out
}

/// What happened while a stream was fed to an engine.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StreamRun {
    /// Stamps of every lock.
    pub locks: Vec<i64>,
    /// Injection reports.
    pub injections: u32,
    /// Stamp at which the profile matured, if it did.
    pub matured_at: Option<i64>,
}

/// Feeds `timing` to `engine` as a keyboard; after each lock the owner unlocks at once when
/// `unlock_after_lock` (the stream goes on as after an unlock, and the policy backs off as
/// the daemon's does after a quick unlock), else feeding stops.
pub fn run(
    engine: &mut Engine,
    timing: &[TimingEvent],
    unlock_after_lock: bool,
    stop_after_us: Option<i64>,
) -> StreamRun {
    let mut r = StreamRun::default();
    let mut out = Vec::new();
    for e in timing {
        out.clear();
        engine.on_timing(e, SourceKind::Keyboard, &mut out);
        for d in &out {
            match *d {
                Decision::Lock { t_us, .. } => {
                    r.locks.push(t_us);
                    if stop_after_us.is_some_and(|s| t_us >= s) {
                        return r;
                    }
                    if unlock_after_lock {
                        // The owner unlocks at once: the daemon takes that as a probable
                        // false lock and backs off (daemon::brain, `unlocked`).
                        engine.on_unlock(t_us);
                        engine.back_off();
                    }
                }
                Decision::Injection { .. } => r.injections += 1,
                Decision::Matured { t_us } => r.matured_at = Some(t_us),
                Decision::PointerMatured { .. } => {}
                Decision::Trust { .. } => {}
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::timing::{Edge, TimingKind};

    #[test]
    fn timeline_goes_through_the_cleaner_in_order() {
        let keys = [
            KeyRec {
                code: 30,
                press_us: 0,
                release_us: 100_000,
            },
            KeyRec {
                code: 48,
                press_us: 80_000,
                release_us: 150_000,
            }, // rollover
            KeyRec {
                code: 46,
                press_us: 150_000,
                release_us: 150_000,
            }, // zero hold at b's release
        ];
        let t = clean(&keys, DeviceId(3));
        let edges: Vec<_> = t
            .iter()
            .map(|e| match e.kind {
                TimingKind::Key {
                    edge: Edge::Press, ..
                } => 'P',
                TimingKind::Key {
                    edge: Edge::Release,
                    ..
                } => 'R',
                TimingKind::Cut(_) => 'C',
            })
            .collect();
        assert_eq!(edges.iter().collect::<String>(), "PPRRPR");
        let ks = keystrokes(&t, 1_500_000);
        assert_eq!(ks.len(), 3);
        assert_eq!(ks[1].link.map(|l| l.ud_us), Some(-20_000));
        assert_eq!(ks[2].link.map(|l| (l.dd_us, l.ud_us)), Some((70_000, 0)));
    }

    #[test]
    fn a_key_held_past_the_repeat_delay_repeats_and_is_cut_unless_another_key_followed() {
        let k = |code, press_us, release_us| KeyRec {
            code,
            press_us,
            release_us,
        };
        // a held 400 ms alone; b held 400 ms but c was pressed 100 ms later (the kernel
        // repeats only the last key pressed); then d, an ordinary tap.
        let keys = [
            k(30, 0, 400_000),
            k(48, 1_000_000, 1_400_000),
            k(46, 1_100_000, 1_180_000),
            k(32, 2_000_000, 2_090_000),
        ];
        let ev = raw_events(&keys);
        let repeats: Vec<(i64, u16)> = ev
            .iter()
            .filter(|e| e.kind == EV_KEY && e.value == KEY_REPEAT)
            .map(|e| (e.time_us, e.code))
            .collect();
        assert_eq!(repeats, vec![(REPEAT_DELAY_US, 30)]);
        let t = clean(&keys, DeviceId(1));
        let ks = keystrokes(&t, 1_500_000);
        assert_eq!(
            ks.len(),
            3,
            "the repeating key is cut, the others are keystrokes"
        );
        assert!(ks.iter().all(|x| x.press_us >= 1_000_000));
        // Without the synthesis (the CMU protocol) every key is a keystroke.
        let whole = keystrokes(&clean_with(&keys, DeviceId(1), false), 1_500_000);
        assert_eq!(whole.len(), 4);
    }

    #[test]
    fn concat_inserts_the_gap_after_the_last_release() {
        let a = [KeyRec {
            code: 30,
            press_us: 5,
            release_us: 100,
        }];
        let b = [KeyRec {
            code: 48,
            press_us: 1000,
            release_us: 1050,
        }];
        let c = concat(&[&a, &b], 60);
        assert_eq!(c[0].press_us, 5);
        assert_eq!((c[1].press_us, c[1].release_us), (160, 210));
    }
}
