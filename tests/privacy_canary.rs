//! The privacy boundary, proven with a canary: `tests/fixtures/traces/canary.evemu` is a
//! recording of the made-up phrase below, typed four times. Nothing the program prints, logs
//! or writes may contain the phrase, its key-code sequence or its scancode sequence, as text
//! (decimal or hex, with common separators) or as binary (u8, u16 or u32 little-endian).
//!
//! Later tiers (daemon, profiles, audit) add their outputs to [`assert_no_canary`].

use std::path::{Path, PathBuf};
use std::process::Command;

const PHRASE: &str = "zorblax quiffen vexmutt glimdrop";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/traces/canary.evemu")
}

fn key_code(c: char) -> u32 {
    const LETTERS: [u32; 26] = [
        30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17,
        45, 21, 44,
    ];
    match c {
        ' ' => 57,
        c => LETTERS[(c as u8 - b'a') as usize],
    }
}

fn scancode(c: char) -> u32 {
    match c {
        ' ' => 0x7002c,
        c => 0x70004 + (c as u8 - b'a') as u32,
    }
}

/// Every rendering of the canary that must never appear. Windows of 5 consecutive keys are
/// specific enough not to match ordinary numbers, and catch partial leaks.
fn needles() -> Vec<(String, Vec<u8>)> {
    let chars: Vec<char> = PHRASE.chars().collect();
    let mut out: Vec<(String, Vec<u8>)> = Vec::new();
    out.push(("phrase".into(), PHRASE.as_bytes().to_vec()));
    for word in PHRASE.split(' ') {
        out.push((format!("word {word}"), word.as_bytes().to_vec()));
        out.push((format!("WORD {word}"), word.to_uppercase().into_bytes()));
    }
    for w in chars.windows(5) {
        for (what, f) in [
            ("key code", key_code as fn(char) -> u32),
            ("scancode", scancode),
        ] {
            let seq: Vec<u32> = w.iter().map(|&c| f(c)).collect();
            for sep in [" ", ",", ", ", ";", "\n", "\t"] {
                let dec = seq.iter().map(u32::to_string).collect::<Vec<_>>().join(sep);
                let hex = seq
                    .iter()
                    .map(|v| format!("{v:x}"))
                    .collect::<Vec<_>>()
                    .join(sep);
                let hex0 = seq
                    .iter()
                    .map(|v| format!("0x{v:x}"))
                    .collect::<Vec<_>>()
                    .join(sep);
                let hex4 = seq
                    .iter()
                    .map(|v| format!("{v:04x}"))
                    .collect::<Vec<_>>()
                    .join(sep);
                for s in [dec, hex, hex0, hex4] {
                    out.push((format!("{what} text {s:?}"), s.into_bytes()));
                }
            }
            if what == "key code" {
                out.push((format!("{what} u8"), seq.iter().map(|&v| v as u8).collect()));
                out.push((
                    format!("{what} u16le"),
                    seq.iter().flat_map(|&v| (v as u16).to_le_bytes()).collect(),
                ));
            }
            out.push((
                format!("{what} u32le"),
                seq.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ));
        }
    }
    out
}

/// Fails if `haystack` (named `what`) contains any rendering of the canary.
pub fn assert_no_canary(what: &str, haystack: &[u8]) {
    let lower = haystack.to_ascii_lowercase();
    for (name, needle) in needles() {
        let hay = if name.starts_with("word") || name == "phrase" {
            &lower
        } else {
            haystack
        };
        assert!(
            !hay.windows(needle.len()).any(|w| w == needle.as_slice()),
            "{what} contains the canary ({name})"
        );
    }
}

fn run(args: &[&str]) -> (Vec<u8>, Vec<u8>, bool) {
    let out = Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .args(args)
        .output()
        .expect("spawn typewarden");
    (out.stdout, out.stderr, out.status.success())
}

#[test]
fn the_detector_itself_finds_the_canary() {
    // The fixture holds the key codes and scancodes: the needles must match it, or this test
    // could never fail.
    let text = std::fs::read(fixture()).expect("canary fixture");
    let found = std::panic::catch_unwind(|| assert_no_canary("fixture", &text));
    assert!(
        found.is_err(),
        "the canary detector does not recognise the canary recording"
    );
    let found =
        std::panic::catch_unwind(|| assert_no_canary("phrase", PHRASE.to_uppercase().as_bytes()));
    assert!(found.is_err());
    let codes: Vec<u8> = PHRASE
        .chars()
        .flat_map(|c| (key_code(c) as u16).to_le_bytes())
        .collect();
    assert!(std::panic::catch_unwind(|| assert_no_canary("binary", &codes)).is_err());
}

#[test]
fn replay_output_never_contains_the_canary() {
    let path = fixture();
    let p = path.to_str().expect("utf-8 path");
    for args in [vec!["replay", p], vec!["replay", "--json", p]] {
        let (stdout, stderr, ok) = run(&args);
        assert!(ok, "replay failed: {}", String::from_utf8_lossy(&stderr));
        assert!(!stdout.is_empty(), "replay printed nothing");
        assert_no_canary(&format!("stdout of {args:?}"), &stdout);
        assert_no_canary(&format!("stderr of {args:?}"), &stderr);
    }
}

#[test]
fn the_canary_is_really_replayed() {
    // Guard against a vacuous pass: the replay saw the canary's 128 keystrokes.
    let p = fixture();
    let (stdout, _, ok) = run(&["replay", "--json", p.to_str().expect("utf-8 path")]);
    assert!(ok);
    let v: serde_json::Value = serde_json::from_slice(&stdout).expect("json");
    assert_eq!(v["totals"]["keystrokes"], 128, "{v}");
}

#[test]
fn errors_about_a_corrupted_canary_do_not_quote_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string(fixture()).expect("canary fixture");
    // Break one event line in the middle: the error must name the line, not echo it.
    let broken: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i == 200 {
                l.replacen("E: ", "E: x", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let bad = dir.path().join("broken.evemu");
    std::fs::write(&bad, broken).expect("write");
    let (stdout, stderr, ok) = run(&["replay", bad.to_str().expect("utf-8 path")]);
    assert!(!ok, "a malformed trace must fail");
    let err = String::from_utf8_lossy(&stderr);
    assert!(
        err.contains("broken.evemu:201:"),
        "error must name file and line: {err}"
    );
    assert_no_canary("stderr", &stderr);
    assert_no_canary("stdout", &stdout);
}
