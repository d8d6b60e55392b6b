//! The session adapter: which logind session a keyboard types into, whether it may be
//! scored, and locking it with confirmation and escalation.
//!
//! - [`proxies`]: hand-written zbus proxies for logind's Manager, Seat and Session;
//! - [`model`]: pure session data and the per-session scoring gate;
//! - [`gate`]: the pure seat view fed with [`SessionEvent`]s (sleep, settle, logind state),
//!   and the probable-false-lock rule;
//! - [`tracker`]: the I/O task that follows logind and sends [`SessionEvent`]s;
//! - [`lock`]: `LockSession`, confirmation through `LockedHint`, escalation;
//! - [`identity`]: who is typing (uid, or a root-owned kiosk identity file);
//! - [`identity_watch`]: notices when the kiosk identity file changes;
//! - [`config`]: the `[session]` configuration section.
//!
//! Invariant: no D-Bus call here waits longer than the configured timeout, and no failure of
//! the bus or of logind ends the tracker; it reports [`SessionEvent::LogindLost`] and retries.
//! Nothing here sees key content.

pub mod config;
pub mod gate;
pub mod identity;
pub mod identity_watch;
pub mod lock;
pub mod model;
pub mod proxies;
pub mod tracker;

mod escalate;
mod watch;

pub use config::{CommandSpec, Escalation, IdentitySource, SessionConfig, SessionConfigError};
pub use gate::{is_probable_false_lock, FalseLockDetector, SeatGate, SeatSwitch};
pub use identity::{resolve as resolve_identity, Identity, IdentityError};
pub use lock::{
    lock_session, repeat_at, Confirmation, EscalationResult, LockOutcome, LockTarget, RequestError,
};
pub use model::{scoring_allowed, Gate, PauseReason, SessionClass, SessionInfo, SessionType};
pub use tracker::{run_tracker, run_tracker_with};

use std::future::Future;
use std::time::Duration;

/// What the tracker tells the decision loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEvent {
    /// The seat's active session, sent when it becomes active and whenever one of its
    /// properties changes (class, remote, active, state, `LockedHint`).
    Active(SessionInfo),
    /// The seat has no active session (`ActiveSession` is `("", "/")`, or it ended).
    NoActiveSession {
        /// The seat id.
        seat: String,
    },
    /// The seat's active session was locked.
    Locked {
        /// The seat id.
        seat: String,
        /// The session id.
        session: String,
        /// What reported it.
        via: LockVia,
    },
    /// The seat's active session was unlocked.
    Unlocked {
        /// The seat id.
        seat: String,
        /// The session id.
        session: String,
        /// What reported it.
        via: LockVia,
    },
    /// `PrepareForSleep`: `true` before sleep, `false` after resume (F17, F18).
    Sleep(bool),
    /// logind cannot be followed: its name left the bus, the bus is gone, or calls time out.
    /// Sent once per outage.
    LogindLost {
        /// What failed first (no key content: D-Bus operation and error only).
        reason: String,
    },
    /// logind is back; every seat was re-resolved (fresh `Active`/`NoActiveSession` follow).
    LogindBack,
}

/// How a lock state change was observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockVia {
    /// `LockedHint` changed: the locker says the screen is (un)locked. The truth for gating.
    Hint,
    /// logind's `Lock`/`Unlock` signal: a request to the locker, which may not exist (F33).
    Signal,
}

/// Which bus logind lives on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bus {
    /// The system bus (`DBUS_SYSTEM_BUS_ADDRESS` or the default socket).
    System,
    /// An explicit address (tests: a private `dbus-daemon`).
    Address(String),
}

impl Bus {
    /// Connects within `timeout`. Every method call on the connection also gets twice
    /// `timeout` as zbus's own deadline: a second guard behind [`timed`], which fires first
    /// and names the call.
    pub async fn connect(&self, timeout: Duration) -> Result<zbus::Connection, SessionError> {
        let builder = match self {
            Bus::System => zbus::connection::Builder::system(),
            Bus::Address(a) => zbus::connection::Builder::address(a.as_str()),
        }
        .map_err(|source| SessionError::Dbus {
            what: "connect",
            source,
        })?;
        timed(
            timeout,
            "connect",
            builder.method_timeout(timeout * 2).build(),
        )
        .await
    }
}

/// A D-Bus failure, with the operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The call did not finish in time.
    #[error("{what}: no reply within {ms} ms")]
    Timeout {
        /// The operation.
        what: &'static str,
        /// The deadline.
        ms: u128,
    },
    /// The call failed.
    #[error("{what}: {source}")]
    Dbus {
        /// The operation.
        what: &'static str,
        /// zbus's error.
        #[source]
        source: zbus::Error,
    },
}

impl SessionError {
    /// Whether logind (or the bus) answered with an error, as opposed to not answering or
    /// the connection failing: the peer is alive, the request was refused.
    pub fn is_reply(&self) -> bool {
        matches!(
            self,
            SessionError::Dbus {
                source: zbus::Error::MethodError(..) | zbus::Error::FDO(_),
                ..
            }
        )
    }

    /// The D-Bus error name of an error reply (`org.freedesktop.DBus.Error.AccessDenied`).
    pub fn error_name(&self) -> Option<String> {
        use zbus::DBusError as _;
        match self {
            SessionError::Dbus {
                source: zbus::Error::MethodError(name, ..),
                ..
            } => Some(name.to_string()),
            SessionError::Dbus {
                source: zbus::Error::FDO(e),
                ..
            } => Some(e.name().to_string()),
            _ => None,
        }
    }
}

/// Runs one D-Bus operation under a deadline.
pub(crate) async fn timed<T>(
    timeout: Duration,
    what: &'static str,
    fut: impl Future<Output = zbus::Result<T>>,
) -> Result<T, SessionError> {
    match tokio::time::timeout(timeout, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(source)) => Err(SessionError::Dbus { what, source }),
        Err(_) => Err(SessionError::Timeout {
            what,
            ms: timeout.as_millis(),
        }),
    }
}
