//! The pointer side of the engine: what one action does (learned, scored, or neither).
//!
//! Owns: [`PointerState`] (the pointer profile, its parameters and the last pointer device
//! and action seen) and the learning gate.
//!
//! Invariants:
//! - a virtual pointer (uinput: remote-control tools, injectors) is scored once the profile
//!   decides but never learned from, as virtual keyboards are (F26);
//! - before maturity every physical action is learned unless the caller says the policy is
//!   suspicious; after maturity a kind that is not ready yet keeps learning only from
//!   confidently genuine actions (the same gate as keystroke adaptation), so an impostor
//!   cannot teach the profile a kind it never saw;
//! - a mature kind's model is not adapted: the pointer profile does not follow drift
//!   (adaptation from confidently genuine actions was tried and did not lower the
//!   cross-validated false-lock rate, docs/evaluation.md).

use super::{PointerParams, PointerProfile};
use crate::core::pointer::PointerAction;
use crate::core::timing::DeviceId;
use serde::Serialize;

/// How a pointer device's actions are treated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PointerSource {
    /// A physical mouse, trackball, pointing stick or touchpad: scored and learned.
    Physical,
    /// A virtual (uinput) pointer not allow-listed: scored, never learned.
    Virtual,
}

/// What one action did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PointerStep {
    /// Learned; `matured` when this action completed enrollment.
    Learned {
        /// The profile became mature.
        matured: bool,
    },
    /// Scored: calibrated evidence for the policy.
    Evidence(f64),
    /// Neither (not scorable, not learnable).
    Nothing,
}

/// The pointer profile in use and what the engine remembers about pointer input.
#[derive(Clone, Debug)]
pub struct PointerState {
    params: PointerParams,
    profile: PointerProfile,
    last_device: Option<DeviceId>,
    last_end_us: Option<i64>,
}

impl PointerState {
    /// A state around a (stored or empty) profile.
    pub fn new(params: PointerParams, profile: PointerProfile) -> Self {
        Self {
            params,
            profile,
            last_device: None,
            last_end_us: None,
        }
    }

    /// The profile (to persist it).
    pub fn profile(&self) -> &PointerProfile {
        &self.profile
    }

    /// The parameters.
    pub fn params(&self) -> &PointerParams {
        &self.params
    }

    /// End of the last action seen.
    pub fn last_end_us(&self) -> Option<i64> {
        self.last_end_us
    }

    /// Records the device of an action; true if it differs from the previous action's.
    pub fn device_changed(&mut self, device: DeviceId) -> bool {
        let changed = self.last_device.is_some_and(|d| d != device);
        self.last_device = Some(device);
        changed
    }

    /// A pointer device went away: the next action is from a new device.
    pub fn removed(&mut self, device: DeviceId) {
        if self.last_device == Some(device) {
            self.last_device = None;
        }
    }

    /// One action. `confident`: the policy currently trusts the typist enough to learn
    /// from them (see the module invariants).
    pub fn step(&mut self, a: &PointerAction, src: PointerSource, confident: bool) -> PointerStep {
        self.last_end_us = Some(a.end_us);
        let p = &self.params;
        let learnable = src == PointerSource::Physical && confident;
        if !self.profile.is_mature() {
            if !learnable {
                return PointerStep::Nothing;
            }
            let matured = self.profile.learn(a, p);
            return PointerStep::Learned { matured };
        }
        if let Some(s) = self.profile.score(a, p) {
            return PointerStep::Evidence(s.evidence);
        }
        if learnable && !self.profile.is_ready(a.surface, a.kind, p) {
            self.profile.learn(a, p);
            return PointerStep::Learned { matured: false };
        }
        PointerStep::Nothing
    }
}
