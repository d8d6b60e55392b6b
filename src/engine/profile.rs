//! The per-user profile: aggregate timing statistics only, never sequences.
//!
//! Owns: per key slot hold statistics, per digraph (slot pair) press-press and
//! release-press statistics, their key-class and global parents, the score calibration,
//! coverage and maturity.
//!
//! Invariants:
//! - every statistic is a (count, mean, variance) of a transformed time: no order, no
//!   sequence, no text can be recovered from a profile;
//! - statistics only move by [`Profile::learn`] (enrollment) or [`Profile::adapt`] (bounded
//!   drift around the enrolled anchor, see `adapt`);
//! - the serialized form ([`ProfileFile`]) is versioned, sparse and validated on load; a bad
//!   profile is an error, never a panic.

use crate::core::keyslot::{KeyClass, SLOT_COUNT};
use crate::engine::features::Keystroke;
use crate::engine::EngineParams;
use serde::{Deserialize, Serialize};

/// Current serialized profile version.
///
/// - 1: the first engine (every keystroke scored on its own).
/// - 2: the same statistics, scored with the recent-typing state (consistency evidence,
///   hold offset, `engine::recent`); the score calibration of a version-1 profile does not
///   fit that score, so a migrated profile recalibrates (`wire::migrate`).
pub const PROFILE_VERSION: u32 = 2;
/// Number of key classes ([`KeyClass`] variants).
pub const CLASS_COUNT: usize = 10;
const DIGRAPHS: usize = SLOT_COUNT * SLOT_COUNT;

/// Index of a key class for class-level tables.
pub fn class_index(c: KeyClass) -> usize {
    match c {
        KeyClass::Letter => 0,
        KeyClass::Digit => 1,
        KeyClass::Punct => 2,
        KeyClass::Space => 3,
        KeyClass::Enter => 4,
        KeyClass::Edit => 5,
        KeyClass::Modifier => 6,
        KeyClass::Navigation => 7,
        KeyClass::Keypad => 8,
        KeyClass::Other => 9,
    }
}

/// Feature transforms: log for holds and press-press (positive, right-skewed); `asinh` for
/// release-press, which is negative under rollover.
pub fn t_hold(us: i64) -> f64 {
    (us as f64 / 1000.0).max(1.0).ln()
}
/// Press-press transform (see [`t_hold`]).
pub fn t_dd(us: i64) -> f64 {
    (us as f64 / 1000.0).max(1.0).ln()
}
/// Release-press transform (see [`t_hold`]).
pub fn t_ud(us: i64) -> f64 {
    (us as f64 / 25_000.0).asinh()
}

/// A running (count, mean, variance) in transformed units. Beyond `n_cap` samples it turns
/// into an exponential moving average, which is how adaptation forgets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stat {
    /// Effective sample count.
    pub n: f32,
    /// Mean.
    pub mean: f32,
    /// Variance (population form).
    pub var: f32,
}

impl Stat {
    /// Adds one sample, winsorised at ±`clip` standard deviations once the statistic has a
    /// few samples, so a single pause or slip moves it only a bounded amount.
    pub fn push(&mut self, v: f64, n_cap: f64, clip: f64) {
        let (n, mean, var) = (f64::from(self.n), f64::from(self.mean), f64::from(self.var));
        let v = if n >= 5.0 {
            let sd = var.sqrt().max(0.05);
            v.clamp(mean - clip * sd, mean + clip * sd)
        } else {
            v
        };
        let n1 = (n + 1.0).min(n_cap.max(1.0));
        let d = v - mean;
        let mean1 = mean + d / n1;
        let var1 = var + (d * (v - mean1) - var) / n1;
        *self = Stat {
            n: (n + 1.0).min(n_cap.max(1.0)) as f32,
            mean: mean1 as f32,
            var: var1.max(0.0) as f32,
        };
    }

    /// Standard deviation.
    pub fn sd(&self) -> f64 {
        f64::from(self.var).sqrt()
    }
}

/// A feature statistic with the anchor it had when the profile matured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Feat {
    /// Current statistic.
    pub cur: Stat,
    /// Mean at maturity (adaptation stays within `adapt_max_shift_sd` of it).
    pub anchor_mean: f32,
    /// Standard deviation at maturity; 0 when the feature was unknown then.
    pub anchor_sd: f32,
}

/// Calibration of the per-keystroke raw score on the owner's own typing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Prequential scores seen.
    pub n: f32,
    /// Mean raw score of genuine keystrokes.
    pub mean: f32,
    /// Variance of the raw score of genuine keystrokes.
    pub var: f32,
}

impl Default for Calibration {
    /// Nominal: z ~ N(0,1) on three features gives (χ²₃/3)^⅓ with mean ≈ 0.93 and
    /// variance ≈ 0.074 (Wilson–Hilferty).
    fn default() -> Self {
        Self {
            n: 0.0,
            mean: 0.93,
            var: 0.074,
        }
    }
}

