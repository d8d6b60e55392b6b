//! One seat followed on one bus connection: its `ActiveSession` and the active session's
//! properties and `Lock`/`Unlock` signals. Used only by [`super::tracker`].
//!
//! Invariants: the watched session is always the seat's current `ActiveSession` (replaced,
//! with its streams, on every switch: F39); events are produced by comparing snapshots, so
//! the initial values that zbus property streams yield first, or repeated notifications,
//! never produce duplicate events.

use super::model::{SessionClass, SessionInfo, SessionType};
use super::proxies::{ManagerProxy, SeatProxy, SessionProxy};
use super::{timed, LockVia, SessionError, SessionEvent};
use futures_util::stream::{select_all, BoxStream, SelectAll};
use futures_util::StreamExt;
use std::time::Duration;
use zbus::proxy::{CacheProperties, PropertyStream};
use zbus::zvariant::OwnedObjectPath;
use zbus::Connection;

/// Why a watch woke up.
pub(super) enum Wake {
    /// The seat's `ActiveSession` may have changed.
    Seat,
    /// A property of the active session may have changed.
    Props,
    /// logind sent `Lock` to the active session.
    Lock,
    /// logind sent `Unlock` to the active session.
    Unlock,
    /// A stream ended: the connection is gone.
    Closed,
}

pub(super) struct SeatWatch {
    seat: String,
    conn: Connection,
    timeout: Duration,
    proxy: SeatProxy<'static>,
    active_changes: PropertyStream<'static, (String, OwnedObjectPath)>,
    session: Option<SessionWatch>,
}

struct SessionWatch {
    proxy: SessionProxy<'static>,
    info: SessionInfo,
    wakes: SelectAll<BoxStream<'static, Wake>>,
}

impl SeatWatch {
    /// Resolves `seat` and its active session; the event describing it is returned with it.
    pub(super) async fn new(
        conn: &Connection,
        manager: &ManagerProxy<'static>,
        seat: &str,
        timeout: Duration,
    ) -> Result<(Self, SessionEvent), SessionError> {
        let path = timed(timeout, "GetSeat", manager.get_seat(seat)).await?;
        let builder = SeatProxy::builder(conn)
            .path(path)
            .map_err(|source| SessionError::Dbus {
                what: "seat path",
                source,
            })?
            .cache_properties(CacheProperties::Yes);
        let proxy = timed(timeout, "Seat properties", builder.build()).await?;
        let active_changes = proxy.receive_active_session_changed().await;
        let mut watch = Self {
            seat: seat.to_string(),
            conn: conn.clone(),
            timeout,
            proxy,
            active_changes,
            session: None,
        };
        let event = watch.resolve().await?;
        Ok((watch, event))
    }

