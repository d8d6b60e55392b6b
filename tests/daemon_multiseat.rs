//! F37 at the daemon level: two seats, each with its user's session; an impostor types on
//! a keyboard of seat1, and the lock goes to seat1's session, never to seat0's.
//!
//! The real `typewarden daemon --replay` binary on a real private dbus-daemon with
//! python-dbusmock's logind template (tests/common/dbus.rs). Replayed devices are seat0
//! unless `--replay-seat` names another seat per trace (documented in typewarden(8)); the
//! seat1 device appearing is what makes the daemon follow seat1 (it restarts its logind
//! tracker for the new seat), exactly as a hot-plugged `ID_SEAT=seat1` keyboard does live.

mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use common::typist::{end_of, Typist};
use daemon::{events, replay_command, shifted, write_evemu, Journal};
use std::collections::HashMap;
use std::time::Duration;

const QUICK: &str = "[session]\nlock_confirm_timeout_ms = 500\nsettle_ms = 0\n";

fn field<'a>(r: &'a HashMap<String, String>, k: &str) -> Option<&'a str> {
    r.get(k).map(String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impostor_on_a_seat1_keyboard_locks_seat1s_session_only() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    env.mock.add_session("c2", "seat1", 1001, "bob").await;
    env.mock.lock_session_emits_lock().await;
    // Both sessions have a locker: a lock sent to the wrong one would be confirmed too.
    let _l1 = mock::spawn_locker(&env.mock.conn, "c1", Duration::ZERO).await;
    let _l2 = mock::spawn_locker(&env.mock.conn, "c2", Duration::ZERO).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    // seat0: alice types a little (she is not locked, and not enrolled either).
    let alice = dir.path().join("seat0.evemu");
    write_evemu(&alice, &Typist::new(11, 1.0).type_keys(300, 1_000_000));
    // seat1: bob enrolls, then someone else takes over his keyboard.
    let mut keys = Typist::new(13, 1.0).type_keys(3000, 1_000_000);
    let start = end_of(&keys) + 60_000_000;
    keys.extend(shifted(Typist::new(29, 1.0).type_keys(600, 0), start));
    let bob = dir.path().join("seat1.evemu");
    write_evemu(&bob, &keys);

    let mut cmd = replay_command(
        &env.bus.address,
        dir.path(),
        &journal,
        QUICK,
        &[alice, bob],
        0.0,
    );
    cmd.args(["--replay-seat", "seat0", "seat1"]);
    let out = cmd.output().expect("run typewarden daemon");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "daemon failed: {stderr}");

    assert_eq!(
        env.mock.calls("LockSession").await,
        vec![vec!["c2".to_string()]],
        "{stderr}"
    );
    let records = journal.records();
    let evs = events(&records);
    let one = |name: &str| {
        let found: Vec<_> = records
            .iter()
            .filter(|r| field(r, "TYPEWARDEN_EVENT") == Some(name))
            .collect();
        assert_eq!(found.len(), 1, "{name}: {evs:?}");
        found[0]
    };
    for name in ["impostor_detected", "lock_requested", "lock_confirmed"] {
        let r = one(name);
        assert_eq!(field(r, "TYPEWARDEN_SESSION"), Some("c2"), "{name}");
        assert_eq!(field(r, "TYPEWARDEN_SEAT"), Some("seat1"), "{name}");
        assert_eq!(field(r, "TYPEWARDEN_UID"), Some("1001"), "{name}");
    }
    let seats: Vec<_> = records
        .iter()
        .filter(|r| field(r, "TYPEWARDEN_EVENT") == Some("device_added"))
        .filter_map(|r| field(r, "TYPEWARDEN_SEAT"))
        .collect();
    assert_eq!(seats, vec!["seat0", "seat1"]);
    let state = dir.path().join("state");
    assert!(state.join("uid-1001.profile").is_file(), "bob enrolled");
    assert!(stderr.contains("following a new seat"), "{stderr}");
}

#[test]
fn more_replay_seats_than_traces_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = dir.path().join("t.evemu");
    write_evemu(&t, &Typist::new(11, 1.0).type_keys(5, 0));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .args(["daemon", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg("--journal-socket")
        .arg(dir.path().join("none.socket"))
        .arg("--replay")
        .arg(&t)
        .args(["--replay-seat", "seat0", "seat1"])
        .env("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--replay-seat: 2 seats for 1 traces"), "{err}");
}
