//! The live daemon end to end, on a real private dbus-daemon with python-dbusmock's logind
//! template standing in for logind (this host has no systemd as PID 1; see
//! tests/common/dbus.rs). The real `typewarden daemon --replay` binary reads synthetic
//! evemu recordings of two deterministic typists, tracks the mock's sessions, locks through
//! `LockSession`, stores profiles in a temp state dir and sends audit datagrams to a journal
//! socket of the test's own.

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
use daemon::{events, replay, shifted, write_evemu, Journal};
use std::path::PathBuf;
use std::time::Duration;

const OWNER: u64 = 11;
const IMPOSTOR: u64 = 29;
/// Shorter waits than the defaults, so unconfirmed locks finish quickly.
const QUICK: &str = "[session]\nlock_confirm_timeout_ms = 500\nsettle_ms = 0\n";

/// Owner typing for `n` keystrokes, then (optionally) a pause and `m` impostor keystrokes.
fn trace(dir: &std::path::Path, name: &str, n: usize, impostor: usize) -> PathBuf {
    let mut owner = Typist::new(OWNER, 1.0);
    let mut keys = owner.type_keys(n, 1_000_000);
    if impostor > 0 {
        let start = end_of(&keys) + 60_000_000;
        let mut other = Typist::new(IMPOSTOR, 1.0);
        keys.extend(shifted(other.type_keys(impostor, 0), start));
    }
    let path = dir.join(name);
    write_evemu(&path, &keys);
    path
}

