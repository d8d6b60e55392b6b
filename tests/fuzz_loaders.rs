//! Fuzzing the three loaders that read files an attacker or a crash may have shaped
//! (issue 6): profiles (typing and pointer parts), configuration and recorded traces. proptest generates arbitrary
//! and mutated inputs; every case must end in a clean result (never a panic), and errors
//! must name their file and a line inside it.
//!
//! Bounded: `TYPEWARDEN_FUZZ_CASES` cases per target (default 256, a few seconds; CI runs
//! more, see .ci/run). proptest prints the failing input, shrunk, and its seed.

mod common;
#[path = "common/mouser.rs"]
mod mouser;
mod store_support;

use common::typist::{enrolled, timing, Typist};
use mouser::{enrolled_pointer, pointer_events, Mouser};
use proptest::prelude::*;
use std::path::Path;
use typewarden::config::{self, Source};
use typewarden::core::pointer::PointerEvent;
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::engine::pointer::PointerSource;
use typewarden::engine::{Engine, SourceKind};
use typewarden::store::{Identity, LoadOutcome, Persisted, Store};
use typewarden::trace::{self, Format};

const ID: Identity = Identity::Uid(1000);

fn cases() -> u32 {
    std::env::var("TYPEWARDEN_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: cases(),
        // Failures are reported with their seed; no regression files in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A payload (JSON) with both profiles mature, typing and pointer, made once.
fn payload() -> &'static [u8] {
    static P: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let e = enrolled(&mut Typist::new(11, 1.0), 3000);
        let p = StoredProfile {
            keys: e.profile().clone(),
            pointer: enrolled_pointer(3, 900),
        };
        assert!(p.keys.is_mature() && p.pointer.is_mature());
        serde_json::to_vec(&p).unwrap()
    })
}

/// Someone else's pointing, as the pointer events the reader would send, made once.
fn pointing() -> &'static [PointerEvent] {
    static P: std::sync::OnceLock<Vec<PointerEvent>> = std::sync::OnceLock::new();
    P.get_or_init(|| pointer_events(&Mouser::new(41).actions(150, 1_000_000).0, 2))
}

/// Writes `bytes` as the profile file (0600, as the store wants) and loads it.
fn load(bytes: &[u8]) -> LoadOutcome<StoredProfile> {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("state")).unwrap();
    let path = store.path_of(&ID);
    std::fs::write(&path, bytes).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let outcome = store
        .load::<StoredProfile>(&ID)
        .expect("a bad file is not a store error");
    if let LoadOutcome::Quarantined { .. } = outcome {
        assert!(!path.exists(), "quarantined but still in place");
    }
    outcome
}

/// A loaded profile must be usable: scoring pointing and typing with it never panics and
/// keeps the policy finite.
fn exercise(p: StoredProfile) {
    let mut e = Engine::with_profiles(Default::default(), p.keys, Default::default(), p.pointer);
    e.on_unlock(0);
    let mut out = Vec::new();
    for ev in pointing() {
        e.on_pointer(ev, PointerSource::Physical, &mut out);
    }
    let keys = Typist::new(29, 1.0).type_keys(300, 1_000_000_000);
    for t in timing(&keys, 1) {
        e.on_timing(&t, SourceKind::Keyboard, &mut out);
    }
    let (trust, level) = (e.policy().trust(), e.policy().level());
    assert!(
        trust.is_finite() && level.is_finite(),
        "trust {trust}, level {level}"
    );
}

