//! Sections backed by an external serde struct (`[engine]`, `[session]`, `[policy]`, the
//! device filter in `[input]`): one generic mechanism instead of hand-written key lists.
//!
//! Per file ([`Part::parse`]): the section's keys are checked against the struct's field
//! names (unknown key → that file's line and a did-you-mean), the section is deserialised
//! alone (wrong type → that file's line), and single-key ranges ([`Section::check_keys`]) are
//! checked with struct defaults for the keys the file did not set, so a bad value is an error
//! even when a later file overrides it. The keys the file set are kept as TOML values with
//! the line of every (nested) key.
//!
//! Merged ([`Merge::resolve`]): top-level keys of the section are overlaid key by key, later
//! layers winning; a nested table (`escalation = { command = … }`) is one key, replaced as a
//! unit. Every field must be set by some layer (the built-in defaults set all of them). The
//! merged table is deserialised into the struct and fully validated; a range error is
//! reported at the file and line of the layer that last set the key.

use super::error::{line_of, unknown_key};
use super::layer::Cx;
use super::ConfigError;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A range problem: dotted key below the section, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KeyError {
    /// e.g. `escalation.command.timeout_ms`.
    pub key: String,
    /// e.g. `must be between 100 and 60000, got 50`.
    pub what: String,
}

/// A configuration section backed by a serde struct with `#[serde(default)]` whose fields
/// all serialise (no skipped `Option`s): its serialised default names every key.
pub(super) trait Section: Serialize + DeserializeOwned + Default {
    /// Ranges of single keys; each error depends on its key alone (checked per file).
    fn check_keys(&self) -> Result<(), KeyError>;
    /// Constraints between keys, checked on the merged value only. A violation is phrased
    /// once per key involved; the one about the key set by the latest layer is reported,
    /// as that is the change that broke the constraint.
    fn check_combined(&self) -> Result<(), Vec<KeyError>> {
        Ok(())
    }
}

/// The keys of `T`, in serialisation order.
pub(super) fn field_names<T: Section>() -> Vec<String> {
    toml::Table::try_from(T::default())
        .map(|t| t.keys().cloned().collect())
        .unwrap_or_default()
}

/// What one file set in one section.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Part {
    table: toml::Table,
    /// Dotted key below the section (nested ones included) → 1-based line.
    lines: BTreeMap<String, usize>,
}

impl Part {
    /// The top-level keys set.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.table.keys().map(String::as_str)
    }

    /// Validates section `name` of one file as `T`. `host` keys belong to the same TOML
    /// table but are validated by the caller (`chatter_ms` next to the device filter).
    pub(super) fn parse<T: Section>(
        file: &DeTable<'_>,
        name: &str,
        host: &[&str],
        cx: &Cx<'_>,
    ) -> Result<Part, ConfigError> {
        let mut part = Part::default();
        let Some((span, DeValue::Table(section))) = file.get(name).map(|v| (v.span(), v.get_ref()))
        else {
            return Ok(part); // absent; a non-table was already rejected by the file schema
        };
        let fields = field_names::<T>();
        let known: Vec<&str> = fields
            .iter()
            .map(String::as_str)
            .chain(host.iter().copied())
            .collect();
        let unknown = section
            .iter()
            .filter(|(k, _)| !known.contains(&k.get_ref().as_ref()))
            .min_by_key(|(k, _)| k.span().start);
        if let Some((k, _)) = unknown {
            let what = unknown_key(k.get_ref(), &known);
            return Err(cx.invalid(k.span(), &format!("{name}.{}", k.get_ref()), what));
        }
        let own = only(section, |k| !host.contains(&k));
        let de = || toml::de::Deserializer::from(Spanned::new(span.clone(), own.clone()));
        let value = T::deserialize(de()).map_err(|e| cx.content(&own, &e, name))?;
        part.table = toml::Table::deserialize(de()).map_err(|e| cx.content(&own, &e, name))?;
        record_lines(&own, "", cx.text(), &mut part.lines);
        if let Err(e) = value.check_keys() {
            // A default that the file did not touch is checked when merged, not blamed here.
            if let Some(line) = line_for(&part.lines, &e.key) {
                return Err(invalid(cx.file(), line, name, e));
            }
        }
        Ok(part)
    }
}

fn invalid(file: &str, line: usize, section: &str, e: KeyError) -> ConfigError {
    ConfigError::Invalid {
        file: file.to_string(),
        line,
        key: format!("{section}.{}", e.key),
        what: e.what,
    }
}

