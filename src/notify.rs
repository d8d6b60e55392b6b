//! The systemd notification protocol (sd_notify(3)) over `$NOTIFY_SOCKET`, in pure Rust.
//!
//! Owns: the datagram socket to the service manager and the `READY=1`, `WATCHDOG=1`,
//! `STOPPING=1` and `STATUS=` messages the unit's `Type=notify` and `WatchdogSec=` rely on.
//! Invariants:
//! - outside systemd (`$NOTIFY_SOCKET` unset or empty) every call is a successful no-op, so
//!   the daemon runs the same from a shell, a test or a unit;
//! - a message is one datagram (systemd reads one `recvmsg` per message) of `KEY=value`
//!   lines; a `STATUS=` text never contains a newline, which would start another assignment;
//! - path (`/run/systemd/notify`) and abstract (`@name`) addresses are supported; anything
//!   else (relative paths, `vsock:`) is a [`NotifyError::Address`] at construction.
//!
//! The environment is read by [`Notifier::from_env`] and [`watchdog_interval`] only; the
//! daemon's child processes get an empty environment anyway (docs/session.md).

use std::ffi::OsStr;
use std::io;
use std::os::linux::net::SocketAddrExt as _;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

/// The variable systemd sets to the notification socket's address.
pub const NOTIFY_SOCKET_ENV: &str = "NOTIFY_SOCKET";

/// Errors of the notification protocol.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// `$NOTIFY_SOCKET` holds an address this implementation cannot use.
    #[error("$NOTIFY_SOCKET is not an absolute path or an @abstract name")]
    Address,
    /// Creating the socket or sending the datagram failed.
    #[error("sending to $NOTIFY_SOCKET: {0}")]
    Io(#[from] io::Error),
}

/// A connection to the service manager, or nothing when not run by systemd.
#[derive(Debug)]
pub struct Notifier {
    target: Option<(UnixDatagram, SocketAddr)>,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET`; disabled when it is unset or empty.
    pub fn from_env() -> Result<Self, NotifyError> {
        match std::env::var_os(NOTIFY_SOCKET_ENV) {
            Some(value) => Self::new(&value),
            None => Ok(Self::disabled()),
        }
    }

    /// For the given `$NOTIFY_SOCKET` value; disabled when it is empty.
    pub fn new(value: &OsStr) -> Result<Self, NotifyError> {
        let bytes = value.as_bytes();
        let addr = match bytes.first() {
            None => return Ok(Self::disabled()),
            Some(b'/') => SocketAddr::from_pathname(value).map_err(|_| NotifyError::Address)?,
            Some(b'@') => SocketAddr::from_abstract_name(&bytes[1..])?,
            Some(_) => return Err(NotifyError::Address),
        };
        Ok(Self {
            target: Some((UnixDatagram::unbound()?, addr)),
        })
    }

    /// A notifier that sends nothing.
    pub fn disabled() -> Self {
        Self { target: None }
    }

    /// Whether messages are actually sent.
    pub fn is_enabled(&self) -> bool {
        self.target.is_some()
    }

    /// `READY=1`: start-up finished (`systemctl start` returns now).
    pub fn ready(&self) -> Result<(), NotifyError> {
        self.send("READY=1")
    }

    /// `WATCHDOG=1`: the main loop is alive. Call it at least every
    /// [`watchdog_interval`]` / 2`.
    pub fn watchdog(&self) -> Result<(), NotifyError> {
        self.send("WATCHDOG=1")
    }

    /// `STOPPING=1`: shutdown began.
    pub fn stopping(&self) -> Result<(), NotifyError> {
        self.send("STOPPING=1")
    }

    /// `STATUS=text`, shown by `systemctl status`. Newlines become spaces.
    pub fn status(&self, text: &str) -> Result<(), NotifyError> {
        self.send(&status_message(text))
    }

    fn send(&self, message: &str) -> Result<(), NotifyError> {
        if let Some((socket, addr)) = &self.target {
            socket.send_to_addr(message.as_bytes(), addr)?;
        }
        Ok(())
    }
}

/// The `STATUS=` assignment for `text`, kept on one line.
fn status_message(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    format!("STATUS={line}")
}

/// The watchdog interval systemd expects pings within (`WatchdogSec=`), from
/// `$WATCHDOG_USEC`; `None` when no watchdog is set or it is meant for another process
/// (`$WATCHDOG_PID` differs from ours). Ping at half of it, as sd_watchdog_enabled(3) advises.
pub fn watchdog_interval() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    parse_watchdog(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// Pure part of [`watchdog_interval`].
fn parse_watchdog(usec: Option<&str>, pid: Option<&str>, my_pid: u32) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.parse::<u32>().ok()? != my_pid {
            return None;
        }
    }
    match usec?.parse::<u64>().ok()? {
        0 => None,
        us => Some(Duration::from_micros(us)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    fn recv(socket: &UnixDatagram) -> String {
        socket
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 512];
        let n = socket.recv(&mut buf).unwrap();
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn path_socket_receives_each_message_as_one_datagram() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        let n = Notifier::new(path.as_os_str()).unwrap();
        assert!(n.is_enabled());
        n.ready().unwrap();
        n.watchdog().unwrap();
        n.status("3 keyboards\nline two").unwrap();
        n.stopping().unwrap();
        assert_eq!(recv(&server), "READY=1");
        assert_eq!(recv(&server), "WATCHDOG=1");
        assert_eq!(recv(&server), "STATUS=3 keyboards line two");
        assert_eq!(recv(&server), "STOPPING=1");
    }

    #[test]
    fn abstract_socket_is_addressed_with_at() {
        let name = format!("typewarden-notify-test-{}", std::process::id());
        let server =
            UnixDatagram::bind_addr(&SocketAddr::from_abstract_name(name.as_bytes()).unwrap())
                .unwrap();
        let n = Notifier::new(&OsString::from(format!("@{name}"))).unwrap();
        n.ready().unwrap();
        assert_eq!(recv(&server), "READY=1");
    }

    #[test]
    fn unset_or_empty_is_a_silent_no_op() {
        for n in [Notifier::disabled(), Notifier::new(OsStr::new("")).unwrap()] {
            assert!(!n.is_enabled());
            n.ready().unwrap();
            n.watchdog().unwrap();
            n.status("x").unwrap();
            n.stopping().unwrap();
        }
    }

    #[test]
    fn unusable_addresses_are_rejected() {
        for bad in ["relative/path", "vsock:2:1234"] {
            assert!(matches!(
                Notifier::new(OsStr::new(bad)),
                Err(NotifyError::Address)
            ));
        }
    }

    #[test]
    fn a_vanished_socket_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let n = Notifier::new(dir.path().join("gone").as_os_str()).unwrap();
        assert!(matches!(n.ready(), Err(NotifyError::Io(_))));
    }

    #[test]
    fn watchdog_interval_honours_pid_and_zero() {
        let us = Some("30000000");
        assert_eq!(parse_watchdog(us, None, 7), Some(Duration::from_secs(30)));
        assert_eq!(
            parse_watchdog(us, Some("7"), 7),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_watchdog(us, Some("8"), 7), None);
        assert_eq!(parse_watchdog(us, Some("x"), 7), None);
        assert_eq!(parse_watchdog(Some("0"), None, 7), None);
        assert_eq!(parse_watchdog(Some("-1"), None, 7), None);
        assert_eq!(parse_watchdog(None, Some("7"), 7), None);
    }
}
