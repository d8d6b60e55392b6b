//! The daemon: the imperative shell around the decision core.
//!
//! Owns: the runtime wiring. Adapters (input or replay, the logind tracker, signals, a
//! timer) send [`Event`]s to one loop; the loop hands each to [`Brain`] and carries out the
//! [`Action`]s it returns: audit records, lock requests (as tasks that answer with
//! [`Event::LockDone`]), profile loads and saves.
//!
//! Invariants: nothing blocks the loop on the keystroke path (audit is a queue, locks are
//! tasks, saves happen on switches, sleep, a timer and shutdown only); no error from one
//! adapter stops the others.

mod audits;
pub mod brain;
pub mod event;
pub mod profile_file;
mod replay_source;
mod resolve;

pub use brain::{Brain, Now, Settings};
pub use event::{Action, Event, Resolved};

use crate::audit::fields::{DegradedReason, Mode as AuditMode, StopReason};
use crate::audit::{Audit, AuditConfig, AuditEvent, AuditHandle};
use crate::config::{Config, Mode};
use crate::input::manager::{Manager, ManagerConfig};
use crate::session::{lock_session, run_tracker, Bus, SessionConfig};
use crate::store::{LoadOutcome, Persistence, Store};
use profile_file::StoredProfile;
use std::path::PathBuf;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Seconds between saves of changed profiles.
const SAVE_EVERY: Duration = Duration::from_secs(300);
/// How long a replay waits for the first word from the logind tracker.
const REPLAY_WAIT: Duration = Duration::from_secs(10);
/// How long shutdown waits for the audit queue to drain.
const AUDIT_FLUSH: Duration = Duration::from_secs(2);

/// What `typewarden daemon` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Profile directory.
    pub state_dir: PathBuf,
    /// The journal socket audit records go to.
    pub journal_socket: PathBuf,
    /// Replay these traces instead of reading devices.
    pub replay: Option<Vec<PathBuf>>,
    /// Replay pacing: 1 = real time, 0 = as fast as possible.
    pub speed: f64,
}

/// Why the daemon could not run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The state directory is unusable.
    #[error("state directory: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A replay trace is malformed.
    #[error("{0}")]
    Trace(#[from] crate::trace::TraceError),
    /// The audit writer could not start.
    #[error("audit writer: {0}")]
    Audit(std::io::Error),
    /// Signal handlers could not be installed.
    #[error("signals: {0}")]
    Signal(std::io::Error),
}

/// Runs until SIGTERM/SIGINT, or until a replay ends.
pub async fn run(config: Config, opts: Options) -> Result<(), DaemonError> {
    let traces = match &opts.replay {
        Some(files) => Some(replay_source::load_all(files)?),
        None => None,
    };
    let audit_cfg = AuditConfig {
        socket: opts.journal_socket.clone(),
        ..AuditConfig::default()
    };
    let audit = Audit::start(audit_cfg, Box::new(std::io::stderr())).map_err(DaemonError::Audit)?;
    let ah = audit.handle();
    let mode = match config.mode {
        Mode::Enforce => AuditMode::Enforce,
        Mode::Monitor => AuditMode::Monitor,
    };
    ah.emit(&AuditEvent::DaemonStarted {
        version: env!("CARGO_PKG_VERSION"),
        mode,
    });
    let result = serve(&config, &opts, traces, &ah).await;
    let reason = match (&result, opts.replay.is_some()) {
        (Err(_), _) => StopReason::Error,
        (Ok(()), true) => StopReason::ReplayFinished,
        (Ok(()), false) => StopReason::Signal,
    };
    ah.emit(&AuditEvent::DaemonStopping { reason });
    let stats = audit.shutdown(AUDIT_FLUSH);
    tracing::info!(?stats, "audit writer stopped");
    result
}

