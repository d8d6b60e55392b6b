//! Keystroke features from one device's cleaned timing stream.
//!
//! Owns: the per-device chain state that pairs presses with releases and links each
//! keystroke to the one typed before it.
//!
//! Invariants:
//! - time comes only from event stamps (F29): the same events give the same keystrokes,
//!   however late or batched they were delivered;
//! - a keystroke is emitted when it and every keystroke pressed before it are complete, in
//!   press order, so a latency always links consecutive presses;
//! - a `Cut` ends the chain and voids open presses (core::timing contract; F01, F14): no hold
//!   or latency spans it; a pause longer than `max_latency` ends the chain too (a pause is not
//!   a latency);
//! - nothing here keeps more than the last completed keystroke and the handful still open.

use crate::core::keyslot::KeySlot;
use crate::core::timing::{Edge, TimingEvent, TimingKind};

/// Open keystrokes tracked at once; more means the stream is not typing (or is broken), and
/// the chain is restarted.
const MAX_OPEN: usize = 12;

/// The link from a keystroke to the one pressed just before it in the same chain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Link {
    /// Slot of the previous keystroke.
    pub prev: KeySlot,
    /// Press-to-press latency (µs), ≥ 0.
    pub dd_us: i64,
    /// Release-to-press latency (µs): negative when the keys overlapped (rollover).
    pub ud_us: i64,
}

/// One complete keystroke with its timing features.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Keystroke {
    /// Opaque key slot.
    pub slot: KeySlot,
    /// Press stamp (µs).
    pub press_us: i64,
    /// Release stamp (µs).
    pub release_us: i64,
    /// The previous keystroke of the chain, when there is one.
    pub link: Option<Link>,
}

impl Keystroke {
    /// Hold time (µs).
    pub fn hold_us(&self) -> i64 {
        self.release_us - self.press_us
    }
}

#[derive(Clone, Copy)]
struct Open {
    slot: KeySlot,
    press_us: i64,
    release_us: Option<i64>,
}

/// Per-device keystroke extractor.
#[derive(Clone)]
pub struct Extractor {
    max_latency_us: i64,
    open: Vec<Open>,
    last: Option<(KeySlot, i64, i64)>,
}

impl Extractor {
    /// An extractor whose chains end at pauses longer than `max_latency_us`.
    pub fn new(max_latency_us: i64) -> Self {
        Self {
            max_latency_us,
            open: Vec::with_capacity(MAX_OPEN),
            last: None,
        }
    }

    /// Feeds one timing event; completed keystrokes are appended to `out` in press order.
    pub fn push(&mut self, ev: &TimingEvent, out: &mut Vec<Keystroke>) {
        match ev.kind {
            TimingKind::Cut(_) => self.cut(),
            TimingKind::Key {
                slot,
                edge: Edge::Press,
            } => {
                if self.open.len() >= MAX_OPEN {
                    self.cut();
                }
                self.open.push(Open {
                    slot,
                    press_us: ev.t_us,
                    release_us: None,
                });
            }
            TimingKind::Key {
                slot,
                edge: Edge::Release,
            } => {
                let Some(o) = self
                    .open
                    .iter_mut()
                    .find(|o| o.slot == slot && o.release_us.is_none())
                else {
                    return; // press voided by our own restart; the cleaner guarantees pairing
                };
                o.release_us = Some(ev.t_us.max(o.press_us));
                self.drain(out);
            }
        }
    }

    /// Ends the chain: open presses are void and the next keystroke has no link.
    pub fn cut(&mut self) {
        self.open.clear();
        self.last = None;
    }

    fn drain(&mut self, out: &mut Vec<Keystroke>) {
        let mut done = 0;
        for o in &self.open {
            let Some(release_us) = o.release_us else {
                break;
            };
            let link = match self.last {
                Some((prev, p, r)) if (0..=self.max_latency_us).contains(&(o.press_us - p)) => {
                    Some(Link {
                        prev,
                        dd_us: o.press_us - p,
                        ud_us: o.press_us - r,
                    })
                }
                _ => None,
            };
            out.push(Keystroke {
                slot: o.slot,
                press_us: o.press_us,
                release_us,
                link,
            });
            self.last = Some((o.slot, o.press_us, release_us));
            done += 1;
        }
        self.open.drain(..done);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::timing::{CutReason, DeviceId};

    fn key(t_ms: i64, slot: u8, edge: Edge) -> TimingEvent {
        TimingEvent {
            t_us: t_ms * 1000,
            device: DeviceId(1),
            kind: TimingKind::Key {
                slot: KeySlot(slot),
                edge,
            },
        }
    }
    use Edge::{Press as P, Release as R};

    fn run(evs: &[TimingEvent]) -> Vec<Keystroke> {
        let mut x = Extractor::new(1_500_000);
        let mut out = Vec::new();
        for e in evs {
            x.push(e, &mut out);
        }
        out
    }

    #[test]
    fn holds_and_latencies_with_rollover_in_press_order() {
        // a down 0, b down 80, a up 100 (rollover), b up 150, c down 300, c up 390
        let out = run(&[
            key(0, 1, P),
            key(80, 2, P),
            key(100, 1, R),
            key(150, 2, R),
            key(300, 3, P),
            key(390, 3, R),
        ]);
        assert_eq!(out.len(), 3);
        assert_eq!((out[0].hold_us(), out[0].link), (100_000, None));
        assert_eq!(out[1].hold_us(), 70_000);
        assert_eq!(
            out[1].link,
            Some(Link {
                prev: KeySlot(1),
                dd_us: 80_000,
                ud_us: -20_000
            })
        );
        assert_eq!(
            out[2].link,
            Some(Link {
                prev: KeySlot(2),
                dd_us: 220_000,
                ud_us: 150_000
            })
        );
    }

    #[test]
    fn second_key_released_first_waits_for_the_first() {
        let out = run(&[key(0, 1, P), key(50, 2, P), key(90, 2, R)]);
        assert!(
            out.is_empty(),
            "b is complete but a, pressed before it, is not"
        );
        let out = run(&[key(0, 1, P), key(50, 2, P), key(90, 2, R), key(120, 1, R)]);
        assert_eq!(out.iter().map(|k| k.slot.0).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(out[1].link.map(|l| l.ud_us), Some(-70_000));
    }

    #[test]
    fn cuts_and_long_pauses_end_the_chain() {
        let cut = TimingEvent {
            t_us: 200_000,
            device: DeviceId(1),
            kind: TimingKind::Cut(CutReason::Overrun),
        };
        let out = run(&[
            key(0, 1, P),
            key(100, 1, R),
            cut,
            key(300, 2, P),
            key(380, 2, R),
        ]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].link, None, "no latency spans a cut");
        // An open press is voided by the cut: its release never becomes a keystroke.
        let out = run(&[
            key(0, 1, P),
            cut,
            key(150, 1, R),
            key(300, 2, P),
            key(380, 2, R),
        ]);
        assert_eq!(out.len(), 1);
        let out = run(&[
            key(0, 1, P),
            key(100, 1, R),
            key(1700, 2, P),
            key(1780, 2, R),
        ]);
        assert_eq!(out[1].link, None, "a 1.7 s pause is not a latency");
    }
}
