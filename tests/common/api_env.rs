//! The control-surface test environment: a private `dbus-daemon` running Debian's own
//! system-bus configuration (`/usr/share/dbus-1/system.conf`) with the real
//! `packaging/dbus/io.github.typewarden1.conf` included, python-dbusmock's `logind` and
//! `polkitd` templates on it, and the real `typewarden daemon` binary serving the API.
//!
//! Real parts: the bus daemon and its policy engine, our bus policy file, the D-Bus wire
//! protocol, the daemon binary and the CLI binary, each client run under the uid it claims
//! (std's `CommandExt::uid`, the tests run as root). Test doubles: logind and polkitd
//! (python-dbusmock; they need systemd and the polkit daemon, which this host cannot run).
//! The polkit mock's `CheckAuthorization` is replaced by one that records its arguments and
//! answers from the template's allowed-actions list, so tests see the subject and flags.
//!
//! Skips ("skipping: …") without root, dbus-daemon, system.conf or dbusmock, unless
//! `TYPEWARDEN_REQUIRE_DATA=1`. Every process is stopped by PID on drop.
#![allow(dead_code)]

use super::daemon::{write_evemu, Journal};
use super::dbus::{connect, DBUS_DAEMON, PYTHON};
use super::mock::Mock;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use typewarden::eval::timeline::KeyRec;
use zbus::zvariant::{OwnedValue, Value};

pub const NAME: &str = "io.github.typewarden1";
pub const PATH: &str = "/io/github/typewarden1";
pub const POLKIT: &str = "org.freedesktop.PolicyKit1";
const POLKIT_PATH: &str = "/org/freedesktop/PolicyKit1/Authority";
const POLKIT_IFACE: &str = "org.freedesktop.PolicyKit1.Authority";
const MOCK_IFACE: &str = "org.freedesktop.DBus.Mock";
pub const NOBODY: u32 = 65534;
/// The session owner of the tests (named alice in the logind mock).
pub const ALICE: u32 = 1000;
pub const BOB: u32 = 1001;

pub const STATUS: &str = "io.github.typewarden1.status";
pub const SELF: &str = "io.github.typewarden1.self";
pub const SELF_DELETE: &str = "io.github.typewarden1.self-delete";
pub const ADMIN: &str = "io.github.typewarden1.admin";

/// Lets the mock services (run by root) own their names; clients are as on a real system.
const MOCKS_CONF: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.login1"/>
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.login1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
"#;

/// Records each check and answers from the template's state (`SetAllowed`,
/// `AllowUnknown`); `is_challenge` when denied, as polkit says for `auth_*` defaults.
const CHECK: &str = "ok = args[1] in self.allowed or self.allow_unknown\n\
                     ret = (ok, not ok, dbus.Dictionary({}, signature='ss'))";

fn skip<T>(reason: &str) -> Option<T> {
    if std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("TYPEWARDEN_REQUIRE_DATA=1 but {reason}");
    }
    println!("skipping: {reason}");
    None
}

/// One polkit check as the mock saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub subject_kind: String,
    pub subject_name: String,
    pub action: String,
    pub flags: u32,
}

pub struct ApiEnv {
    pub dir: tempfile::TempDir,
    pub address: String,
    bus: Child,
    mocks: Vec<Child>,
    daemon: Option<Child>,
    pub journal: Journal,
    seen: std::sync::Mutex<Vec<std::collections::HashMap<String, String>>>,
    pub conn: zbus::Connection,
    pub logind: Mock,
}

