//! Configuration errors, and locating them: byte span → 1-based line, span → dotted key, and
//! serde/toml messages → `what is wrong` phrased for an administrator.
//!
//! Invariant: every error names its file; every error about content also names the line and,
//! where one can be blamed, the dotted key (`input.chatter_ms`).

use std::ops::Range;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Why the configuration could not be loaded. Startup must stop on any of these.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key or its value is wrong.
    #[error("{file}:{line}: {key}: {what}")]
    Invalid {
        /// The file (or `<built-in defaults>`).
        file: String,
        /// 1-based line of the key or value.
        line: usize,
        /// Dotted key path, e.g. `input.chatter_ms`.
        key: String,
        /// What is wrong.
        what: String,
    },
    /// The file is not valid TOML and no single key can be blamed.
    #[error("{file}:{line}: syntax error: {what}")]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line where parsing failed.
        line: usize,
        /// The parser's description.
        what: String,
    },
    /// The file could not be opened, failed the path-hygiene checks, or could not be read.
    #[error("{file}: {what}")]
    File {
        /// The path.
        file: String,
        /// What is wrong.
        what: String,
    },
    /// No layer set this key; every key must have a built-in default.
    #[error("{key}: not set by any layer (every key needs a built-in default)")]
    Unset {
        /// Dotted key path.
        key: String,
    },
    /// Merged layers did not form a valid section although each layer did (a schema bug).
    #[error("[{section}]: the merged settings are invalid: {what}")]
    Merge {
        /// The section.
        section: String,
        /// What is wrong.
        what: String,
    },
    /// The effective configuration could not be serialised (hash or summary).
    #[error("cannot serialise the effective configuration: {0}")]
    Serialize(String),
}

impl ConfigError {
    /// Where the error is, for the audit record: the file, its line and the dotted key, when
    /// known (never the offending value: it is the admin's text, not ours to copy).
    pub fn location(&self) -> (Option<&str>, Option<usize>, Option<&str>) {
        match self {
            ConfigError::Invalid {
                file, line, key, ..
            } => (Some(file), Some(*line), Some(key)),
            ConfigError::Syntax { file, line, .. } => (Some(file), Some(*line), None),
            ConfigError::File { file, .. } => (Some(file), None, None),
            ConfigError::Unset { key } => (None, None, Some(key)),
            ConfigError::Merge { .. } | ConfigError::Serialize(_) => (None, None, None),
        }
    }
}

