//! The live daemon (the real binary, no `--replay`) on a system without `/dev/input`: a
//! fresh container or VM with no input device yet. It must stay up, audit at once that
//! nothing is read (`degraded_protection`, `no_readable_keyboard`: F40, never silently
//! read nothing), keep trying the input monitor, and pick it up once `/dev/input` appears,
//! instead of a dead input task and one stderr line (found by review).
//!
//! The condition is made, not assumed: the daemon runs in a private mount namespace
//! (`unshare -m`, root) with an empty tmpfs over `/dev` and over `/run/udev` (so no udevd is
//! detected); `/dev/input` is created there 3 s after start. A real private dbus-daemon
//! with python-dbusmock's logind template (tests/common/dbus.rs). Without root or
//! `unshare` the test is skipped with the reason.

mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use daemon::Journal;
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn can_unshare() -> bool {
    nix::unistd::geteuid().is_root()
        && Command::new("unshare")
            .args(["-m", "true"])
            .status()
            .is_ok_and(|s| s.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_dev_input_the_daemon_audits_that_nothing_is_read_and_keeps_trying() {
    if !can_unshare() {
        println!("skipping: needs root and unshare(1) for a private mount namespace");
        return;
    }
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::bind(dir.path());
    // `exec` keeps the daemon's PID the one we started, so it is stopped by that PID.
    let script = concat!(
        "mount -t tmpfs none /dev && ",
        "{ [ ! -d /run/udev ] || mount -t tmpfs none /run/udev; } && ",
        "{ sleep 3; mkdir /dev/input; } & ",
        "exec \"$0\" \"$@\""
    );
    let mut child = Command::new("unshare")
        .args(["-m", "--propagation", "private", "sh", "-c", script])
        .arg(env!("CARGO_BIN_EXE_typewarden"))
        .args(["daemon", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg("--journal-socket")
        .arg(&journal.path)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "info")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the daemon");
    let pid = Pid::from_raw(child.id() as i32);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = Vec::new();
    let found = loop {
        seen.extend(journal.records());
        let hit = seen.iter().any(|r| {
            r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some("degraded_protection")
                && r.get("TYPEWARDEN_REASON").map(String::as_str) == Some("no_readable_keyboard")
        });
        if hit || Instant::now() > deadline {
            break hit;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Past /dev/input's creation and the next monitor retry (5 s after the first try).
    std::thread::sleep(Duration::from_secs(7));
    let alive = child.try_wait().expect("wait").is_none();
    kill(pid, Signal::SIGTERM).expect("SIGTERM the daemon by its PID");
    let out = child.wait_with_output().expect("daemon output");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        found,
        "no no_readable_keyboard record: {:?}",
        daemon::events(&seen)
    );
    assert!(alive, "the daemon exited: {stderr}");
    assert!(out.status.success(), "stop: {:?} {stderr}", out.status);
    assert!(
        stderr.contains("retrying every 5s"),
        "the operator is told it keeps trying: {stderr}"
    );
    // The retry found /dev/input and enumerated it (the manager's F40 summary line).
    assert!(
        stderr.contains("0 keyboards visible, 0 unreadable"),
        "the monitor was never created: {stderr}"
    );
}
