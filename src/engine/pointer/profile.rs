//! The per-user pointer profile: one model per kind of action and surface, each with its
//! own calibration, and the profile's maturity.
//!
//! Owns: [`PointerProfile`], [`PointerScore`], learning (enrollment), prequential
//! calibration and scoring.
//!
//! Invariants:
//! - only aggregates: per (surface, kind) a count, a mean vector and a covariance matrix of
//!   transformed features, plus a calibration; no action, path or position is kept;
//! - a kind gives evidence only once it has `min_kind_actions` actions *and* as many
//!   prequential (scored before learned) calibration scores, so its evidence is ≈ N(0, 1) on
//!   the owner, the scale the policy fuses with keystroke evidence;
//! - the profile decides only once mature (`min_enroll_actions` learned and the movement
//!   model calibrated); until then it only learns.

use super::features::{dim, direction_sector, features, Vector};
use super::model::{Gauss, Moments};
use super::params::PointerParams;
use crate::core::pointer::{ActionKind, PointerAction, Surface};
use serde::Serialize;

/// Number of (surface, kind) models.
pub const MODELS: usize = 10;
/// Direction sectors of the movement kinds' strata.
pub const SECTORS: usize = 8;

/// Whether a kind's model is stratified by movement direction.
fn stratified(kind: ActionKind) -> bool {
    matches!(
        kind,
        ActionKind::Move | ActionKind::PointClick | ActionKind::DragDrop
    )
}

/// Index of a (surface, kind) model.
pub fn model_index(surface: Surface, kind: ActionKind) -> usize {
    let k = match kind {
        ActionKind::Move => 0,
        ActionKind::PointClick => 1,
        ActionKind::Click => 2,
        ActionKind::DragDrop => 3,
        ActionKind::Scroll => 4,
    };
    match surface {
        Surface::Mouse => k,
        Surface::Touchpad => 5 + k,
    }
}

/// The (surface, kind) of a model index.
pub fn model_key(i: usize) -> (Surface, ActionKind) {
    let surface = if i < 5 {
        Surface::Mouse
    } else {
        Surface::Touchpad
    };
    (surface, ActionKind::ALL[i % 5])
}

/// Running mean and variance of a model's calibrated statistic on the owner's own actions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Calibration {
    /// Prequential scores seen.
    pub n: f64,
    /// Their mean.
    pub mean: f64,
    /// Their variance.
    pub var: f64,
}

impl Default for Calibration {
    /// Nominal for (χ²_d / d)^⅓ with d ≈ 20 (Wilson–Hilferty): mean 1 − 2/(9d), variance
    /// 2/(9d).
    fn default() -> Self {
        Self {
            n: 0.0,
            mean: 0.99,
            var: 0.011,
        }
    }
}

impl Calibration {
    fn push(&mut self, x: f64, cap: f64) {
        let n = (self.n + 1.0).min(cap.max(1.0));
        if self.n == 0.0 {
            self.mean = x;
        }
        let d = x - self.mean;
        self.mean += d / n;
        self.var = (self.var + (d * (x - self.mean) - self.var) / n).max(1e-4);
        self.n += 1.0;
    }
}

/// One (surface, kind) model.
#[derive(Clone, Debug, PartialEq)]
pub struct KindModel {
    /// The feature distribution of the kind.
    pub gauss: Gauss,
    /// Per direction sector (movement kinds): mean and spread, scored shrunk towards
    /// `gauss` and with its correlations. Empty for the other kinds.
    pub strata: Vec<Moments>,
    /// Its calibration.
    pub calib: Calibration,
}

impl KindModel {
    fn new(kind: ActionKind) -> Self {
        let d = dim(kind);
        Self {
            gauss: Gauss::new(d),
            strata: if stratified(kind) {
                (0..2 * SECTORS).map(|_| Moments::new(d)).collect()
            } else {
                Vec::new()
            },
            calib: Calibration::default(),
        }
    }

    fn stratum(&self, x: &Vector) -> Option<usize> {
        (!self.strata.is_empty()).then(|| {
            direction_sector(x, SECTORS)
                + if x[2] > self.gauss.mean[2] {
                    SECTORS
                } else {
                    0
                }
        })
    }

    fn d2(&self, x: &Vector, p: &PointerParams) -> Option<f64> {
        let d = self.gauss.dim();
        let s = self.stratum(x).and_then(|i| self.strata.get(i));
        self.gauss
            .d2_within(s, p.stratum_shrink_n, &x[..d], &p.distance())
    }
}

/// What scoring one action gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointerScore {
    /// (d² / d)^⅓: the calibrated statistic before standardisation.
    pub stat: f64,
    /// Evidence: ≈ N(0, 1) for the owner, larger = less like the owner, clipped.
    pub evidence: f64,
}

/// Maturity summary.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PointerMaturity {
    /// Actions learned.
    pub actions: u64,
    /// Kinds (per surface) that give evidence.
    pub kinds_ready: u32,
    /// The profile may decide.
    pub mature: bool,
}

