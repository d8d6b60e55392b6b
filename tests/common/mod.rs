//! Shared test helpers.
#![allow(dead_code)]
pub mod timeline;

// Locating the shared, uncommitted test data (helper brief, "Code style"): tests find it
// through `TYPEWARDEN_DATA` / `TYPEWARDEN_TRACES`, else `<crate root>/../shared/{data,traces}`.

use std::path::PathBuf;

/// The shared directory of `kind` (`"traces"` or `"data"`), or `None` after printing
/// `skipping: <reason>` when it is absent. With `TYPEWARDEN_REQUIRE_DATA=1` absence panics
/// instead, so CI cannot pass by skipping.
pub fn shared_dir(kind: &str) -> Option<PathBuf> {
    let var = match kind {
        "traces" => "TYPEWARDEN_TRACES",
        "data" => "TYPEWARDEN_DATA",
        other => panic!("unknown shared directory kind {other:?} (expected traces or data)"),
    };
    let dir = std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("shared")
            .join(kind)
    });
    if dir.is_dir() {
        return Some(dir);
    }
    let reason = format!("shared {kind} not found at {} (set {var})", dir.display());
    if std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("{reason} and TYPEWARDEN_REQUIRE_DATA=1");
    }
    eprintln!("skipping: {reason}");
    None
}

/// The fixture directory of this repository's hand-written traces.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/traces")
        .join(name)
}

/// Parses `text` as file `name` (format forced when `Some`), expects an error, and checks its
/// exact message, its line, and that it does not quote `secret` (helper brief rule 1: a
/// malformed line may hold key codes).
pub fn assert_refused(
    name: &str,
    text: &[u8],
    format: Option<typewarden::trace::Format>,
    expected: &str,
    secret: &str,
) {
    let path = std::path::Path::new(name);
    let err = typewarden::trace::parse_as(path, text, format)
        .expect_err("malformed input must be refused");
    let msg = err.to_string();
    assert_eq!(msg, expected);
    assert!(!msg.contains(secret), "message quotes {secret:?}: {msg}");
    let line = expected
        .split(':')
        .nth(1)
        .and_then(|l| l.parse::<usize>().ok());
    assert_eq!(err.line(), line);
}

/// Loads `rel` from the shared traces (`None` when they are absent); panics on a parse error.
pub fn trace(rel: &str) -> Option<typewarden::trace::Trace> {
    let dir = shared_dir("traces")?;
    Some(typewarden::trace::load(&dir.join(rel)).unwrap_or_else(|e| panic!("{e}")))
}

/// Events of type `kind`, and of `value` when given.
pub fn count(events: &[typewarden::core::event::RawEvent], kind: u16, value: Option<i32>) -> usize {
    events
        .iter()
        .filter(|e| e.kind == kind && value.is_none_or(|v| e.value == v))
        .count()
}

pub mod typist;
