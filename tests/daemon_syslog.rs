//! F43 through the live daemon: no journal socket, but a syslog daemon (a Unix datagram
//! socket of the test's own passed as `--syslog-socket`, standing in for `/dev/log`). Audit
//! records and operational logs both reach it, in the format syslog(3) sends, audit
//! records with facility authpriv and operational logs with facility daemon; stderr only
//! says where they went. The daemon runs on a real private dbus-daemon with
//! python-dbusmock's logind template (tests/common/dbus.rs).

mod common;
#[path = "common/daemon.rs"]
mod daemon;
#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use common::typist::Typist;
use daemon::write_evemu;
use std::os::unix::net::UnixDatagram;
use std::sync::{Arc, Mutex};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_journal_audit_and_logs_go_to_syslog() {
    let Some(env) = session_env::setup().await else {
        return;
    };
    env.mock.add_session("c1", "seat0", 1000, "alice").await;
    let dir = tempfile::tempdir().unwrap();
    let syslog = dir.path().join("dev-log");
    let sock = UnixDatagram::bind(&syslog).unwrap();
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = got.clone();
    // Drained as a syslog daemon would (an unread socket holds only 10 datagrams).
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = sock.recv(&mut buf) {
            sink.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into());
        }
    });
    let t = dir.path().join("owner.evemu");
    write_evemu(&t, &Typist::new(11, 1.0).type_keys(300, 1_000_000));
    let cfg = dir.path().join("typewarden.toml");
    std::fs::write(&cfg, "[session]\nsettle_ms = 0\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .arg("--config")
        .arg(&cfg)
        .args(["daemon", "--speed", "0", "--state-dir"])
        .arg(dir.path().join("state"))
        .arg("--journal-socket")
        .arg(dir.path().join("no-journal/socket"))
        .arg("--syslog-socket")
        .arg(&syslog)
        .arg("--replay")
        .arg(&t)
        .env("DBUS_SYSTEM_BUS_ADDRESS", &env.bus.address)
        .env("TYPEWARDEN_LOG", "info")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let lines = got.lock().unwrap().clone();
    let pid = out_pid(&lines);
    let audit: Vec<&str> = lines.iter().filter_map(|l| body(l, "<8")).collect();
    // authpriv (10) * 8 + severity: every audit record, first to last.
    assert!(
        audit
            .first()
            .is_some_and(|b| b.starts_with("daemon_started message_id=")),
        "{lines:#?}"
    );
    assert!(
        audit
            .last()
            .is_some_and(|b| b.starts_with("daemon_stopping message_id=")),
        "{lines:#?}"
    );
    assert!(audit.iter().any(|b| b.starts_with("device_added ")));
    // daemon (3) * 8 + severity: the operational log, saying where it goes.
    let ops: Vec<&str> = lines
        .iter()
        .filter_map(|l| body(l, "<2").or_else(|| body(l, "<3")))
        .collect();
    assert!(
        ops.iter()
            .any(|b| b.contains("operational logs go to the syslog socket")),
        "{lines:#?}"
    );
    assert!(lines
        .iter()
        .all(|l| l.contains(&format!(" typewarden[{pid}]: "))));
    // stderr holds the notes about the journal, and no record.
    assert!(err.contains("audit records go to syslog socket"), "{err}");
    assert!(
        err.lines()
            .filter(|l| l.starts_with("typewarden[audit]: "))
            .all(|l| l.contains("journal socket")),
        "{err}"
    );
    assert!(dir.path().join("state/uid-1000.profile").is_file());
}

/// The text after `typewarden[PID]: ` of a datagram whose `<PRI>` starts with `pri`.
fn body<'a>(line: &'a str, pri: &str) -> Option<&'a str> {
    line.starts_with(pri)
        .then(|| line.split_once("]: ").map(|(_, b)| b))
        .flatten()
}

/// The PID in the first datagram's tag.
fn out_pid(lines: &[String]) -> String {
    let first = lines.first().expect("nothing reached the syslog socket");
    let tag = first.split_once("typewarden[").expect("tag").1;
    tag.split_once(']').expect("pid").0.to_string()
}
