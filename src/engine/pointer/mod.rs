//! The pointer modality: per-action features, a per-user profile with its own maturity, and
//! calibrated evidence for the shared policy (issue 8).
//!
//! - [`features`]: one action → a fixed-length vector of transformed features;
//! - [`model`]: a running multivariate normal per kind of action, and its distance;
//! - [`profile`]: the per-user [`PointerProfile`] (one model per surface and kind, each
//!   calibrated on the owner's own actions), enrollment and scoring;
//! - [`params`]: [`PointerParams`], the shipped segmentation and model settings;
//! - [`verifier`]: [`PointerState`], what one action does inside the engine (learned,
//!   scored or neither) and the learning gate;
//! - [`wire`]: the versioned, validated on-disk form of a pointer profile.
//!
//! Invariants: pure (time only from action stamps); a profile holds aggregates only (no
//! action, path or position); evidence is on the keystroke evidence's scale (≈ N(0, 1) for
//! the owner), so `engine::policy` adds both into one statistic at one operating point.

pub mod features;
pub mod model;
pub mod params;
pub mod profile;
pub mod verifier;
pub mod wire;

pub use params::PointerParams;
pub use profile::{PointerMaturity, PointerProfile, PointerScore};
pub use verifier::{PointerSource, PointerState, PointerStep};
