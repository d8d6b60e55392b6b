//! Authorization of the D-Bus API (issue 6), end to end: the real daemon and CLI binaries
//! on a private dbus-daemon running Debian's system-bus policy plus
//! packaging/dbus/io.github.typewarden1.conf, python-dbusmock's polkitd and logind standing
//! in for polkit and logind (see tests/common/api_env.rs). Clients run as uid 1000 (the
//! session owner) and nobody; root skips polkit.
//!
//! - every method is denied when polkit says no, and allowed by exactly its own action;
//!   polkit is asked with the caller's unique bus name as a `system-bus-name` subject;
//! - every denied and allowed admin or self-service call is audited with the caller's uid;
//! - what unprivileged callers get never holds trust, sessions or pauses;
//! - a hanging polkit neither stalls the daemon nor lets one uid pile up calls;
//! - deleting one's own profile erases it and its quarantined copies for good.

#[path = "common/api_env.rs"]
mod api_env;
mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;

use api_env::*;
use common::typist::{enrolled, Typist};
use std::time::{Duration, Instant};
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::store::{Identity, Store};

/// An environment with alice's mature profile on disk and her session active on seat0.
async fn with_alice() -> Option<ApiEnv> {
    let mut env = ApiEnv::start().await?;
    let engine = enrolled(&mut Typist::new(11, 1.0), 3000);
    let store = Store::open(&env.state()).unwrap();
    store
        .save(
            &Identity::Uid(ALICE),
            &StoredProfile::from(engine.profile().clone()),
        )
        .unwrap();
    env.logind.add_session("c1", "seat0", ALICE, "alice").await;
    env.start_daemon().await;
    env.wait_session("c1").await;
    Some(env)
}