async fn serve(
    config: &Config,
    opts: &Options,
    traces: Option<Vec<crate::trace::Trace>>,
    ah: &AuditHandle,
) -> Result<(), DaemonError> {
    let store = Store::open(&opts.state_dir)?;
    if let Persistence::Volatile { .. } = store.persistence() {
        ah.emit(&AuditEvent::DegradedProtection {
            reason: DegradedReason::StateNotPersistent,
            subject: None,
        });
    }
    let session_cfg = config.session.clone();
    let mut brain = Brain::new(settings(config));
    let (itx, mut irx) = mpsc::channel(1024);
    let mut tasks = JoinSet::new();
    let replaying = traces.is_some();
    let mut sessions_ready: Option<tokio::sync::oneshot::Sender<()>> = None;
    match traces {
        Some(t) => {
            let params = config.clean_params();
            let pointer = config.pointer.enabled.then(|| config.pointer.segment());
            let speed = opts.speed;
            let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
            sessions_ready = Some(ready_tx);
            tasks.spawn(async move {
                // Replayed typing starts once the session state is known, as live typing
                // would find it; a tracker that says nothing still lets it start.
                let _ = tokio::time::timeout(REPLAY_WAIT, ready_rx).await;
                replay_source::run(t, speed, params, pointer, itx).await;
            });
        }
        None => {
            let cfg = ManagerConfig {
                filter: config.input.filter.clone(),
                params: config.clean_params(),
                monitor: None,
                pointer: config.pointer.enabled.then(|| config.pointer.segment()),
            };
            tasks.spawn(async move {
                if let Err(e) = Manager::new(cfg, itx).run().await {
                    tracing::error!("input monitor: {e}");
                }
            });
        }
    }
    let (stx, mut srx) = mpsc::channel(64);
    tasks.spawn(run_tracker(
        Bus::System,
        vec!["seat0".into()],
        session_cfg.clone(),
        stx,
    ));
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut save = tokio::time::interval(SAVE_EVERY);
    let notifier = crate::notify::Notifier::from_env().unwrap_or_else(|e| {
        tracing::warn!("sd_notify: {e}");
        crate::notify::Notifier::disabled()
    });
    // F03: the watchdog is pinged from this loop, so a wedged loop gets the unit restarted.
    let mut watchdog = tokio::time::interval(
        crate::notify::watchdog_interval().map_or(Duration::from_secs(3600), |w| w / 2),
    );
    if let Err(e) = notifier.ready() {
        tracing::warn!("sd_notify READY: {e}");
    }
    let mut clock = Clock {
        replay: replaying,
        last_event_us: None,
    };
    let mut locks = JoinSet::new();
    let mut input_open = true;
    loop {
        let event = tokio::select! {
            e = irx.recv(), if input_open => match e {
                Some(e) => Event::Input(e),
                None if replaying => break,
                None => { input_open = false; continue }
            },
            Some(e) = srx.recv() => {
                let r = resolve::resolve(&e, &session_cfg, config);
                Event::Session(e, r)
            }
            Some(done) = locks.join_next(), if !locks.is_empty() => match done {
                Ok(e) => e,
                Err(e) => { tracing::error!("lock task: {e}"); continue }
            },
            _ = save.tick() => Event::SaveTick,
            _ = watchdog.tick() => {
                if let Err(e) = notifier.watchdog() {
                    tracing::warn!("sd_notify WATCHDOG: {e}");
                }
                continue;
            }
            _ = term.recv() => break,
            _ = int.recv() => break,
        };
        let now = clock.observe(&event);
        let session_known = matches!(event, Event::Session(..));
        let actions = brain.handle(event, now);
        execute(
            actions,
            &mut brain,
            &store,
            ah,
            &mut locks,
            &session_cfg,
            now,
        );
        if session_known {
            if let Some(ready) = sessions_ready.take() {
                let _ = ready.send(());
            }
        }
    }
    // The process ends only after its lock requests were answered and audited.
    while let Some(r) = locks.join_next().await {
        if let Ok(e) = r {
            let now = clock.now();
            let actions = brain.handle(e, now);
            execute(
                actions,
                &mut brain,
                &store,
                ah,
                &mut locks,
                &session_cfg,
                now,
            );
        }
    }
    let now = clock.now();
    let actions = brain.shutdown();
    execute(
        actions,
        &mut brain,
        &store,
        ah,
        &mut JoinSet::new(),
        &session_cfg,
        now,
    );
    tasks.abort_all();
    if let Err(e) = notifier.stopping() {
        tracing::warn!("sd_notify STOPPING: {e}");
    }
    Ok(())
}

