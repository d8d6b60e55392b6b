//! Locking one session through logind, then checking that it really locked.
//!
//! `LockSession` only makes logind emit `Session.Lock`; its successful reply proves nothing
//! (F33: without a listener nothing locks; F34: a listener may lock late or never). So after
//! the request typewarden waits, up to `lock_confirm_timeout_ms`, for evidence: `LockedHint`
//! turning true, the seat's active session changing away from the target, or the session
//! ending. Without evidence the configured escalation runs. Subscriptions are made *before*
//! the request, so a fast locker cannot be missed.
//!
//! F34: a listener may ignore a `Lock` (swayidle #204) or act late. So when nothing confirms
//! by half the confirmation timeout ([`repeat_at`]), `LockSession` is sent once more; the
//! confirmation deadline stays the same, and the time-to-lock is measured from the first
//! request to the moment the evidence arrived.
//!
//! Invariants: the outcome always says whether the lock was confirmed, how long it took or
//! how long was waited, how many requests were sent, why a request failed (refused by
//! logind, unanswered, or the bus unreachable), and what the escalation did; no step waits
//! beyond its deadline; a refused request still escalates; the session vanishing mid-lock
//! is an outcome, not an error. Every lock uses a fresh bus connection, so a bus or logind
//! restart since the last lock cannot leave it stale.

use super::config::SessionConfig;
use super::escalate::escalate;
use super::proxies::{ManagerProxy, SeatProxy, SessionProxy, SessionRemovedStream};
use super::{timed, Bus, SessionError};
use futures_util::StreamExt;
use std::time::Duration;
use tokio::time::Instant;
use zbus::proxy::{CacheProperties, PropertyStream};
use zbus::zvariant::OwnedObjectPath;
use zbus::Connection;

/// The session to lock: the active session of the typing device's seat (F37).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockTarget {
    /// logind session id.
    pub session: String,
    /// The seat it is active on (the device's seat).
    pub seat: String,
    /// The session owner's uid (for `{uid}` in a command escalation).
    pub uid: u32,
}

/// Evidence that the target is no longer typed into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// `LockedHint` became true: a locker acted.
    LockedHint,
    /// The seat's active session changed away from the target (e.g. to a greeter).
    SessionSwitched,
    /// logind removed the session.
    SessionGone,
}

/// What the escalation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EscalationResult {
    /// `log-only`: nothing beyond the audit record.
    LoggedOnly,
    /// The command ran and exited with this code (`None`: killed by a signal).
    CommandExited(Option<i32>),
    /// The command overran its deadline and was killed.
    CommandTimedOut,
    /// `ActivateSessionOnSeat` succeeded for this session id.
    Activated(String),
    /// `TerminateSession` succeeded.
    Terminated,
    /// The escalation could not be carried out.
    Failed(String),
}

/// Why `LockSession` did not go through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// logind (or the bus, e.g. its policy) answered with an error: nothing was locked.
    Refused {
        /// The D-Bus error name, e.g. `org.freedesktop.DBus.Error.AccessDenied`.
        name: Option<String>,
        /// The whole error, for the operational log.
        text: String,
    },
    /// No reply within the D-Bus deadline (logind may still act: the wait runs anyway).
    NoReply(String),
    /// The bus or logind could not be reached, so nothing was requested.
    Unreachable(String),
}

impl std::fmt::Display for RequestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RequestError::Refused { text, .. } => write!(f, "refused: {text}"),
            RequestError::NoReply(t) => write!(f, "no reply: {t}"),
            RequestError::Unreachable(t) => write!(f, "unreachable: {t}"),
        }
    }
}

impl From<&SessionError> for RequestError {
    fn from(e: &SessionError) -> Self {
        match e {
            SessionError::Timeout { .. } => RequestError::NoReply(e.to_string()),
            _ if e.is_reply() => RequestError::Refused {
                name: e.error_name(),
                text: e.to_string(),
            },
            _ => RequestError::Unreachable(e.to_string()),
        }
    }
}

/// When `LockSession` is repeated if nothing confirmed the first one: half the confirmation
/// timeout (F34: "repeat or escalate after a deadline"), so the repeat still has the other
/// half to be acted on before the escalation runs.
pub fn repeat_at(confirm_timeout: Duration) -> Duration {
    confirm_timeout / 2
}

/// The audit record of one lock attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LockOutcome {
    /// The first `LockSession` request's result. Success alone does not mean locked.
    pub request: Result<(), RequestError>,
    /// `LockSession` calls sent: 0 when nothing could be requested, 2 after a repeat.
    pub requests: u32,
    /// The evidence found, `None` when the lock was not confirmed in time.
    pub confirmation: Option<Confirmation>,
    /// From the first `LockSession` call to the evidence (the time-to-lock), or to giving
    /// up (zero when nothing could be requested).
    pub latency: Duration,
    /// Set when the lock was not confirmed.
    pub escalation: Option<EscalationResult>,
}

impl LockOutcome {
    /// Whether the lock was confirmed.
    pub fn confirmed(&self) -> bool {
        self.confirmation.is_some()
    }
}

/// Locks `target`, waits for confirmation and escalates without it.
pub async fn lock_session(bus: &Bus, target: &LockTarget, cfg: &SessionConfig) -> LockOutcome {
    let t = cfg.dbus_timeout();
    let conn = bus.connect(t).await;
    let attempt = match &conn {
        Ok(conn) => request_and_confirm(conn, target, cfg).await,
        Err(e) => Attempt::failed(e),
    };
    let escalation = match attempt.confirmation {
        Some(_) => None,
        None => Some(escalate(&cfg.escalation, conn.as_ref().ok(), target, t).await),
    };
    LockOutcome {
        request: attempt.request,
        requests: attempt.requests,
        confirmation: attempt.confirmation,
        latency: attempt.latency,
        escalation,
    }
}