fn count(evs: &[String], name: &str) -> usize {
    evs.iter().filter(|e| *e == name).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn genuine_typing_enrolls_and_never_locks() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "owner.evemu", 5000, 0);
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[t], 0.0);
    let evs = events(&journal.records());
    assert_eq!(count(&evs, "daemon_started"), 1, "{evs:?}");
    assert!(count(&evs, "enrollment_progress") >= 1, "{evs:?}");
    assert_eq!(count(&evs, "enrollment_complete"), 1, "{evs:?}");
    assert_eq!(count(&evs, "impostor_detected"), 0, "{evs:?}");
    assert!(env.mock.calls("LockSession").await.is_empty());
    assert!(
        dir.path().join("state/uid-1000.profile").is_file(),
        "profile saved"
    );
    assert_eq!(evs.last().map(String::as_str), Some("daemon_stopping"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impostor_locks_the_right_session_and_a_locker_confirms_it() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    env.mock.lock_session_emits_lock().await;
    let _locker = mock::spawn_locker(&env.mock.conn, "c1", Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "takeover.evemu", 3000, 600);
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[t], 0.0);
    let records = journal.records();
    let evs = events(&records);
    assert_eq!(
        env.mock.calls("LockSession").await,
        vec![vec!["c1".to_string()]],
        "{evs:?}"
    );
    for e in ["impostor_detected", "lock_requested", "lock_confirmed"] {
        assert_eq!(count(&evs, e), 1, "{e}: {evs:?}");
    }
    let impostor = records
        .iter()
        .find(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("impostor_detected"))
        .unwrap();
    assert_eq!(
        impostor.get("TYPEWARDEN_SESSION").map(String::as_str),
        Some("c1")
    );
    assert_eq!(
        impostor.get("TYPEWARDEN_UID").map(String::as_str),
        Some("1000")
    );
    assert_eq!(
        impostor.get("TYPEWARDEN_MODE").map(String::as_str),
        Some("enforce")
    );
    assert_eq!(
        impostor.get("SYSLOG_FACILITY").map(String::as_str),
        Some("10")
    );
    assert!(impostor.contains_key("MESSAGE_ID"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_mode_audits_without_locking() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "takeover.evemu", 3000, 600);
    let config = format!("mode = \"monitor\"\n{QUICK}");
    replay(&env.bus.address, dir.path(), &journal, &config, &[t], 0.0);
    let records = journal.records();
    let evs = events(&records);
    assert!(count(&evs, "impostor_detected") >= 1, "{evs:?}");
    assert_eq!(count(&evs, "lock_requested"), 0, "{evs:?}");
    assert!(env.mock.calls("LockSession").await.is_empty());
    let imp = records
        .iter()
        .find(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("impostor_detected"))
        .unwrap();
    assert_eq!(
        imp.get("TYPEWARDEN_MODE").map(String::as_str),
        Some("monitor")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_lock_escalates_as_configured() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let marker = dir.path().join("escalated");
    let t = trace(dir.path(), "takeover.evemu", 3000, 600);
    let config = format!(
        "{QUICK}escalation = {{ command = {{ argv = [\"/usr/bin/touch\", \"{}\"], timeout_ms = 5000 }} }}\n",
        marker.display()
    );
    replay(&env.bus.address, dir.path(), &journal, &config, &[t], 0.0);
    let evs = events(&journal.records());
    assert_eq!(count(&evs, "lock_not_confirmed"), 1, "{evs:?}");
    assert_eq!(count(&evs, "escalation"), 1, "{evs:?}");
    assert!(marker.exists(), "the escalation command ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_session_is_not_scored() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    env.mock.set_locked_hint("c1", true).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "typing.evemu", 3000, 600);
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[t], 0.0);
    let evs = events(&journal.records());
    assert_eq!(count(&evs, "enrollment_progress"), 0, "{evs:?}");
    assert_eq!(count(&evs, "impostor_detected"), 0, "{evs:?}");
    assert!(
        !dir.path().join("state/uid-1000.profile").exists(),
        "nothing learned at a lock screen"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profiles_are_per_user_and_survive_a_restart() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let owner = trace(dir.path(), "owner.evemu", 3000, 0);
    replay(
        &env.bus.address,
        dir.path(),
        &journal,
        QUICK,
        std::slice::from_ref(&owner),
        0.0,
    );
    let alice = std::fs::read(dir.path().join("state/uid-1000.profile")).unwrap();
    journal.records();
    // A restart: the stored profile is loaded, so no enrollment starts again.
    replay(
        &env.bus.address,
        dir.path(),
        &journal,
        QUICK,
        std::slice::from_ref(&owner),
        0.0,
    );
    let evs = events(&journal.records());
    assert_eq!(count(&evs, "enrollment_complete"), 0, "{evs:?}");
    // User switch: bob's typing goes to bob's profile; alice's file is untouched.
    env.mock.add_session("c2", "seat0", 1001, "bob").await;
    let before = std::fs::read(dir.path().join("state/uid-1000.profile")).unwrap();
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[owner], 0.0);
    assert!(dir.path().join("state/uid-1001.profile").is_file());
    assert_eq!(
        std::fs::read(dir.path().join("state/uid-1000.profile")).unwrap(),
        before
    );
    assert!(!alice.is_empty());
}

/// Issue 5: a configuration the daemon refuses is an audit record (file, line, key), and
/// startup stops with `file:line: key: what is wrong`.
#[test]
fn a_rejected_configuration_is_audited_and_stops_startup() {
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let cfg = dir.path().join("bad.toml");
    std::fs::write(&cfg, "mode = \"enforce\"\n[input]\nchater_ms = 5\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .arg("daemon")
        .arg("--journal-socket")
        .arg(&journal.path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml:3: input.chater_ms: unknown key (did you mean `chatter_ms`?)"),
        "{err}"
    );
    let records = journal.records();
    assert_eq!(events(&records), vec!["config_rejected"], "{records:?}");
    let r = &records[0];
    assert_eq!(r.get("TYPEWARDEN_LINE").map(String::as_str), Some("3"));
    assert_eq!(
        r.get("TYPEWARDEN_CONFIG_KEY").map(String::as_str),
        Some("input.chater_ms")
    );
    assert_eq!(r.get("PRIORITY").map(String::as_str), Some("3"));
}

/// F43: no journal socket and no syslog socket (containers, initrd, sandboxed units). The
/// daemon says so once, writes its audit records to stderr, never crashes, and still saves
/// the profile. (With a syslog socket: tests/daemon_syslog.rs.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_journal_socket_audit_goes_to_stderr_and_the_daemon_runs() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let t = trace(dir.path(), "owner.evemu", 300, 0);
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(&cfg, QUICK).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "0", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg("--journal-socket")
        .arg(dir.path().join("no-journal/socket"))
        .arg("--syslog-socket")
        .arg(dir.path().join("no-syslog/socket"))
        .arg("--replay")
        .arg(&t)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "warn")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(
        err.matches("audit records go to stderr").count(),
        1,
        "{err}"
    );
    let audit: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("typewarden[audit]: ") && !l.contains("journal socket"))
        .collect();
    assert!(
        audit[0].starts_with("typewarden[audit]: daemon_started "),
        "{err}"
    );
    assert!(
        audit
            .last()
            .unwrap()
            .starts_with("typewarden[audit]: daemon_stopping "),
        "{err}"
    );
    assert!(dir.path().join("state/uid-1000.profile").is_file());
}

