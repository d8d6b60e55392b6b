//! The `[input]` section: tunables of the cleaning core (`core::clean`) and the device
//! filter (`input::filter`).
//!
//! `chatter_ms` and `max_hold_ms` follow the hand-written pattern: a raw serde struct
//! one-to-one with the TOML (`Raw`), a validated partial layer (`InputLayer`, what one file
//! set), the effective struct (`InputConfig`). The device-filter keys (`include`, `exclude`,
//! `tokens`, `allow_virtual`) live in the same TOML table but are [`DeviceFilter`]'s own
//! fields, handled by the generic mechanism of `section` (so a new filter field needs no
//! change here).

use super::layer::Cx;
use super::section::{only, KeyError, Merge, Part, Section};
use super::ConfigError;
use crate::input::filter::DeviceFilter;
use serde::{Deserialize, Serialize};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The keys of `[input]` that are not [`DeviceFilter`]'s.
const OWN_KEYS: &[&str] = &["chatter_ms", "max_hold_ms"];

/// `chatter_ms` and `max_hold_ms` exactly as written in one file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    chatter_ms: Option<Spanned<i64>>,
    max_hold_ms: Option<Spanned<i64>>,
}

/// `[input]` keys set by one file, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InputLayer {
    /// See [`InputConfig::chatter_ms`].
    pub chatter_ms: Option<u32>,
    /// See [`InputConfig::max_hold_ms`].
    pub max_hold_ms: Option<u32>,
    /// The device-filter keys this file set.
    pub filter: Part,
}

/// Effective `[input]` settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputConfig {
    /// A same-key release→press gap at or under this (ms) is switch chatter (F30); 0..=50.
    pub chatter_ms: u32,
    /// A key held longer than this (ms) is not typing; 200..=10000.
    pub max_hold_ms: u32,
    /// Which devices are scored (`include`, `exclude`, `tokens`, `allow_virtual`); written
    /// in `[input]` itself, hence flattened when shown or hashed.
    #[serde(flatten)]
    pub filter: DeviceFilter,
}

/// Matchers are validated while deserialising; there are no ranges.
impl Section for DeviceFilter {
    fn check_keys(&self) -> Result<(), KeyError> {
        Ok(())
    }
}

impl InputLayer {
    /// Validates the `[input]` table of one file.
    pub(super) fn parse(file: &DeTable<'_>, cx: &Cx<'_>) -> Result<Self, ConfigError> {
        // First: it rejects unknown keys of the whole table, naming all valid ones.
        let filter = Part::parse::<DeviceFilter>(file, "input", OWN_KEYS, cx)?;
        let raw = match file.get("input").map(|v| (v.span(), v.get_ref())) {
            Some((span, DeValue::Table(t))) => {
                let own = only(t, |k| OWN_KEYS.contains(&k));
                Raw::deserialize(toml::de::Deserializer::from(Spanned::new(
                    span,
                    own.clone(),
                )))
                .map_err(|e| cx.content(&own, &e, "input"))?
            }
            _ => Raw::default(),
        };
        Ok(Self {
            chatter_ms: cx.range(raw.chatter_ms, "input.chatter_ms", 0, 50)?,
            max_hold_ms: cx.range(raw.max_hold_ms, "input.max_hold_ms", 200, 10_000)?,
            filter,
        })
    }
}

/// `[input]` merged over all layers.
#[derive(Debug, Default)]
pub(super) struct InputMerge {
    chatter_ms: Option<u32>,
    max_hold_ms: Option<u32>,
    filter: Merge,
}

impl InputMerge {
    /// Keys set in `top` replace ours.
    pub(super) fn overlay(&mut self, file: &str, top: InputLayer) {
        self.chatter_ms = top.chatter_ms.or(self.chatter_ms);
        self.max_hold_ms = top.max_hold_ms.or(self.max_hold_ms);
        self.filter.overlay(file, top.filter);
    }

    pub(super) fn resolve(self) -> Result<InputConfig, ConfigError> {
        Ok(InputConfig {
            chatter_ms: super::need(self.chatter_ms, "input.chatter_ms")?,
            max_hold_ms: super::need(self.max_hold_ms, "input.max_hold_ms")?,
            filter: self.filter.resolve("input")?,
        })
    }
}
