//! A private `dbus-daemon` playing the system bus, with Debian's python3-dbusmock `logind`
//! template on it.
//!
//! Real parts: the bus daemon, the D-Bus wire protocol, zbus, our proxies. The test double is
//! logind itself (it needs systemd as PID 1, which this host lacks); python-dbusmock's
//! template stands in for it. Nothing touches this process's environment: the bus address
//! is passed to zbus explicitly and to dbusmock through its own environment only. Both
//! processes are stopped by PID on drop.
//!
//! When `dbus-daemon` or dbusmock is missing, [`TestBus::start`] prints "skipping: …" and
//! returns `None`, unless `TYPEWARDEN_REQUIRE_DATA=1`, in which case it panics.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const DBUS_DAEMON: &str = "/usr/bin/dbus-daemon";
/// Debian's interpreter, where python3-dbusmock, python3-dbus and python3-gi live (a pyenv
/// `python3` on PATH would not have them).
pub const PYTHON: &str = "/usr/bin/python3";
pub const LOGIND: &str = "org.freedesktop.login1";

const CONFIG: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=@SOCKET@</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"#;

fn skip_or_fail(reason: &str) -> Option<TestBus> {
    if std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("TYPEWARDEN_REQUIRE_DATA=1 but {reason}");
    }
    println!("skipping: {reason}");
    None
}

/// A private bus daemon with a permissive policy (it plays the system bus).
pub struct TestBus {
    child: Child,
    pub address: String,
    dir: tempfile::TempDir,
}

impl TestBus {
    /// Starts the daemon, or `None` (skip) when the tools are missing.
    pub fn start() -> Option<Self> {
        if !std::path::Path::new(DBUS_DAEMON).exists() {
            return skip_or_fail("dbus-daemon is not installed (apt-get install dbus)");
        }
        let has_mock = Command::new(PYTHON)
            .args(["-c", "import dbusmock.templates.logind"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !has_mock {
            return skip_or_fail(
                "python3-dbusmock is not installed (apt-get install python3-dbusmock)",
            );
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let socket = dir.path().join("system_bus_socket");
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            CONFIG.replace("@SOCKET@", &socket.display().to_string()),
        )
        .expect("write bus config");
        let (child, address) = spawn_daemon(dir.path());
        Some(Self {
            child,
            address,
            dir,
        })
    }

    /// Kills the daemon by PID (every client loses its connection) and starts a new one at
    /// the same address.
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(self.dir.path().join("system_bus_socket"));
        let (child, address) = spawn_daemon(self.dir.path());
        assert_eq!(address, self.address, "same socket");
        self.child = child;
    }

    /// A scratch directory that lives as long as the bus.
    pub fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// Starts `dbus-daemon` with `dir/bus.conf`; returns it and the address it printed.
fn spawn_daemon(dir: &std::path::Path) -> (Child, String) {
    // Its stderr goes to a file: as root in a container it always complains that it cannot
    // raise its fd limit.
    let log = dir.join("dbus-daemon.log");
    let mut child = Command::new(DBUS_DAEMON)
        .arg(format!("--config-file={}", dir.join("bus.conf").display()))
        .args(["--nofork", "--print-address"])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn dbus-daemon");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read bus address");
    // Without the server guid, as the system bus address is: a restarted daemon has a new
    // guid, and zbus refuses a server whose guid differs from the address's.
    let address = line.trim().split(",guid=").next().unwrap_or("").to_string();
    if !address.starts_with("unix:") {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("dbus-daemon printed no address; its log:\n{text}");
    }
    (child, address)
}

impl Drop for TestBus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// python-dbusmock's logind template on a [`TestBus`].
pub struct Logind {
    child: Option<Child>,
    address: String,
    log: std::path::PathBuf,
}

impl Logind {
    /// Starts the mock and waits until it owns `org.freedesktop.login1`.
    pub async fn start(bus: &TestBus) -> Self {
        let log = bus.dir().join("dbusmock.log");
        let mut mock = Self {
            child: None,
            address: bus.address.clone(),
            log,
        };
        mock.restart().await;
        mock
    }

    /// Starts a fresh mock (state is lost, as when the real logind restarts).
    pub async fn restart(&mut self) {
        self.kill().await;
        let child = Command::new(PYTHON)
            .args(["-m", "dbusmock", "--template", "logind", "-l"])
            .arg(&self.log)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.address)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn dbusmock");
        self.child = Some(child);
        wait_for_owner(&self.address, true).await;
    }

    /// Kills the mock by PID and waits until its name left the bus.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            wait_for_owner(&self.address, false).await;
        }
    }
}

impl Drop for Logind {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

async fn wait_for_owner(address: &str, present: bool) {
    let conn = connect(address).await;
    let dbus = zbus::fdo::DBusProxy::new(&conn).await.expect("bus proxy");
    let name = zbus::names::BusName::try_from(LOGIND).expect("name");
    let start = Instant::now();
    while dbus
        .name_has_owner(name.clone())
        .await
        .expect("NameHasOwner")
        != present
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "dbusmock name never {present}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A client connection to the private bus.
pub async fn connect(address: &str) -> zbus::Connection {
    zbus::connection::Builder::address(address)
        .expect("address")
        .build()
        .await
        .expect("connect to the private bus")
}
