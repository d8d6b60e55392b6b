//! The session tracker task: follows logind and sends [`SessionEvent`]s to the decision loop.
//!
//! It works in *epochs*: connect, subscribe (logind's name owner, `PrepareForSleep`,
//! `SessionNew`/`SessionRemoved`), resolve every seat's active session, then stream changes.
//! Anything structural (logind's name changing owner, i.e. a logind restart; the connection
//! closing; a call failing or timing out) ends the epoch and everything is re-resolved from
//! scratch (F39: after a logind restart nothing cached can be trusted).
//!
//! With a `sleep_ready` signal ([`run_tracker_with`]) each epoch also holds a logind
//! *delay* inhibitor on sleep, so that after `PrepareForSleep(true)` the system waits until
//! the decision loop says the profiles are saved, or [`SLEEP_DELAY`] passed, before the fd
//! is closed and sleep proceeds; it is taken again after resume.
//!
//! Invariants: the task never ends while the receiver exists; every D-Bus call has a
//! deadline; an outage is reported once as [`SessionEvent::LogindLost`] and its end as
//! [`SessionEvent::LogindBack`] followed by fresh per-seat events; retries back off from
//! [`BACKOFF_MIN`] to [`BACKOFF_MAX`], and a returning logind is noticed at once through
//! NameOwnerChanged; sleep is never held back longer than [`SLEEP_DELAY`], and an inhibitor
//! logind refuses only costs the delay, never the tracking.

use super::config::SessionConfig;
use super::proxies::{
    ManagerProxy, PrepareForSleepStream, SessionNewStream, SessionRemovedStream, LOGIND,
};
use super::watch::{SeatWatch, Wake};
use super::{timed, Bus, SessionError, SessionEvent};
use futures_util::future::select_all;
use futures_util::StreamExt;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use zbus::names::BusName;
use zbus::proxy::{CacheProperties, OwnerChangedStream};
use zbus::Connection;

/// First retry delay after a failed epoch.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(5);
/// How often a quiet epoch checks that logind still answers (a hung logind sends no signal).
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(15);
/// How long sleep is held back for the profiles to be saved: below logind's default
/// `InhibitDelayMaxSec=5s`, so it is our release, not logind's timeout, that lets sleep go.
pub const SLEEP_DELAY: Duration = Duration::from_secs(3);

/// Follows the active session of each of `seats` (the seats of the input devices; `seat0`
/// when empty) on `bus` until `tx`'s receiver is dropped.
pub async fn run_tracker(
    bus: Bus,
    seats: Vec<String>,
    cfg: SessionConfig,
    tx: mpsc::Sender<SessionEvent>,
) {
    run_tracker_with(bus, seats, cfg, tx, None).await
}

