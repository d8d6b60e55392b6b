//! The serialized profile (the payload the daemon's profile store persists): versioned,
//! sparse, validated.
//!
//! Owns: [`ProfileFile`], the on-disk form of a [`Profile`], and its validation.
//!
//! Invariants: only aggregate statistics are stored (per key slot, per slot pair, per class,
//! global) — no order, no sequence; numbers are rounded to 1e-3 so the file stays small
//! (< 256 KiB even with every digraph of a 91-slot keyboard in use, capped by
//! [`MAX_DIGRAPHS`]); loading rejects a wrong version, out-of-range slots and non-finite or
//! negative statistics with an error that never quotes the offending content.

use crate::core::keyslot::SLOT_COUNT;
use crate::engine::profile::{Calibration, Feat, Profile, Stat, CLASS_COUNT, PROFILE_VERSION};
use serde::{Deserialize, Serialize};

/// Digraphs kept in a stored profile (the most frequent); the rest fall back to their
/// key-class parents when scored.
pub const MAX_DIGRAPHS: usize = 2500;

/// Why a stored profile was rejected.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProfileError {
    /// The file was written by another profile version.
    #[error("profile version {found} is not supported (expected {expected})")]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// A field is out of range.
    #[error("profile field {0} is invalid")]
    Invalid(&'static str),
}

/// A feature as `[n, mean, var, anchor_mean, anchor_sd]`.
pub type FeatRow = [f32; 5];

/// The stored profile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    /// Format version ([`PROFILE_VERSION`]).
    pub version: u32,
    /// Keystrokes learned in enrollment.
    pub keystrokes: u64,
    /// Fraction of recent digraphs known.
    pub coverage: f64,
    /// Whether enrollment finished.
    pub mature: bool,
    /// Genuine score calibration `[n, mean, var]`.
    pub calibration: [f32; 3],
    /// Per slot hold: `(slot, feature)` for slots seen.
    pub hold: Vec<(u8, FeatRow)>,
    /// Per class hold.
    pub hold_class: Vec<FeatRow>,
    /// Global hold.
    pub hold_global: FeatRow,
    /// Per digraph `(first slot, second slot, press-press, release-press)`.
    pub digraphs: Vec<(u8, u8, FeatRow, FeatRow)>,
    /// Per class-pair press-press.
    pub dd_class: Vec<FeatRow>,
    /// Per class-pair release-press.
    pub ud_class: Vec<FeatRow>,
    /// Global press-press and release-press.
    pub dd_ud_global: [FeatRow; 2],
}

