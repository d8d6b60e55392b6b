//! The current typist's recent timing relative to the profile: what one stretch of typing
//! says beyond its single keystrokes.
//!
//! Owns: per feature (hold, press-press, release-press) a running offset of the typist
//! from the profile, and per key / digraph a fading sum of that feature's recent z-scores.
//! In memory only: never persisted, never logged; reset whenever another person is likelier
//! (unlock, idle gap, device change or removal), so a takeover starts from nothing.
//!
//! Why: an impostor's timing differs from the owner's *consistently* per digraph (their
//! fingers, their habits), while the owner's own deviations are noise that averages out.
//! For a digraph seen m times with z-scores summing to S, S²/m is ≈ 1 for the owner and
//! grows like m·τ² for someone whose mean is τ away (a one-way analysis of variance, the
//! idea behind Gunetti & Picardi's n-graph measures). Each keystroke contributes the
//! increase of its group's statistic, centred so the owner's expectation is 1 per feature,
//! exactly like a single z² — so a first occurrence scores z², and repeated digraphs add
//! the consistency evidence. Sums fade with `consistency_memory` keystrokes so old typing
//! does not mask a new typist.
//!
//! Another keyboard moves all of the owner's hold times alike (key travel and actuation
//! point are mechanics, not habit: on the Buffalo rotation dev users a new keyboard shifted
//! the owner's holds by +0.66 sd but press-press latencies by +0.39 and release-press by
//! +0.15); the running hold offset (`offset_window`, shrunk towards 0 by
//! `offset_prior_n`) removes most of that common shift. Latencies are left alone: their
//! level is part of who types. The offset is a property of today's keyboard and typist, so
//! an idle gap keeps it; an unlock or another keyboard starts it afresh.

use crate::core::keyslot::SLOT_COUNT;
use crate::engine::profile::Idx;
use crate::engine::EngineParams;

#[derive(Clone, Copy, Default)]
struct Cell {
    sum: f32,
    /// Σ w² of the faded samples: the owner's variance of `sum`.
    q: f32,
    t: u32,
    epoch: u32,
}

/// Recent-typing state of one engine (the hold offset and the consistency cells).
#[derive(Clone, Default)]
pub struct Recent {
    off_sum: f64,
    off_w: f64,
    hold: Vec<Cell>,
    dd: Vec<Cell>,
    ud: Vec<Cell>,
    t: u32,
    epoch: u32,
}

impl std::fmt::Debug for Recent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the cells: together they would say which digraphs were typed just now.
        f.write_str("Recent { .. }")
    }
}

impl Recent {
    /// Forgets everything: whoever types next is measured afresh.
    /// Forgets the recent sums (another person is likelier: idle gap); the hold offset,
    /// a property of today's keyboard and typist, stays.
    pub fn reset(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
    }

    /// Forgets everything, the hold offset included (unlock, session start, another
    /// keyboard).
    pub fn reset_all(&mut self) {
        self.off_sum = 0.0;
        self.off_w = 0.0;
        self.reset();
    }

    fn offset(&self, p: &EngineParams) -> f64 {
        if p.offset_window <= 0.0 {
            return 0.0;
        }
        let w = self.off_w + p.offset_prior_n;
        if w > 0.0 {
            self.off_sum / w
        } else {
            0.0
        }
    }

    /// Per-feature scores of one keystroke's z-scores (`None` where the feature is absent),
    /// each with expectation ≈ 1 on the owner's typing; then takes the keystroke in.
    pub(crate) fn observe(
        &mut self,
        zs: &[Option<f64>; 3],
        idx: &Idx,
        p: &EngineParams,
    ) -> [Option<f64>; 3] {
        let mut out = [None; 3];
        let keep = 1.0 - 1.0 / p.offset_window.max(1.0);
        let memory = p.consistency_memory > 0.0;
        if memory && self.dd.is_empty() {
            self.hold = vec![Cell::default(); SLOT_COUNT];
            self.dd = vec![Cell::default(); SLOT_COUNT * SLOT_COUNT];
            self.ud = vec![Cell::default(); SLOT_COUNT * SLOT_COUNT];
        }
        self.t = self.t.wrapping_add(1);
        let fade = (1.0 - 1.0 / p.consistency_memory.max(1.0)).ln();
        for (f, z) in zs.iter().enumerate() {
            let Some(z) = *z else { continue };
            let mut x = z;
            if f == 0 && p.offset_window > 0.0 {
                x -= self.offset(p);
                self.off_sum = self.off_sum * keep + z.clamp(-p.z_cap, p.z_cap);
                self.off_w = self.off_w * keep + 1.0;
            }
            let x = x.clamp(-p.z_cap, p.z_cap);
            let cell = match (memory, f, idx.pair) {
                (false, ..) => None,
                (true, 0, _) => self.hold.get_mut(idx.slot),
                (true, 1, Some((d, _))) => self.dd.get_mut(d),
                (true, 2, Some((d, _))) => self.ud.get_mut(d),
                _ => None,
            };
            out[f] = Some(match cell {
                None => x * x,
                Some(c) => consistency(c, x, self.t, self.epoch, fade, p.consistency_prior_n),
            });
        }
        out
    }
}