fn container(payload: &[u8]) -> Vec<u8> {
    store_support::container(1, &StoredProfile::KIND, StoredProfile::VERSION, payload)
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes at all, or any bytes behind a valid header prefix.
    #[test]
    fn arbitrary_profile_files(bytes in prop::collection::vec(any::<u8>(), 0..600), header in any::<bool>()) {
        let bytes = if header {
            let mut b = container(&bytes);
            b.truncate(22);
            b.extend_from_slice(&bytes);
            b
        } else {
            bytes
        };
        match load(&bytes) {
            LoadOutcome::Loaded(p) | LoadOutcome::Migrated { profile: p, .. } => exercise(p),
            LoadOutcome::Missing => prop_assert!(false, "a file was there"),
            LoadOutcome::Quarantined { .. } | LoadOutcome::Newer { .. } => {}
        }
    }

    /// A real profile file with bytes changed, inserted or cut anywhere: caught by the
    /// checksum or length checks (quarantined), never loaded as something else.
    #[test]
    fn mutated_profile_files(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..8)) {
        let good = container(payload());
        let mut b = good.clone();
        for (at, byte, kind) in edits {
            let i = at.index(b.len().max(1));
            match kind {
                0 if !b.is_empty() => b[i] = byte,
                1 => b.insert(i.min(b.len()), byte),
                _ if !b.is_empty() => { b.remove(i); }
                _ => {}
            }
        }
        match load(&b) {
            LoadOutcome::Loaded(p) => {
                prop_assert_eq!(&b, &good, "a changed file loaded");
                exercise(p);
            }
            LoadOutcome::Quarantined { .. } | LoadOutcome::Newer { .. } => {}
            other => prop_assert!(false, "{other:?}"),
        }
    }

    /// A valid container whose JSON payload is edited (checksum recomputed, as a buggy or
    /// hostile writer would): validation quarantines it or it loads and scores safely.
    #[test]
    fn edited_profile_payloads(edits in prop::collection::vec((any::<prop::sample::Index>(), prop::sample::select(b"0123456789-.e,:[]{}\"x ".to_vec())), 1..6)) {
        let mut p = payload().to_vec();
        for (at, byte) in edits {
            let i = at.index(p.len());
            p[i] = byte;
        }
        match load(&container(&p)) {
            LoadOutcome::Loaded(profile) => exercise(profile),
            LoadOutcome::Quarantined { .. } => {}
            other => prop_assert!(false, "{other:?}"),
        }
    }

    /// Any text as a configuration file.
    #[test]
    fn arbitrary_config_text(text in "(?s).{0,400}") {
        check_config(&text)?;
    }

    /// The shipped defaults with one line's value replaced by something odd.
    #[test]
    fn mutated_config_values(line in any::<prop::sample::Index>(), value in prop::sample::select(vec![
        "-1", "0", "1e400", "18446744073709551616", "nan", "inf", "\"\"", "\"x\"", "[]", "[1, \"a\"]",
        "{}", "{ a = 1 }", "true", "\"enforce\"", "'''\n", "\"\\u0000\"", "1979-05-27",
    ])) {
        let lines: Vec<&str> = config::DEFAULTS_TOML.lines().collect();
        let i = line.index(lines.len());
        let mut out = String::new();
        for (n, l) in lines.iter().enumerate() {
            match l.split_once(" = ") {
                Some((k, _)) if n == i && !l.trim_start().starts_with('#') => {
                    out.push_str(&format!("{k} = {value}\n"));
                }
                _ => {
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
        check_config(&out)?;
    }

    /// Any bytes as a trace, in every format and detected.
    #[test]
    fn arbitrary_trace_bytes(bytes in prop::collection::vec(any::<u8>(), 0..800)) {
        check_trace(&bytes)?;
    }

    /// The repository's fixture recordings with lines dropped, doubled or edited.
    #[test]
    fn mutated_trace_fixtures(file in prop::sample::select(vec![
        "evemu-full.evemu", "evtest-full.txt", "libinput-two-devices.yml", "canary.evemu",
    ]), edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..10)) {
        let text = std::fs::read(common::fixture(file)).unwrap();
        let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
        for (at, kind, byte) in edits {
            let i = at.index(lines.len().max(1));
            match kind {
                0 if !lines.is_empty() => { lines.remove(i); }
                1 if !lines.is_empty() => { let l = lines[i].clone(); lines.insert(i, l); }
                2 if !lines.is_empty() && !lines[i].is_empty() => { let n = lines[i].len(); lines[i][byte as usize % n] = byte; }
                _ if !lines.is_empty() => {
                    let keep = byte as usize % (lines[i].len() + 1);
                    lines[i].truncate(keep);
                }
                _ => {}
            }
        }
        check_trace(&lines.join(&b'\n'))?;
    }
}

fn check_config(text: &str) -> Result<(), TestCaseError> {
    let file = Path::new("/etc/typewarden/fuzz.toml");
    let lines = text.lines().count().max(1);
    let defaults = config::parse(Source::Builtin, config::DEFAULTS_TOML).unwrap();
    match config::parse(Source::File(file.into()), text) {
        Ok(layer) => {
            // Merging a valid layer may still refuse (a range across keys); never panics.
            let _ = config::build(vec![defaults, layer]);
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("/etc/typewarden/fuzz.toml"), "{msg}");
            if let config::ConfigError::Invalid { line, .. }
            | config::ConfigError::Syntax { line, .. } = e
            {
                prop_assert!(
                    line >= 1 && line <= lines + 1,
                    "line {line} of {lines}: {msg}"
                );
            }
        }
    }
    Ok(())
}

fn check_trace(bytes: &[u8]) -> Result<(), TestCaseError> {
    let path = Path::new("fuzz.trace");
    let lines = bytes.split(|&b| b == b'\n').count();
    for format in Format::ALL.into_iter().map(Some).chain([None]) {
        if let Err(e) = trace::parse_as(path, bytes, format) {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fuzz.trace"), "{msg}");
            if let Some(line) = e.line() {
                prop_assert!(
                    line >= 1 && line <= lines + 1,
                    "line {line} of {lines}: {msg}"
                );
            }
        }
    }
    Ok(())
}
