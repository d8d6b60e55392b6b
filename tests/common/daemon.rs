//! Running the real `typewarden daemon --replay` binary in tests: synthetic traces written
//! as evemu files, a journal socket of our own that captures the audit datagrams, and a
//! config file. Included with `#[path]` by the daemon tests.
#![allow(dead_code)]

use std::collections::HashMap;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;
use typewarden::eval::timeline::{raw_events, KeyRec};

/// Writes a key timeline as an evemu recording (the format `replay` reads).
pub fn write_evemu(path: &Path, keys: &[KeyRec]) {
    let mut s = String::from("# EVEMU 1.3\nN: Synthetic Test Keyboard\nI: 0003 1234 5678 0001\n");
    for e in raw_events(keys) {
        let (sec, usec) = (
            e.time_us.div_euclid(1_000_000),
            e.time_us.rem_euclid(1_000_000),
        );
        s.push_str(&format!(
            "E: {sec}.{usec:06} {:04x} {:04x} {}\n",
            e.kind, e.code, e.value
        ));
    }
    std::fs::write(path, s).expect("write trace");
}

/// Shifts a timeline by `dt_us`.
pub fn shifted(keys: Vec<KeyRec>, dt_us: i64) -> Vec<KeyRec> {
    keys.into_iter()
        .map(|k| KeyRec {
            code: k.code,
            press_us: k.press_us + dt_us,
            release_us: k.release_us + dt_us,
        })
        .collect()
}

/// A bound datagram socket standing in for journald's `/run/systemd/journal/socket`. A
/// thread drains it as journald would: a unix datagram queue holds only
/// `net.unix.max_dgram_qlen` (10) messages, so an unread socket would make the daemon's
/// sends fail and fall back to stderr.
pub struct Journal {
    pub path: PathBuf,
    got: std::sync::Arc<std::sync::Mutex<Vec<HashMap<String, String>>>>,
    raw: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
}

impl Journal {
    pub fn bind(dir: &Path) -> Self {
        let path = dir.join("journal.socket");
        let sock = UnixDatagram::bind(&path).expect("bind journal socket");
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let raw = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (sink, raw_sink) = (got.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            // Ends when the test's temp dir (and the socket file) goes; the fd stays open
            // until the process exits, which is harmless in a test binary.
            while let Ok(n) = sock.recv(&mut buf) {
                sink.lock().unwrap().push(parse(&buf[..n]));
                raw_sink.lock().unwrap().push(buf[..n].to_vec());
            }
        });
        Journal { path, got, raw }
    }

    /// Every datagram received so far, byte for byte.
    pub fn datagrams(&self) -> Vec<Vec<u8>> {
        std::thread::sleep(Duration::from_millis(100));
        self.raw.lock().unwrap().clone()
    }

    /// Every record received since the last call, as field maps.
    pub fn records(&self) -> Vec<HashMap<String, String>> {
        std::thread::sleep(Duration::from_millis(100));
        std::mem::take(&mut *self.got.lock().unwrap())
    }
}

fn parse(mut b: &[u8]) -> HashMap<String, String> {
    let mut m = HashMap::new();
    while !b.is_empty() {
        let line_end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
        let line = &b[..line_end];
        if let Some(eq) = line.iter().position(|&c| c == b'=') {
            m.insert(
                String::from_utf8_lossy(&line[..eq]).into(),
                String::from_utf8_lossy(&line[eq + 1..]).into(),
            );
            b = &b[(line_end + 1).min(b.len())..];
        } else {
            // Binary-safe form: NAME\n, u64 LE length, value, \n.
            let name = String::from_utf8_lossy(line).to_string();
            let rest = &b[line_end + 1..];
            let len = u64::from_le_bytes(rest[..8].try_into().expect("length")) as usize;
            m.insert(name, String::from_utf8_lossy(&rest[8..8 + len]).into());
            b = &rest[(8 + len + 1).min(rest.len())..];
        }
    }
    m
}

/// The `TYPEWARDEN_EVENT` names of `records`, in order.
pub fn events(records: &[HashMap<String, String>]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| r.get("TYPEWARDEN_EVENT").cloned())
        .collect()
}

/// Runs `typewarden daemon --replay FILES --speed SPEED` against the bus at `bus`, with its
/// state in `dir/state` and audit records sent to `journal`.
pub fn replay(
    bus: &str,
    dir: &Path,
    journal: &Journal,
    config: &str,
    files: &[PathBuf],
    speed: f64,
) -> Output {
    let out = replay_command(bus, dir, journal, config, files, speed)
        .output()
        .expect("run typewarden daemon");
    if !out.status.success() {
        panic!("daemon failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    out
}

/// The command [`replay`] runs, for a test that needs the daemon running alongside it.
pub fn replay_command(
    bus: &str,
    dir: &Path,
    journal: &Journal,
    config: &str,
    files: &[PathBuf],
    speed: f64,
) -> Command {
    let cfg = dir.join("typewarden.toml");
    std::fs::write(&cfg, config).expect("write config");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_typewarden"));
    cmd.arg("--config")
        .arg(&cfg)
        .arg("daemon")
        .arg("--state-dir")
        .arg(dir.join("state"));
    // A syslog socket that does not exist: a host's /dev/log is never written to.
    cmd.arg("--journal-socket")
        .arg(&journal.path)
        .arg("--syslog-socket")
        .arg(dir.join("no-syslog.socket"))
        .arg("--speed")
        .arg(speed.to_string());
    cmd.arg("--replay").args(files);
    cmd.env("DBUS_SYSTEM_BUS_ADDRESS", bus)
        .env("TYPEWARDEN_LOG", "info");
    cmd
}
