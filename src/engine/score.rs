//! The verifier: how unlike the owner one keystroke is.
//!
//! Owns: the per-keystroke raw score and its calibration to evidence.
//!
//! Method: each feature (hold of the key; press-press and release-press latency of the
//! digraph ending in it) is compared with the profile's statistic in transformed units,
//! with hierarchical shrinkage (digraph → key-class pair → global; key → class → global) so
//! rare digraphs borrow strength from their parents. Arrow, page and function keys are not
//! scored ([`scored`]). On its own a keystroke scores the weighted mean of its capped
//! squared z-scores (the log-likelihood ratio of "more dispersed than the owner" against
//! "the owner", up to an affine map; cf. scaled Manhattan, Killourhy & Maxion 2009); in a
//! stream, `recent` turns each z² into the increase of its key's or digraph's consistency
//! statistic after removing the running hold offset, with the same owner expectation.
//! Calibration maps the cube root to evidence with mean ≈ 0 and variance ≈ 1 on the owner's
//! own typing (prequential scores during enrollment).
//!
//! Pure and allocation-free: a few table lookups per keystroke.

use crate::core::keyslot::KeyClass;
use crate::engine::features::Keystroke;
use crate::engine::profile::{t_dd, t_hold, t_ud, Feat, Idx, Profile};
use crate::engine::recent::Recent;
use crate::engine::EngineParams;

/// The score of one keystroke.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyScore {
    /// Weighted mean capped z² over the keystroke's features.
    pub raw: f64,
    /// Calibrated evidence: ≈ N(0,1) for the owner; larger is less like the owner.
    pub evidence: f64,
}

#[derive(Clone, Copy)]
struct Est {
    n: f64,
    mean: f64,
    var: f64,
}

fn est(f: &Feat) -> Est {
    Est {
        n: f64::from(f.cur.n),
        mean: f64::from(f.cur.mean),
        var: f64::from(f.cur.var),
    }
}

/// Shrinks `child` towards `parent` with `k` pseudo-samples.
fn blend(child: Est, parent: Est, k: f64) -> Est {
    let w = child.n + k;
    Est {
        n: child.n,
        mean: (child.n * child.mean + k * parent.mean) / w,
        var: (child.n * child.var + k * parent.var) / w,
    }
}

fn z(v: f64, e: Est, p: &EngineParams) -> f64 {
    // Predictive variance: the estimate's own uncertainty widens it for small counts.
    let var = e.var * (1.0 + 1.0 / (e.n + 1.0)) + p.sd_floor * p.sd_floor;
    (v - e.mean) / var.sqrt()
}

/// Whether keystrokes of this class are scored. Arrow, page and function keys are not:
/// their timing follows the task (browsing, spreadsheets, games) more than the typist (on
/// the Buffalo dev users, runs of arrow keys were the commonest cause of false locks).
/// They still link the chain, so the next key's latency is scored.
pub fn scored(class: KeyClass) -> bool {
    !matches!(class, KeyClass::Navigation | KeyClass::Other)
}

/// Signed z-scores of one keystroke's features against `profile`: hold, press-press,
/// release-press (the latter two `None` when the keystroke is unlinked). `None` if the
/// profile knows nothing yet.
pub fn zscores(profile: &Profile, ks: &Keystroke, p: &EngineParams) -> Option<[Option<f64>; 3]> {
    if profile.hold_global.cur.n < 2.0 || !scored(ks.slot.class()) {
        return None;
    }
    let idx = Idx::of(ks);
    let k = p.shrink_n;
    let hold_parent = blend(
        est(&profile.hold_class[idx.class]),
        est(&profile.hold_global),
        k,
    );
    let hold = blend(est(&profile.hold[idx.slot]), hold_parent, k);
    let mut out = [Some(z(t_hold(ks.hold_us()), hold, p)), None, None];
    if let (Some(l), Some((d, c))) = (ks.link, idx.pair) {
        if profile.dd_global.cur.n >= 2.0 {
            let ddp = blend(est(&profile.dd_class[c]), est(&profile.dd_global), k);
            let udp = blend(est(&profile.ud_class[c]), est(&profile.ud_global), k);
            out[1] = Some(z(t_dd(l.dd_us), blend(est(&profile.dd[d]), ddp, k), p));
            out[2] = Some(z(t_ud(l.ud_us), blend(est(&profile.ud[d]), udp, k), p));
        }
    }
    Some(out)
}

