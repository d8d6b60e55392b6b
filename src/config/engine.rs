//! `[engine]`: [`EngineParams`] as a config section, with the ranges the engine itself does
//! not check (`EngineParams` has no validation of its own).
//!
//! Why each bound (see the field docs in `engine::params`):
//! - divisors and weights must be > 0: `shrink_n` (a digraph with no samples is blended with
//!   weight `n + shrink_n`), `hold_weight` (the score is a weighted mean), `sd_floor`;
//! - `target_false_locks_per_10k` must be > 0: the lock level is the CUSUM run length for
//!   10,000 / rate keystrokes; the engine clamps at 1e-6, so that is the lower bound;
//! - `cusum_drift` ≥ 0.05, `evidence_sd` ≥ 0.1, `adapt_n_cap` ≥ 1 and the injection windows ≥ 4 are where the
//!   engine clamps anyway; a configured value below them would silently not apply;
//! - fractions of the lock level lie in 0..=1 (`reverify_level` below 1: at 1 an idle gap
//!   alone would lock);
//! - between keys: `max_enroll_keystrokes` ≥ `min_enroll_keystrokes`, `doubt_leave` ≤
//!   `doubt_enter` (the hysteresis); reported on whichever of the two was set last.
//!
//! Upper bounds are generous sanity limits, not recommendations.

use super::section::{KeyError, Section};
use crate::engine::EngineParams;

/// One key's value and its allowed range.
enum Rule {
    /// `lo..=hi`, or `lo < v <= hi` when `open` (strictly positive).
    Float {
        v: f64,
        lo: f64,
        hi: f64,
        open: bool,
    },
    Int {
        v: u32,
        lo: u32,
        hi: u32,
    },
    Bool,
}