/// [`run_tracker`], also holding sleep back after `PrepareForSleep(true)` until
/// `sleep_ready` is notified (with `notify_waiters`, once whatever `Sleep(true)` asked for
/// is done) or [`SLEEP_DELAY`] passed.
pub async fn run_tracker_with(
    bus: Bus,
    seats: Vec<String>,
    cfg: SessionConfig,
    tx: mpsc::Sender<SessionEvent>,
    sleep_ready: Option<Arc<Notify>>,
) {
    let seats = if seats.is_empty() {
        vec!["seat0".to_string()]
    } else {
        seats
    };
    let mut tracker = Tracker {
        bus,
        seats,
        timeout: cfg.dbus_timeout(),
        tx,
        lost: false,
        sleep_ready,
    };
    let mut backoff = BACKOFF_MIN;
    loop {
        match tracker.epoch().await {
            Ok(End::ReceiverGone) => return,
            Ok(End::Restart) => backoff = BACKOFF_MIN,
            Err(e) => {
                if !tracker.lost(e.to_string()).await {
                    return;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

enum End {
    /// Re-resolve now (logind changed owner, or the connection closed).
    Restart,
    /// Nobody listens any more.
    ReceiverGone,
}

struct Tracker {
    bus: Bus,
    seats: Vec<String>,
    timeout: Duration,
    tx: mpsc::Sender<SessionEvent>,
    /// `LogindLost` was sent and `LogindBack` not yet.
    lost: bool,
    /// Notified by the loop once `Sleep(true)` was acted on; `None`: no inhibitor.
    sleep_ready: Option<Arc<Notify>>,
}

/// The manager-level subscriptions of one epoch.
struct Subscriptions {
    manager: ManagerProxy<'static>,
    owner: OwnerChangedStream<'static>,
    sleep: PrepareForSleepStream,
    new: SessionNewStream,
    removed: SessionRemovedStream,
}

impl Tracker {
    async fn epoch(&mut self) -> Result<End, SessionError> {
        let t = self.timeout;
        let conn = self.bus.connect(t).await?;
        // Subscribe before resolving, so no change between the two is missed.
        let mut subs = subscribe(&conn, t).await?;
        let dbus = timed(t, "bus proxy", zbus::fdo::DBusProxy::new(&conn)).await?;
        let name = BusName::from_static_str(LOGIND).map_err(|e| SessionError::Dbus {
            what: "logind name",
            source: e.into(),
        })?;
        let has_owner = async { Ok(dbus.name_has_owner(name).await?) };
        if !timed(t, "NameHasOwner", has_owner).await? {
            if !self.lost(format!("{LOGIND} is not on the bus")).await {
                return Ok(End::ReceiverGone);
            }
            // Wait for logind to appear (or re-check now and then in case the bus died).
            let _ = tokio::time::timeout(HEALTH_INTERVAL, subs.owner.next()).await;
            return Ok(End::Restart);
        }

        let mut seats = Seats {
            watches: Vec::new(),
            missing: self.seats.clone(),
            retry: BACKOFF_MIN,
        };
        let mut events = seats.resolve(&conn, &subs.manager, t, true).await?;
        if self.lost {
            self.lost = false;
            events.insert(0, SessionEvent::LogindBack);
        }
        if !self.send_all(events).await {
            return Ok(End::ReceiverGone);
        }

        let mut inhibitor = self.inhibit(&subs.manager).await;
        let mut health = tokio::time::interval(HEALTH_INTERVAL);
        health.tick().await;
        loop {
            let retry = tokio::time::sleep(seats.retry);
            let events = tokio::select! {
                _ = subs.owner.next() => return Ok(End::Restart),
                sig = subs.sleep.next() => {
                    let Some(sig) = sig else { return Ok(End::Restart) };
                    let args = sig.args().map_err(|source| SessionError::Dbus { what: "PrepareForSleep", source })?;
                    if !self.sleep(args.start, &subs.manager, &mut inhibitor).await {
                        return Ok(End::ReceiverGone);
                    }
                    Vec::new()
                }
                sig = subs.removed.next() => {
                    let Some(sig) = sig else { return Ok(End::Restart) };
                    let args = sig.args().map_err(|source| SessionError::Dbus { what: "SessionRemoved", source })?;
                    let mut events = Vec::new();
                    for w in seats.watches.iter_mut().filter(|w| w.session_id() == Some(args.id.as_str())) {
                        events.push(w.session_removed().await?);
                    }
                    events
                }
                sig = subs.new.next() => {
                    let Some(_) = sig else { return Ok(End::Restart) };
                    // A seat without an active session, or not yet known, may have gained one.
                    let mut events = seats.resolve(&conn, &subs.manager, t, false).await?;
                    for w in seats.watches.iter_mut().filter(|w| w.session_id().is_none()) {
                        events.extend(w.handle(Wake::Seat).await?);
                    }
                    events
                }
                (i, wake) = next_wake(&mut seats.watches) => match wake {
                    Wake::Closed => return Ok(End::Restart),
                    wake => seats.watches[i].handle(wake).await?,
                },
                _ = retry, if !seats.missing.is_empty() => {
                    seats.retry = (seats.retry * 2).min(BACKOFF_MAX);
                    seats.resolve(&conn, &subs.manager, t, false).await?
                }
                _ = health.tick() => {
                    timed(t, "GetSeat (health check)", subs.manager.get_seat(&self.seats[0])).await?;
                    Vec::new()
                }
            };
            if !self.send_all(events).await {
                return Ok(End::ReceiverGone);
            }
        }
    }

    /// A delay inhibitor on sleep, when the loop wants one; a refusal is logged, not fatal.
    async fn inhibit(&self, manager: &ManagerProxy<'static>) -> Option<OwnedFd> {
        self.sleep_ready.as_ref()?;
        let why = "Saving typing profiles before sleep";
        let call = manager.inhibit("sleep", "typewarden", why, "delay");
        match timed(self.timeout, "Inhibit", call).await {
            Ok(fd) => Some(fd.into()),
            Err(e) => {
                tracing::warn!(
                    "no sleep delay inhibitor ({e}): profiles may be saved after sleep starts"
                );
                None
            }
        }
    }

    /// Sends `Sleep(start)`. Before sleep, with an inhibitor, waits until the loop is done
    /// (or [`SLEEP_DELAY`]) and then closes the inhibitor: that lets logind proceed. After
    /// resume, takes a new one. `false` when the receiver is gone.
    async fn sleep(
        &self,
        start: bool,
        manager: &ManagerProxy<'static>,
        inhibitor: &mut Option<OwnedFd>,
    ) -> bool {
        let ready = self
            .sleep_ready
            .as_ref()
            .filter(|_| start && inhibitor.is_some());
        let Some(ready) = ready else {
            let sent = self.tx.send(SessionEvent::Sleep(start)).await.is_ok();
            if !start && inhibitor.is_none() {
                *inhibitor = self.inhibit(manager).await;
            }
            return sent;
        };
        // Registered before the event goes out, so the loop's answer cannot be missed.
        let done = ready.notified();
        tokio::pin!(done);
        done.as_mut().enable();
        if self.tx.send(SessionEvent::Sleep(true)).await.is_err() {
            return false;
        }
        if tokio::time::timeout(SLEEP_DELAY, done).await.is_err() {
            tracing::warn!("profiles not saved within {SLEEP_DELAY:?} of PrepareForSleep; letting sleep proceed");
        }
        *inhibitor = None;
        true
    }

    /// Reports an outage once; `false` when the receiver is gone.
    async fn lost(&mut self, reason: String) -> bool {
        if self.lost {
            return !self.tx.is_closed();
        }
        self.lost = true;
        self.tx
            .send(SessionEvent::LogindLost { reason })
            .await
            .is_ok()
    }

    async fn send_all(&self, events: Vec<SessionEvent>) -> bool {
        for e in events {
            if self.tx.send(e).await.is_err() {
                return false;
            }
        }
        true
    }
}

async fn subscribe(conn: &Connection, t: Duration) -> Result<Subscriptions, SessionError> {
    let builder = ManagerProxy::builder(conn).cache_properties(CacheProperties::No);
    let manager = timed(t, "Manager proxy", builder.build()).await?;
    let owner = manager.inner().receive_owner_changed();
    Ok(Subscriptions {
        owner: timed(t, "subscribe NameOwnerChanged", owner).await?,
        sleep: timed(
            t,
            "subscribe PrepareForSleep",
            manager.receive_prepare_for_sleep(),
        )
        .await?,
        new: timed(t, "subscribe SessionNew", manager.receive_session_new()).await?,
        removed: timed(
            t,
            "subscribe SessionRemoved",
            manager.receive_session_removed(),
        )
        .await?,
        manager,
    })
}

/// The seats being followed, and those logind does not know (yet).
struct Seats {
    watches: Vec<SeatWatch>,
    /// Seats logind answered "no such seat" (or object) for: a keyboard tagged `ID_SEAT=seat1`
    /// without a seat-master device there (F37). Retried with backoff and on `SessionNew`.
    missing: Vec<String>,
    retry: Duration,
}

impl Seats {
    /// Tries to resolve the missing seats. A seat logind answers with an error for stays
    /// missing (reported as `NoActiveSession` when `first`); no answer ends the epoch.
    async fn resolve(
        &mut self,
        conn: &Connection,
        manager: &ManagerProxy<'static>,
        t: Duration,
        first: bool,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let mut events = Vec::new();
        for seat in std::mem::take(&mut self.missing) {
            match SeatWatch::new(conn, manager, &seat, t).await {
                Ok((watch, event)) => {
                    self.watches.push(watch);
                    events.push(event);
                }
                Err(e) if e.is_reply() => {
                    if first {
                        events.push(SessionEvent::NoActiveSession { seat: seat.clone() });
                    }
                    self.missing.push(seat);
                }
                Err(e) => return Err(e),
            }
        }
        Ok(events)
    }
}

/// The next wake of any seat, with the seat's index; never ready without seats.
async fn next_wake(watches: &mut [SeatWatch]) -> (usize, Wake) {
    if watches.is_empty() {
        return std::future::pending().await;
    }
    let futures = watches
        .iter_mut()
        .enumerate()
        .map(|(i, w)| Box::pin(async move { (i, w.next().await) }));
    select_all(futures).await.0
}