fn settings(c: &Config) -> Settings {
    Settings {
        mode: c.mode,
        engine: c.engine.clone(),
        pointer: c.pointer.clone(),
        settle_ms: c.session.settle_ms,
        false_lock_window_ms: c.session.probable_false_lock_window_s.saturating_mul(1000),
        lock_confirm_timeout_ms: c.session.lock_confirm_timeout_ms,
        escalation: c.session.escalation.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn execute(
    actions: Vec<Action>,
    brain: &mut Brain,
    store: &Store,
    ah: &AuditHandle,
    locks: &mut JoinSet<Event>,
    session_cfg: &SessionConfig,
    now: Now,
) {
    for a in actions {
        match a {
            Action::Audit(e) => ah.emit(&e),
            Action::Lock { seat, target } => {
                let cfg = session_cfg.clone();
                locks.spawn(async move {
                    let outcome = lock_session(&Bus::System, &target, &cfg).await;
                    Event::LockDone { seat, outcome }
                });
            }
            Action::Load(id) => {
                let profile = match store.load::<StoredProfile>(&id) {
                    Ok(LoadOutcome::Loaded(p)) => Some(p),
                    Ok(LoadOutcome::Migrated {
                        profile,
                        from_version,
                    }) => {
                        tracing::info!(from_version, "profile migrated");
                        if let Err(e) = store.save(&id, &profile) {
                            tracing::warn!("saving the migrated profile: {e}");
                        }
                        Some(profile)
                    }
                    Ok(LoadOutcome::Missing) => None,
                    Ok(LoadOutcome::Quarantined {
                        reason,
                        quarantined_path,
                    }) => {
                        ah.emit(&AuditEvent::ProfileQuarantined {
                            profile: id.clone(),
                            reason,
                            quarantined_path,
                        });
                        None
                    }
                    Err(e) => {
                        // The store itself failed: starting afresh could later overwrite a
                        // good profile, so this identity is not scored until the next switch.
                        tracing::error!("loading a profile: {e}");
                        continue;
                    }
                };
                let more = brain.install(id, profile, now);
                execute(more, brain, store, ah, locks, session_cfg, now);
            }
            Action::Save(id, p) => {
                if let Err(e) = store.save(&id, &*p) {
                    tracing::error!("saving a profile: {e}");
                }
            }
        }
    }
}

/// The loop's two clocks (see [`Now`]): the engine clock follows the kernel's
/// `CLOCK_MONOTONIC` live, and the stamps of the replayed events in a replay.
struct Clock {
    replay: bool,
    last_event_us: Option<i64>,
}

impl Clock {
    fn observe(&mut self, e: &Event) -> Now {
        use crate::core::pointer::PointerEvent;
        use crate::input::InputEvent;
        match e {
            Event::Input(InputEvent::Timing(t)) => self.last_event_us = Some(t.t_us),
            Event::Input(InputEvent::Pointer(PointerEvent::Action { action, .. })) => {
                self.last_event_us = Some(action.end_us)
            }
            Event::Input(InputEvent::Pointer(PointerEvent::Cut { t_us, .. })) => {
                self.last_event_us = Some(*t_us)
            }
            _ => {}
        }
        self.now()
    }

    fn now(&self) -> Now {
        let mono = nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
            .map(|t| t.tv_sec() * 1_000_000 + t.tv_nsec() / 1000)
            .unwrap_or(0);
        Now {
            ms: u64::try_from(mono / 1000).unwrap_or(0),
            us: if self.replay {
                self.last_event_us.unwrap_or(0)
            } else {
                mono
            },
        }
    }
}