/// The requests and their confirmation, timed from the first `LockSession` call.
struct Attempt {
    request: Result<(), RequestError>,
    requests: u32,
    confirmation: Option<Confirmation>,
    latency: Duration,
}

impl Attempt {
    /// Nothing could be requested (the bus, a lookup or a subscription failed).
    fn failed(e: &SessionError) -> Self {
        Self {
            request: Err(RequestError::from(e)),
            requests: 0,
            confirmation: None,
            latency: Duration::ZERO,
        }
    }
}

async fn request_and_confirm(
    conn: &Connection,
    target: &LockTarget,
    cfg: &SessionConfig,
) -> Attempt {
    let t = cfg.dbus_timeout();
    let mut watch = match Evidence::subscribe(conn, target, t).await {
        Ok(w) => w,
        Err(e) => return Attempt::failed(&e),
    };
    let start = Instant::now();
    let deadline = start + cfg.lock_confirm_timeout();
    let manager = watch.manager.clone();
    let lock = || timed(t, "LockSession", manager.lock_session(&target.session));
    let request = lock().await;
    // Evidence is stamped when it arrives, not when the wait below is next polled.
    let mut evidence = std::pin::pin!(async {
        let c = watch.wait(&target.session).await;
        (c, Instant::now())
    });
    let mut requests = 1;
    // logind refused or failed: no Lock was sent, so there is nothing to wait for. After a
    // timeout logind may still act, so the wait still runs (until the same deadline).
    let found = match &request {
        Err(SessionError::Dbus { .. }) => None,
        Err(SessionError::Timeout { .. }) => {
            tokio::time::timeout_at(deadline, &mut evidence).await.ok()
        }
        Ok(()) => {
            let repeat = start + repeat_at(cfg.lock_confirm_timeout());
            tokio::time::timeout_at(deadline, async {
                tokio::select! {
                    found = &mut evidence => return found,
                    () = tokio::time::sleep_until(repeat) => {}
                }
                // F34: the first Lock went unanswered; ask once more. Its reply does not
                // matter (the evidence does), but a failure is worth an operational log.
                requests = 2;
                let mut again = std::pin::pin!(lock());
                let mut sent = false;
                loop {
                    tokio::select! {
                        found = &mut evidence => return found,
                        r = &mut again, if !sent => {
                            sent = true;
                            if let Err(e) = r {
                                tracing::warn!(session = %target.session, "repeated LockSession: {e}");
                            }
                        }
                    }
                }
            })
            .await
            .ok()
        }
    };
    let (confirmation, latency) = match found {
        Some((Some(c), at)) => (Some(c), at - start),
        _ => (None, start.elapsed()),
    };
    Attempt {
        request: request.as_ref().map(|_| ()).map_err(RequestError::from),
        requests,
        confirmation,
        latency,
    }
}

/// The subscriptions that can confirm a lock, made before the request.
struct Evidence {
    manager: ManagerProxy<'static>,
    hint: PropertyStream<'static, bool>,
    active: Option<PropertyStream<'static, (String, OwnedObjectPath)>>,
    removed: SessionRemovedStream,
}

impl Evidence {
    async fn subscribe(
        conn: &Connection,
        target: &LockTarget,
        t: Duration,
    ) -> Result<Self, SessionError> {
        let manager = ManagerProxy::builder(conn).cache_properties(CacheProperties::No);
        let manager = timed(t, "Manager proxy", manager.build()).await?;
        let removed = timed(
            t,
            "subscribe SessionRemoved",
            manager.receive_session_removed(),
        )
        .await?;
        let path = timed(t, "GetSession", manager.get_session(&target.session)).await?;
        let session = SessionProxy::builder(conn)
            .path(path)
            .map_err(|source| SessionError::Dbus {
                what: "session path",
                source,
            })?
            .cache_properties(CacheProperties::Yes);
        let session = timed(t, "Session properties", session.build()).await?;
        // A seatless session (F37: empty seat id) has no active-session evidence.
        let active = match target.seat.as_str() {
            "" => None,
            seat => {
                let path = timed(t, "GetSeat", manager.get_seat(seat)).await?;
                let builder = SeatProxy::builder(conn)
                    .path(path)
                    .map_err(|source| SessionError::Dbus {
                        what: "seat path",
                        source,
                    })?
                    .cache_properties(CacheProperties::Yes);
                let seat = timed(t, "Seat properties", builder.build()).await?;
                Some(seat.receive_active_session_changed().await)
            }
        };
        Ok(Self {
            hint: session.receive_locked_hint_changed().await,
            manager,
            active,
            removed,
        })
    }

    /// The first evidence; `None` if every source ended (the connection closed). Property
    /// streams yield the current value first, so a lock that happened already counts.
    async fn wait(&mut self, id: &str) -> Option<Confirmation> {
        loop {
            tokio::select! {
                Some(change) = self.hint.next() => {
                    if change.get().await.unwrap_or(false) {
                        return Some(Confirmation::LockedHint);
                    }
                }
                Some(change) = async { self.active.as_mut()?.next().await } => {
                    if change.get().await.is_ok_and(|(now, _)| now != id) {
                        return Some(Confirmation::SessionSwitched);
                    }
                }
                Some(sig) = self.removed.next() => {
                    if sig.args().is_ok_and(|a| a.id == id) {
                        return Some(Confirmation::SessionGone);
                    }
                }
                else => return None,
            }
        }
    }
}
