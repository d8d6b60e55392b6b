//! The D-Bus adapter: owns `io.github.typewarden1` on the system bus, authorizes every call,
//! forwards it to the decision loop and answers from the loop's reply; emits the loop's
//! notices as signals.
//!
//! Authorization of each call: the caller's uid from the bus daemon
//! (`GetConnectionUnixUser`), then polkit with the caller's unique name as subject (uid 0
//! skips polkit, as systemd's `bus_verify_polkit_async` does: root can read the state
//! directory anyway). The message's `ALLOW_INTERACTIVE_AUTHORIZATION` header flag decides
//! whether polkit may ask the user for a password. Denied calls are forwarded too, so the
//! loop audits them.
//!
//! Invariants: every outgoing call has a deadline; at most [`MAX_IN_FLIGHT`] calls, and
//! [`MAX_PER_UID`] per caller uid, are in progress (others get `Busy` at once), so neither
//! a hanging polkit nor a flooding peer can pile up work; the loop is only ever offered a
//! request with a deadline and never waits for this task. Losing the bus or the name is
//! logged and retried with backoff; the daemon keeps verifying meanwhile.

use super::iface::{AdminIface, ManagerIface};
use super::polkit::{self, Timeouts, Verdict};
use super::request::{Op, Reply, Request};
use super::types::Status;
use super::{ApiError, BUS_NAME, OBJECT_PATH};
use crate::session::Bus;
use futures_util::StreamExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, Semaphore};
use zbus::message::{Flags, Header};
use zbus::object_server::SignalEmitter;
use zbus::Connection;

/// Calls in progress at once, all callers together.
pub const MAX_IN_FLIGHT: usize = 32;
/// Calls in progress at once for one caller uid (root included).
pub const MAX_PER_UID: usize = 4;
/// Queue of notices from the loop; when full, notices are dropped (and counted in the log).
pub const NOTICE_QUEUE: usize = 256;

/// How the adapter runs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The bus (the system bus; tests: a private one).
    pub bus: Bus,
    /// polkit deadlines.
    pub polkit: Timeouts,
    /// Deadline for calls to the bus daemon and for the loop's answer.
    pub call_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bus: Bus::System,
            polkit: Timeouts::default(),
            call_timeout: Duration::from_secs(5),
        }
    }
}

/// What the loop tells the bus.
#[derive(Clone, Debug)]
pub enum Notice {
    /// An audit record (Admin `AuditRecord` signal): event name, MESSAGE_ID, message and the
    /// `TYPEWARDEN_*` fields.
    Audit {
        /// `TYPEWARDEN_EVENT`.
        event: String,
        /// `MESSAGE_ID`.
        message_id: String,
        /// `MESSAGE`.
        message: String,
        /// The typed fields.
        fields: HashMap<String, String>,
    },
    /// The public status changed (Manager `StatusChanged` signal).
    Status(Status),
}

pub(super) struct Ctx {
    cfg: ServerConfig,
    requests: mpsc::Sender<Request>,
    in_flight: Arc<Semaphore>,
    per_uid: Mutex<HashMap<u32, usize>>,
}

/// Releases a caller's per-uid slot.
struct UidSlot<'a> {
    ctx: &'a Ctx,
    uid: u32,
}

impl Drop for UidSlot<'_> {
    fn drop(&mut self) {
        let mut m = self
            .ctx
            .per_uid
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.uid) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.uid);
            }
        }
    }
}

impl Ctx {
    /// Authorize, forward, answer. `details` go to polkit (site rules can match on them).
    pub(super) async fn call(
        &self,
        hdr: &Header<'_>,
        conn: &Connection,
        action: &str,
        op: Op,
        details: &[(&str, String)],
    ) -> Result<Reply, ApiError> {
        let _permit = self
            .in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::Busy("too many requests in progress; retry".into()))?;
        let sender = hdr
            .sender()
            .ok_or_else(|| ApiError::Failed("the call has no sender".into()))?
            .to_string();
        let uid = self.caller_uid(conn, &sender).await?;
        let _slot = self.uid_slot(uid)?;
        let verdict = if uid == 0 {
            Verdict::Allowed
        } else {
            let interactive = hdr.primary().flags().contains(Flags::AllowInteractiveAuth);
            let details: HashMap<&str, &str> =
                details.iter().map(|(k, v)| (*k, v.as_str())).collect();
            polkit::check(
                conn,
                &sender,
                action,
                &details,
                interactive,
                self.cfg.polkit,
            )
            .await
        };
        let authorized = verdict == Verdict::Allowed;
        let (tx, rx) = oneshot::channel();
        let request = Request {
            caller_uid: uid,
            authorized,
            op,
            reply: tx,
        };
        let t = self.cfg.call_timeout;
        match tokio::time::timeout(t, self.requests.send(request)).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return Err(ApiError::Failed("the daemon is stopping".into())),
            Err(_) => return Err(ApiError::Busy("the daemon is busy; retry".into())),
        }
        let reply = match tokio::time::timeout(t, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => return Err(ApiError::Failed("the daemon is stopping".into())),
            Err(_) => return Err(ApiError::Busy("the daemon did not answer in time".into())),
        };
        match verdict {
            Verdict::Allowed => reply,
            Verdict::Denied { challenge: true } => Err(ApiError::NotAuthorized(format!(
                "{action}: authentication required (no polkit agent answered)"
            ))),
            Verdict::Denied { challenge: false } => {
                Err(ApiError::NotAuthorized(format!("{action}: not authorized")))
            }
            Verdict::Unavailable(why) => Err(ApiError::NotAuthorized(format!(
                "{action}: not authorized ({why})"
            ))),
        }
    }

    async fn caller_uid(&self, conn: &Connection, sender: &str) -> Result<u32, ApiError> {
        let name = zbus::names::BusName::try_from(sender)
            .map_err(|_| ApiError::Failed("invalid sender name".into()))?;
        let lookup = async {
            let dbus = zbus::fdo::DBusProxy::new(conn).await?;
            dbus.get_connection_unix_user(name)
                .await
                .map_err(zbus::Error::from)
        };
        match tokio::time::timeout(self.cfg.call_timeout, lookup).await {
            Ok(Ok(uid)) => Ok(uid),
            Ok(Err(e)) => Err(ApiError::Failed(format!("caller credentials: {e}"))),
            Err(_) => Err(ApiError::Busy(
                "the bus did not tell the caller's uid in time".into(),
            )),
        }
    }

    fn uid_slot(&self, uid: u32) -> Result<UidSlot<'_>, ApiError> {
        let mut m = self.per_uid.lock().unwrap_or_else(PoisonError::into_inner);
        let n = m.entry(uid).or_insert(0);
        if *n >= MAX_PER_UID {
            return Err(ApiError::Busy(format!(
                "{MAX_PER_UID} requests of uid {uid} already in progress; retry"
            )));
        }
        *n += 1;
        Ok(UidSlot { ctx: self, uid })
    }
}