/// The centred increase of a group's consistency statistic `S²/(q + k0)` when `x` joins it.
fn consistency(c: &mut Cell, x: f64, t: u32, epoch: u32, fade: f64, k0: f64) -> f64 {
    let (mut s, mut q) = (0.0, 0.0);
    if c.epoch == epoch {
        let f = (fade * f64::from(t.wrapping_sub(c.t))).exp();
        s = f64::from(c.sum) * f;
        q = f64::from(c.q) * f * f;
    }
    // The statistic minus its expectation for the owner; 0 for an empty group.
    let stat = |s: f64, q: f64| if q > 0.0 { (s * s - q) / (q + k0) } else { 0.0 };
    let before = stat(s, q);
    s += x;
    q += 1.0;
    let after = stat(s, q);
    *c = Cell {
        sum: s as f32,
        q: q as f32,
        t,
        epoch,
    };
    after - before + 1.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::KeySlot;
    use crate::engine::features::{Keystroke, Link};

    fn idx() -> Idx {
        Idx::of(&Keystroke {
            slot: KeySlot(3),
            press_us: 0,
            release_us: 1,
            link: Some(Link {
                prev: KeySlot(4),
                dd_us: 1,
                ud_us: 0,
            }),
        })
    }

    #[test]
    fn a_first_occurrence_scores_z_squared_and_consistent_deviations_grow() {
        let p = EngineParams {
            consistency_memory: 1e9,
            consistency_prior_n: 0.0,
            offset_window: 0.0,
            ..EngineParams::default()
        };
        let mut r = Recent::default();
        let z = [Some(1.5), Some(1.5), None];
        let first = r.observe(&z, &idx(), &p);
        assert!((first[0].unwrap() - 2.25).abs() < 1e-6);
        assert_eq!(first[2], None);
        // The same deviation again and again: each repeat adds more than the first did
        // (S²/m − 1 grows by τ² per sample, plus the centring 1).
        let mut last = 0.0;
        for _ in 0..5 {
            last = r.observe(&z, &idx(), &p)[1].unwrap();
        }
        assert!((last - 3.25).abs() < 1e-4, "{last}");
        // Alternating signs (noise around the owner's mean) add nothing beyond z² = 1.
        r.reset();
        let mut tot = 0.0;
        for i in 0..20 {
            let s = if i % 2 == 0 { 1.0 } else { -1.0 };
            tot += r.observe(&[Some(s), None, None], &idx(), &p)[0].unwrap();
        }
        assert!((tot / 20.0 - 0.95).abs() < 1e-6, "{tot}");
    }

    #[test]
    fn offsets_remove_a_common_shift() {
        let p = EngineParams {
            consistency_memory: 0.0,
            offset_window: 50.0,
            offset_prior_n: 0.0,
            ..EngineParams::default()
        };
        let mut r = Recent::default();
        let mut last = [None; 3];
        for _ in 0..200 {
            last = r.observe(&[Some(1.0), Some(1.0), Some(1.0)], &idx(), &p);
        }
        assert!(last[0].unwrap() < 1e-6, "hold shift removed: {last:?}");
        assert!(
            (last[1].unwrap() - 1.0).abs() < 1e-9,
            "latencies kept: {last:?}"
        );
        r.reset();
        let kept = r.observe(&[Some(1.0), None, None], &idx(), &p);
        assert!(kept[0].unwrap() < 1e-6, "an idle gap keeps the offset");
        r.reset_all();
        let fresh = r.observe(&[Some(1.0), None, None], &idx(), &p);
        assert!(
            (fresh[0].unwrap() - 1.0).abs() < 1e-9,
            "an unlock forgets it"
        );
    }
}