/// The file that last set a key, and the lines of that key and the keys nested in it.
#[derive(Debug)]
struct Origin {
    /// Index of the layer (later layers are higher).
    layer: usize,
    file: String,
    lines: BTreeMap<String, usize>,
}

/// The entries of `table` whose key passes `keep`.
pub(super) fn only<'a>(table: &DeTable<'a>, keep: impl Fn(&str) -> bool) -> DeTable<'a> {
    table
        .iter()
        .filter(|(k, _)| keep(k.get_ref()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Every key (also inside inline and nested tables) → the line of its name.
fn record_lines(table: &DeTable<'_>, prefix: &str, text: &str, out: &mut BTreeMap<String, usize>) {
    for (k, v) in table {
        let path = format!("{prefix}{}", k.get_ref());
        // An implicit parent table (`[a.b]` without `[a]`) has an empty key span.
        let at = if k.span().is_empty() {
            v.span()
        } else {
            k.span()
        };
        out.insert(path.clone(), line_of(text, at.start));
        if let DeValue::Table(t) = v.get_ref() {
            record_lines(t, &format!("{path}."), text, out);
        }
    }
}

/// The line of the longest recorded prefix of dotted `key`.
fn line_for(lines: &BTreeMap<String, usize>, key: &str) -> Option<usize> {
    let mut best = None;
    let mut end = 0;
    for piece in key.split('.') {
        end += piece.len();
        if let Some(&line) = lines.get(&key[..end]) {
            best = Some(line);
        }
        end += 1;
    }
    best
}

/// One section merged over all layers.
#[derive(Debug, Default)]
pub(super) struct Merge {
    /// Layers overlaid so far.
    layers: usize,
    table: toml::Table,
    /// Top-level key → where it was last set.
    origin: BTreeMap<String, Origin>,
}

impl Merge {
    /// Keys set in `top`, read from `file`, replace ours (a nested table as a whole).
    pub(super) fn overlay(&mut self, file: &str, top: Part) {
        for (k, v) in &top.table {
            self.table.insert(k.clone(), v.clone());
            let lines = top
                .lines
                .iter()
                .filter(|(path, _)| path.split('.').next() == Some(k))
                .map(|(p, l)| (p.clone(), *l))
                .collect();
            let (layer, file) = (self.layers, file.to_string());
            self.origin.insert(k.clone(), Origin { layer, file, lines });
        }
        self.layers += 1;
    }

    /// The effective `T` of section `name`, validated.
    pub(super) fn resolve<T: Section>(self, name: &str) -> Result<T, ConfigError> {
        if let Some(missing) = field_names::<T>()
            .into_iter()
            .find(|f| !self.table.contains_key(f))
        {
            return Err(ConfigError::Unset {
                key: format!("{name}.{missing}"),
            });
        }
        let value: T = self.table.try_into().map_err(|e: toml::de::Error| {
            // Each key was valid in its own file, so this is a schema bug, not bad input.
            ConfigError::Merge {
                section: name.to_string(),
                what: e.message().to_string(),
            }
        })?;
        let blame = match (value.check_keys(), value.check_combined()) {
            (Err(e), _) => Some(e),
            (Ok(()), Err(phrasings)) => phrasings
                .into_iter()
                .max_by_key(|e| self.origin.get(top_key(&e.key)).map(|o| o.layer)),
            (Ok(()), Ok(())) => None,
        };
        if let Some(e) = blame {
            return Err(match self.origin.get(top_key(&e.key)) {
                Some(o) => {
                    let line = line_for(&o.lines, &e.key).unwrap_or(1);
                    invalid(&o.file, line, name, e)
                }
                None => ConfigError::Merge {
                    section: name.to_string(),
                    what: format!("{}: {}", e.key, e.what),
                },
            });
        }
        Ok(value)
    }
}

fn top_key(key: &str) -> &str {
    key.split('.').next().unwrap_or(key)
}

/// In the file schema, a section handled by [`Part::parse`]: any table (checked later),
/// anything else an error `expected a table`.
pub(super) struct AnyTable;

impl<'de> Deserialize<'de> for AnyTable {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = AnyTable;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<AnyTable, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(AnyTable)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_for_takes_the_longest_recorded_prefix() {
        let lines: BTreeMap<String, usize> = [("a", 1), ("a.b", 2), ("ab", 9)]
            .map(|(k, l)| (k.to_string(), l))
            .into();
        assert_eq!(line_for(&lines, "a.b.c"), Some(2));
        assert_eq!(line_for(&lines, "a.x"), Some(1));
        assert_eq!(line_for(&lines, "ab"), Some(9));
        assert_eq!(line_for(&lines, "c"), None);
    }
}