fn q(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

fn row(f: &Feat) -> FeatRow {
    [
        q(f.cur.n),
        q(f.cur.mean),
        q(f.cur.var),
        q(f.anchor_mean),
        q(f.anchor_sd),
    ]
}

fn feat(r: &FeatRow) -> Result<Feat, ProfileError> {
    if r.iter().any(|x| !x.is_finite()) || r[0] < 0.0 || r[2] < 0.0 || r[4] < 0.0 {
        return Err(ProfileError::Invalid("statistic"));
    }
    Ok(Feat {
        cur: Stat {
            n: r[0],
            mean: r[1],
            var: r[2],
        },
        anchor_mean: r[3],
        anchor_sd: r[4],
    })
}

fn feats(rows: &[FeatRow], len: usize, name: &'static str) -> Result<Vec<Feat>, ProfileError> {
    if rows.len() != len {
        return Err(ProfileError::Invalid(name));
    }
    rows.iter().map(feat).collect()
}

impl From<&Profile> for ProfileFile {
    fn from(p: &Profile) -> Self {
        let hold = (0..SLOT_COUNT)
            .filter(|&s| p.hold[s].cur.n > 0.0)
            .map(|s| (s as u8, row(&p.hold[s])))
            .collect();
        let mut dig: Vec<usize> = (0..p.dd.len()).filter(|&d| p.dd[d].cur.n > 0.0).collect();
        dig.sort_by(|&a, &b| p.dd[b].cur.n.total_cmp(&p.dd[a].cur.n).then(a.cmp(&b)));
        dig.truncate(MAX_DIGRAPHS);
        dig.sort_unstable();
        let digraphs = dig
            .iter()
            .map(|&d| {
                (
                    (d / SLOT_COUNT) as u8,
                    (d % SLOT_COUNT) as u8,
                    row(&p.dd[d]),
                    row(&p.ud[d]),
                )
            })
            .collect();
        let c = p.calib;
        ProfileFile {
            version: PROFILE_VERSION,
            keystrokes: p.keystrokes,
            coverage: p.coverage,
            mature: p.mature,
            calibration: [c.n, c.mean, c.var],
            hold,
            hold_class: p.hold_class.iter().map(row).collect(),
            hold_global: row(&p.hold_global),
            digraphs,
            dd_class: p.dd_class.iter().map(row).collect(),
            ud_class: p.ud_class.iter().map(row).collect(),
            dd_ud_global: [row(&p.dd_global), row(&p.ud_global)],
        }
    }
}

impl TryFrom<&ProfileFile> for Profile {
    type Error = ProfileError;

    fn try_from(f: &ProfileFile) -> Result<Self, ProfileError> {
        if f.version != PROFILE_VERSION {
            return Err(ProfileError::Version {
                found: f.version,
                expected: PROFILE_VERSION,
            });
        }
        let mut p = Profile::new();
        p.keystrokes = f.keystrokes;
        if !(0.0..=1.0).contains(&f.coverage) {
            return Err(ProfileError::Invalid("coverage"));
        }
        p.coverage = f.coverage;
        p.mature = f.mature;
        let [n, mean, var] = f.calibration;
        if !(n.is_finite() && mean.is_finite() && var.is_finite() && n >= 0.0 && var > 0.0) {
            return Err(ProfileError::Invalid("calibration"));
        }
        p.calib = Calibration { n, mean, var };
        for (s, r) in &f.hold {
            let slot = usize::from(*s);
            *p.hold
                .get_mut(slot)
                .ok_or(ProfileError::Invalid("hold slot"))? = feat(r)?;
        }
        let hc = feats(&f.hold_class, CLASS_COUNT, "hold_class")?;
        p.hold_class.copy_from_slice(&hc);
        p.hold_global = feat(&f.hold_global)?;
        for (a, b, dd, ud) in &f.digraphs {
            let (a, b) = (usize::from(*a), usize::from(*b));
            if a >= SLOT_COUNT || b >= SLOT_COUNT {
                return Err(ProfileError::Invalid("digraph slot"));
            }
            p.dd[a * SLOT_COUNT + b] = feat(dd)?;
            p.ud[a * SLOT_COUNT + b] = feat(ud)?;
        }
        p.dd_class = feats(&f.dd_class, CLASS_COUNT * CLASS_COUNT, "dd_class")?;
        p.ud_class = feats(&f.ud_class, CLASS_COUNT * CLASS_COUNT, "ud_class")?;
        p.dd_global = feat(&f.dd_ud_global[0])?;
        p.ud_global = feat(&f.dd_ud_global[1])?;
        Ok(p)
    }
}

/// A profile stored at an older version, brought to the current one.
///
/// Version 1 has the same statistics but a calibration measured for the old score: they
/// are kept and the profile returns to training until it has recalibrated (a few hundred
/// keystrokes in which nothing is decided), rather than deciding on a mis-scaled score —
/// which would falsely lock its owner within minutes — or being thrown away.
pub fn migrate(version: u32, payload: &[u8]) -> Result<Profile, ProfileError> {
    if version != 1 {
        return Err(ProfileError::Version {
            found: version,
            expected: PROFILE_VERSION,
        });
    }
    let mut f: ProfileFile =
        serde_json::from_slice(payload).map_err(|_| ProfileError::Invalid("version 1 payload"))?;
    if f.version != 1 {
        return Err(ProfileError::Version {
            found: f.version,
            expected: 1,
        });
    }
    f.version = PROFILE_VERSION;
    let mut p = Profile::try_from(&f)?;
    p.recalibrate();
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::KeySlot;
    use crate::engine::features::{Keystroke, Link};
    use crate::engine::EngineParams;

    /// A profile that has seen every digraph of the keyboard: the worst case for size.
    fn full_profile() -> Profile {
        let p = EngineParams::default();
        let mut prof = Profile::new();
        for a in 0..SLOT_COUNT as u8 {
            for b in 0..SLOT_COUNT as u8 {
                for r in 0..3 {
                    let link = Some(Link {
                        prev: KeySlot(a),
                        dd_us: 150_000 + r * 7_919,
                        ud_us: 40_000 - r * 3_001,
                    });
                    prof.learn(
                        &Keystroke {
                            slot: KeySlot(b),
                            press_us: 0,
                            release_us: 90_000 + r * 1_009,
                            link,
                        },
                        &p,
                    );
                }
            }
        }
        prof
    }

    #[test]
    fn roundtrip_is_lossless_up_to_rounding_and_small() {
        let prof = full_profile();
        let file = ProfileFile::from(&prof);
        let json = serde_json::to_string(&file).unwrap();
        assert!(json.len() < 256 * 1024, "{} bytes", json.len());
        let back: ProfileFile = serde_json::from_str(&json).unwrap();
        let p2 = Profile::try_from(&back).unwrap();
        assert_eq!(ProfileFile::from(&p2), file);
        assert!((p2.hold_global.cur.mean - prof.hold_global.cur.mean).abs() < 1e-3);
    }

    #[test]
    fn a_version_1_profile_keeps_its_statistics_and_recalibrates() {
        let mut prof = full_profile();
        prof.mature = true;
        prof.calib = Calibration {
            n: 600.0,
            mean: 0.85,
            var: 0.12,
        };
        let mut v1 = ProfileFile::from(&prof);
        v1.version = 1;
        let payload = serde_json::to_vec(&v1).unwrap();
        let p = migrate(1, &payload).unwrap();
        assert!(!p.is_mature(), "back to training until recalibrated");
        assert_eq!(p.calibration(), Calibration::default());
        let mut expect = v1.clone();
        expect.version = PROFILE_VERSION;
        expect.mature = false;
        expect.calibration = [0.0, Calibration::default().mean, Calibration::default().var];
        assert_eq!(ProfileFile::from(&p), expect, "statistics kept");
        assert!(migrate(0, &payload).is_err());
        assert!(migrate(1, b"{").is_err());
        let mut v2 = v1;
        v2.version = 2;
        assert!(migrate(1, &serde_json::to_vec(&v2).unwrap()).is_err());
    }

    #[test]
    fn bad_profiles_are_rejected_without_panics() {
        let good = ProfileFile::from(&full_profile());
        let mut f = good.clone();
        f.version = 99;
        assert!(matches!(
            Profile::try_from(&f),
            Err(ProfileError::Version { found: 99, .. })
        ));
        let mut f = good.clone();
        f.digraphs[0].0 = 200;
        assert_eq!(
            Profile::try_from(&f).unwrap_err(),
            ProfileError::Invalid("digraph slot")
        );
        let mut f = good.clone();
        f.hold_global[2] = f32::NAN;
        assert!(Profile::try_from(&f).is_err());
        let mut f = good;
        f.dd_class.pop();
        assert_eq!(
            Profile::try_from(&f).unwrap_err(),
            ProfileError::Invalid("dd_class")
        );
    }
}