/// Every field of [`EngineParams`] with its rule; a test checks that none is missing.
fn rules(p: &EngineParams) -> [(&'static str, Rule); 38] {
    use Rule::{Bool, Float, Int};
    let f = |v, lo, hi| Float {
        v,
        lo,
        hi,
        open: false,
    };
    let pos = |v, hi| Float {
        v,
        lo: 0.0,
        hi,
        open: true,
    };
    [
        ("max_latency_ms", f(p.max_latency_ms, 100.0, 10_000.0)),
        (
            "min_enroll_keystrokes",
            Int {
                v: p.min_enroll_keystrokes,
                lo: 50,
                hi: 1_000_000,
            },
        ),
        ("min_coverage", f(p.min_coverage, 0.0, 1.0)),
        (
            "known_min_n",
            Int {
                v: p.known_min_n,
                lo: 1,
                hi: 10_000,
            },
        ),
        (
            "min_calibration",
            Int {
                v: p.min_calibration,
                lo: 10,
                hi: 1_000_000,
            },
        ),
        (
            "max_enroll_keystrokes",
            Int {
                v: p.max_enroll_keystrokes,
                lo: 50,
                hi: 1_000_000,
            },
        ),
        ("shrink_n", pos(p.shrink_n, 1000.0)),
        ("z_cap", f(p.z_cap, 1.0, 100.0)),
        ("sd_floor", pos(p.sd_floor, 10.0)),
        ("hold_weight", pos(p.hold_weight, 10.0)),
        ("offset_window", f(p.offset_window, 0.0, 100_000.0)),
        ("offset_prior_n", f(p.offset_prior_n, 0.0, 100_000.0)),
        (
            "consistency_memory",
            f(p.consistency_memory, 0.0, 1_000_000.0),
        ),
        ("consistency_prior_n", f(p.consistency_prior_n, 0.0, 1000.0)),
        ("evidence_cap", pos(p.evidence_cap, 100.0)),
        (
            "target_false_locks_per_10k",
            f(p.target_false_locks_per_10k, 1e-6, 100.0),
        ),
        ("cusum_drift", f(p.cusum_drift, 0.05, 5.0)),
        ("evidence_sd", f(p.evidence_sd, 0.1, 10.0)),
        ("reverify_level", f(p.reverify_level, 0.0, 0.99)),
        ("idle_reverify_s", f(p.idle_reverify_s, 1.0, 86_400.0)),
        (
            "grace_keystrokes",
            Int {
                v: p.grace_keystrokes,
                lo: 0,
                hi: 100_000,
            },
        ),
        ("grace_s", f(p.grace_s, 0.0, 3600.0)),
        ("doubt_enter", pos(p.doubt_enter, 1.0)),
        ("doubt_leave", f(p.doubt_leave, 0.0, 1.0)),
        ("adapt", Bool),
        (
            "adapt_delay_keystrokes",
            Int {
                v: p.adapt_delay_keystrokes,
                lo: 0,
                hi: 100_000,
            },
        ),
        ("adapt_max_level", f(p.adapt_max_level, 0.0, 1.0)),
        ("adapt_n_cap", f(p.adapt_n_cap, 1.0, 1_000_000.0)),
        ("adapt_max_shift_sd", f(p.adapt_max_shift_sd, 0.0, 10.0)),
        ("adapt_full_n", f(p.adapt_full_n, 0.0, 1_000_000.0)),
        (
            "adapt_unlock_keystrokes",
            Int {
                v: p.adapt_unlock_keystrokes,
                lo: 0,
                hi: 100_000,
            },
        ),
        (
            "inject_latency_window",
            Int {
                v: p.inject_latency_window,
                lo: 4,
                hi: 1000,
            },
        ),
        (
            "inject_hold_window",
            Int {
                v: p.inject_hold_window,
                lo: 4,
                hi: 1000,
            },
        ),
        // Also the per-keystroke "no finger" cut-off (F19): fast human taps start near 20 ms.
        ("inject_min_hold_ms", f(p.inject_min_hold_ms, 0.0, 20.0)),
        (
            "inject_min_latency_ms",
            f(p.inject_min_latency_ms, 0.0, 1000.0),
        ),
        (
            "inject_latency_sd_ms",
            f(p.inject_latency_sd_ms, 0.0, 1000.0),
        ),
        ("inject_hold_sd_ms", f(p.inject_hold_sd_ms, 0.0, 1000.0)),
        ("lock_on_injection", Bool),
    ]
}

fn violation(rule: &Rule) -> Option<String> {
    match *rule {
        // `contains` is false for NaN, and `inf` is above every bound.
        Rule::Float { v, lo, hi, open } if open && !(v > lo && v <= hi) => Some(format!(
            "must be greater than {lo} and at most {hi}, got {v}"
        )),
        Rule::Float { v, lo, hi, open } if !open && !(lo..=hi).contains(&v) => {
            Some(format!("must be between {lo} and {hi}, got {v}"))
        }
        Rule::Int { v, lo, hi } if !(lo..=hi).contains(&v) => {
            Some(format!("must be between {lo} and {hi}, got {v}"))
        }
        _ => None,
    }
}

fn err(key: &str, what: String) -> KeyError {
    KeyError {
        key: key.to_string(),
        what,
    }
}

impl Section for EngineParams {
    fn check_keys(&self) -> Result<(), KeyError> {
        for (key, rule) in rules(self) {
            if let Some(what) = violation(&rule) {
                return Err(err(key, what));
            }
        }
        Ok(())
    }

    fn check_combined(&self) -> Result<(), Vec<KeyError>> {
        let (lo, hi) = (self.min_enroll_keystrokes, self.max_enroll_keystrokes);
        if hi < lo {
            return Err(vec![
                err(
                    "max_enroll_keystrokes",
                    format!("must be at least min_enroll_keystrokes ({lo}), got {hi}"),
                ),
                err(
                    "min_enroll_keystrokes",
                    format!("must be at most max_enroll_keystrokes ({hi}), got {lo}"),
                ),
            ]);
        }
        let (enter, leave) = (self.doubt_enter, self.doubt_leave);
        if leave > enter {
            return Err(vec![
                err(
                    "doubt_leave",
                    format!("must be at most doubt_enter ({enter}), got {leave}"),
                ),
                err(
                    "doubt_enter",
                    format!("must be at least doubt_leave ({leave}), got {enter}"),
                ),
            ]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::section::field_names;
    use super::*;

    #[test]
    fn every_field_has_a_rule_and_the_defaults_pass() {
        let p = EngineParams::default();
        let ruled: Vec<&str> = rules(&p).iter().map(|(k, _)| *k).collect();
        let mut fields = field_names::<EngineParams>();
        let mut sorted: Vec<String> = ruled.iter().map(|k| k.to_string()).collect();
        fields.sort();
        sorted.sort();
        assert_eq!(sorted, fields, "a new EngineParams field needs a rule here");
        assert_eq!(p.check_keys(), Ok(()));
        assert_eq!(p.check_combined(), Ok(()));
    }

    #[test]
    fn bounds_reject_nan_infinity_and_zero_rates() {
        let bad = |p: EngineParams| p.check_keys().unwrap_err().key;
        let d = EngineParams::default;
        let nan = EngineParams {
            z_cap: f64::NAN,
            ..d()
        };
        assert_eq!(bad(nan), "z_cap");
        let inf = EngineParams {
            max_latency_ms: f64::INFINITY,
            ..d()
        };
        assert_eq!(bad(inf), "max_latency_ms");
        let zero = EngineParams {
            target_false_locks_per_10k: 0.0,
            ..d()
        };
        assert_eq!(bad(zero), "target_false_locks_per_10k");
        let zero = EngineParams {
            hold_weight: 0.0,
            ..d()
        };
        assert_eq!(
            zero.check_keys().unwrap_err().what,
            "must be greater than 0 and at most 10, got 0"
        );
    }
}