/// Maturity summary, for status output and audit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Maturity {
    /// Keystrokes learned.
    pub keystrokes: u64,
    /// Fraction of recent digraphs already known.
    pub coverage: f64,
    /// Prequential calibration samples (stability of the score scale).
    pub calibration: f64,
    /// The profile may decide.
    pub mature: bool,
}

/// The in-memory profile (dense tables for constant-time lookups).
#[derive(Clone, Debug)]
pub struct Profile {
    pub(crate) keystrokes: u64,
    pub(crate) hold: Vec<Feat>,
    pub(crate) hold_class: [Feat; CLASS_COUNT],
    pub(crate) hold_global: Feat,
    pub(crate) dd: Vec<Feat>,
    pub(crate) ud: Vec<Feat>,
    pub(crate) dd_class: Vec<Feat>,
    pub(crate) ud_class: Vec<Feat>,
    pub(crate) dd_global: Feat,
    pub(crate) ud_global: Feat,
    pub(crate) calib: Calibration,
    pub(crate) coverage: f64,
    pub(crate) mature: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Self::new()
    }
}

/// Indices of a keystroke's features in the profile tables.
#[derive(Clone, Copy)]
pub(crate) struct Idx {
    pub slot: usize,
    pub class: usize,
    /// (digraph, class pair) when the keystroke is linked.
    pub pair: Option<(usize, usize)>,
}

impl Idx {
    pub(crate) fn of(ks: &Keystroke) -> Self {
        let class = class_index(ks.slot.class());
        let pair = ks.link.map(|l| {
            let pc = class_index(l.prev.class());
            (
                l.prev.index() * SLOT_COUNT + ks.slot.index(),
                pc * CLASS_COUNT + class,
            )
        });
        Self {
            slot: ks.slot.index().min(SLOT_COUNT - 1),
            class,
            pair,
        }
    }
}

impl Profile {
    /// An empty profile in training.
    pub fn new() -> Self {
        Self {
            keystrokes: 0,
            hold: vec![Feat::default(); SLOT_COUNT],
            hold_class: [Feat::default(); CLASS_COUNT],
            hold_global: Feat::default(),
            dd: vec![Feat::default(); DIGRAPHS],
            ud: vec![Feat::default(); DIGRAPHS],
            dd_class: vec![Feat::default(); CLASS_COUNT * CLASS_COUNT],
            ud_class: vec![Feat::default(); CLASS_COUNT * CLASS_COUNT],
            dd_global: Feat::default(),
            ud_global: Feat::default(),
            calib: Calibration::default(),
            coverage: 0.0,
            mature: false,
        }
    }

    /// Whether the profile may decide.
    pub fn is_mature(&self) -> bool {
        self.mature
    }

    /// The score calibration.
    pub fn calibration(&self) -> Calibration {
        self.calib
    }

    /// Maturity summary.
    pub fn maturity(&self) -> Maturity {
        Maturity {
            keystrokes: self.keystrokes,
            coverage: self.coverage,
            calibration: f64::from(self.calib.n),
            mature: self.mature,
        }
    }

    /// Samples of the digraph ending in this keystroke (0 when unlinked).
    pub(crate) fn digraph_n(&self, idx: &Idx) -> f64 {
        idx.pair.map_or(0.0, |(d, _)| f64::from(self.dd[d].cur.n))
    }

    /// Enrollment: learns every feature of one keystroke at every level.
    pub fn learn(&mut self, ks: &Keystroke, p: &EngineParams) {
        let idx = Idx::of(ks);
        if ks.link.is_some() {
            let known = self.digraph_n(&idx) >= f64::from(p.known_min_n);
            self.coverage += ((if known { 1.0 } else { 0.0 }) - self.coverage) / 200.0;
        }
        self.keystrokes += 1;
        self.update(ks, &idx, |f, v| f.cur.push(v, f64::INFINITY, 3.5));
    }

    /// Adaptation: learns one genuine keystroke after maturity.
    ///
    /// Consolidation: a `confident` keystroke (suspicion stayed low) is learned in full
    /// (count, mean, spread) by every feature that still has fewer than `adapt_full_n`
    /// samples, whose anchor then follows: a profile that matured on ~1,000 keystrokes keeps
    /// estimating its rarer digraphs from the owner's typing.
    ///
    /// Drift: otherwise a feature moves its mean only, by an exponential moving average of
    /// weight `1/adapt_n_cap`; count and spread stay (re-estimating them from gated, hence
    /// typical, typing would shrink the predictive spread and feed back into false locks),
    /// and the mean stays within `adapt_max_shift_sd` anchored deviations of its anchor.
    /// Features unknown at maturity are learned in full, capped at `adapt_n_cap` samples.
    pub fn adapt(&mut self, ks: &Keystroke, p: &EngineParams, confident: bool) {
        let idx = Idx::of(ks);
        let (cap, shift) = (p.adapt_n_cap.max(1.0), p.adapt_max_shift_sd);
        let full_n = if confident { p.adapt_full_n } else { 0.0 };
        self.update(ks, &idx, |f, v| {
            if f64::from(f.cur.n) < full_n {
                f.cur.push(v, f64::INFINITY, 3.5);
                f.anchor_mean = f.cur.mean;
                f.anchor_sd = if f.cur.n >= 2.0 {
                    f.cur.sd() as f32
                } else {
                    0.0
                };
                return;
            }
            if f.anchor_sd <= 0.0 {
                f.cur.push(v, cap, 3.5);
                return;
            }
            let sd = f64::from(f.anchor_sd);
            let (mean, anchor) = (f64::from(f.cur.mean), f64::from(f.anchor_mean));
            let m = mean + (v.clamp(mean - 2.5 * sd, mean + 2.5 * sd) - mean) / cap;
            f.cur.mean = m.clamp(anchor - shift * sd, anchor + shift * sd) as f32;
        });
    }

