//! `[pointer]`: [`PointerParams`] as a config section, with the ranges the pointer
//! modality does not check itself.
//!
//! Why each bound (see the field docs in `engine::pointer::params`):
//! - thresholds in ms are at least 50 (a 64 Hz frame is 15.6 ms: a pause shorter than a
//!   few frames would split every movement) and at most 10 s;
//! - `min_steps` ≥ 2: a movement of one sample has no speed profile;
//! - `shrink` is a weight in 0..=1; `z_cap` ≥ 1 and `evidence_cap`, `sd_floor` > 0 as for
//!   the keystroke engine; `stratum_shrink_n` ≥ 0 (0: a direction sector alone);
//!   `evidence_weight` > 0 (0 would make a mouse-only session impossible to lock) and
//!   `evidence_offset` within ±10;
//! - enrollment counts at least 2 (a covariance needs two samples) and `min_enroll_actions`
//!   at least 10; the caps at least 10 (an average of fewer forgets at once);
//! - `scored` names kinds of action (`move`, `point_click`, `click`, `drag_drop`,
//!   `scroll`); an unknown name is a type error with its line.
//!
//! Upper bounds are generous sanity limits, not recommendations.

use super::section::{KeyError, Section};
use crate::engine::pointer::PointerParams;

fn int(key: &'static str, v: u32, lo: u32, hi: u32) -> Result<(), KeyError> {
    if (lo..=hi).contains(&v) {
        return Ok(());
    }
    Err(KeyError {
        key: key.to_string(),
        what: format!("must be between {lo} and {hi}, got {v}"),
    })
}

/// `lo..=hi`, or `lo < v <= hi` when `open`; NaN never passes.
fn float(key: &'static str, v: f64, lo: f64, hi: f64, open: bool) -> Result<(), KeyError> {
    let ok = if open {
        v > lo && v <= hi
    } else {
        (lo..=hi).contains(&v)
    };
    if ok {
        return Ok(());
    }
    let what = if open {
        format!("must be greater than {lo} and at most {hi}, got {v}")
    } else {
        format!("must be between {lo} and {hi}, got {v}")
    };
    Err(KeyError {
        key: key.to_string(),
        what,
    })
}

impl Section for PointerParams {
    fn check_keys(&self) -> Result<(), KeyError> {
        int("pause_ms", self.pause_ms, 50, 10_000)?;
        int("scroll_gap_ms", self.scroll_gap_ms, 50, 10_000)?;
        int("drag_min", self.drag_min, 1, 100_000)?;
        int("min_steps", self.min_steps, 2, 512)?;
        float("shrink", self.shrink, 0.0, 1.0, false)?;
        float("z_cap", self.z_cap, 1.0, 100.0, false)?;
        float("sd_floor", self.sd_floor, 0.0, 10.0, true)?;
        float("stratum_shrink_n", self.stratum_shrink_n, 0.0, 1e6, false)?;
        float("evidence_cap", self.evidence_cap, 0.0, 100.0, true)?;
        float("evidence_weight", self.evidence_weight, 0.0, 10.0, true)?;
        float("evidence_offset", self.evidence_offset, -10.0, 10.0, false)?;
        int("calibrate_after", self.calibrate_after, 2, 1_000_000)?;
        int("min_kind_actions", self.min_kind_actions, 2, 1_000_000)?;
        int(
            "min_enroll_actions",
            self.min_enroll_actions,
            10,
            10_000_000,
        )?;
        float("n_cap", self.n_cap, 10.0, 1e12, false)?;
        float("calibration_cap", self.calibration_cap, 10.0, 1e12, false)
    }
}

#[cfg(test)]
mod tests {
    use super::super::section::field_names;
    use super::*;

    #[test]
    fn defaults_pass_and_bad_values_name_their_key() {
        assert_eq!(PointerParams::default().check_keys(), Ok(()));
        assert_eq!(field_names::<PointerParams>().len(), 18);
        let bad = |p: PointerParams| p.check_keys().unwrap_err();
        let d = PointerParams::default;
        assert_eq!(
            bad(PointerParams { pause_ms: 5, ..d() }),
            KeyError {
                key: "pause_ms".into(),
                what: "must be between 50 and 10000, got 5".into()
            }
        );
        assert_eq!(
            bad(PointerParams {
                z_cap: f64::NAN,
                ..d()
            })
            .key,
            "z_cap"
        );
        assert_eq!(
            bad(PointerParams {
                evidence_cap: 0.0,
                ..d()
            })
            .key,
            "evidence_cap"
        );
    }
}
