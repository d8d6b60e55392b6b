//! The interim consumer of `typewarden daemon`: counts and logs per device until the engine
//! takes over. Logs identities and counts only, never key content.
//!
//! Owns: the single consumer loop and its per-device [`Tally`].

use crate::core::timing::{DeviceId, Edge, TimingKind};
use crate::input::manager::{Manager, ManagerConfig};
use crate::input::monitor::MonitorError;
use crate::input::InputEvent;
use std::collections::BTreeMap;

/// Per-device counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Clean key releases (complete keystrokes).
    pub keystrokes: u64,
    /// Timing cuts.
    pub cuts: u64,
}

/// Runs the input layer and a counting consumer until SIGINT/SIGTERM.
pub async fn run(cfg: ManagerConfig) -> Result<(), MonitorError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let manager = tokio::spawn(Manager::new(cfg, tx).run());
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let mut tally: BTreeMap<DeviceId, Tally> = BTreeMap::new();
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => ev,
            _ = tokio::signal::ctrl_c() => None,
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => None,
        };
        match ev {
            Some(InputEvent::Timing(t)) => {
                let e = tally.entry(t.device).or_default();
                match t.kind {
                    TimingKind::Key {
                        edge: Edge::Release,
                        ..
                    } => e.keystrokes += 1,
                    TimingKind::Cut(_) => e.cuts += 1,
                    TimingKind::Key { .. } => {}
                }
            }
            Some(InputEvent::DeviceRemoved { id, .. }) => {
                let t = tally.remove(&id).unwrap_or_default();
                tracing::info!(
                    id = id.0,
                    keystrokes = t.keystrokes,
                    cuts = t.cuts,
                    "device tally"
                );
            }
            Some(
                InputEvent::Ready { .. }
                | InputEvent::DeviceAdded(_)
                | InputEvent::Unreadable { .. }
                | InputEvent::Pointer(_),
            ) => {}
            None => break,
        }
    }
    drop(rx);
    for (id, t) in &tally {
        tracing::info!(
            id = id.0,
            keystrokes = t.keystrokes,
            cuts = t.cuts,
            "device tally at exit"
        );
    }
    match manager.await {
        Ok(r) => r,
        Err(_) => Ok(()),
    }
}