/// Issue 5, F39: a user switch during the replay, on the real bus. Alice types, bob's
/// session takes the seat (the mock flips `Seat.ActiveSession`), the typing goes on: what
/// follows the switch is bob's. Alice's profile is saved at the switch and never touched
/// again (no typing after the switch reached her engine); bob's is created; nothing locks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_user_switch_swaps_profiles_and_never_mixes_typing() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "typing.evemu", 400, 0); // ~76 s of typing
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(
        &cfg,
        format!("[engine]\nmin_enroll_keystrokes = 100\n{QUICK}"),
    )
    .unwrap();
    let state = dir.path().join("state");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "20", "--state-dir"])
        .arg(&state)
        .arg("--journal-socket")
        .arg(&journal.path)
        .arg("--replay")
        .arg(&t)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut records = Vec::new();
    let uid_of = |r: &std::collections::HashMap<String, String>| {
        r.get("TYPEWARDEN_UID").cloned().unwrap_or_default()
    };
    let progress = |r: &std::collections::HashMap<String, String>| {
        r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("enrollment_progress")
    };
    // Alice's first quarter (25 keystrokes, ~0.25 s of the ~3.8 s replay): switch now.
    for _ in 0..100 {
        records.extend(journal.records());
        if records.iter().any(|r| progress(r) && uid_of(r) == "1000") {
            break;
        }
    }
    assert!(records.iter().any(|r| progress(r) && uid_of(r) == "1000"));
    env.mock.add_session("c2", "seat0", 1001, "bob").await;
    let alice_file = state.join("uid-1000.profile");
    let mut saved = None;
    for _ in 0..50 {
        if let Ok(b) = std::fs::read(&alice_file) {
            saved = Some(b);
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let saved = saved.expect("alice's profile is saved at the switch");
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    assert!(status.unwrap().success());
    records.extend(journal.records());
    assert_eq!(
        std::fs::read(&alice_file).unwrap(),
        saved,
        "typing after the switch reached alice's profile"
    );
    assert!(
        state.join("uid-1001.profile").is_file(),
        "bob's typing was learned"
    );
    let bob_first = records
        .iter()
        .position(|r| progress(r) && uid_of(r) == "1001")
        .expect("bob enrolls");
    assert!(
        records[bob_first..]
            .iter()
            .all(|r| !(progress(r) && uid_of(r) == "1000")),
        "alice enrolled after the switch"
    );
    let evs = events(&records);
    assert_eq!(count(&evs, "impostor_detected"), 0, "{evs:?}");
    assert!(env.mock.calls("LockSession").await.is_empty());
}

/// Issue 5: a state directory that will not survive a reboot (tmpfs) is audited as degraded
/// protection; the daemon still runs and saves there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_dir_on_tmpfs_is_audited_as_degraded_protection() {
    let shm = std::path::Path::new("/dev/shm");
    let tmpfs = nix::sys::statfs::statfs(shm)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::TMPFS_MAGIC);
    if !tmpfs {
        eprintln!("skipping: /dev/shm is not a tmpfs here");
        return;
    }
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir_in(shm).unwrap();
    let journal = Journal::bind(dir.path());
    let t = trace(dir.path(), "owner.evemu", 300, 0);
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(&cfg, QUICK).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "0", "--state-dir"])
        .arg(state.path())
        .arg("--journal-socket")
        .arg(&journal.path)
        .arg("--replay")
        .arg(&t)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = journal.records();
    let degraded: Vec<_> = records
        .iter()
        .filter(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("degraded_protection"))
        .filter_map(|r| r.get("TYPEWARDEN_REASON").cloned())
        .collect();
    assert!(
        degraded.iter().any(|r| r == "state_not_persistent"),
        "{degraded:?}"
    );
    assert!(state.path().join("uid-1000.profile").is_file());
}

/// Issue 5: a corrupt profile on disk is quarantined (kept under a new name, audited) and
/// enrollment restarts; the daemon runs on and saves a fresh profile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_profile_is_quarantined_audited_and_enrollment_restarts() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let state = dir.path().join("state");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let garbage = b"TWPF this is not a profile at all".to_vec();
    let path = state.join("uid-1000.profile");
    std::fs::write(&path, &garbage).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let t = trace(dir.path(), "owner.evemu", 300, 0);
    replay(&env.bus.address, dir.path(), &journal, QUICK, &[t], 0.0);
    let records = journal.records();
    let q = records
        .iter()
        .find(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("profile_quarantined"))
        .unwrap_or_else(|| panic!("{:?}", events(&records)));
    assert_eq!(
        q.get("TYPEWARDEN_PROFILE").map(String::as_str),
        Some("uid:1000")
    );
    let kept: Vec<_> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(".quarantined."))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(&kept[0]).unwrap(), garbage, "kept as it was");
    assert!(count(&events(&records), "enrollment_progress") >= 1);
    assert_ne!(
        std::fs::read(&path).unwrap(),
        garbage,
        "a fresh profile was saved"
    );
}

