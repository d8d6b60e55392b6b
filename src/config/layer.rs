//! One configuration file: TOML text → validated [`Layer`] (pure, no I/O).
//!
//! A layer holds only the keys its file set; every value is range-checked here, against the
//! file and line it came from, so an out-of-range value is an error even when a later file
//! overrides it.

use super::error::{duplicate_key_path, humanize, key_path_at, line_of};
use super::input::{self, InputLayer};
use super::{ConfigError, Mode, Source};
use serde::Deserialize;
use std::ops::Range;
use toml::de::DeTable;
use toml::Spanned;

/// The keys one source set, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// Where the text came from.
    pub source: Source,
    /// Top-level `mode`.
    pub mode: Option<Mode>,
    /// `[input]`.
    pub input: InputLayer,
}

/// A whole file exactly as written. Each section is its own struct in its own module.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mode: Option<Mode>,
    #[serde(default)]
    input: input::Raw,
}

/// Parses and validates one source's text.
pub fn parse(source: Source, text: &str) -> Result<Layer, ConfigError> {
    let cx = Cx {
        file: source.to_string(),
        text,
    };
    let table = DeTable::parse(text).map_err(|e| cx.syntax(&e))?;
    let raw = RawFile::deserialize(toml::de::Deserializer::from(table.clone()))
        .map_err(|e| cx.content(table.get_ref(), &e))?;
    Ok(Layer {
        mode: raw.mode,
        input: InputLayer::from_raw(raw.input, &cx)?,
        source,
    })
}

/// Error context of one file: its name and text, for line numbers.
pub(super) struct Cx<'a> {
    file: String,
    text: &'a str,
}

impl Cx<'_> {
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

    fn invalid(&self, span: Range<usize>, key: &str, what: String) -> ConfigError {
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

    /// A schema error (unknown key, wrong type) raised while deserialising `table`.
    fn content(&self, table: &DeTable<'_>, e: &toml::de::Error) -> ConfigError {
        let span = e.span().unwrap_or(0..0);
        let key = key_path_at(table, span.start).unwrap_or_else(|| "(top level)".to_string());
        let what = humanize(e.message(), &key);
        self.invalid(span, &key, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        parse(Source::File("t.toml".into()), text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn a_file_sets_only_what_it_writes() {
        let layer = parse(Source::Builtin, "[input]\nmax_hold_ms = 300\n").unwrap();
        let want = Layer {
            source: Source::Builtin,
            mode: None,
            input: InputLayer {
                chatter_ms: None,
                max_hold_ms: Some(300),
            },
        };
        assert_eq!(layer, want);
        let layer = parse(
            Source::Builtin,
            "mode = \"monitor\"\ninput.chatter_ms = 0\n",
        )
        .unwrap();
        let input = InputLayer {
            chatter_ms: Some(0),
            max_hold_ms: None,
        };
        assert_eq!(
            layer,
            Layer {
                source: Source::Builtin,
                mode: Some(Mode::Monitor),
                input
            }
        );
        let empty = parse(Source::Builtin, "# nothing\n").unwrap();
        assert_eq!(
            empty,
            Layer {
                source: Source::Builtin,
                mode: None,
                input: InputLayer::default()
            }
        );
    }

    #[test]
    fn errors_name_file_line_and_key() {
        assert_eq!(
            err("\n\n[input]\nchater_ms = 3\n"),
            "t.toml:4: input.chater_ms: unknown key (did you mean `chatter_ms`?)"
        );
        assert_eq!(
            err("[input]\nchatter_ms = 51\n"),
            "t.toml:2: input.chatter_ms: must be between 0 and 50, got 51"
        );
        assert_eq!(
            err("[input]\nmax_hold_ms = -1\n"),
            "t.toml:2: input.max_hold_ms: must be between 200 and 10000, got -1"
        );
        assert_eq!(
            err("mode = \"lock\"\n"),
            "t.toml:1: mode: expected one of \"enforce\", \"monitor\", got string \"lock\""
        );
        assert_eq!(
            err("mode = 1\n"),
            "t.toml:1: mode: expected one of \"enforce\", \"monitor\", got integer `1`"
        );
        assert_eq!(
            err("[input]\nchatter_ms = 2.5\n"),
            "t.toml:2: input.chatter_ms: expected an integer, got floating point `2.5`"
        );
        assert_eq!(
            err("input = 5\n"),
            "t.toml:1: input: expected a table, got integer `5`"
        );
        assert_eq!(
            err("[inptu]\n"),
            "t.toml:1: inptu: unknown key (did you mean `input`?)"
        );
        assert_eq!(
            err("x.y = 1\n"),
            "t.toml:1: x: unknown key (valid keys: `mode`, `input`)"
        );
    }

    #[test]
    fn syntax_and_duplicates_name_their_line() {
        assert_eq!(
            err("mode = \"enforce\"\n[input\n"),
            "t.toml:2: syntax error: unclosed table, expected `]`"
        );
        assert_eq!(
            err("[input]\nchatter_ms = 1\nchatter_ms = 2\n"),
            "t.toml:3: input.chatter_ms: duplicate key"
        );
        assert_eq!(
            err("mode = \"enforce\"\nmode = \"monitor\"\n"),
            "t.toml:2: mode: duplicate key"
        );
        assert_eq!(err("[input]\n[input]\n"), "t.toml:2: input: duplicate key");
    }

    #[test]
    fn odd_duplicates_are_located() {
        assert_eq!(
            err("input.chatter_ms = 1\ninput.chatter_ms = 2\n"),
            "t.toml:2: input.chatter_ms: duplicate key"
        );
        assert_eq!(
            err("[input]\nchatter_ms = 1\n[input]\n"),
            "t.toml:3: input: duplicate key"
        );
    }

    #[test]
    fn truncated_files_never_panic_and_stay_in_range() {
        let text = crate::config::DEFAULTS_TOML;
        let lines = text.lines().count();
        for end in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
            match parse(Source::Builtin, &text[..end]) {
                Err(ConfigError::Invalid { line, .. } | ConfigError::Syntax { line, .. }) => {
                    assert!((1..=lines).contains(&line), "line {line} for prefix {end}")
                }
                Err(e) => panic!("unexpected error kind {e}"),
                Ok(_) => {}
            }
        }
    }
}