    fn update(&mut self, ks: &Keystroke, idx: &Idx, mut f: impl FnMut(&mut Feat, f64)) {
        let h = t_hold(ks.hold_us());
        f(&mut self.hold[idx.slot], h);
        f(&mut self.hold_class[idx.class], h);
        f(&mut self.hold_global, h);
        if let (Some(l), Some((d, c))) = (ks.link, idx.pair) {
            let (dd, ud) = (t_dd(l.dd_us), t_ud(l.ud_us));
            f(&mut self.dd[d], dd);
            f(&mut self.dd_class[c], dd);
            f(&mut self.dd_global, dd);
            f(&mut self.ud[d], ud);
            f(&mut self.ud_class[c], ud);
            f(&mut self.ud_global, ud);
        }
    }

    /// Adds one prequential (scored before learned) genuine raw score to the calibration.
    pub(crate) fn calibrate(&mut self, raw: f64) {
        let c = &mut self.calib;
        let first = c.n == 0.0;
        let n = (f64::from(c.n) + 1.0).min(500.0);
        let (m, v) = if first {
            (raw, 0.074)
        } else {
            (f64::from(c.mean), f64::from(c.var))
        };
        let d = raw - m;
        let m1 = m + d / n;
        let v1 = v + (d * (raw - m1) - v) / n;
        *c = Calibration {
            n: (f64::from(c.n) + 1.0) as f32,
            mean: m1 as f32,
            var: v1.max(1e-4) as f32,
        };
    }

    /// Forgets the score calibration and returns to training, keeping every statistic: the
    /// next `min_calibration` keystrokes recalibrate the score (prequentially, as in
    /// enrollment), then the profile decides again.
    pub(crate) fn recalibrate(&mut self) {
        self.calib = Calibration::default();
        self.mature = false;
    }

    /// Checks the maturity rule; on the transition, freezes the anchors. Returns true once,
    /// when the profile becomes mature.
    pub(crate) fn check_maturity(&mut self, p: &EngineParams) -> bool {
        if self.mature || self.keystrokes < u64::from(p.min_enroll_keystrokes) {
            return false;
        }
        let covered = self.coverage >= p.min_coverage
            || self.keystrokes >= u64::from(p.max_enroll_keystrokes);
        if !covered || self.calib.n < p.min_calibration as f32 {
            return false;
        }
        self.mature = true;
        self.freeze_anchors();
        true
    }

    fn freeze_anchors(&mut self) {
        let all = self
            .hold
            .iter_mut()
            .chain(self.hold_class.iter_mut())
            .chain(std::iter::once(&mut self.hold_global))
            .chain(self.dd.iter_mut())
            .chain(self.ud.iter_mut())
            .chain(self.dd_class.iter_mut())
            .chain(self.ud_class.iter_mut())
            .chain([&mut self.dd_global, &mut self.ud_global]);
        for f in all {
            f.anchor_mean = f.cur.mean;
            f.anchor_sd = if f.cur.n >= 2.0 {
                f.cur.sd() as f32
            } else {
                0.0
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_matches_sample_moments_then_forgets_past_the_cap() {
        let mut s = Stat::default();
        for v in [1.0, 2.0, 3.0, 4.0] {
            s.push(v, f64::INFINITY, 100.0);
        }
        assert!(
            (s.mean - 2.5).abs() < 1e-6 && (s.var - 1.25).abs() < 1e-6,
            "{s:?}"
        );
        let mut e = Stat::default();
        for _ in 0..1000 {
            e.push(1.0, 10.0, 100.0);
        }
        for _ in 0..100 {
            e.push(2.0, 10.0, 100.0);
        }
        assert!(
            e.mean > 1.99,
            "capped statistic follows the new level: {e:?}"
        );
    }

    #[test]
    fn winsorising_bounds_one_outlier() {
        let mut s = Stat::default();
        for i in 0..100 {
            s.push(5.0 + f64::from(i % 3) * 0.1, f64::INFINITY, 3.5);
        }
        let before = s.mean;
        s.push(1e6, f64::INFINITY, 3.5);
        assert!((s.mean - before).abs() < 0.01, "{before} → {}", s.mean);
    }
}