/// Weighted mean of per-feature scores.
fn combine(v: &[Option<f64>; 3], p: &EngineParams) -> f64 {
    let cap2 = p.z_cap * p.z_cap;
    let w = [p.hold_weight, 1.0, 1.0];
    let (mut sum, mut wsum) = (0.0, 0.0);
    for (f, x) in v.iter().enumerate() {
        if let Some(x) = x {
            sum += w[f] * x.min(cap2);
            wsum += w[f];
        }
    }
    if wsum > 0.0 {
        sum / wsum
    } else {
        0.0
    }
}

/// Raw score of one keystroke on its own (no recent typing): the weighted mean of capped
/// z²; `None` if the profile knows nothing yet.
pub fn raw_score(profile: &Profile, ks: &Keystroke, p: &EngineParams) -> Option<f64> {
    let zs = zscores(profile, ks, p)?;
    Some(combine(&zs.map(|z| z.map(|z| z * z)), p))
}

/// The calibrated quantity: the cube root of the raw score. A mean of squared z-scores is
/// χ²-like and strongly right-skewed; its cube root is close to normal (Wilson & Hilferty
/// 1931), which is what the policy's false-lock arithmetic assumes.
pub fn calibrated_stat(raw: f64) -> f64 {
    raw.max(0.0).cbrt()
}

/// Raw score of one keystroke of a stream, given the stream's recent typing (which then
/// takes the keystroke in).
pub fn raw_with(
    profile: &Profile,
    ks: &Keystroke,
    p: &EngineParams,
    recent: &mut Recent,
) -> Option<f64> {
    let zs = zscores(profile, ks, p)?;
    Some(combine(&recent.observe(&zs, &Idx::of(ks), p), p))
}

/// Scores one keystroke of a stream and calibrates it to evidence.
pub fn score(
    profile: &Profile,
    ks: &Keystroke,
    p: &EngineParams,
    recent: &mut Recent,
) -> Option<KeyScore> {
    let raw = raw_with(profile, ks, p, recent)?;
    let c = profile.calibration();
    let sd = f64::from(c.var).sqrt().max(1e-3);
    let cap = p.evidence_cap;
    Some(KeyScore {
        raw,
        evidence: ((calibrated_stat(raw) - f64::from(c.mean)) / sd).clamp(-cap, cap),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::KeySlot;
    use crate::engine::features::Link;

    fn ks(hold_ms: i64, dd_ms: i64) -> Keystroke {
        Keystroke {
            slot: KeySlot(3),
            press_us: 0,
            release_us: hold_ms * 1000,
            link: Some(Link {
                prev: KeySlot(4),
                dd_us: dd_ms * 1000,
                ud_us: (dd_ms - 90) * 1000,
            }),
        }
    }

    #[test]
    fn owner_like_keystrokes_score_low_and_unlike_ones_high() {
        let p = EngineParams::default();
        let mut prof = Profile::new();
        assert_eq!(raw_score(&prof, &ks(90, 150), &p), None);
        for i in 0..200 {
            prof.learn(&ks(85 + i % 10, 140 + i % 20), &p);
        }
        let near = raw_score(&prof, &ks(90, 150), &p).unwrap();
        let far = raw_score(&prof, &ks(200, 400), &p).unwrap();
        assert!(near < 1.0, "{near}");
        assert!(far > 10.0 && far <= p.z_cap * p.z_cap, "{far}");
    }

    #[test]
    fn unseen_digraphs_fall_back_to_their_parents() {
        let p = EngineParams::default();
        let mut prof = Profile::new();
        for i in 0..200 {
            prof.learn(&ks(85 + i % 10, 140 + i % 20), &p);
        }
        let mut other = ks(90, 150);
        other.slot = KeySlot(9); // a digraph never seen
        other.link = other.link.map(|l| Link {
            prev: KeySlot(10),
            ..l
        });
        let s = raw_score(&prof, &other, &p).unwrap();
        assert!(s.is_finite() && s < 4.0, "{s}");
    }
}