    /// The id of the watched active session.
    pub(super) fn session_id(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.info.id.as_str())
    }

    /// Waits for the next reason to look at this seat again.
    pub(super) async fn next(&mut self) -> Wake {
        let session = async {
            match &mut self.session {
                Some(s) => s.wakes.next().await.unwrap_or(Wake::Closed),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            w = self.active_changes.next() => w.map_or(Wake::Closed, |_| Wake::Seat),
            w = session => w,
        }
    }

    /// Handles a wake; returns the events it implies (possibly none).
    pub(super) async fn handle(&mut self, wake: Wake) -> Result<Vec<SessionEvent>, SessionError> {
        let seat = self.seat.clone();
        let Some(id) = self.session_id().map(str::to_string) else {
            return Ok(match wake {
                Wake::Seat => vec![self.resolve().await?],
                _ => Vec::new(),
            });
        };
        let via = LockVia::Signal;
        match wake {
            Wake::Seat
                if active_id(&self.proxy, self.timeout).await?.as_deref() == Some(id.as_str()) =>
            {
                Ok(Vec::new())
            }
            Wake::Seat => Ok(vec![self.resolve().await?]),
            Wake::Props => self.refresh(seat, id).await,
            Wake::Lock => Ok(vec![SessionEvent::Locked {
                seat,
                session: id,
                via,
            }]),
            Wake::Unlock => Ok(vec![SessionEvent::Unlocked {
                seat,
                session: id,
                via,
            }]),
            Wake::Closed => Ok(Vec::new()),
        }
    }

    /// Re-reads the active session; reports a `LockedHint` change as `Locked`/`Unlocked` and
    /// any other change as a fresh `Active`.
    async fn refresh(
        &mut self,
        seat: String,
        id: String,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let Some(session) = &mut self.session else {
            return Ok(Vec::new());
        };
        let new = timed(
            self.timeout,
            "Session properties",
            read_info(&session.proxy),
        )
        .await?;
        let old = std::mem::replace(&mut session.info, new.clone());
        let mut events = Vec::new();
        if new.locked != old.locked {
            let (session, via) = (id, LockVia::Hint);
            events.push(match new.locked {
                true => SessionEvent::Locked { seat, session, via },
                false => SessionEvent::Unlocked { seat, session, via },
            });
        }
        if (SessionInfo {
            locked: old.locked,
            ..new.clone()
        }) != old
        {
            events.push(SessionEvent::Active(new));
        }
        Ok(events)
    }

    /// The watched session ended (`SessionRemoved`): follow whatever the seat shows now, and
    /// report no active session if it still names the removed one.
    pub(super) async fn session_removed(&mut self) -> Result<SessionEvent, SessionError> {
        let removed = self.session.take().map(|s| s.info.id);
        if active_id(&self.proxy, self.timeout).await? == removed {
            return Ok(SessionEvent::NoActiveSession {
                seat: self.seat.clone(),
            });
        }
        self.resolve().await
    }

    /// Rebuilds the session watch from the seat's current `ActiveSession`.
    async fn resolve(&mut self) -> Result<SessionEvent, SessionError> {
        self.session = None;
        let (id, path) = timed(self.timeout, "ActiveSession", self.proxy.active_session()).await?;
        if id.is_empty() || path.as_str() == "/" {
            return Ok(SessionEvent::NoActiveSession {
                seat: self.seat.clone(),
            });
        }
        let t = self.timeout;
        let builder = SessionProxy::builder(&self.conn)
            .path(path)
            .map_err(|source| SessionError::Dbus {
                what: "session path",
                source,
            })?
            .cache_properties(CacheProperties::Yes);
        let proxy = timed(t, "Session properties", builder.build()).await?;
        let lock = timed(t, "subscribe Lock", proxy.receive_lock()).await?;
        let unlock = timed(t, "subscribe Unlock", proxy.receive_unlock()).await?;
        let props: [BoxStream<'static, Wake>; 6] = [
            props(proxy.receive_locked_hint_changed().await),
            props(proxy.receive_active_changed().await),
            props(proxy.receive_class_changed().await),
            props(proxy.receive_state_changed().await),
            props(proxy.receive_remote_changed().await),
            props(proxy.receive_kind_changed().await),
        ];
        let mut wakes = select_all(props);
        wakes.push(lock.map(|_| Wake::Lock).boxed());
        wakes.push(unlock.map(|_| Wake::Unlock).boxed());
        let info = timed(t, "Session properties", read_info(&proxy)).await?;
        self.session = Some(SessionWatch {
            proxy,
            info: info.clone(),
            wakes,
        });
        Ok(SessionEvent::Active(info))
    }
}

/// The seat's `ActiveSession` id, `None` when it has none. (A free function: holding
/// `&SeatWatch` across an await would make the tracker future need `Sync` streams.)
async fn active_id(seat: &SeatProxy<'static>, t: Duration) -> Result<Option<String>, SessionError> {
    let (id, path) = timed(t, "ActiveSession", seat.active_session()).await?;
    Ok((!id.is_empty() && path.as_str() != "/").then_some(id))
}

fn props<T: Send + Unpin + 'static>(s: PropertyStream<'static, T>) -> BoxStream<'static, Wake> {
    s.map(|_| Wake::Props).boxed()
}

/// A snapshot of the session's properties (served from zbus's property cache, which
/// PropertiesChanged keeps current).
async fn read_info(p: &SessionProxy<'static>) -> zbus::Result<SessionInfo> {
    Ok(SessionInfo {
        id: p.id().await?,
        uid: p.user().await?.0,
        user: p.name().await?,
        seat: p.seat().await?.0,
        class: SessionClass::parse(&p.class().await?),
        kind: SessionType::parse(&p.kind().await?),
        remote: p.remote().await?,
        active: p.active().await?,
        closing: p.state().await? == "closing",
        locked: p.locked_hint().await?,
    })
}
