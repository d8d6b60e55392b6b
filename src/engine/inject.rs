//! Injected-typing detector: machine-speed or machine-regular keystrokes (F25, F26).
//!
//! Owns: a short per-device window of hold times and press-press latencies
//! ([`InjectDetector`]) and the engine-wide window of machine holds ([`MachineHolds`]).
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
//! therefore never scores) are judged apart by [`MachineHolds`], over the engine's last
//! [`MACHINE_WINDOW`] text keystrokes of every device, because cuts, pauses and devices are
//! the sender's to choose (a pause over `max_latency_ms`, a bounced key, a re-plugged
//! gadget, several keyboard interfaces): [`MACHINE_MIN`] of them on at least
//! [`MACHINE_MIN_SLOTS`] different keys is machine typing however it is paced or spread.
//! Text keystrokes leave out modifiers and keys pressed while Ctrl, left Alt or Meta is
//! down, so a macro mouse's buttons (one key, or a shortcut chord: F19) never count, and
//! human-held keys that are never scored (navigation, function keys, an unlisted virtual
//! keyboard) do not dilute it: to hide, an injector must give a third of its keystrokes
//! human holds on keys that are scored. In the Aalto data (1,848 typists, 1.35 M
//! keystrokes, browser stamps) no window of 48 text keystrokes holds more than 21 such
//! holds.
//!
//! Jitter added by a tool to its delays alone still leaves its holds regular; a tool that
//! jitters both at human speed is not recognised here and has to be caught by the biometric
//! verifier like any other impostor.
//!
//! A chain report is edge-triggered: one per burst, re-armed when the window looks human
//! again or the chain is cut. The machine-hold report comes once, until an unlock re-arms
//! it (an injector typing on must not flood the audit trail). Tokens and scanners never
//! reach this detector (the engine ignores them).

use crate::core::keyslot::{KeyClass, KeySlot};
use crate::core::timing::DeviceId;
use crate::engine::features::Keystroke;
use crate::engine::{score, EngineParams};
use serde::Serialize;
use std::collections::VecDeque;

