//! The `[input]` section: tunables of the cleaning core (`core::clean`).
//!
//! Pattern for every section: a raw serde struct one-to-one with the TOML (`Raw`, unknown keys
//! rejected), a validated partial layer (`InputLayer`, what one file set), and the effective
//! domain struct (`InputConfig`, every key resolved). Adding a key touches each once.

use super::layer::Cx;
use super::ConfigError;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// `[input]` exactly as written in one file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Raw {
    chatter_ms: Option<Spanned<i64>>,
    max_hold_ms: Option<Spanned<i64>>,
}

/// `[input]` keys set by one file, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InputLayer {
    /// See [`InputConfig::chatter_ms`].
    pub chatter_ms: Option<u32>,
    /// See [`InputConfig::max_hold_ms`].
    pub max_hold_ms: Option<u32>,
}

/// Effective `[input]` settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputConfig {
    /// A same-key release→press gap at or under this (ms) is switch chatter (F30); 0..=50.
    pub chatter_ms: u32,
    /// A key held longer than this (ms) is not typing; 200..=10000.
    pub max_hold_ms: u32,
}

impl InputLayer {
    pub(super) fn from_raw(raw: Raw, cx: &Cx<'_>) -> Result<Self, ConfigError> {
        Ok(Self {
            chatter_ms: cx.range(raw.chatter_ms, "input.chatter_ms", 0, 50)?,
            max_hold_ms: cx.range(raw.max_hold_ms, "input.max_hold_ms", 200, 10_000)?,
        })
    }

    /// Keys set in `top` replace ours.
    pub(super) fn overlay(&mut self, top: Self) {
        self.chatter_ms = top.chatter_ms.or(self.chatter_ms);
        self.max_hold_ms = top.max_hold_ms.or(self.max_hold_ms);
    }
}

impl InputConfig {
    pub(super) fn resolve(layer: &InputLayer) -> Result<Self, ConfigError> {
        Ok(Self {
            chatter_ms: super::need(layer.chatter_ms, "input.chatter_ms")?,
            max_hold_ms: super::need(layer.max_hold_ms, "input.max_hold_ms")?,
        })
    }
}
