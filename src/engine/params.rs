//! Engine parameters: the `[engine]` config section. `Default` is the shipped operating point.
//!
//! Invariants: every field has a documented unit; the operating point is an expected
//! false-lock rate ([`EngineParams::target_false_locks_per_10k`]), never a raw score
//! threshold — the lock level is derived from it in `policy`.
//!
//! How the defaults were chosen is documented in `docs/evaluation.md` (development subset
//! only; nothing here is fitted to held-out data or shipped as a learned model).

use serde::{Deserialize, Serialize};

/// All engine tunables. Unknown keys are rejected so a typo in the config is an error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineParams {
    // --- features ---
    /// A press-to-press gap longer than this (ms) ends the timing chain: it is a pause, not a
    /// latency.
    pub max_latency_ms: f64,
    // --- enrollment / maturity ---
    /// Keystrokes the profile must have learned before it may decide.
    pub min_enroll_keystrokes: u32,
    /// Fraction of recent digraphs that must already be known to the profile (≥ `known_min_n`
    /// samples) before it may decide.
    pub min_coverage: f64,
    /// Samples a digraph needs before it counts as known for coverage.
    pub known_min_n: u32,
    /// Prequential (score-before-learn) genuine scores needed to calibrate the score scale.
    pub min_calibration: u32,
    /// Keystrokes after which a profile that still misses coverage is declared mature anyway
    /// (the "mature after at most 2,000 keystrokes").
    pub max_enroll_keystrokes: u32,
    // --- scoring ---
    /// Strength (pseudo-samples) of the parent statistic when a digraph or key has few samples
    /// (hierarchical shrinkage digraph → key-class pair → global).
    pub shrink_n: f64,
    /// Per-feature |z| is capped here so one odd keystroke cannot dominate.
    pub z_cap: f64,
    /// Floor on a feature's standard deviation in transformed units (guards tiny variances).
    pub sd_floor: f64,
    /// Weight of the hold-time feature relative to the latency features.
    pub hold_weight: f64,
    /// Keystrokes over which the typist's running offset from the profile is averaged
    /// (speed and keyboard normalisation); 0 turns it off.
    pub offset_window: f64,
    /// Pseudo-samples of "no offset" the running offset is shrunk with.
    pub offset_prior_n: f64,
    /// Keystrokes over which a key's or digraph's recent z-scores fade (consistency
    /// evidence, see `recent`); 0 scores every keystroke on its own.
    pub consistency_memory: f64,
    /// Pseudo-samples that damp the consistency statistic of rarely repeated groups.
    pub consistency_prior_n: f64,
    /// Calibrated per-keystroke evidence is clipped to ±this, so no single keystroke can
    /// decide (the raw score is heavy-tailed).
    pub evidence_cap: f64,
    // --- policy ---
    /// Operating point: expected false locks per 10,000 genuine keystrokes at nominal
    /// calibration. The lock level is derived from it (CUSUM average run length).
    pub target_false_locks_per_10k: f64,
    /// CUSUM reference value in calibrated score units: about half the expected per-keystroke
    /// shift of an impostor.
    pub cusum_drift: f64,
    /// Design standard deviation of the owner's calibrated evidence as it sums up (1 =
    /// independent keystrokes at nominal calibration): the lock level is derived for
    /// increments N(−`cusum_drift`, this²), which allows for the serial correlation and
    /// the day-to-day shift of real typing.
    pub evidence_sd: f64,
    /// Fraction of the lock level that an idle gap, a device change or a device re-add
    /// raises suspicion to (re-verification; F14).
    pub reverify_level: f64,
    /// A gap between keystrokes (s) after which another person is likelier.
    pub idle_reverify_s: f64,
    /// Keystrokes after an unlock or session start that are never scored.
    pub grace_keystrokes: u32,
    /// Seconds after an unlock or session start during which keystrokes are never scored.
    pub grace_s: f64,
    /// Suspicion fraction of the lock level at which the trust state turns to `Doubt`.
    pub doubt_enter: f64,
    /// Suspicion fraction below which `Doubt` returns to `Trusted` (hysteresis).
    pub doubt_leave: f64,
    // --- adaptation ---
    /// Learn slow drift from confidently genuine typing.
    pub adapt: bool,
    /// Keystrokes a candidate must stay confidently genuine before it is learned.
    pub adapt_delay_keystrokes: u32,
    /// Suspicion (fraction of the lock level) at or below which typing counts as confidently
    /// genuine.
    pub adapt_max_level: f64,
    /// Effective sample cap: beyond it a statistic becomes an exponential moving average.
    pub adapt_n_cap: f64,
    /// How far (in enrolled standard deviations) adaptation may move a mean from enrollment.
    pub adapt_max_shift_sd: f64,
    /// Features with fewer samples than this keep learning in full (count, mean, spread)
    /// from confidently genuine typing after maturity; their anchor follows.
    pub adapt_full_n: f64,
    /// Keystrokes after an unlock (with no idle gap or keyboard change since) that are the
    /// authenticated owner's and are learned whatever the policy's suspicion.
    pub adapt_unlock_keystrokes: u32,
    // --- injection ---
    /// Keystrokes in the injection detector's latency window (speed and latency regularity).
    pub inject_latency_window: u32,
    /// Keystrokes in the injection detector's hold window (hold regularity). Longer than the
    /// latency window: some keyboards and browsers quantise or fix holds (Buffalo's 15.6 ms
    /// timer, Aalto users with near-constant ~72 ms holds).
    pub inject_hold_window: u32,
    /// Median hold below this (ms) over the latency window is machine speed; a keystroke
    /// held less is no finger's and is never scored (F19, `inject::MachineHolds`).
    pub inject_min_hold_ms: f64,
    /// Median press-to-press latency below this (ms) over the latency window is machine
    /// speed.
    pub inject_min_latency_ms: f64,
    /// Trimmed standard deviation (min and max dropped) of latencies at or below this (ms)
    /// is machine regular.
    pub inject_latency_sd_ms: f64,
    /// Trimmed standard deviation of holds at or below this (ms) is machine regular.
    pub inject_hold_sd_ms: f64,
    /// Report injection as a lock (F25); when false it is reported only.
    pub lock_on_injection: bool,
}

