//! Drift adaptation from confidently genuine typing only.
//!
//! Owns: a short in-memory delay line of recent keystrokes (never persisted, never logged).
//!
//! Poisoning resistance, in three layers:
//! 1. delay and gate: a keystroke is learned only after `adapt_delay_keystrokes` more
//!    keystrokes have all kept suspicion at or below `adapt_max_level`; any rise above it,
//!    an unlock, an idle gap or a device change discards the whole delay line, so the first
//!    keystrokes of a takeover — typed before the policy noticed — are never learned;
//! 2. bounded influence: adaptation updates are winsorised and statistics forget only at
//!    `adapt_n_cap` samples, so no burst can move a statistic quickly;
//! 3. bounded drift: every mean stays within `adapt_max_shift_sd` enrolled deviations of its
//!    value at maturity (`Profile::adapt`), however long anyone types.

use crate::engine::features::Keystroke;
use crate::engine::profile::Profile;
use crate::engine::EngineParams;
use std::collections::VecDeque;

/// The delay line and gate.
#[derive(Clone, Debug, Default)]
pub struct Adapter {
    /// Candidates with whether they were confidently genuine when offered.
    pending: VecDeque<(Keystroke, bool)>,
    learned: u64,
}

impl Adapter {
    /// Forgets every candidate (unlock, idle gap, device change, rising suspicion).
    pub fn discard(&mut self) {
        self.pending.clear();
    }

    /// Keystrokes learned by adaptation so far.
    pub fn learned(&self) -> u64 {
        self.learned
    }

    /// Offers one scored keystroke with the suspicion level after it. Any level above
    /// `gate` discards every candidate. A keystroke that was scored (not in grace) at a level
    /// at or below `adapt_max_level` is confidently genuine and may consolidate the profile
    /// (`Profile::adapt`); any other (grace, or just after an unlock) only moves means within
    /// their bounds.
    pub fn offer(
        &mut self,
        ks: &Keystroke,
        level: Option<f64>,
        gate: f64,
        profile: &mut Profile,
        p: &EngineParams,
    ) {
        if !p.adapt {
            return;
        }
        if level.unwrap_or(0.0) > gate {
            self.discard();
            return;
        }
        let confident = level.is_some_and(|l| l <= p.adapt_max_level);
        self.pending.push_back((*ks, confident));
        if self.pending.len() > p.adapt_delay_keystrokes as usize {
            if let Some((old, confident)) = self.pending.pop_front() {
                profile.adapt(&old, p, confident);
                self.learned += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::KeySlot;

    fn ks(hold_ms: i64) -> Keystroke {
        Keystroke {
            slot: KeySlot(2),
            press_us: 0,
            release_us: hold_ms * 1000,
            link: None,
        }
    }

    #[test]
    fn learns_only_after_the_delay_and_forgets_on_suspicion() {
        let p = EngineParams {
            adapt_delay_keystrokes: 3,
            ..EngineParams::default()
        };
        let mut prof = Profile::new();
        let mut a = Adapter::default();
        let gate = p.adapt_max_level;
        for _ in 0..3 {
            a.offer(&ks(100), Some(0.0), gate, &mut prof, &p);
        }
        assert_eq!(a.learned(), 0);
        a.offer(&ks(100), Some(0.5), gate, &mut prof, &p); // suspicion: everything pending is dropped
        for _ in 0..3 {
            a.offer(&ks(100), Some(0.0), gate, &mut prof, &p);
        }
        assert_eq!(a.learned(), 0);
        a.offer(&ks(100), Some(0.0), gate, &mut prof, &p);
        assert_eq!(a.learned(), 1);
    }
}
