//! The serialized pointer profile: versioned, sparse, validated.
//!
//! Owns: [`PointerProfileFile`], the on-disk form of a [`PointerProfile`], and its
//! validation.
//!
//! Invariants: only aggregates (per surface and kind: count, mean vector, covariance, the
//! direction strata's means and variances, calibration), rounded to four significant digits;
//! models and strata never used are left out, so the file stays small (about 60 KB with every
//! model of mouse and touchpad in use, see `benches/pointer.rs`); loading rejects a wrong version, unknown
//! models, wrong lengths and non-finite or negative statistics, and never quotes content.

use super::features::dim;
use super::model::{Gauss, Moments};
use super::profile::{model_index, Calibration, KindModel, PointerProfile, MODELS};
use crate::core::pointer::{ActionKind, Surface};
use serde::{Deserialize, Serialize};

/// Current serialized pointer profile version.
pub const POINTER_PROFILE_VERSION: u32 = 1;

/// Why a stored pointer profile was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PointerProfileError {
    /// Another version.
    #[error("pointer profile version {found} is not supported (expected {expected})")]
    Version {
        /// In the file.
        found: u32,
        /// What this build reads.
        expected: u32,
    },
    /// A field is out of range.
    #[error("pointer profile field {0} is invalid")]
    Invalid(&'static str),
}

/// One direction stratum: `(index, n, mean, variance)`.
pub type StratumRow = (u8, f64, Vec<f64>, Vec<f64>);

/// One (surface, kind) model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelRow {
    /// Mouse or touchpad.
    pub surface: Surface,
    /// Kind of action.
    pub kind: ActionKind,
    /// Effective count.
    pub n: f64,
    /// Mean vector.
    pub mean: Vec<f64>,
    /// Covariance, packed lower triangle.
    pub cov: Vec<f64>,
    /// Strata used.
    pub strata: Vec<StratumRow>,
    /// Calibration `[n, mean, var]`.
    pub calibration: [f64; 3],
}

/// The stored pointer profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointerProfileFile {
    /// Format version ([`POINTER_PROFILE_VERSION`]).
    pub version: u32,
    /// Actions learned.
    pub actions: u64,
    /// Whether enrollment finished.
    pub mature: bool,
    /// Models with at least one action.
    pub models: Vec<ModelRow>,
}

