//! The privacy boundary, proven with a canary: `tests/fixtures/traces/canary.evemu` is a
//! recording of the made-up phrase below, typed four times. Nothing the program prints, logs
//! or writes may contain the phrase, its key-code sequence or its scancode sequence, as text
//! (decimal or hex, with common separators) or as binary (u8, u16 or u32 little-endian).
//!
//! Outputs covered: `replay` (text and `--json`) stdout and stderr, trace errors, and the
//! live daemon fed the canary through `daemon --replay` with every log level on: its stdout,
//! stderr (operational logs), every audit datagram it sent to the journal socket, and every
//! file it left in its state directory (profiles). The key-slot sequence (the form key codes
//! take past the privacy boundary) is a needle too.
//!
//! The API tier adds its outputs too: the real daemon replays the canary into a session on a
//! private bus, then its profile file, its audit datagrams, its log, and every D-Bus reply
//! the CLI prints (status, profile list and show, as JSON and text) go through
//! [`assert_no_canary`].

#[path = "common/api_env.rs"]
mod api_env;
mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

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

fn slot(c: char) -> u32 {
    let code = u16::try_from(key_code(c)).expect("small code");
    u32::from(
        typewarden::core::keyslot::slot_for_code(code)
            .expect("a letter has a slot")
            .0,
    )
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
            ("key slot", slot),
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
            if what != "scancode" {
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
fn the_fixture_is_the_canary_and_the_detector_finds_it() {
    // The fixture really types the phrase (four times)…
    let trace = typewarden::trace::load(&fixture()).expect("canary fixture parses");
    let typed: String = trace.devices[0]
        .events
        .iter()
        .filter(|e| e.kind == typewarden::core::event::EV_KEY && e.value == 1)
        .map(|e| {
            ('a'..='z')
                .chain([' '])
                .find(|&c| key_code(c) == u32::from(e.code))
                .expect("a phrase key")
        })
        .collect();
    assert_eq!(typed, [PHRASE; 4].concat());
    // …and every rendering family is recognised, or this test could never fail.
    let codes: Vec<u32> = PHRASE.chars().map(key_code).collect();
    let scans: Vec<u32> = PHRASE.chars().map(scancode).collect();
    let dec = codes
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let hex = scans
        .iter()
        .map(|v| format!("0x{v:x}"))
        .collect::<Vec<_>>()
        .join(" ");
    let u16le: Vec<u8> = codes
        .iter()
        .flat_map(|&c| (c as u16).to_le_bytes())
        .collect();
    let u32le: Vec<u8> = scans.iter().flat_map(|c| c.to_le_bytes()).collect();
    let slots: Vec<u8> = PHRASE.chars().map(|c| slot(c) as u8).collect();
    let upper = PHRASE.to_uppercase();
    let haystacks: [&[u8]; 6] = [
        upper.as_bytes(),
        dec.as_bytes(),
        hex.as_bytes(),
        &u16le,
        &u32le,
        &slots,
    ];
    for hay in haystacks {
        let caught = std::panic::catch_unwind(|| assert_no_canary("sample", hay));
        assert!(
            caught.is_err(),
            "the detector misses a rendering of the canary"
        );
    }
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

#[test]
fn pointer_data_of_a_composite_node_never_contains_the_canary() {
    // The canary typed on a keyboard with a built-in touchpad: the same node also sends
    // motion and clicks between the keys. What the pointer path produces (actions, their
    // debug form, the profile learned from them) must hold none of the typing.
    use typewarden::core::event::{RawEvent, EV_KEY, EV_REL, EV_SYN};
    use typewarden::core::pointer::{PointerEvent, PointerTap, SegmentParams};
    use typewarden::core::timing::DeviceId;
    use typewarden::engine::pointer::wire::PointerProfileFile;
    use typewarden::engine::pointer::{PointerParams, PointerProfile};
    let trace = typewarden::trace::load(&fixture()).expect("canary fixture parses");
    let keys = &trace.devices[0].events;
    let (t0, t1) = (keys[0].time_us, keys[keys.len() - 1].time_us);
    let mut evs: Vec<RawEvent> = keys.clone();
    let mut t = t0;
    let mut i = 0i64;
    while t < t1 {
        // Movements of 12 frames every 1.5 s, then a click, across the typing.
        for k in 0..12 {
            let tt = t + k * 8_000;
            evs.push(RawEvent::new(tt, EV_REL, 0, 3 + (i % 5) as i32));
            evs.push(RawEvent::new(tt, EV_REL, 1, -2));
            evs.push(RawEvent::new(tt, EV_SYN, 0, 0));
        }
        evs.push(RawEvent::new(t + 200_000, EV_KEY, 0x110, 1));
        evs.push(RawEvent::new(t + 200_000, EV_SYN, 0, 0));
        evs.push(RawEvent::new(t + 290_000, EV_KEY, 0x110, 0));
        evs.push(RawEvent::new(t + 290_000, EV_SYN, 0, 0));
        t += 1_500_000;
        i += 1;
    }
    evs.sort_by_key(|e| e.time_us);
    let mut tap = PointerTap::new(DeviceId(1), SegmentParams::default());
    let mut out = Vec::new();
    for e in &evs {
        tap.push(e, &mut out);
    }
    tap.finish(t1, &mut out);
    assert!(
        out.len() > 10,
        "the pointer path saw the touchpad: {}",
        out.len()
    );
    let p = PointerParams::default();
    let mut prof = PointerProfile::new();
    for e in &out {
        if let PointerEvent::Action { action, .. } = e {
            prof.learn(action, &p);
        }
    }
    assert_no_canary("pointer events (debug)", format!("{out:?}").as_bytes());
    let json = serde_json::to_vec(&PointerProfileFile::from(&prof)).expect("json");
    assert_no_canary("pointer profile", &json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_its_profile_audit_records_and_api_replies_never_contain_the_canary() {
    let Some(mut env) = api_env::ApiEnv::start().await else {
        return;
    };
    env.logind.add_session("c1", "seat0", 1000, "alice").await;
    let replay = daemon::replay(
        &env.address,
        env.dir.path(),
        &env.journal,
        "[session]\nsettle_ms = 0\n",
        &[fixture()],
        0.0,
    );
    let profile = std::fs::read(env.state().join("uid-1000.profile")).expect("profile saved");
    assert_no_canary("profile", &profile);
    assert_no_canary("daemon stdout", &replay.stdout);
    assert_no_canary("daemon stderr", &replay.stderr);
    env.start_daemon().await;
    env.wait_session("c1").await;
    let mut seen = 0;
    for args in [
        &["status", "--json"][..],
        &["status"],
        &["profile", "list", "--json"],
        &["profile", "list"],
        &["profile", "show", "uid:1000", "--json"],
        &["profile", "show", "uid:1000"],
    ] {
        let out = env.cli(0, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_no_canary(&format!("{args:?}"), &out.stdout);
        seen += usize::from(String::from_utf8_lossy(&out.stdout).contains("uid:1000"));
    }
    assert!(seen >= 4, "the replies describe the canary's profile");
    env.stop_daemon().await;
    assert_no_canary("daemon log", env.daemon_log().as_bytes());
    let mut audit = Vec::new();
    for event in [
        "daemon_started",
        "enrollment_progress",
        "admin_action",
        "device_added",
        "daemon_stopping",
    ] {
        for r in env.records(event) {
            for (k, v) in r {
                audit.extend_from_slice(format!("{k}={v}\n").as_bytes());
            }
        }
    }
    assert!(audit.len() > 200, "audit records arrived");
    assert_no_canary("audit records", &audit);
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_daemon_never_writes_the_canary_anywhere() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = daemon::Journal::bind(dir.path());
    // A quick enrollment, so the profile written holds per-key and per-digraph tables and
    // the audit trail carries enrollment records, not just a start and a stop.
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(
        &cfg,
        "[engine]\nmin_enroll_keystrokes = 50\nmax_enroll_keystrokes = 100\nmin_calibration = 10\n[session]\nsettle_ms = 0\n",
    )
    .expect("config");
    let state = dir.path().join("state");
    let out = Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "0", "--state-dir"])
        .arg(&state)
        .arg("--journal-socket")
        .arg(&journal.path)
        .arg("--replay")
        .args(vec![fixture(); 8]) // the phrase 32 times: 1,024 keystrokes
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "trace")
        .output()
        .expect("run the daemon");
    assert!(
        out.status.success(),
        "daemon failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_no_canary("daemon stdout", &out.stdout);
    assert_no_canary("daemon stderr (logs at trace level)", &out.stderr);
    let datagrams = journal.datagrams();
    for d in &datagrams {
        assert_no_canary("an audit datagram", d);
    }
    let mut files = Vec::new();
    files_under(&state, &mut files);
    for f in &files {
        assert_no_canary(
            &format!("state file {}", f.display()),
            &std::fs::read(f).expect("read state file"),
        );
    }
    // Guards against a vacuous pass: the daemon logged, audited, enrolled and saved.
    assert!(!out.stderr.is_empty(), "no operational logs were captured");
    let records = journal.records();
    let events = daemon::events(&records);
    assert!(
        events.iter().any(|e| e == "enrollment_complete"),
        "{events:?}"
    );
    assert_eq!(datagrams.len(), records.len());
    assert!(
        files.iter().any(|f| f.ends_with("uid-1000.profile")),
        "{files:?}"
    );
}