impl Default for EngineParams {
    fn default() -> Self {
        Self {
            max_latency_ms: 1500.0,
            min_enroll_keystrokes: 800,
            min_coverage: 0.5,
            known_min_n: 5,
            min_calibration: 200,
            max_enroll_keystrokes: 2000,
            shrink_n: 1.0,
            z_cap: 4.0,
            sd_floor: 0.05,
            hold_weight: 1.0,
            evidence_cap: 3.0,
            offset_window: 100.0,
            offset_prior_n: 30.0,
            consistency_memory: 200.0,
            consistency_prior_n: 3.0,
            target_false_locks_per_10k: 0.2,
            cusum_drift: 0.3,
            evidence_sd: 2.0,
            reverify_level: 0.5,
            idle_reverify_s: 30.0,
            grace_keystrokes: 20,
            grace_s: 5.0,
            doubt_enter: 0.5,
            doubt_leave: 0.25,
            adapt: true,
            adapt_delay_keystrokes: 50,
            adapt_max_level: 0.3,
            adapt_n_cap: 200.0,
            adapt_max_shift_sd: 1.0,
            adapt_full_n: 200.0,
            adapt_unlock_keystrokes: 200,
            inject_latency_window: 16,
            inject_hold_window: 24,
            inject_min_hold_ms: 8.0,
            inject_min_latency_ms: 20.0,
            inject_latency_sd_ms: 3.0,
            inject_hold_sd_ms: 1.5,
            lock_on_injection: true,
        }
    }
}

impl EngineParams {
    /// A stable hash (FNV-1a 64 over the canonical JSON) of these parameters, printed by
    /// `evaluate` so every figure names the operating point it came from.
    pub fn hash_hex(&self) -> String {
        hash_hex(self)
    }
}

/// FNV-1a 64 over the canonical JSON of `v`, as 16 hex digits: the parameter hashes that
/// `evaluate` prints (engine and pointer settings alike).
pub(crate) fn hash_hex(v: &impl Serialize) -> String {
    let json = serde_json::to_string(v).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in json.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_config_fills_defaults_and_unknown_keys_are_rejected() {
        let p: EngineParams = toml::from_str("target_false_locks_per_10k = 1.0").unwrap();
        assert_eq!(p.target_false_locks_per_10k, 1.0);
        assert_eq!(p.max_latency_ms, EngineParams::default().max_latency_ms);
        let err = toml::from_str::<EngineParams>("threshold = 3").unwrap_err();
        assert!(err.to_string().contains("threshold"), "{err}");
    }

    #[test]
    fn hash_changes_with_any_parameter() {
        let a = EngineParams::default();
        let b = EngineParams {
            z_cap: 5.0,
            ..EngineParams::default()
        };
        assert_eq!(a.hash_hex(), EngineParams::default().hash_hex());
        assert_ne!(a.hash_hex(), b.hash_hex());
    }
}
