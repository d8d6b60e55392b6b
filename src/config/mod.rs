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
//! Sections: `[input]` (`input.rs`), `[engine]` (`engine.rs`), `[pointer]` (`pointer.rs`),
//! `[session]` (`session.rs`), `[policy]` (`policy.rs`); those backed by another module's
//! serde struct go through the generic mechanism of `section.rs`.
//!
//! Invariants: a [`Config`] has every key set and in range; any error stops startup and reads
//! `file:line: key: what is wrong` (file-level problems: `file: what is wrong`).

mod check;
mod engine;
mod error;
mod input;
mod layer;
mod load;
mod pointer;
mod policy;
mod section;
mod session;

pub use check::{check_config, summary};
pub use error::ConfigError;
pub use input::{InputConfig, InputLayer};
pub use layer::{parse, Layer};
pub use load::{load, LoadOptions, ETC_ROOT, MAX_FILE_BYTES};
pub use policy::PolicyConfig;
pub use section::Part;

use crate::core::clean::CleanParams;
use crate::engine::pointer::PointerParams;
use crate::engine::EngineParams;
use crate::session::config::SessionConfig;
use input::InputMerge;
use section::Merge;
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
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Config {
    /// Enforce (lock) or monitor (audit only).
    pub mode: Mode,
    /// Where profiles live, if configured (absolute). `None`: the daemon uses
    /// `$STATE_DIRECTORY` (systemd `StateDirectory=`) or `/var/lib/typewarden`.
    pub state_dir: Option<PathBuf>,
    /// `[input]`: cleaning tunables and the device filter.
    pub input: InputConfig,
    /// `[engine]`: the biometric engine's operating point.
    pub engine: EngineParams,
    /// `[pointer]`: the pointer modality (segmentation, model, enrollment).
    pub pointer: PointerParams,
    /// `[session]`: logind timeouts, lock confirmation and escalation, identity.
    pub session: SessionConfig,
    /// `[policy]`: users and groups never locked.
    pub policy: PolicyConfig,
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
    /// struct, fields in schema order (an unset `state_dir` is `null`). Equal settings give
    /// equal hashes however written.
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
    let (mut mode, mut state_dir) = (None, None);
    let mut input = InputMerge::default();
    let (mut engine, mut pointer, mut session, mut policy) = (
        Merge::default(),
        Merge::default(),
        Merge::default(),
        Merge::default(),
    );
    for layer in layers {
        let file = layer.source.to_string();
        mode = layer.mode.or(mode);
        state_dir = layer.state_dir.or(state_dir);
        input.overlay(&file, layer.input);
        engine.overlay(&file, layer.engine);
        pointer.overlay(&file, layer.pointer);
        session.overlay(&file, layer.session);
        policy.overlay(&file, layer.policy);
        sources.push(layer.source);
    }
    let mut config = Config {
        mode: need(mode, "mode")?,
        state_dir,
        input: input.resolve()?,
        engine: engine.resolve("engine")?,
        pointer: pointer.resolve("pointer")?,
        session: session.resolve("session")?,
        policy: policy.resolve("policy")?,
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
#[path = "section_tests.rs"]
mod section_tests;
#[cfg(test)]
#[path = "session_tests.rs"]
mod session_tests;
#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