/// 1-based line of byte offset `pos` in `text` (offsets past the end count as the last line).
pub(super) fn line_of(text: &str, pos: usize) -> usize {
    let end = pos.min(text.len());
    1 + text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Dotted path of the key whose name or value covers byte `pos`, if any.
pub(super) fn key_path_at(table: &DeTable<'_>, pos: usize) -> Option<String> {
    for (key, value) in table {
        let name = key.get_ref();
        if let Some(rest) = path_in_value(value, pos) {
            return Some(format!("{name}.{rest}"));
        }
        if covers(key.span(), pos) || covers(value.span(), pos) {
            return Some(name.to_string());
        }
    }
    None
}

/// Searches inside tables (and arrays of tables) first: a `[header]` table's own span does
/// not cover the keys written under it.
fn path_in_value(value: &Spanned<DeValue<'_>>, pos: usize) -> Option<String> {
    match value.get_ref() {
        DeValue::Table(t) => key_path_at(t, pos),
        DeValue::Array(items) => items.iter().find_map(|v| path_in_value(v, pos)),
        _ => None,
    }
}

fn covers(span: Range<usize>, pos: usize) -> bool {
    span.contains(&pos) || (span.is_empty() && span.start == pos)
}

/// Dotted path of a key the parser rejected as a duplicate (so it is not in the parsed tree):
/// the key as written on its line, under the `[table]` header in force there.
pub(super) fn duplicate_key_path(text: &str, span: Range<usize>) -> String {
    let before = text.get(..span.end).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let written = before[line_start..].trim_start();
    if let Some(header) = written.strip_prefix('[') {
        return dotted(header.trim_start_matches('[')); // a repeated `[table]` header
    }
    match header_before(before, line_start) {
        Some(table) => format!("{table}.{}", dotted(written)),
        None => dotted(written),
    }
}

/// The last `[table]` or `[[array]]` header before byte `line_start`, found textually.
fn header_before(text: &str, line_start: usize) -> Option<String> {
    let above = text.get(..line_start).unwrap_or("");
    above.lines().rev().find_map(|line| {
        let inner = line.trim().strip_prefix('[')?.trim_start_matches('[');
        inner.find(']').map(|end| dotted(&inner[..end]))
    })
}

/// `a . "b"` → `a.b`.
fn dotted(raw: &str) -> String {
    let parts: Vec<&str> = raw
        .split('.')
        .map(|p| p.trim().trim_matches(['"', '\'']))
        .collect();
    parts.join(".")
}

/// Rewrites a serde/toml message as `what is wrong`.
///
/// serde's own wording (stable for years, and pinned by the tests here) is
/// `unknown field `x`, expected `a` or `b`` and `invalid type: T, expected E`.
pub(super) fn humanize(message: &str, key: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return unknown_key(key.rsplit('.').next().unwrap_or(key), &backticked(expected));
    }
    // An enum (`escalation`, `identity`): a bad string, or a bad key of its table form.
    if let Some((name, expected)) = message
        .strip_prefix("unknown variant `")
        .and_then(|rest| rest.split_once('`'))
    {
        let valid = backticked(expected);
        if key.rsplit('.').next() == Some(name) {
            return unknown_key(name, &valid);
        }
        return unknown_value(name, &valid);
    }
    if message == "wanted string or table" {
        return "expected a string or a table".to_string();
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((got, expected)) = message
            .strip_prefix(prefix)
            .and_then(|m| m.split_once(", expected "))
        {
            let got = got.trim_end_matches(" as i128");
            return format!("expected {}, got {got}", plain_type(expected));
        }
    }
    message.to_string()
}

/// `unknown key`, with the closest valid key if one is within edit distance 2, else the list.
pub(super) fn unknown_key(name: &str, valid: &[&str]) -> String {
    let best = valid
        .iter()
        .map(|v| (strsim::levenshtein(name, v), *v))
        .filter(|(d, _)| *d <= 2)
        .min();
    match (best, valid) {
        (Some((_, v)), _) => format!("unknown key (did you mean `{v}`?)"),
        (None, []) => "unknown key".to_string(),
        (None, _) => format!(
            "unknown key (valid keys: {})",
            valid
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// `unknown value`, with the closest valid one if within edit distance 2, else the list.
fn unknown_value(name: &str, valid: &[&str]) -> String {
    let quoted = |v: &&str| format!("\"{v}\"");
    let best = valid
        .iter()
        .map(|v| (strsim::levenshtein(name, v), *v))
        .filter(|(d, _)| *d <= 2)
        .min();
    match best {
        Some((_, v)) => format!("unknown value \"{name}\" (did you mean \"{v}\"?)"),
        None => {
            let all: Vec<String> = valid.iter().map(quoted).collect();
            format!(
                "unknown value \"{name}\" (expected one of {})",
                all.join(", ")
            )
        }
    }
}

/// The names quoted in backticks: `` `a`, `b` `` → `[a, b]`.
fn backticked(s: &str) -> Vec<&str> {
    s.split('`').skip(1).step_by(2).collect()
}

/// serde names Rust types; administrators know TOML types.
fn plain_type(expected: &str) -> &str {
    match expected {
        "i8" | "i16" | "i32" | "i64" => "an integer",
        "u8" => "an integer between 0 and 255",
        "u16" => "an integer between 0 and 65535",
        "u32" => "an integer between 0 and 4294967295",
        "u64" => "an integer between 0 and 18446744073709551615",
        "f32" | "f64" => "a number",
        "a sequence" => "an array",
        "a boolean" | "a string" => expected,
        e if e.starts_with("struct ") => "a table",
        e => e,
    }
}

#[cfg(test)]
#[path = "error_tests.rs"]
mod tests;
