//! Pointer parameters: segmentation thresholds, the model's distance, enrollment and
//! maturity. `Default` is the shipped setting.
//!
//! The operating point is not here: pointer evidence goes into the one policy of
//! `engine::policy`, whose lock level comes from `EngineParams::target_false_locks_per_10k`
//! (one expected false-lock rate for keystrokes and pointer actions together).
//!
//! How the defaults were chosen (cross-validation inside the Balabit training files only,
//! never the labelled test sessions) is in `docs/evaluation.md`; nothing learned from the
//! data is shipped, only these few constants.

use crate::core::pointer::{ActionKind, SegmentParams};
use crate::engine::pointer::model::DistanceParams;
use serde::{Deserialize, Serialize};

/// All pointer tunables. Unknown keys are rejected.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PointerParams {
    /// Read and score pointer devices at all.
    pub enabled: bool,
    // --- segmentation ---
    /// A motion gap longer than this (ms) ends a movement; a press within it after the last
    /// motion makes a point-and-click.
    pub pause_ms: u32,
    /// Wheel reports further apart than this (ms) are separate scrolls.
    pub scroll_gap_ms: u32,
    /// Path length with a button held (device units) that makes a drag.
    pub drag_min: u32,
    /// Motion samples (64 Hz frames) a movement needs to be scored.
    pub min_steps: u32,
    // --- distance ---
    /// Weight of the identity in the shrunk feature correlation matrix.
    pub shrink: f64,
    /// Per-feature standardised deviations are capped here.
    pub z_cap: f64,
    /// Floor on a feature's standard deviation (transformed units).
    pub sd_floor: f64,
    /// Pseudo-samples of the kind's model when a direction sector's mean and spread are
    /// estimated (hierarchical shrinkage, as digraphs borrow from key classes).
    pub stratum_shrink_n: f64,
    /// Calibrated per-action evidence is clipped to ±this (as keystroke evidence is).
    pub evidence_cap: f64,
    /// Weight of one action's evidence in the policy (see `docs/evaluation.md`): pointer
    /// evidence is strongly correlated within a stretch of work (a session's task shifts
    /// every action alike), so one action is worth less than one independent observation.
    pub evidence_weight: f64,
    /// Subtracted from an action's calibrated evidence before the weight: a margin for the
    /// owner's day-to-day drift (a session's task shifts a person's pointing; the policy's
    /// false-lock arithmetic assumes independent actions).
    pub evidence_offset: f64,
    /// Kinds of action that give evidence (all kinds are learned). Stationary clicks and
    /// scrolls carry little of a person (their cross-validated single-action AUC is near
    /// chance) and would dilute the movements' evidence, so by default they are not scored.
    pub scored: Vec<ActionKind>,
    // --- enrollment ---
    /// Actions of a kind learned before that kind is scored prequentially for calibration.
    pub calibrate_after: u32,
    /// Actions of a kind learned, and prequential scores of it, before that kind gives
    /// evidence.
    pub min_kind_actions: u32,
    /// Actions learned before the pointer profile may decide.
    pub min_enroll_actions: u32,
    /// Effective sample cap of a learned model (beyond it, an exponential moving average).
    pub n_cap: f64,
    /// Effective sample cap of a calibration (its window on the most recent scores).
    pub calibration_cap: f64,
}

impl Default for PointerParams {
    fn default() -> Self {
        Self {
            enabled: true,
            pause_ms: 500,
            scroll_gap_ms: 500,
            drag_min: 8,
            min_steps: 4,
            shrink: 0.2,
            z_cap: 3.0,
            sd_floor: 0.05,
            stratum_shrink_n: 50.0,
            evidence_cap: 2.0,
            evidence_weight: 0.5,
            evidence_offset: 0.25,
            scored: vec![
                ActionKind::Move,
                ActionKind::PointClick,
                ActionKind::DragDrop,
            ],
            calibrate_after: 40,
            min_kind_actions: 60,
            min_enroll_actions: 600,
            n_cap: 5000.0,
            calibration_cap: 400.0,
        }
    }
}

impl PointerParams {
    /// The segmentation thresholds.
    pub fn segment(&self) -> SegmentParams {
        SegmentParams {
            pause_us: i64::from(self.pause_ms) * 1000,
            scroll_gap_us: i64::from(self.scroll_gap_ms) * 1000,
            drag_min: i32::try_from(self.drag_min).unwrap_or(i32::MAX),
            min_steps: self.min_steps as usize,
            ..SegmentParams::default()
        }
    }

    /// The distance settings.
    pub fn distance(&self) -> DistanceParams {
        DistanceParams {
            shrink: self.shrink,
            z_cap: self.z_cap,
            sd_floor: self.sd_floor,
        }
    }
}

impl PointerParams {
    /// A stable hash (FNV-1a 64 over the canonical JSON), printed by `evaluate`.
    pub fn hash_hex(&self) -> String {
        crate::engine::params::hash_hex(self)
    }
}
