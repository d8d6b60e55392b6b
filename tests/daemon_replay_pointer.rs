//! Pointer traces through the live daemon (`typewarden daemon --replay`, the real binary)
//! on a real private dbus-daemon with python-dbusmock's logind template (as
//! tests/daemon_replay.rs): a recorded PS/2 mouse from `shared/traces` is read as a local
//! pointer on seat0 and learned into the stored profile; a synthetic session used only with
//! the mouse is enrolled, then a pointing impostor is locked through `LockSession`.

mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/mouser.rs"]
mod mouser;
#[path = "common/session_env.rs"]
mod session_env;

use daemon::{events, replay, Journal};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use typewarden::core::event::RawEvent;
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::store::{Identity, LoadOutcome, Store};

const QUICK: &str = "[session]\nlock_confirm_timeout_ms = 500\nsettle_ms = 0\n";

/// Writes raw events as an evemu recording without a description (`E:` lines only, as the
/// ChromeOS and PS/2 recordings are): the replay tells a pointer by its motion events.
fn write_events(path: &Path, evs: &[RawEvent]) {
    let mut s = String::from("# EVEMU 1.3\n");
    for e in evs {
        let (sec, usec) = (
            e.time_us.div_euclid(1_000_000),
            e.time_us.rem_euclid(1_000_000),
        );
        s.push_str(&format!(
            "E: {sec}.{usec:06} {:04x} {:04x} {}\n",
            e.kind, e.code, e.value
        ));
    }
    std::fs::write(path, s).unwrap();
}

fn stored(dir: &Path) -> StoredProfile {
    let store = Store::open(&dir.join("state")).unwrap();
    match store.load::<StoredProfile>(&Identity::Uid(1000)).unwrap() {
        LoadOutcome::Loaded(p) => p,
        other => panic!("expected a saved profile, got {other:?}"),
    }
}

fn with_event<'a>(
    records: &'a [HashMap<String, String>],
    name: &str,
) -> Vec<&'a HashMap<String, String>> {
    records
        .iter()
        .filter(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some(name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_mouse_is_read_as_a_pointer_and_learned() {
    let Some(traces) = common::shared_dir("traces") else {
        return;
    };
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let trace: PathBuf = traces.join("evemu-devices/PS2_Generic_Mouse.events");
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[trace], 0.0);
    let records = journal.records();
    let added = with_event(&records, "device_added");
    assert_eq!(added.len(), 1, "{:?}", events(&records));
    assert_eq!(
        added[0].get("TYPEWARDEN_DEVICE_CLASS").map(String::as_str),
        Some("pointer")
    );
    assert_eq!(with_event(&records, "impostor_detected").len(), 0);
    // 53 s of almost continuous PS/2 motion (a test wiggle, few pauses over 500 ms): a
    // handful of long movements (each closed after 512 frames, 8 s, or at a pause) are
    // learned into the profile; nothing typed.
    let p = stored(dir.path());
    println!(
        "PS/2 trace: {} pointer actions learned",
        p.pointer.actions()
    );
    assert!(p.pointer.actions() >= 5, "{:?}", p.pointer);
    assert_eq!(p.keys.maturity().keystrokes, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mouse_only_takeover_is_locked_through_logind() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    env.mock.lock_session_emits_lock().await;
    let _locker = mock::spawn_locker(&env.mock.conn, "c1", Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let mut owner = mouser::Mouser::new(3);
    let (mut raw, end) = owner.actions(900, 1_000_000);
    let (imp, _) = mouser::Mouser::new(41).actions(200, end + 60_000_000);
    raw.extend(imp);
    let trace = dir.path().join("takeover.evemu");
    write_events(&trace, &raw);
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[trace], 0.0);
    let records = journal.records();
    let evs = events(&records);
    assert_eq!(
        env.mock.calls("LockSession").await,
        vec![vec!["c1".to_string()]],
        "{evs:?}"
    );
    let detected = with_event(&records, "impostor_detected");
    assert_eq!(detected.len(), 1, "{evs:?}");
    assert_eq!(
        detected[0]
            .get("TYPEWARDEN_DEVICE_CLASS")
            .map(String::as_str),
        Some("pointer")
    );
    assert!(evs.contains(&"protection_restored".to_string()), "{evs:?}");
    assert!(stored(dir.path()).pointer.is_mature());
}
