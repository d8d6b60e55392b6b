//! Hand-written zbus proxies for the few systemd-logind members typewarden uses.
//!
//! Only what the tracker and the locker need (org.freedesktop.login1(5)). `Class` and `Type`
//! are read as strings and mapped to our own enums with an `Other` case
//! ([`super::model::SessionClass`], [`super::model::SessionType`]): logind keeps adding classes
//! (`user-early`, `user-light`, `background-light`, …) and a closed enum would turn a new
//! value into a read error (peers.md §2.2, the logind-zbus trap).
//!
//! The proxies carry no timeouts of their own; every call site wraps the call in
//! [`super::timed`].

use zbus::proxy;
use zbus::zvariant::OwnedObjectPath;

/// The well-known bus name of systemd-logind.
pub const LOGIND: &str = "org.freedesktop.login1";

/// `org.freedesktop.login1.Manager` at `/org/freedesktop/login1`.
#[proxy(
    interface = "org.freedesktop.login1.Manager",
    default_service = "org.freedesktop.login1",
    default_path = "/org/freedesktop/login1",
    gen_blocking = false
)]
pub trait Manager {
    /// The object path of session `id`. Never call it with `"auto"`: that resolves the
    /// *caller's* session, which means nothing for a system service (peers.md §2.1).
    fn get_session(&self, id: &str) -> zbus::Result<OwnedObjectPath>;

    /// The object path of seat `id`.
    fn get_seat(&self, id: &str) -> zbus::Result<OwnedObjectPath>;

    /// `a(susso)`: session id, uid, user name, seat id (empty when seatless, F37), path.
    fn list_sessions(&self) -> zbus::Result<Vec<(String, u32, String, String, OwnedObjectPath)>>;

    /// Asks the session's locker to lock: logind only emits `Session.Lock` and returns, so a
    /// successful reply proves nothing (F33).
    fn lock_session(&self, id: &str) -> zbus::Result<()>;

    /// Emits `Session.Unlock`.
    fn unlock_session(&self, id: &str) -> zbus::Result<()>;

    /// Ends the session (escalation only; loses unsaved work).
    fn terminate_session(&self, id: &str) -> zbus::Result<()>;

    /// Brings `session` to the foreground of `seat` (escalation: switch to the greeter).
    fn activate_session_on_seat(&self, session: &str, seat: &str) -> zbus::Result<()>;

    /// Takes an inhibitor lock, held while the returned fd stays open. A `"delay"` lock on
    /// `"sleep"` makes logind wait after `PrepareForSleep(true)` until it is closed (at most
    /// `InhibitDelayMaxSec`, 5 s by default).
    fn inhibit(
        &self,
        what: &str,
        who: &str,
        why: &str,
        mode: &str,
    ) -> zbus::Result<zbus::zvariant::OwnedFd>;

    /// A session was created.
    #[zbus(signal)]
    fn session_new(&self, id: String, path: OwnedObjectPath) -> zbus::Result<()>;

    /// A session ended.
    #[zbus(signal)]
    fn session_removed(&self, id: String, path: OwnedObjectPath) -> zbus::Result<()>;

    /// `true` just before system sleep, `false` after resume (F17, F18).
    #[zbus(signal)]
    fn prepare_for_sleep(&self, start: bool) -> zbus::Result<()>;
}

/// `org.freedesktop.login1.Seat` at `/org/freedesktop/login1/seat/<id>`.
#[proxy(
    interface = "org.freedesktop.login1.Seat",
    default_service = "org.freedesktop.login1",
    gen_blocking = false
)]
pub trait Seat {
    /// `(so)`: the foreground session's id and path; `("", "/")` when there is none.
    /// Emits PropertiesChanged on every switch (F39).
    #[zbus(property)]
    fn active_session(&self) -> zbus::Result<(String, OwnedObjectPath)>;

    /// The seat id, e.g. `seat0`.
    #[zbus(property)]
    fn id(&self) -> zbus::Result<String>;
}

/// `org.freedesktop.login1.Session` at `/org/freedesktop/login1/session/<id>`.
#[proxy(
    interface = "org.freedesktop.login1.Session",
    default_service = "org.freedesktop.login1",
    gen_blocking = false
)]
pub trait Session {
    /// The session id.
    #[zbus(property)]
    fn id(&self) -> zbus::Result<String>;

    /// `(uo)`: the owner's uid and user object path. Profiles are keyed by this uid, never by
    /// the name (F39: names are not stable for a uid).
    #[zbus(property)]
    fn user(&self) -> zbus::Result<(u32, OwnedObjectPath)>;

    /// The owner's user name (for the audit trail only).
    #[zbus(property)]
    fn name(&self) -> zbus::Result<String>;

    /// `(so)`: the seat id and path; `("", "/")` for seatless (remote) sessions.
    #[zbus(property)]
    fn seat(&self) -> zbus::Result<(String, OwnedObjectPath)>;

    /// `user`, `greeter`, `lock-screen`, … (see [`super::model::SessionClass`]).
    #[zbus(property)]
    fn class(&self) -> zbus::Result<String>;

    /// `tty`, `x11`, `wayland`, … (see [`super::model::SessionType`]).
    #[zbus(property, name = "Type")]
    fn kind(&self) -> zbus::Result<String>;

    /// Whether the session was opened remotely (ssh, VDI): never fed by a local keyboard.
    #[zbus(property)]
    fn remote(&self) -> zbus::Result<bool>;

    /// Whether the session is in the foreground of its seat.
    #[zbus(property)]
    fn active(&self) -> zbus::Result<bool>;

    /// `online`, `active` or `closing`.
    #[zbus(property)]
    fn state(&self) -> zbus::Result<String>;

    /// Set by the desktop's locker through `SetLockedHint`; logind never sets it itself.
    #[zbus(property)]
    fn locked_hint(&self) -> zbus::Result<bool>;

    /// logind asks the session's locker to lock (sent for `LockSession`).
    #[zbus(signal)]
    fn lock(&self) -> zbus::Result<()>;

    /// logind asks the session's locker to unlock (sent for `UnlockSession`).
    #[zbus(signal)]
    fn unlock(&self) -> zbus::Result<()>;
}
