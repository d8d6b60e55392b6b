//! Pure session data and the scoring gate: which sessions may be scored and learned from.
//!
//! Invariant: keystrokes are scored and learned only for a local `Class=user` session on the
//! typing device's seat that is active, not closing and unlocked (peers.md §3.5, F38). A
//! greeter, a lock screen (password entry), a remote session or a seatless session is never
//! scored and never a lock target. Time-dependent pauses (sleep, the settle window after a
//! switch, logind unreachable) live in [`super::gate::SeatGate`], which calls
//! [`scoring_allowed`] for the session itself.

use std::fmt;

/// A logind session class (`Class` property), mapped from its string so that a class logind
/// adds later is [`SessionClass::Other`] rather than a read error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionClass {
    /// `user`: a regular interactive login. The only class that is scored.
    User,
    /// `user-early`: root's session before the system is up.
    UserEarly,
    /// `user-incomplete`: a session still being set up.
    UserIncomplete,
    /// `user-light`: a user session without a per-user service manager.
    UserLight,
    /// `user-early-light`.
    UserEarlyLight,
    /// `greeter`: the display manager's login screen (passwords are typed here).
    Greeter,
    /// `lock-screen`: a separate lock-screen session (passwords are typed here).
    LockScreen,
    /// `background`: e.g. cron or lingering services.
    Background,
    /// `background-light`.
    BackgroundLight,
    /// `manager`: the per-user service manager.
    Manager,
    /// `manager-early`.
    ManagerEarly,
    /// `none`.
    None,
    /// Any other value, kept verbatim.
    Other(String),
}

impl SessionClass {
    /// Maps logind's string; never fails.
    pub fn parse(s: &str) -> Self {
        match s {
            "user" => Self::User,
            "user-early" => Self::UserEarly,
            "user-incomplete" => Self::UserIncomplete,
            "user-light" => Self::UserLight,
            "user-early-light" => Self::UserEarlyLight,
            "greeter" => Self::Greeter,
            "lock-screen" => Self::LockScreen,
            "background" => Self::Background,
            "background-light" => Self::BackgroundLight,
            "manager" => Self::Manager,
            "manager-early" => Self::ManagerEarly,
            "none" => Self::None,
            other => Self::Other(other.to_string()),
        }
    }

    /// logind's string for this class.
    pub fn as_str(&self) -> &str {
        match self {
            Self::User => "user",
            Self::UserEarly => "user-early",
            Self::UserIncomplete => "user-incomplete",
            Self::UserLight => "user-light",
            Self::UserEarlyLight => "user-early-light",
            Self::Greeter => "greeter",
            Self::LockScreen => "lock-screen",
            Self::Background => "background",
            Self::BackgroundLight => "background-light",
            Self::Manager => "manager",
            Self::ManagerEarly => "manager-early",
            Self::None => "none",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for SessionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A logind session type (`Type` property).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionType {
    /// `unspecified`.
    Unspecified,
    /// `tty`: a text console. No locker listens for `Lock` there (F38), so a lock on it
    /// needs an escalation.
    Tty,
    /// `x11`.
    X11,
    /// `wayland`.
    Wayland,
    /// `mir`.
    Mir,
    /// `web`.
    Web,
    /// Any other value, kept verbatim (the dbusmock template reports `test`).
    Other(String),
}

impl SessionType {
    /// Maps logind's string; never fails.
    pub fn parse(s: &str) -> Self {
        match s {
            "unspecified" => Self::Unspecified,
            "tty" => Self::Tty,
            "x11" => Self::X11,
            "wayland" => Self::Wayland,
            "mir" => Self::Mir,
            "web" => Self::Web,
            other => Self::Other(other.to_string()),
        }
    }

    /// logind's string for this type.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Tty => "tty",
            Self::X11 => "x11",
            Self::Wayland => "wayland",
            Self::Mir => "mir",
            Self::Web => "web",
            Self::Other(s) => s,
        }
    }
}

impl fmt::Display for SessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the tracker knows about one session (a snapshot of its logind properties).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    /// logind session id, e.g. `"2"` or `"c1"`.
    pub id: String,
    /// The owner's uid: the default identity (profiles are keyed by uid, F39).
    pub uid: u32,
    /// The owner's user name, for the audit trail only.
    pub user: String,
    /// The seat id; empty for a seatless (remote) session (F37).
    pub seat: String,
    /// `Class`.
    pub class: SessionClass,
    /// `Type`.
    pub kind: SessionType,
    /// `Remote`.
    pub remote: bool,
    /// `Active`: in the foreground of its seat.
    pub active: bool,
    /// `State == "closing"`: the session is ending.
    pub closing: bool,
    /// `LockedHint`: the desktop's locker reports the screen locked.
    pub locked: bool,
}

/// Whether keystrokes may be scored and learned right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Gate {
    /// Score and learn.
    Allowed,
    /// Neither score nor learn; the reason is audited as degraded protection where relevant.
    Paused(PauseReason),
}

/// Why scoring is paused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PauseReason {
    /// The device's seat has no active session (or it is not known yet).
    NoSession,
    /// The session's class is not `user` (greeter, lock-screen, background, …).
    Class(SessionClass),
    /// A remote session is not fed by a local keyboard (F38).
    Remote,
    /// The session is not on the device's seat (F37).
    OtherSeat,
    /// The session is not in the foreground.
    Inactive,
    /// The session is ending.
    Closing,
    /// `LockedHint` is set: whatever is typed now is a password (peers.md §3.5).
    Locked,
    /// Between `PrepareForSleep(true)` and `PrepareForSleep(false)` (F17).
    Sleeping,
    /// Inside the settle window after a switch, a resume or a logind restart (F39).
    Settling,
    /// logind cannot be followed (gone, restarting, or not answering in time).
    LogindUnreachable,
}

impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSession => f.write_str("no active session on the seat"),
            Self::Class(c) => write!(f, "session class {c}"),
            Self::Remote => f.write_str("remote session"),
            Self::OtherSeat => f.write_str("session on another seat"),
            Self::Inactive => f.write_str("session not active"),
            Self::Closing => f.write_str("session closing"),
            Self::Locked => f.write_str("session locked"),
            Self::Sleeping => f.write_str("system going to sleep"),
            Self::Settling => f.write_str("settling after a session change"),
            Self::LogindUnreachable => f.write_str("logind unreachable"),
        }
    }
}

/// The session-only part of the gate, for keystrokes from a device on `device_seat`.
pub fn scoring_allowed(info: &SessionInfo, device_seat: &str) -> Gate {
    let reason = if info.class != SessionClass::User {
        PauseReason::Class(info.class.clone())
    } else if info.remote {
        PauseReason::Remote
    } else if info.seat.is_empty() || info.seat != device_seat {
        PauseReason::OtherSeat
    } else if !info.active {
        PauseReason::Inactive
    } else if info.closing {
        PauseReason::Closing
    } else if info.locked {
        PauseReason::Locked
    } else {
        return Gate::Allowed;
    };
    Gate::Paused(reason)
}