/// The pointer profile.
#[derive(Clone, PartialEq)]
pub struct PointerProfile {
    pub(crate) actions: u64,
    pub(crate) models: Vec<KindModel>,
    pub(crate) mature: bool,
}

impl std::fmt::Debug for PointerProfile {
    /// Counts only: the statistics are not needed in logs or test failures.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n: Vec<f64> = self.models.iter().map(|m| m.gauss.n).collect();
        f.debug_struct("PointerProfile")
            .field("actions", &self.actions)
            .field("mature", &self.mature)
            .field("model_counts", &n)
            .finish_non_exhaustive()
    }
}

impl Default for PointerProfile {
    fn default() -> Self {
        Self::new()
    }
}

/// The calibrated statistic of a squared distance over `d` features (Wilson–Hilferty: the
/// cube root of χ²_d / d is close to normal).
pub fn stat(d2: f64, d: usize) -> f64 {
    (d2.max(0.0) / d.max(1) as f64).cbrt()
}

impl PointerProfile {
    /// An empty profile in training.
    pub fn new() -> Self {
        Self {
            actions: 0,
            models: (0..MODELS)
                .map(|i| KindModel::new(model_key(i).1))
                .collect(),
            mature: false,
        }
    }

    /// Whether the profile may decide.
    pub fn is_mature(&self) -> bool {
        self.mature
    }

    /// Actions learned.
    pub fn actions(&self) -> u64 {
        self.actions
    }

    /// The model of a (surface, kind).
    pub fn model(&self, surface: Surface, kind: ActionKind) -> &KindModel {
        &self.models[model_index(surface, kind)]
    }

    /// Whether a (surface, kind) model has enough actions and calibration to give evidence.
    pub fn is_ready(&self, surface: Surface, kind: ActionKind, p: &PointerParams) -> bool {
        Self::ready(&self.models[model_index(surface, kind)], p)
    }

    fn ready(m: &KindModel, p: &PointerParams) -> bool {
        let need = f64::from(p.min_kind_actions);
        m.gauss.n >= need && m.calib.n >= need
    }

    /// Maturity summary.
    pub fn maturity(&self, p: &PointerParams) -> PointerMaturity {
        PointerMaturity {
            actions: self.actions,
            kinds_ready: self.models.iter().filter(|m| Self::ready(m, p)).count() as u32,
            mature: self.mature,
        }
    }

    /// Scores one action; `None` when its kind is not ready or it has nothing to measure.
    pub fn score(&self, a: &PointerAction, p: &PointerParams) -> Option<PointerScore> {
        let m = &self.models[model_index(a.surface, a.kind)];
        if !Self::ready(m, p) {
            return None;
        }
        if !p.scored.contains(&a.kind) {
            return None;
        }
        let x = features(a)?;
        Self::score_vec(m, &x, p)
    }

    fn score_vec(m: &KindModel, x: &Vector, p: &PointerParams) -> Option<PointerScore> {
        let s = stat(m.d2(x, p)?, m.gauss.dim());
        let sd = m.calib.var.sqrt().max(1e-3);
        let cap = p.evidence_cap;
        Some(PointerScore {
            stat: s,
            evidence: p.evidence_weight
                * (((s - m.calib.mean) / sd).clamp(-cap, cap) - p.evidence_offset),
        })
    }

    /// Enrollment: scores the action before learning it (prequential calibration, once its
    /// kind has `calibrate_after` actions), then learns it. Returns true once, when the
    /// profile becomes mature.
    pub fn learn(&mut self, a: &PointerAction, p: &PointerParams) -> bool {
        let Some(x) = features(a) else {
            return false;
        };
        let m = &mut self.models[model_index(a.surface, a.kind)];
        let d = m.gauss.dim();
        if m.gauss.n >= f64::from(p.calibrate_after) {
            if let Some(d2) = m.d2(&x, p) {
                m.calib.push(stat(d2, d), p.calibration_cap);
            }
        }
        if let Some(i) = m.stratum(&x) {
            m.strata[i].learn(&x[..d], p.n_cap, 4.0);
        }
        m.gauss.learn(&x[..d], p.n_cap, 4.0);
        self.actions += 1;
        self.check_maturity(p)
    }

    fn check_maturity(&mut self, p: &PointerParams) -> bool {
        if self.mature || self.actions < u64::from(p.min_enroll_actions) {
            return false;
        }
        // Movements (alone or before a click) are most of what a person does with a
        // pointer: at least one of them must be ready on some surface.
        let movement_ready = [Surface::Mouse, Surface::Touchpad].iter().any(|&s| {
            [ActionKind::Move, ActionKind::PointClick]
                .iter()
                .any(|&k| Self::ready(&self.models[model_index(s, k)], p))
        });
        self.mature = movement_ready;
        self.mature
    }
}
