//! The cleaning core: one pure state machine per device turns decoded kernel events into
//! [`TimingEvent`]s that are safe to learn from.
//!
//! Owns: per-device key state (with each key's last release, for the chatter rule), the
//! `SYN_DROPPED` discard window and the cleaning counters.
//!
//! Invariants (the contract in `core::timing`):
//! - autorepeat (value 2) is never a keystroke; a key that repeats was held past the repeat
//!   delay, which is not typing rhythm, so its open press is cut (F05, F06);
//! - after `SYN_DROPPED` everything up to and including the next `SYN_REPORT` is discarded,
//!   the chain is cut, and key state comes only from [`Cleaner::resync`] with what the reader
//!   read via `EVIOCGKEY`; nothing synthetic is ever emitted (F01, F04);
//! - orphan releases, duplicate presses and over-long holds are dropped or cut, never fed as
//!   timing (F08, F09);
//! - every event is decided when it arrives: nothing is held back, so a release leaves the
//!   core in the same call that brought it and a tap followed by silence is complete at once
//!   (F32). Switch chatter (F30) is therefore handled retroactively: a press of a key within
//!   `chatter_us` of that key's release is a bounce; the bounce press and its release are
//!   dropped from timing and the chain is cut, so no latency is measured from the bounced
//!   release (the keystroke before the bounce was already emitted and stays as it was);
//! - device removal cuts the chain and clears all state (F10, F14);
//! - time never goes backwards inside a chain (F27);
//! - no key code leaves this module: codes index private state and become [`KeySlot`]s.
//!
//! Pure: no I/O and no clock of its own. Time comes only from the events.

use crate::core::event::{RawEvent, EV_KEY, KEY_PRESS, KEY_RELEASE, KEY_REPEAT};
use crate::core::keyslot::{slot_for_code, KeySlot};
use crate::core::timing::{CutReason, DeviceId, Edge, TimingEvent, TimingKind};
use serde::Serialize;
use std::collections::BTreeMap;

/// Highest key code tracked (`KEY_MAX` is 0x2ff).
const KEY_CODES: usize = 0x300;

/// Tunables of the cleaning rules (from `[input]` in the config).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CleanParams {
    /// A same-key release→press gap at or under this is switch chatter, not a new keystroke;
    /// 0 disables the rule. Real double letters are ≥ 33 ms apart in the shared traces; F30
    /// chatter is ~8 ms.
    pub chatter_us: i64,
    /// A key held longer than this is not typing; its press is cut.
    pub max_hold_us: i64,
}

impl Default for CleanParams {
    fn default() -> Self {
        Self {
            chatter_us: 20_000,
            max_hold_us: 2_000_000,
        }
    }
}

/// What the cleaner did, for summaries and for the per-device health figures.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanStats {
    /// Complete keystrokes (press and release both emitted).
    pub keystrokes: u64,
    /// Cuts emitted, by reason.
    pub cuts: BTreeMap<CutReason, u64>,
    /// Releases of keys not known to be down.
    pub orphan_releases: u64,
    /// Autorepeat events seen (never keystrokes).
    pub autorepeats: u64,
    /// Chatter bounces dropped from timing (F30). Per device, so a rising rate shows as a
    /// hardware trend; it never counts against the typist.
    pub chatter_bounces: u64,
    /// Presses of keys already down.
    pub duplicate_presses: u64,
    /// `SYN_DROPPED` markers seen.
    pub overruns: u64,
    /// Events discarded inside `SYN_DROPPED` windows.
    pub dropped_events: u64,
    /// Events whose time went backwards.
    pub clock_steps: u64,
    /// Holds longer than the maximum.
    pub long_holds: u64,
    /// `EV_KEY` events with a value other than 0, 1 or 2.
    pub invalid_values: u64,
}

/// `Key::Up` of a key never seen released.
const NEVER: i64 = i64::MIN;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// Up; `released_us` is its last release ([`NEVER`] if none), for the chatter rule.
    Up { released_us: i64 },
    /// Down with a known, emitted press.
    Down { press_us: i64 },
    /// Down (or maybe down) without usable timing: seeded by a resync or voided by a cut.
    /// Its release is dropped quietly.
    Void,
}