fn q(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 0.0;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn qs(v: &[f64]) -> Vec<f64> {
    v.iter().copied().map(q).collect()
}

impl From<&PointerProfile> for PointerProfileFile {
    fn from(p: &PointerProfile) -> Self {
        let models = p
            .models
            .iter()
            .enumerate()
            .filter(|(_, m)| m.gauss.n > 0.0)
            .map(|(i, m)| {
                let (surface, kind) = super::profile::model_key(i);
                ModelRow {
                    surface,
                    kind,
                    n: q(m.gauss.n),
                    mean: qs(&m.gauss.mean),
                    cov: qs(&m.gauss.cov),
                    strata: m
                        .strata
                        .iter()
                        .enumerate()
                        .filter(|(_, s)| s.n > 0.0)
                        .map(|(j, s)| (j as u8, q(s.n), qs(&s.mean), qs(&s.var)))
                        .collect(),
                    calibration: [q(m.calib.n), q(m.calib.mean), q(m.calib.var)],
                }
            })
            .collect();
        PointerProfileFile {
            version: POINTER_PROFILE_VERSION,
            actions: p.actions,
            mature: p.mature,
            models,
        }
    }
}

fn finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

impl TryFrom<&PointerProfileFile> for PointerProfile {
    type Error = PointerProfileError;

    fn try_from(f: &PointerProfileFile) -> Result<Self, PointerProfileError> {
        use PointerProfileError::Invalid;
        if f.version != POINTER_PROFILE_VERSION {
            return Err(PointerProfileError::Version {
                found: f.version,
                expected: POINTER_PROFILE_VERSION,
            });
        }
        let mut p = PointerProfile::new();
        p.actions = f.actions;
        p.mature = f.mature;
        let mut seen = [false; MODELS];
        for r in &f.models {
            let i = model_index(r.surface, r.kind);
            if std::mem::replace(&mut seen[i], true) {
                return Err(Invalid("models (duplicate)"));
            }
            let d = dim(r.kind);
            if r.mean.len() != d || r.cov.len() != d * (d + 1) / 2 {
                return Err(Invalid("model length"));
            }
            if !(finite(&r.mean) && finite(&r.cov) && r.n.is_finite() && r.n >= 0.0) {
                return Err(Invalid("model statistic"));
            }
            if (0..d).any(|k| r.cov[k * (k + 1) / 2 + k] < 0.0) {
                return Err(Invalid("model variance"));
            }
            let [cn, cm, cv] = r.calibration;
            if !(finite(&r.calibration) && cn >= 0.0 && cv > 0.0) {
                return Err(Invalid("calibration"));
            }
            let m: &mut KindModel = &mut p.models[i];
            m.gauss = Gauss {
                n: r.n,
                mean: r.mean.clone(),
                cov: r.cov.clone(),
            };
            m.calib = Calibration {
                n: cn,
                mean: cm,
                var: cv,
            };
            for (j, n, mean, var) in &r.strata {
                let s = m
                    .strata
                    .get_mut(usize::from(*j))
                    .ok_or(Invalid("stratum index"))?;
                if mean.len() != d || var.len() != d {
                    return Err(Invalid("stratum length"));
                }
                if !(finite(mean) && finite(var) && n.is_finite() && *n >= 0.0)
                    || var.iter().any(|v| *v < 0.0)
                {
                    return Err(Invalid("stratum statistic"));
                }
                *s = Moments {
                    n: *n,
                    mean: mean.clone(),
                    var: var.clone(),
                };
            }
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::pointer::{PointerAction, Step};
    use crate::engine::pointer::PointerParams;
    use crate::eval::rng::SplitMix64;

    pub(crate) fn trained(n: usize) -> PointerProfile {
        let p = PointerParams::default();
        let mut r = SplitMix64::new(5);
        let mut prof = PointerProfile::new();
        let mut t = 0i64;
        for i in 0..n {
            let steps = 6 + r.below(20);
            let angle = r.f64() * std::f64::consts::TAU;
            let path: Vec<Step> = (0..steps)
                .map(|k| {
                    t += 15_625 + r.below(2000) as i64;
                    let v = 4.0
                        + 10.0 * (k as f64 / steps as f64 * std::f64::consts::PI).sin()
                        + r.normal();
                    Step {
                        t_us: t,
                        dx: (v * angle.cos()) as i32,
                        dy: (v * angle.sin()) as i32,
                    }
                })
                .collect();
            let click = i % 2 == 0;
            let press = t + 200_000 + r.below(100_000) as i64;
            prof.learn(
                &PointerAction {
                    kind: if click {
                        ActionKind::PointClick
                    } else {
                        ActionKind::Move
                    },
                    surface: Surface::Mouse,
                    button: None,
                    start_us: 0,
                    end_us: t,
                    path,
                    press_us: click.then_some(press),
                    release_us: click.then_some(press + 90_000),
                    ticks: Vec::new(),
                    since_prev_us: Some(400_000),
                },
                &p,
            );
            t += 1_000_000;
        }
        prof
    }

    #[test]
    fn round_trip_keeps_scores_and_rejects_bad_fields() {
        let prof = trained(800);
        assert!(prof.is_mature());
        let f = PointerProfileFile::from(&prof);
        let json = serde_json::to_string(&f).unwrap();
        let back: PointerProfileFile = serde_json::from_str(&json).unwrap();
        let p2 = PointerProfile::try_from(&back).unwrap();
        assert_eq!(p2.actions(), prof.actions());
        assert!(p2.is_mature());
        let (a, b) = (
            prof.model(Surface::Mouse, ActionKind::Move),
            p2.model(Surface::Mouse, ActionKind::Move),
        );
        assert!((a.calib.mean - b.calib.mean).abs() < 1e-3 * a.calib.mean.abs());
        let mut bad = back.clone();
        bad.models[0].cov[0] = -1.0;
        assert_eq!(
            PointerProfile::try_from(&bad),
            Err(PointerProfileError::Invalid("model variance"))
        );
        let mut bad = back.clone();
        bad.models[0].mean.pop();
        assert!(PointerProfile::try_from(&bad).is_err());
        let mut bad = back.clone();
        bad.models[0].strata[0].0 = 99;
        assert_eq!(
            PointerProfile::try_from(&bad),
            Err(PointerProfileError::Invalid("stratum index"))
        );
        let mut bad = back;
        bad.version = 9;
        assert!(matches!(
            PointerProfile::try_from(&bad),
            Err(PointerProfileError::Version { found: 9, .. })
        ));
    }

    #[test]
    fn rounding_keeps_four_significant_digits() {
        assert_eq!(q(0.000123456), 0.0001235);
        assert_eq!(q(-12345.6), -12350.0);
        assert_eq!(q(0.0), 0.0);
    }
}
