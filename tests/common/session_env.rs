//! One private bus with the logind mock per test, a tracker on it, and event helpers.
#![allow(dead_code)]

use super::dbus::{Logind, TestBus};
use super::mock::Mock;
use std::time::Duration;
use tokio::sync::mpsc;
use typewarden::session::{
    run_tracker, Bus, Escalation, LockTarget, SessionConfig, SessionEvent, SessionInfo,
};

pub struct Env {
    pub bus: TestBus,
    pub logind: Logind,
    pub mock: Mock,
}

/// `None` (after printing "skipping: …") when dbus-daemon or dbusmock is missing.
pub async fn setup() -> Option<Env> {
    let bus = TestBus::start()?;
    let logind = Logind::start(&bus).await;
    let mock = Mock::new(&bus.address).await;
    Some(Env { bus, logind, mock })
}

impl Env {
    pub fn bus(&self) -> Bus {
        Bus::Address(self.bus.address.clone())
    }

    /// Starts a tracker for `seats`; it ends when the receiver is dropped.
    pub fn track(&self, seats: &[&str], cfg: SessionConfig) -> mpsc::Receiver<SessionEvent> {
        let (tx, rx) = mpsc::channel(64);
        let seats = seats.iter().map(|s| s.to_string()).collect();
        tokio::spawn(run_tracker(self.bus(), seats, cfg, tx));
        rx
    }
}

/// Shorter D-Bus deadlines than the defaults, so failures show quickly.
pub fn cfg() -> SessionConfig {
    SessionConfig {
        dbus_timeout_ms: 1000,
        ..SessionConfig::default()
    }
}

/// The next event; fails after 10 s.
pub async fn next(rx: &mut mpsc::Receiver<SessionEvent>) -> SessionEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no session event within 10 s")
        .expect("tracker ended")
}

/// Skips events until one matches; fails after 10 s per event.
pub async fn until(
    rx: &mut mpsc::Receiver<SessionEvent>,
    want: impl Fn(&SessionEvent) -> bool,
) -> SessionEvent {
    loop {
        let e = next(rx).await;
        if want(&e) {
            return e;
        }
    }
}

pub fn active(e: SessionEvent) -> SessionInfo {
    match e {
        SessionEvent::Active(info) => info,
        other => panic!("expected Active, got {other:?}"),
    }
}

pub fn target(session: &str, seat: &str, uid: u32) -> LockTarget {
    LockTarget {
        session: session.into(),
        seat: seat.into(),
        uid,
    }
}

/// Short confirmation window so unconfirmed locks finish quickly.
pub fn quick(escalation: Escalation) -> SessionConfig {
    SessionConfig {
        lock_confirm_timeout_ms: 500,
        escalation,
        ..cfg()
    }
}