/// How a connection ended.
enum Ended {
    /// The loop closed the notice channel: the daemon stops.
    Stopping,
    /// The bus connection or the name is gone.
    Lost(String),
}

/// Serves the API until the loop closes `notices`, reconnecting when the bus goes away.
pub async fn run(
    cfg: ServerConfig,
    requests: mpsc::Sender<Request>,
    mut notices: mpsc::Receiver<Notice>,
) {
    let mut backoff = Duration::from_secs(1);
    loop {
        let why = match serve(&cfg, &requests, &mut notices).await {
            Ok(Ended::Stopping) => return,
            Ok(Ended::Lost(why)) => {
                backoff = Duration::from_secs(1);
                why
            }
            Err(e) => e.to_string(),
        };
        tracing::warn!("D-Bus API unavailable ({why}); retrying in {backoff:?}");
        // Notices of the outage are dropped: nobody could receive them.
        let sleep = tokio::time::sleep(backoff);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => break,
                n = notices.recv() => if n.is_none() { return },
            }
        }
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn serve(
    cfg: &ServerConfig,
    requests: &mpsc::Sender<Request>,
    notices: &mut mpsc::Receiver<Notice>,
) -> zbus::Result<Ended> {
    let ctx = Arc::new(Ctx {
        cfg: cfg.clone(),
        requests: requests.clone(),
        in_flight: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        per_uid: Mutex::new(HashMap::new()),
    });
    let builder = match &cfg.bus {
        Bus::System => zbus::connection::Builder::system()?,
        Bus::Address(a) => zbus::connection::Builder::address(a.as_str())?,
    };
    // A backstop only: each call has its own, shorter deadline (polkit's may be long while
    // an agent asks for a password).
    let build = builder
        .method_timeout(cfg.polkit.interactive + cfg.call_timeout)
        .serve_at(OBJECT_PATH, ManagerIface::new(ctx.clone()))?
        .serve_at(OBJECT_PATH, AdminIface::new(ctx))?
        .name(BUS_NAME)?
        .build();
    let conn = tokio::time::timeout(cfg.call_timeout, build)
        .await
        .map_err(|_| zbus::Error::Failure("connecting to the bus timed out".into()))??;
    tracing::info!("D-Bus API: {BUS_NAME} on {OBJECT_PATH}");
    let subscribe = async {
        let dbus = zbus::fdo::DBusProxy::new(&conn).await?;
        dbus.receive_name_lost().await
    };
    let mut lost = tokio::time::timeout(cfg.call_timeout, subscribe)
        .await
        .map_err(|_| zbus::Error::Failure("subscribing to NameLost timed out".into()))??;
    let emitter = SignalEmitter::new(&conn, OBJECT_PATH)?;
    loop {
        tokio::select! {
            n = notices.recv() => match n {
                Some(n) => emit(&emitter, n, cfg.call_timeout).await,
                None => return Ok(Ended::Stopping),
            },
            l = lost.next() => return Ok(Ended::Lost(match l {
                Some(_) => format!("lost the name {BUS_NAME}"),
                None => "the bus connection closed".to_string(),
            })),
        }
    }
}

async fn emit(emitter: &SignalEmitter<'_>, n: Notice, timeout: Duration) {
    let sent = match n {
        Notice::Audit {
            event,
            message_id,
            message,
            fields,
        } => {
            let f = AdminIface::audit_record(emitter, &event, &message_id, &message, fields);
            tokio::time::timeout(timeout, f).await
        }
        Notice::Status(s) => {
            tokio::time::timeout(timeout, ManagerIface::status_changed(emitter, s)).await
        }
    };
    match sent {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("D-Bus signal not sent: {e}"),
        Err(_) => tracing::warn!("D-Bus signal not sent within {timeout:?}"),
    }
}