impl ApiEnv {
    /// Bus, logind and polkit mocks; no daemon yet.
    pub async fn start() -> Option<ApiEnv> {
        if !nix::unistd::getuid().is_root() {
            return skip("needs root (clients run under other uids)");
        }
        let system_conf = Path::new("/usr/share/dbus-1/system.conf");
        if !Path::new(DBUS_DAEMON).exists() || !system_conf.exists() {
            return skip("dbus-daemon or its system.conf is missing (apt-get install dbus)");
        }
        let has_mock = Command::new(PYTHON)
            .args([
                "-c",
                "import dbusmock.templates.polkitd, dbusmock.templates.logind",
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_mock {
            return skip("python3-dbusmock is not installed (apt-get install python3-dbusmock)");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        // Clients of other uids must reach the socket.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let d = dir.path();
        let policy_dir = d.join("system.d");
        std::fs::create_dir(&policy_dir).unwrap();
        let ours =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/dbus/io.github.typewarden1.conf");
        std::fs::copy(&ours, policy_dir.join("io.github.typewarden1.conf")).unwrap();
        std::fs::write(policy_dir.join("test-mocks.conf"), MOCKS_CONF).unwrap();
        let conf = bus_config(
            &std::fs::read_to_string(system_conf).unwrap(),
            d,
            &policy_dir,
        );
        std::fs::write(d.join("bus.conf"), conf).unwrap();
        let (bus, address) = spawn_bus(d);
        let conn = connect(&address).await;
        let mut mocks = Vec::new();
        for template in ["logind", "polkitd"] {
            let child = Command::new(PYTHON)
                .args(["-m", "dbusmock", "--template", template])
                .env("DBUS_SYSTEM_BUS_ADDRESS", &address)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn dbusmock");
            mocks.push(child);
        }
        wait_owner(&conn, "org.freedesktop.login1", true).await;
        wait_owner(&conn, POLKIT, true).await;
        let logind = Mock::new(&address).await;
        let journal = Journal::bind(d);
        let env = ApiEnv {
            dir,
            address,
            bus,
            mocks,
            daemon: None,
            journal,
            seen: Default::default(),
            conn,
            logind,
        };
        Some(env)
    }

    pub fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("typewarden.toml")
    }

    /// Writes the daemon's configuration file (root-owned, 0644, as the loader wants).
    pub fn write_config(&self, text: &str) {
        let p = self.config_path();
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
    }

    /// Starts `typewarden daemon` fed by a replayed keyboard that stays plugged in for an
    /// hour (the test stops it by PID), and waits until it owns its name.
    pub async fn start_daemon(&mut self) {
        if !self.config_path().exists() {
            self.write_config("[session]\nsettle_ms = 0\n");
        }
        let hold = self.dir.path().join("hold.evemu");
        let keys = [
            KeyRec {
                code: 30,
                press_us: 500_000,
                release_us: 580_000,
            },
            KeyRec {
                code: 30,
                press_us: 3_600_000_000,
                release_us: 3_600_080_000,
            },
        ];
        write_evemu(&hold, &keys);
        let child = Command::new(env!("CARGO_BIN_EXE_typewarden"))
            .arg("--config")
            .arg(self.config_path())
            .arg("daemon")
            .arg("--state-dir")
            .arg(self.state())
            .arg("--journal-socket")
            .arg(&self.journal.path)
            .args(["--speed", "1", "--replay"])
            .arg(&hold)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .env("TYPEWARDEN_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("daemon.log")).unwrap())
            .spawn()
            .expect("spawn typewarden daemon");
        self.daemon = Some(child);
        wait_owner(&self.conn, NAME, true).await;
    }

    /// SIGTERM by PID, then waits (the daemon saves profiles on the way out).
    pub async fn stop_daemon(&mut self) {
        if let Some(mut child) = self.daemon.take() {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM);
            let _ = child.wait();
        }
    }

    /// Kills the bus daemon by PID and starts a new one on the same socket (every client,
    /// mocks included, loses its connection).
    pub fn restart_bus(&mut self) {
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        let _ = std::fs::remove_file(self.dir.path().join("system_bus_socket"));
        let (bus, address) = spawn_bus(self.dir.path());
        assert_eq!(address, self.address);
        self.bus = bus;
    }

    /// Sends `sig` to the daemon by PID.
    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        let child = self.daemon.as_ref().expect("daemon running");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), sig).unwrap();
    }

    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// Runs the CLI as `uid` (its own group), non-interactively.
    pub fn cli(&self, uid: u32, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_typewarden"));
        cmd.args(args)
            .env_clear()
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .stdin(Stdio::null());
        if uid != 0 {
            cmd.uid(uid).gid(uid);
        }
        cmd.output().expect("run typewarden")
    }

    /// A call on the polkit mock.
    async fn polkit<B>(&self, method: &str, body: &B) -> zbus::Message
    where
        B: serde::Serialize + zbus::zvariant::DynamicType,
    {
        self.conn
            .call_method(Some(POLKIT), POLKIT_PATH, Some(MOCK_IFACE), method, body)
            .await
            .unwrap_or_else(|e| panic!("polkit mock {method}: {e}"))
    }

    /// polkit authorizes exactly these actions (for everyone: the mock has no users).
    pub async fn allow(&self, actions: &[&str]) {
        self.polkit("SetAllowed", &actions.to_vec()).await;
    }

    /// Makes every polkit check hang (the template's asynchronous hang: the mock itself
    /// keeps answering). Only before [`ApiEnv::record_checks`], which replaces the method.
    pub async fn hang_polkit(&self) {
        self.polkit("SimulateHang", &true).await;
    }

    /// Replaces the template's `CheckAuthorization` with one that is recorded.
    pub async fn record_checks(&self) {
        self.polkit(
            "AddMethod",
            &(
                POLKIT_IFACE,
                "CheckAuthorization",
                "(sa{sv})sa{ss}us",
                "(bba{ss})",
                CHECK,
            ),
        )
        .await;
    }

    /// Every polkit check so far.
    pub async fn checks(&self) -> Vec<Check> {
        let reply = self.polkit("GetMethodCalls", &"CheckAuthorization").await;
        let rows: Vec<(u64, Vec<OwnedValue>)> = reply.body().deserialize().expect("a(tav)");
        rows.into_iter()
            .map(|(_, args)| {
                let (kind, name) = match &*args[0] {
                    Value::Structure(s) => {
                        let f = s.fields();
                        let kind = match &f[0] {
                            Value::Str(s) => s.to_string(),
                            other => format!("{other:?}"),
                        };
                        let name = match &f[1] {
                            Value::Dict(d) => d
                                .get::<&str, Value>(&"name")
                                .ok()
                                .flatten()
                                .map(|v| match v {
                                    Value::Str(s) => s.to_string(),
                                    Value::Value(b) => match &*b {
                                        Value::Str(s) => s.to_string(),
                                        o => format!("{o:?}"),
                                    },
                                    o => format!("{o:?}"),
                                })
                                .unwrap_or_default(),
                            other => format!("{other:?}"),
                        };
                        (kind, name)
                    }
                    other => (format!("{other:?}"), String::new()),
                };
                let action = match &*args[1] {
                    Value::Str(s) => s.to_string(),
                    other => format!("{other:?}"),
                };
                let flags = match &*args[3] {
                    Value::U32(n) => *n,
                    _ => u32::MAX,
                };
                Check {
                    subject_kind: kind,
                    subject_name: name,
                    action,
                    flags,
                }
            })
            .collect()
    }

    pub async fn clear_checks(&self) {
        self.polkit("ClearCalls", &()).await;
    }

    /// Polls the root CLI until the admin status shows `session` (the daemon tracked it and
    /// loaded its profile).
    pub async fn wait_session(&self, session: &str) {
        let start = Instant::now();
        loop {
            let out = self.cli(0, &["status", "--json"]);
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains(&format!("\"session\": \"{session}\"")) && !text.contains("not_loaded")
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "session {session} never showed up: {text}\n{}",
                self.daemon_log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every audit record with `TYPEWARDEN_EVENT=event` received since the start.
    pub fn records(&self, event: &str) -> Vec<std::collections::HashMap<String, String>> {
        let mut all = self.seen.lock().unwrap();
        all.extend(self.journal.records());
        all.iter()
            .filter(|r| r.get("TYPEWARDEN_EVENT").map(String::as_str) == Some(event))
            .cloned()
            .collect()
    }
}

impl Drop for ApiEnv {
    fn drop(&mut self) {
        let children = self.daemon.iter_mut().chain(self.mocks.iter_mut());
        for child in children.chain(std::iter::once(&mut self.bus)) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Debian's system.conf, made to run unprivileged on a private socket with `policy_dir`
/// as its only system.d (as tests/packaging/dbus_policy.sh did with sed).
fn bus_config(system_conf: &str, dir: &Path, policy_dir: &Path) -> String {
    let socket = dir.join("system_bus_socket");
    let mut out = String::new();
    for line in system_conf.lines() {
        let t = line.trim();
        let drop = t.starts_with("<user>")
            || t == "<fork/>"
            || t.starts_with("<pidfile>")
            || t.starts_with("<servicehelper>")
            || t == "<syslog/>"
            || t.starts_with("<includedir>/etc/dbus-1/")
            || t.starts_with("<include ignore_missing=\"yes\">/etc/dbus-1/")
            || t.starts_with("<include if_selinux_enabled");
        if drop {
            continue;
        }
        if t.starts_with("<listen>") {
            out.push_str(&format!(
                "  <listen>unix:path={}</listen>\n",
                socket.display()
            ));
        } else if t == "<includedir>system.d</includedir>" {
            out.push_str(&format!(
                "  <includedir>{}</includedir>\n",
                policy_dir.display()
            ));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

fn spawn_bus(dir: &Path) -> (Child, String) {
    let log = dir.join("dbus-daemon.log");
    let mut child = Command::new(DBUS_DAEMON)
        .arg(format!("--config-file={}", dir.join("bus.conf").display()))
        .args(["--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .expect("spawn dbus-daemon");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("bus address");
    let address = line.trim().split(",guid=").next().unwrap_or("").to_string();
    assert!(
        address.starts_with("unix:"),
        "dbus-daemon printed no address: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    (child, address)
}

pub async fn wait_owner(conn: &zbus::Connection, name: &str, present: bool) {
    let dbus = zbus::fdo::DBusProxy::new(conn).await.expect("bus proxy");
    let bus_name = zbus::names::BusName::try_from(name).unwrap();
    let start = Instant::now();
    while dbus.name_has_owner(bus_name.clone()).await.unwrap() != present {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{name} never {present}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Exit code, stdout, stderr of a CLI run.
pub fn outcome(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Re-runs this test binary's ignored test `child` as `uid`, with `role` and the bus
/// address in its environment; returns its stdout lines once it exits.
pub fn run_child(address: &str, uid: u32, role: &str, extra: &[(&str, &str)]) -> Child {
    let exe = std::env::current_exe().unwrap();
    let mut cmd = Command::new(exe);
    cmd.args([
        "child",
        "--exact",
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env("TW_CHILD_ROLE", role)
    .env("TW_CHILD_BUS", address)
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .uid(uid)
    .gid(uid);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn child")
}

/// The `child:`-prefixed lines a child printed.
pub fn child_lines(child: Child) -> Vec<String> {
    let out = child.wait_with_output().expect("child");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        // The test harness may print `test child ... ` on the same line first.
        .filter_map(|l| l.split_once("child: ").map(|(_, rest)| rest.to_string()))
        .collect()
}
