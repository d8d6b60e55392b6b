//! Layered TOML configuration with path hygiene and precise errors.
//!
//! Sources, each overriding the previous one key by key:
//! 1. the built-in defaults, [`DEFAULTS_TOML`] (also the shipped, commented example);
//! 2. `/etc/typewarden/typewarden.toml`, if present;
//! 3. `/etc/typewarden/typewarden.toml.d/*.toml`, if present, in lexical order;
//! 4. or, instead of 2 and 3, the file given with `--config PATH`.
//!
//! Pure core, thin shell: [`parse`] turns one text into a validated [`Layer`], [`build`]
//! merges layers into a [`Config`]; only [`load`] touches the file system.
//!
//! Invariants: a [`Config`] has every key set and in range; any error stops startup and reads
//! `file:line: key: what is wrong` (file-level problems: `file: what is wrong`).

mod check;
mod error;
mod input;
mod layer;
mod load;

pub use check::{check_config, summary};
pub use error::ConfigError;
pub use input::{InputConfig, InputLayer};
pub use layer::{parse, Layer};
pub use load::{load, LoadOptions, ETC_ROOT, MAX_FILE_BYTES};

use crate::core::clean::CleanParams;
use serde::{de, Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::path::PathBuf;

/// The built-in defaults: every key, documented.
pub const DEFAULTS_TOML: &str = include_str!("defaults.toml");

/// What the daemon does when the typist does not match the profile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Lock the session through logind.
    Enforce,
    /// Audit only: record the decision, never lock.
    Monitor,
}

impl Mode {
    const NAMES: &[(&str, Mode)] = &[("enforce", Mode::Enforce), ("monitor", Mode::Monitor)];

    /// The name used in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Monitor => "monitor",
        }
    }
}

/// Hand-written so the error reads `expected one of "enforce", "monitor"`.
impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Mode;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let names: Vec<String> = Mode::NAMES
                    .iter()
                    .map(|(n, _)| format!("\"{n}\""))
                    .collect();
                write!(f, "one of {}", names.join(", "))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Mode, E> {
                Mode::NAMES
                    .iter()
                    .find(|(n, _)| *n == v)
                    .map(|(_, m)| *m)
                    .ok_or_else(|| E::invalid_value(de::Unexpected::Str(v), &self))
            }
        }
        d.deserialize_str(V)
    }
}

/// Where a layer came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// [`DEFAULTS_TOML`], compiled in.
    Builtin,
    /// A file on disk.
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Builtin => f.write_str("<built-in defaults>"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The effective configuration: every key resolved and validated.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Config {
    /// Enforce (lock) or monitor (audit only).
    pub mode: Mode,
    /// `[input]`.
    pub input: InputConfig,
    #[serde(skip)]
    sources: Vec<Source>,
    #[serde(skip)]
    hash: String,
}

impl Config {
    /// The sources read, in the order they were applied.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// `sha256:<hex>` of the effective values (not of the files): the compact JSON of this
    /// struct, fields in schema order. Equal settings give equal hashes however written.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Parameters for `core::clean::Cleaner`.
    pub fn clean_params(&self) -> CleanParams {
        CleanParams {
            chatter_us: i64::from(self.input.chatter_ms) * 1000,
            max_hold_us: i64::from(self.input.max_hold_ms) * 1000,
        }
    }
}

/// Merges layers, later ones winning key by key, into the effective configuration.
pub fn build(layers: Vec<Layer>) -> Result<Config, ConfigError> {
    let mut sources = Vec::with_capacity(layers.len());
    let mut mode = None;
    let mut input = InputLayer::default();
    for layer in layers {
        mode = layer.mode.or(mode);
        input.overlay(layer.input);
        sources.push(layer.source);
    }
    let mut config = Config {
        mode: need(mode, "mode")?,
        input: InputConfig::resolve(&input)?,
        sources,
        hash: String::new(),
    };
    let canonical =
        serde_json::to_vec(&config).map_err(|e| ConfigError::Serialize(e.to_string()))?;
    config.hash = Sha256::digest(&canonical)
        .iter()
        .fold(String::from("sha256:"), |mut s, b| {
            s.push_str(&format!("{b:02x}"));
            s
        });
    Ok(config)
}

/// The resolved value of `key`, which some layer (at least the defaults) must have set.
fn need<T>(value: Option<T>, key: &str) -> Result<T, ConfigError> {
    value.ok_or_else(|| ConfigError::Unset {
        key: key.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> Layer {
        parse(Source::Builtin, DEFAULTS_TOML).unwrap()
    }

    #[test]
    fn defaults_set_every_key_to_the_documented_value() {
        let c = build(vec![defaults()]).unwrap();
        assert_eq!(c.mode, Mode::Enforce);
        assert_eq!(
            c.input,
            InputConfig {
                chatter_ms: 20,
                max_hold_ms: 2000
            }
        );
        assert_eq!(c.sources(), [Source::Builtin]);
        assert_eq!(
            c.clean_params(),
            CleanParams::default(),
            "defaults.toml and CleanParams::default agree"
        );
    }

    #[test]
    fn later_layers_win_key_by_key() {
        let a = parse(
            Source::File("a".into()),
            "mode = \"monitor\"\n[input]\nchatter_ms = 5\n",
        )
        .unwrap();
        let b = parse(Source::File("b".into()), "[input]\nchatter_ms = 7\n").unwrap();
        let c = build(vec![defaults(), a, b]).unwrap();
        let want = Config {
            mode: Mode::Monitor,
            input: InputConfig {
                chatter_ms: 7,
                max_hold_ms: 2000,
            },
            sources: vec![
                Source::Builtin,
                Source::File("a".into()),
                Source::File("b".into()),
            ],
            hash: c.hash.clone(),
        };
        assert_eq!(c, want);
        assert_eq!(
            c.clean_params(),
            CleanParams {
                chatter_us: 7000,
                max_hold_us: 2_000_000
            }
        );
    }

    #[test]
    fn hash_depends_on_values_only() {
        let base = build(vec![defaults()]).unwrap();
        let same = parse(
            Source::File("x".into()),
            "# restating a default\nmode = \"enforce\"\n",
        )
        .unwrap();
        let other = parse(Source::File("y".into()), "[input]\nchatter_ms = 19\n").unwrap();
        assert_eq!(build(vec![defaults(), same]).unwrap().hash(), base.hash());
        assert_ne!(build(vec![defaults(), other]).unwrap().hash(), base.hash());
        // Pinned: sha256 of `{"mode":"enforce","input":{"chatter_ms":20,"max_hold_ms":2000}}`
        // by coreutils sha256sum. Changes only when the defaults or the schema change.
        let pinned = "sha256:a2b6a0ea700739ea3d24149b11b4c282bd14774b1c3965238bfff287933e779b";
        assert_eq!(base.hash(), pinned);
    }

    #[test]
    fn a_key_without_default_is_an_error() {
        let partial = parse(Source::Builtin, "mode = \"enforce\"\n").unwrap();
        assert_eq!(
            build(vec![partial]).unwrap_err(),
            ConfigError::Unset {
                key: "input.chatter_ms".into()
            }
        );
    }
}