/// Text keystrokes (all devices) over which machine holds are counted.
pub const MACHINE_WINDOW: usize = 48;
/// Machine-held keystrokes among them that make machine typing (two thirds).
pub const MACHINE_MIN: usize = 32;
/// Different keys among those that make typing rather than a macro button.
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
    reported: bool,
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
    /// Forgets the window (a cut: the burst is over; an unlock: re-armed).
    pub fn reset(&mut self) {
        self.holds.clear();
        self.lats.clear();
        self.reported = false;
    }

    /// True while a reported burst lasts: its keystrokes are neither scored nor learned.
    pub fn in_burst(&self) -> bool {
        self.reported
    }

    /// Feeds one keystroke; returns a report on the first keystroke of a non-human burst.
    pub fn push(&mut self, ks: &Keystroke, p: &EngineParams) -> Option<InjectionKind> {
        let lw = p.inject_latency_window.max(4) as usize;
        let hw = p.inject_hold_window.max(4) as usize;
        self.holds.push_back(ks.hold_us() as f64 / 1000.0);
        self.lats
            .push_back(ks.link.map(|l| l.dd_us as f64 / 1000.0));
        while self.holds.len() > hw.max(lw) {
            self.holds.pop_front();
            self.lats.pop_front();
        }
        let kind = self.judge(p, lw, hw);
        match (kind, self.reported) {
            (Some(k), false) => {
                self.reported = true;
                Some(k)
            }
            (None, _) => {
                self.reported = false;
                None
            }
            (Some(_), true) => None,
        }
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

/// Machine-held typing over the engine's recent text keystrokes, whatever their device,
/// chain or pace (see the module doc). Reported once until an unlock re-arms it.
///
/// Privacy: only machine-held keystrokes keep their (opaque) slot, and only to count
/// distinct keys; the owner's own typing leaves no sequence here.
#[derive(Clone, Debug, Default)]
pub struct MachineHolds {
    /// The last text keystrokes: `Some(slot)` when machine-held, `None` when not.
    recent: VecDeque<Option<KeySlot>>,
    /// Per device, the last Ctrl/Alt/Meta keystroke (press, release): keys pressed while it
    /// is down are shortcuts, not text.
    chord: Vec<(DeviceId, i64, i64)>,
    active: bool,
    reported: bool,
}

impl MachineHolds {
    /// True while the rule holds: those keystrokes are not learned.
    pub fn active(&self) -> bool {
        self.active
    }

    /// Forgets a removed device's chord state.
    pub fn forget(&mut self, device: DeviceId) {
        self.chord.retain(|c| c.0 != device);
    }

    /// Feeds one keystroke of `device` (`virtual_source`: a virtual keyboard that is not
    /// allow-listed, whose typing is never scored); true the first time the rule holds
    /// after an unlock.
    pub fn push(
        &mut self,
        ks: &Keystroke,
        device: DeviceId,
        virtual_source: bool,
        p: &EngineParams,
    ) -> bool {
        if ks.slot.is_shortcut_modifier() {
            match self.chord.iter_mut().find(|c| c.0 == device) {
                Some(c) => *c = (device, ks.press_us, ks.release_us),
                None => self.chord.push((device, ks.press_us, ks.release_us)),
            }
            return false;
        }
        // Half-open: a modifier released in the key's own frame (one stamp) is up when
        // the key goes down, so the key is text; HID reports put the modifier byte first,
        // so a modifier pressed in the key's frame is down.
        let in_chord = self
            .chord
            .iter()
            .any(|&(d, a, b)| d == device && (a..b).contains(&ks.press_us));
        let class = ks.slot.class();
        let machine = (ks.hold_us() as f64) < p.inject_min_hold_ms * 1000.0;
        // Only keys whose human holds would be scored may dilute the window: padding with
        // arrows, F-keys or an unlisted virtual keyboard's typing must not hide a payload.
        let padding = !machine && (virtual_source || !score::scored(class));
        if class == KeyClass::Modifier || in_chord || padding {
            return false;
        }
        self.recent.push_back(machine.then_some(ks.slot));
        if self.recent.len() > MACHINE_WINDOW {
            self.recent.pop_front();
        }
        let mut seen = [0u128; 2];
        let mut n = 0;
        for KeySlot(s) in self.recent.iter().flatten() {
            n += 1;
            seen[usize::from(s >> 7)] |= 1 << (s & 127);
        }
        let slots = (seen[0].count_ones() + seen[1].count_ones()) as usize;
        self.active = n >= MACHINE_MIN && slots >= MACHINE_MIN_SLOTS;
        let fire = self.active && !self.reported;
        self.reported |= self.active;
        fire
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

    /// The slot of a key code.
    fn slot(code: u16) -> u8 {
        crate::core::keyslot::slot_for_code(code).map_or(0, |s| s.0)
    }

    #[test]
    fn machine_holds_on_many_keys_are_injection_however_paced_spread_or_cut() {
        // A payload typed with 5 ms holds, one key every 1.6 s (never a chain), over eight
        // devices in turn: reported once, on the 32nd key.
        let p = EngineParams::default();
        let mut m = MachineHolds::default();
        let letters: Vec<u8> = (16..26).chain(30..39).map(slot).collect();
        let mut at = Vec::new();
        for i in 0..100usize {
            let k = on(ks(i as f64 * 1600.0, 5.0, None), letters[i % letters.len()]);
            if m.push(&k, DeviceId(1 + (i % 8) as u32), false, &p) {
                at.push(i + 1);
            }
        }
        assert_eq!(at, vec![MACHINE_MIN]);
        assert!(m.active());
        // One key in three with a human hold (scored by the verifier) still does not hide
        // the rest.
        let mut m = MachineHolds::default();
        let hits = (0..100usize).filter(|&i| {
            let hold = if i % 3 == 0 { 90.0 } else { 5.0 };
            let k = on(ks(i as f64 * 100.0, hold, None), letters[i % letters.len()]);
            m.push(&k, DeviceId(1), false, &p)
        });
        assert_eq!(hits.count(), 1);
    }

    #[test]
    fn a_macro_mouse_is_no_injection_one_key_or_shortcut_chords() {
        let p = EngineParams::default();
        let mut m = MachineHolds::default();
        for i in 0..200u32 {
            let t = f64::from(i) * 6000.0;
            // KEY_LEFTMETA alone (F19), then Ctrl+C/V/Z/X/A from the mouse's keyboard node.
            assert!(!m.push(&on(ks(t, 6.0, None), slot(125)), DeviceId(2), false, &p));
            let chord_key = [46, 47, 44, 45, 30][i as usize % 5];
            assert!(!m.push(
                &on(ks(t + 1000.0, 4.0, None), slot(29)),
                DeviceId(2),
                false,
                &p
            ));
            assert!(!m.push(
                &on(ks(t + 1001.0, 2.0, None), slot(chord_key)),
                DeviceId(2),
                false,
                &p
            ));
        }
        assert!(!m.active());
    }

    #[test]
    fn no_padding_trick_hides_machine_holds_and_one_report_until_rearmed() {
        let p = EngineParams::default();
        let letters: Vec<u8> = (16..26).chain(30..39).map(slot).collect();
        let (ctrl, left, f13) = (slot(29), slot(105), slot(183));
        // (1) A zero-length Ctrl tap in each key's press frame (released at the key's press
        // stamp): the key is text, not a shortcut (found by review).
        let mut m = MachineHolds::default();
        let mut fired = 0;
        for i in 0..60usize {
            let t = i as f64 * 1600.0;
            m.push(&on(ks(t, 0.0, None), ctrl), DeviceId(1), false, &p);
            fired += usize::from(m.push(
                &on(ks(t, 5.0, None), letters[i % 19]),
                DeviceId(1),
                false,
                &p,
            ));
        }
        assert_eq!(fired, 1, "Ctrl released in the key's frame");
        // (2) Padding with human-held keys that are never scored (arrows, F13) or typed on
        // an unlisted virtual keyboard: one report, and only one however long it goes on
        // (an injector typing on would otherwise flood the audit trail).
        for (pad, virt) in [(left, false), (f13, false), (letters[0], true)] {
            let mut m = MachineHolds::default();
            let mut fired = 0;
            for i in 0..600usize {
                let t = i as f64 * 1600.0;
                // Two keys in five human-held: counted, they would keep the machine holds
                // under two thirds of the window.
                let padded = i % 5 < 2;
                let k = if padded {
                    on(ks(t, 90.0, None), pad)
                } else {
                    on(ks(t, 5.0, None), letters[i % 19])
                };
                let v = virt && padded;
                fired += usize::from(m.push(&k, DeviceId(1), v, &p));
            }
            assert_eq!(fired, 1, "padding {pad} virtual {virt}");
        }
        // (3) An unlock re-arms it: reported again.
        let mut m = MachineHolds::default();
        let run = |m: &mut MachineHolds| {
            (0..40usize)
                .filter(|&i| {
                    m.push(
                        &on(ks(i as f64 * 100.0, 5.0, None), letters[i % 19]),
                        DeviceId(1),
                        false,
                        &p,
                    )
                })
                .count()
        };
        assert_eq!(run(&mut m), 1);
        assert_eq!(run(&mut m), 0, "one report until re-armed");
        m = MachineHolds::default();
        assert_eq!(run(&mut m), 1, "re-armed");
    }

    #[test]
    fn the_owners_typing_leaves_no_key_sequence_in_the_window() {
        // Privacy: only machine-held keystrokes keep their slot (to count distinct keys).
        let p = EngineParams::default();
        let mut m = MachineHolds::default();
        for i in 0..100u8 {
            m.push(
                &on(
                    ks(f64::from(i) * 150.0, 90.0, None),
                    slot(16 + u16::from(i % 10)),
                ),
                DeviceId(1),
                false,
                &p,
            );
        }
        assert!(m.recent.iter().all(Option::is_none), "{:?}", m.recent);
    }
}