/// Issue 5: the trace clock drives the engine and the policy, so replaying as fast as
/// possible decides exactly like a paced replay: the same impostor record (keystrokes
/// evaluated, score, trust) at `--speed 0` and at `--speed 200`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_changes_pacing_not_decisions() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let config = format!(
        "mode = \"monitor\"\n[engine]\nmin_enroll_keystrokes = 150\nmax_enroll_keystrokes = 400\nmin_calibration = 20\n{QUICK}"
    );
    let mut seen = Vec::new();
    for speed in [0.0, 200.0] {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::bind(dir.path());
        let t = trace(dir.path(), "takeover.evemu", 500, 300);
        replay(&env.bus.address, dir.path(), &journal, &config, &[t], speed);
        let records = journal.records();
        let first = records
            .iter()
            .find(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("impostor_detected"))
            .unwrap_or_else(|| panic!("no impostor at speed {speed}: {:?}", events(&records)))
            .clone();
        let fields: Vec<Option<String>> = [
            "TYPEWARDEN_KEYSTROKES",
            "TYPEWARDEN_SCORE",
            "TYPEWARDEN_TRUST",
        ]
        .iter()
        .map(|k| first.get(*k).cloned())
        .collect();
        assert!(fields.iter().all(Option::is_some), "{first:?}");
        seen.push(fields);
    }
    assert_eq!(seen[0], seen[1]);
}

/// Issue 5, kiosk identity: everyone shares one local account and a root-owned file names
/// the person. The VDI launcher names the next employee by replacing the file while the
/// logind session stays the same: what is typed from then on is the new person's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_identity_file_names_the_typist_and_its_change_swaps_profiles() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipping: the identity file must be root-owned");
        return;
    }
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "kiosk").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    let ident = dir.path().join("ident");
    std::fs::create_dir(&ident).unwrap();
    let who = ident.join("kiosk-user");
    std::fs::write(&who, "jdoe\n").unwrap();
    let t = trace(dir.path(), "typing.evemu", 400, 0);
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(
        &cfg,
        format!(
            "[engine]\nmin_enroll_keystrokes = 100\n{QUICK}identity = {{ file = \"{}\" }}\n",
            who.display()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "20", "--state-dir"])
        .arg(&state)
        .arg("--journal-socket")
        .arg(&journal.path)
        .arg("--replay")
        .arg(&t)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "warn")
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let profile_of = |r: &std::collections::HashMap<String, String>| {
        (r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("enrollment_progress"))
            .then(|| r.get("TYPEWARDEN_PROFILE").cloned().unwrap_or_default())
    };
    let mut records = Vec::new();
    for _ in 0..100 {
        records.extend(journal.records());
        if records
            .iter()
            .any(|r| profile_of(r).as_deref() == Some("id:jdoe"))
        {
            break;
        }
    }
    assert!(records
        .iter()
        .any(|r| profile_of(r).as_deref() == Some("id:jdoe")));
    // The launcher's atomic replace: a temp file renamed over the old one.
    let tmp = ident.join(".kiosk-user.new");
    std::fs::write(&tmp, "asmith\n").unwrap();
    std::fs::rename(&tmp, &who).unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap();
    assert!(status.unwrap().success());
    records.extend(journal.records());
    let profiles: Vec<String> = records.iter().filter_map(profile_of).collect();
    let first_asmith = profiles
        .iter()
        .position(|p| p == "id:asmith")
        .unwrap_or_else(|| panic!("the new person never enrolled: {profiles:?}"));
    assert!(
        profiles[first_asmith..].iter().all(|p| p == "id:asmith"),
        "{profiles:?}"
    );
    let names: Vec<String> = std::fs::read_dir(&state)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
    for person in ["jdoe", "asmith"] {
        let file = format!("id-{}.profile", hex(person));
        assert!(names.contains(&file), "{person}: {names:?}");
    }
    assert!(!names.iter().any(|n| n.starts_with("uid-")), "{names:?}");
}