/// The per-device cleaning state machine.
pub struct Cleaner {
    device: DeviceId,
    params: CleanParams,
    keys: Box<[Key; KEY_CODES]>,
    /// Codes currently `Down` (a handful at most; order irrelevant).
    down: Vec<u16>,
    /// Discarding until the next `SYN_REPORT` after `SYN_DROPPED`.
    dropping: bool,
    /// A press was emitted since the last cut.
    live: bool,
    last_t: Option<i64>,
    stats: CleanStats,
}

impl Cleaner {
    /// A cleaner for one device instance.
    pub fn new(device: DeviceId, params: CleanParams) -> Self {
        Self {
            device,
            params,
            keys: Box::new([Key::Up { released_us: NEVER }; KEY_CODES]),
            down: Vec::with_capacity(16),
            dropping: false,
            live: false,
            last_t: None,
            stats: CleanStats::default(),
        }
    }

    /// The device this cleaner serves.
    pub fn device(&self) -> DeviceId {
        self.device
    }

    /// Counters so far.
    pub fn stats(&self) -> &CleanStats {
        &self.stats
    }

    /// Feeds one kernel event; clean timing events are appended to `out`.
    #[inline]
    pub fn push(&mut self, ev: &RawEvent, out: &mut Vec<TimingEvent>) {
        if self.dropping {
            // F01: the frame that contained the overflow is unreliable up to its SYN_REPORT.
            self.stats.dropped_events += 1;
            self.dropping = !ev.is_syn_report();
            return;
        }
        if ev.kind == EV_KEY {
            self.key_event(ev, out);
        } else if ev.is_syn_dropped() {
            self.stats.overruns += 1;
            self.cut(CutReason::Overrun, ev.time_us, out);
            self.dropping = true;
        }
        // Every other event (MSC_SCAN, SYN_REPORT, REL, ABS…) carries nothing for timing.
    }

    #[inline(never)]
    fn key_event(&mut self, ev: &RawEvent, out: &mut Vec<TimingEvent>) {
        let t = ev.time_us;
        // The time-driven rule runs on key events, the only ones that matter for it.
        if self.last_t != Some(t) {
            if self.last_t.is_some_and(|last| t < last) {
                self.stats.clock_steps += 1;
                self.cut(CutReason::ClockStep, t, out);
            }
            self.last_t = Some(t);
            self.expire(t, out);
        }
        let Some(slot) = slot_for_code(ev.code) else {
            return; // buttons never feed keystroke timing (F06)
        };
        match ev.value {
            KEY_PRESS => self.press(ev.code, slot, t, out),
            KEY_RELEASE => self.release(ev.code, slot, t, out),
            KEY_REPEAT => self.repeat(ev.code, t, out),
            _ => self.stats.invalid_values += 1,
        }
    }

    /// Replaces the key state with what the kernel reports as down (`EVIOCGKEY`), after an
    /// overrun or at open. Keys down now have no usable press time (F09): they are `Void`.
    pub fn resync(
        &mut self,
        down_codes: impl IntoIterator<Item = u16>,
        t_us: i64,
        out: &mut Vec<TimingEvent>,
    ) {
        self.cut(CutReason::Resync, t_us, out);
        self.keys.fill(Key::Up { released_us: NEVER });
        self.down.clear();
        for code in down_codes {
            if let Some(k) = self.keys.get_mut(code as usize) {
                *k = Key::Void;
            }
        }
        self.dropping = false;
    }

    /// The device is gone: cut and forget everything (F10, F14). Never fabricates releases.
    pub fn remove(&mut self, t_us: i64, out: &mut Vec<TimingEvent>) {
        self.cut(CutReason::DeviceRemoved, t_us, out);
        self.keys.fill(Key::Up { released_us: NEVER });
        self.down.clear();
        self.dropping = false;
        self.last_t = None;
    }

    /// The recording ended: keys still down are cut.
    pub fn finish(&mut self, t_us: i64, out: &mut Vec<TimingEvent>) {
        if !self.down.is_empty() {
            self.cut(CutReason::EndOfStream, t_us, out);
        }
    }

