//! One configuration file: TOML text → validated [`Layer`] (pure, no I/O).
//!
//! A layer holds only the keys its file set; every single value is range-checked here,
//! against the file and line it came from, so an out-of-range value is an error even when a
//! later file overrides it. Constraints between keys are checked once merged (`build`).

use super::error::{duplicate_key_path, humanize, key_path_at, line_of};
use super::input::InputLayer;
use super::policy::PolicyConfig;
use super::section::{AnyTable, Part};
use super::{ConfigError, Mode, Source};
use crate::engine::pointer::PointerParams;
use crate::engine::EngineParams;
use crate::session::config::SessionConfig;
use serde::Deserialize;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use toml::de::DeTable;
use toml::Spanned;

/// The keys one source set, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Where the text came from.
    pub source: Source,
    /// Top-level `mode`.
    pub mode: Option<Mode>,
    /// Top-level `state_dir`.
    pub state_dir: Option<PathBuf>,
    /// `[input]`.
    pub input: InputLayer,
    /// `[engine]`.
    pub engine: Part,
    /// `[pointer]`.
    pub pointer: Part,
    /// `[session]`.
    pub session: Part,
    /// `[policy]`.
    pub policy: Part,
}

/// The top level of a file as written; sections are only checked to be tables here, their
/// keys by their own modules.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[expect(
    dead_code,
    reason = "the `AnyTable` fields exist for their schema check only"
)]
struct RawFile {
    mode: Option<Mode>,
    state_dir: Option<Spanned<String>>,
    input: Option<AnyTable>,
    engine: Option<AnyTable>,
    pointer: Option<AnyTable>,
    session: Option<AnyTable>,
    policy: Option<AnyTable>,
}

/// Parses and validates one source's text.
pub fn parse(source: Source, text: &str) -> Result<Layer, ConfigError> {
    let cx = Cx {
        file: source.to_string(),
        text,
    };
    let table = DeTable::parse(text).map_err(|e| cx.syntax(&e))?;
    let raw = RawFile::deserialize(toml::de::Deserializer::from(table.clone()))
        .map_err(|e| cx.content(table.get_ref(), &e, ""))?;
    let file = table.get_ref();
    Ok(Layer {
        mode: raw.mode,
        state_dir: raw.state_dir.map(|d| cx.state_dir(d)).transpose()?,
        input: InputLayer::parse(file, &cx)?,
        engine: Part::parse::<EngineParams>(file, "engine", &[], &cx)?,
        pointer: Part::parse::<PointerParams>(file, "pointer", &[], &cx)?,
        session: Part::parse::<SessionConfig>(file, "session", &[], &cx)?,
        policy: Part::parse::<PolicyConfig>(file, "policy", &[], &cx)?,
        source,
    })
}

/// Error context of one file: its name and text, for line numbers.
pub(super) struct Cx<'a> {
    file: String,
    text: &'a str,
}

impl Cx<'_> {
    pub(super) fn file(&self) -> &str {
        &self.file
    }

    pub(super) fn text(&self) -> &str {
        self.text
    }

    /// `state_dir`: an absolute path without `..`, so it cannot depend on the working
    /// directory or climb out of what it names.
    fn state_dir(&self, value: Spanned<String>) -> Result<PathBuf, ConfigError> {
        let path = Path::new(value.get_ref());
        let what = if !path.is_absolute() {
            "must be an absolute path"
        } else if path.components().any(|c| c == Component::ParentDir) {
            "must not contain `..`"
        } else if value.get_ref().contains('\0') {
            "must not contain NUL"
        } else {
            return Ok(path.to_path_buf());
        };
        let got = format!("{what}, got {:?}", value.get_ref());
        Err(self.invalid(value.span(), "state_dir", got))
    }

    /// `Some(value)` if set and within `lo..=hi`.
    pub(super) fn range(
        &self,
        value: Option<Spanned<i64>>,
        key: &str,
        lo: u32,
        hi: u32,
    ) -> Result<Option<u32>, ConfigError> {
        let Some(value) = value else { return Ok(None) };
        let n = *value.get_ref();
        match u32::try_from(n) {
            Ok(v) if (lo..=hi).contains(&v) => Ok(Some(v)),
            _ => Err(self.invalid(
                value.span(),
                key,
                format!("must be between {lo} and {hi}, got {n}"),
            )),
        }
    }

    pub(super) fn invalid(&self, span: Range<usize>, key: &str, what: String) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.clone(),
            line: line_of(self.text, span.start),
            key: key.to_string(),
            what,
        }
    }

    /// A parser error. A duplicate key is blamed on that key; the rest are syntax errors.
    fn syntax(&self, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        if e.message() == "duplicate key" {
            let key = duplicate_key_path(self.text, span.clone());
            return self.invalid(span, &key, "duplicate key".to_string());
        }
        ConfigError::Syntax {
            file: self.file.clone(),
            line: line_of(self.text, span.start),
            what: e.message().to_string(),
        }
    }

    /// A schema error (unknown key, wrong type) raised while deserialising `table`, which
    /// is section `section` of the file (`""`: the whole file).
    pub(super) fn content(
        &self,
        table: &DeTable<'_>,
        e: &toml::de::Error,
        section: &str,
    ) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let key = match (key_path_at(table, span.start), section) {
            (Some(path), "") => path,
            (Some(path), s) => format!("{s}.{path}"),
            (None, "") => "(top level)".to_string(),
            (None, s) => s.to_string(),
        };
        let what = humanize(e.message(), &key);
        self.invalid(span, &key, what)
    }
}

#[cfg(test)]
#[path = "layer_tests.rs"]
mod tests;