/// (command line, the polkit action it needs, exit code when allowed).
const MATRIX: &[(&str, &str, i32)] = &[
    ("status", STATUS, 0),
    ("status --admin", ADMIN, 0),
    ("profile show", SELF, 0),
    ("profile show uid:1001", ADMIN, 5),
    ("profile list", ADMIN, 0),
    ("pause 5m", ADMIN, 0),
    ("resume", ADMIN, 0),
    ("reload", ADMIN, 0),
    ("mode monitor", ADMIN, 0),
    ("profile reset uid:1000", ADMIN, 0),
    ("profile delete uid:1001", ADMIN, 5),
    // Last: it erases alice's profile.
    ("profile delete", SELF_DELETE, 0),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_method_is_denied_by_polkit_and_allowed_by_its_own_action() {
    let Some(env) = with_alice().await else {
        return;
    };
    env.record_checks().await;
    env.allow(&[]).await;
    for (line, action, _) in MATRIX {
        let args: Vec<&str> = line.split(' ').collect();
        let (code, out, err) = outcome(&env.cli(ALICE, &args));
        assert_eq!(
            code, 4,
            "{line}: denied must exit 4; stdout {out} stderr {err}"
        );
        assert!(
            err.contains(action),
            "{line}: the message names {action}: {err}"
        );
        assert!(
            out.is_empty(),
            "{line}: nothing on stdout when denied: {out}"
        );
    }
    // Allowed by its own action only: every other action stays denied.
    for (line, action, allowed_code) in MATRIX {
        let others: Vec<&str> = [STATUS, SELF, SELF_DELETE, ADMIN]
            .into_iter()
            .filter(|a| a != action)
            .collect();
        let args: Vec<&str> = line.split(' ').collect();
        env.allow(&others).await;
        let (code, _, err) = outcome(&env.cli(ALICE, &args));
        assert_eq!(code, 4, "{line} allowed by another action: {err}");
        env.allow(&[action]).await;
        let (code, out, err) = outcome(&env.cli(ALICE, &args));
        assert_eq!(
            code, *allowed_code,
            "{line} with {action}: stdout {out} stderr {err}"
        );
    }
    // polkit was asked about the caller itself, never about a pid, and not allowed to ask
    // for a password (stdin is no terminal).
    let checks = env.checks().await;
    assert_eq!(checks.len(), MATRIX.len() * 3, "{checks:?}");
    for c in &checks {
        assert_eq!(c.subject_kind, "system-bus-name", "{c:?}");
        assert!(c.subject_name.starts_with(":1."), "{c:?}");
        assert_eq!(c.flags, 0, "{c:?}");
    }
    let asked: Vec<&str> = checks.iter().map(|c| c.action.as_str()).collect();
    let expected: Vec<&str> = MATRIX.iter().map(|(_, a, _)| *a).collect();
    assert_eq!(asked[..MATRIX.len()], expected[..], "the denied pass");
    for (pair, action) in asked[MATRIX.len()..].chunks(2).zip(&expected) {
        assert_eq!(pair, [*action, *action], "the allowed pass");
    }
    // Every call but the public status was audited with alice's uid, allowed or denied.
    let admin = env.records("admin_action");
    let by_alice = admin
        .iter()
        .filter(|r| r["TYPEWARDEN_CALLER_UID"] == "1000")
        .count();
    let audited = MATRIX.iter().filter(|(l, _, _)| *l != "status").count();
    assert_eq!(by_alice, audited * 3, "{admin:#?}");
    let denied = admin
        .iter()
        .filter(|r| r["TYPEWARDEN_DECISION"] == "denied")
        .count();
    assert_eq!(denied, audited * 2);
    let mode = admin
        .iter()
        .find(|r| r["TYPEWARDEN_ACTION"] == "set_mode" && r["TYPEWARDEN_DECISION"] == "allowed")
        .expect("set_mode audited");
    assert_eq!(
        mode.get("TYPEWARDEN_ARGUMENT").map(String::as_str),
        Some("monitor")
    );
    // Root is not asked about (systemd's rule), and still audited.
    env.clear_checks().await;
    let (code, out, _) = outcome(&env.cli(0, &["profile", "list", "--json"]));
    assert_eq!(code, 0);
    assert!(out.trim_start().starts_with('['), "{out}");
    assert!(env.checks().await.is_empty());
    assert!(env
        .records("admin_action")
        .iter()
        .any(|r| r["TYPEWARDEN_CALLER_UID"] == "0" && r["TYPEWARDEN_ACTION"] == "list_profiles"));
}

fn keys(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unprivileged_callers_never_see_trust_sessions_or_pauses() {
    let Some(env) = with_alice().await else {
        return;
    };
    env.allow(&[STATUS, SELF]).await;
    assert_eq!(outcome(&env.cli(0, &["pause", "10m"])).0, 0);
    for uid in [ALICE, NOBODY] {
        let (code, out, err) = outcome(&env.cli(uid, &["status", "--json"]));
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            keys(&out),
            ["api_version", "keyboards", "mode", "version"],
            "{out}"
        );
    }
    let (code, out, err) = outcome(&env.cli(ALICE, &["profile", "show", "--json"]));
    assert_eq!(code, 0, "{err}");
    let k = keys(&out);
    for present in [
        "state",
        "keystrokes",
        "coverage",
        "enrollment_percent",
        "pointer_enrollment_percent",
        "pointer_actions",
        "hold_ms",
        "file_path",
        "file_size",
        "file_mtime",
    ] {
        assert!(k.iter().any(|x| x == present), "{present} missing: {out}");
    }
    for absent in [
        "trust",
        "suspicion",
        "lock_level",
        "sessions",
        "paused",
        "scoring",
    ] {
        assert!(!k.iter().any(|x| x == absent), "{absent} leaked: {out}");
    }
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["state"], "protecting", "{out}");
    assert_eq!(v["profile"], "uid:1000");
    assert_eq!(v["enrollment_percent"], 100);
    // Typed only: the pointer profile is still in training, with nothing learned.
    assert_eq!(v["pointer_actions"], 0, "{out}");
    assert_eq!(v["pointer_enrollment_percent"], 0, "{out}");
    let hold = v["hold_ms"]
        .as_array()
        .expect("hold_ms is [typical, low, high]");
    let (t, lo, hi) = (
        hold[0].as_f64().unwrap(),
        hold[1].as_f64().unwrap(),
        hold[2].as_f64().unwrap(),
    );
    assert!(lo < t && t < hi && t > 10.0 && t < 1000.0, "{hold:?}");
    // Text output, for people.
    let (code, out, _) = outcome(&env.cli(ALICE, &["profile", "show"]));
    assert_eq!(code, 0);
    assert!(
        out.contains("state:        protecting, enrollment: typing 100%, pointer 0%"),
        "{out}"
    );
    assert!(out.contains("pointer:      0 actions"), "{out}");
    assert!(out.contains("never what was typed"), "{out}");
    // The administrator's status has them.
    let (code, out, _) = outcome(&env.cli(0, &["status", "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["paused"], true);
    let s = &v["sessions"][0];
    assert_eq!(
        (s["session"].as_str(), s["uid"].as_u64()),
        (Some("c1"), Some(1000)),
        "{out}"
    );
    assert_eq!(s["state"], "protecting");
    assert!(
        s["trust"]
            .as_f64()
            .is_some_and(|t| (0.0..=100.0).contains(&t)),
        "{out}"
    );
    assert_eq!(s["scoring"], false, "paused: nothing is scored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_polkit_never_stalls_the_daemon() {
    let Some(env) = with_alice().await else {
        return;
    };
    env.hang_polkit().await;
    // Four calls of one uid hang in polkit; the fifth is refused at once.
    let spawn = |uid: u32| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"));
        c.arg("status")
            .env_clear()
            .env("DBUS_SYSTEM_BUS_ADDRESS", &env.address)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        std::os::unix::process::CommandExt::uid(&mut c, uid);
        c.spawn().unwrap()
    };
    let started = Instant::now();
    let hanging: Vec<_> = (0..4).map(|_| spawn(NOBODY)).collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let t = Instant::now();
    let (code, _, err) = outcome(&env.cli(NOBODY, &["status"]));
    assert_eq!(
        code, 6,
        "the fifth call of one uid is refused as busy: {err}"
    );
    assert!(t.elapsed() < Duration::from_secs(3));
    // Other callers go on: root needs no polkit, and the loop answers at once.
    let t = Instant::now();
    let (code, out, err) = outcome(&env.cli(0, &["status"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("session c1"), "{out}");
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "root waited {:?}",
        t.elapsed()
    );
    // The hanging checks end as denials after the deadline (10 s), not never.
    for child in hanging {
        let o = child.wait_with_output().unwrap();
        let (code, _, err) = outcome(&o);
        assert_eq!(code, 4, "{err}");
        assert!(err.contains("did not answer"), "{err}");
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(30),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_ones_own_profile_erases_it_and_its_quarantined_copies_for_good() {
    let Some(mut env) = with_alice().await else {
        return;
    };
    let state = env.state();
    let q = state.join("uid-1000.profile.quarantined.1700000000");
    std::fs::write(&q, b"an old damaged copy").unwrap();
    let bob = state.join("uid-1001.profile.quarantined.1700000000");
    std::fs::write(&bob, b"another user's copy").unwrap();
    env.allow(&[SELF, SELF_DELETE]).await;
    let (code, out, _) = outcome(&env.cli(ALICE, &["profile", "show", "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["quarantined_copies"], 1);
    let (code, out, err) = outcome(&env.cli(ALICE, &["profile", "delete"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "profile uid:1000 deleted\n");
    assert!(!state.join("uid-1000.profile").exists() && !q.exists());
    assert!(bob.exists(), "only the caller's files go");
    let (code, _, err) = outcome(&env.cli(ALICE, &["profile", "show"]));
    assert_eq!(code, 5, "{err}");
    let (code, _, _) = outcome(&env.cli(ALICE, &["profile", "delete"]));
    assert_eq!(code, 5, "nothing left to delete");
    // The session goes on; stopping the daemon saves profiles, and must not bring it back.
    env.stop_daemon().await;
    assert!(
        !state.join("uid-1000.profile").exists(),
        "the erased profile came back"
    );
    let deleted = env
        .records("admin_action")
        .into_iter()
        .filter(|r| {
            r["TYPEWARDEN_ACTION"] == "delete_profile" && r["TYPEWARDEN_DECISION"] == "allowed"
        })
        .count();
    assert_eq!(deleted, 2);
}