    fn press(&mut self, code: u16, slot: KeySlot, t: i64, out: &mut Vec<TimingEvent>) {
        match self.keys[code as usize] {
            Key::Up { released_us } if self.bounced(released_us, t) => {
                // F30: the switch bounced. Its release was real to the kernel and is already
                // out; what follows it (this press and its release) is not a keystroke, and
                // no latency may be measured from that release: cut, and void the key.
                self.stats.chatter_bounces += 1;
                self.cut(CutReason::Chatter, t, out);
                self.keys[code as usize] = Key::Void;
            }
            Key::Up { .. } => {
                self.keys[code as usize] = Key::Down { press_us: t };
                self.down.push(code);
                self.live = true;
                self.emit(
                    t,
                    TimingKind::Key {
                        slot,
                        edge: Edge::Press,
                    },
                    out,
                );
            }
            Key::Down { .. } | Key::Void => {
                // A release was missed (F08, F09, `keyboard_alt+shift+i`): this key's timing
                // is unknown until it is seen going up.
                self.stats.duplicate_presses += 1;
                self.cut(CutReason::DuplicatePress, t, out);
                self.keys[code as usize] = Key::Void;
            }
        }
    }

    /// A same-key release→press gap within the chatter window (inclusive; never across a
    /// backwards clock step, which is cut on its own).
    #[inline]
    fn bounced(&self, released_us: i64, t: i64) -> bool {
        self.params.chatter_us > 0
            && released_us != NEVER
            && (0..=self.params.chatter_us).contains(&(t - released_us))
    }

    fn release(&mut self, code: u16, slot: KeySlot, t: i64, out: &mut Vec<TimingEvent>) {
        let was = self.keys[code as usize];
        // Every release, even one without usable timing, starts the key's chatter window.
        self.keys[code as usize] = Key::Up { released_us: t };
        match was {
            Key::Down { press_us } if t - press_us > self.params.max_hold_us => {
                self.forget_down(code);
                self.stats.long_holds += 1;
                self.cut(CutReason::LongHold, t, out);
            }
            Key::Down { .. } => {
                self.forget_down(code);
                self.stats.keystrokes += 1;
                self.emit(
                    t,
                    TimingKind::Key {
                        slot,
                        edge: Edge::Release,
                    },
                    out,
                );
            }
            Key::Void => {}
            Key::Up { .. } => {
                // F09: e.g. the Enter that started the recorder. A press was never seen, so any
                // latency across this point would span an unseen keystroke.
                self.stats.orphan_releases += 1;
                self.cut(CutReason::OrphanRelease, t, out);
            }
        }
    }

    fn repeat(&mut self, code: u16, t: i64, out: &mut Vec<TimingEvent>) {
        self.stats.autorepeats += 1;
        if let Key::Down { .. } = self.keys[code as usize] {
            self.cut(CutReason::Autorepeat, t, out);
        }
    }

    /// Time-driven rule, run on key events: a hold growing past the maximum.
    fn expire(&mut self, now: i64, out: &mut Vec<TimingEvent>) {
        let max = self.params.max_hold_us;
        let keys = &self.keys;
        let too_long = self
            .down
            .iter()
            .any(|&c| matches!(keys[c as usize], Key::Down { press_us } if now - press_us > max));
        if too_long {
            self.stats.long_holds += 1;
            self.cut(CutReason::LongHold, now, out);
        }
    }

    #[inline]
    fn forget_down(&mut self, code: u16) {
        if let Some(i) = self.down.iter().position(|&c| c == code) {
            self.down.swap_remove(i);
        }
    }

    /// Voids every open press and, if a chain is live, tells the consumer.
    fn cut(&mut self, reason: CutReason, t: i64, out: &mut Vec<TimingEvent>) {
        for &c in &self.down {
            self.keys[c as usize] = Key::Void;
        }
        self.down.clear();
        if self.live {
            self.live = false;
            *self.stats.cuts.entry(reason).or_default() += 1;
            self.emit(t, TimingKind::Cut(reason), out);
        }
    }

    fn emit(&self, t_us: i64, kind: TimingKind, out: &mut Vec<TimingEvent>) {
        out.push(TimingEvent {
            t_us,
            device: self.device,
            kind,
        });
    }
}
