//! The daemon: the imperative shell around the decision core.
//!
//! Owns: the runtime wiring. Adapters (input or replay, the logind tracker, the D-Bus API,
//! signals, a timer) send [`Event`]s or requests to one loop; the loop hands each to
//! [`Brain`] and carries out the [`Action`]s it returns: audit records, lock requests (as
//! tasks that answer with [`Event::LockDone`]), profile loads and saves. API requests and
//! reloads (D-Bus or SIGHUP) are answered by [`control`] inside the same loop.
//!
//! Invariants: nothing blocks the loop on the keystroke path (audit is a queue, locks are
//! tasks, saves are filed on switches, sleep, a timer, enrollment and shutdown and written
//! by the store's writer thread); no error from one adapter stops the others; the loop never
//! waits for the D-Bus adapter (replies are oneshots, notices a bounded queue). Shutdown
//! waits, bounded by [`SAVE_FLUSH`], for the profile saves still pending; sleep is held
//! back (a logind delay inhibitor, at most `SLEEP_DELAY`) until the saves it asked for are
//! done, waited for on a blocking thread.

mod audit_sink;
mod audits;
pub mod brain;
mod control;
pub mod event;
mod execute;
pub mod profile_file;
mod replay_source;
mod resolve;
mod startup;
mod view;

pub use brain::{Brain, Now, Settings};
pub use event::{Action, Event, Resolved};
pub use startup::audit_rejected_config;

use crate::audit::fields::{DegradedReason, Mode as AuditMode, StopReason};
use crate::audit::{Audit, AuditConfig, AuditEvent, AuditHandle};
use crate::config::{Config, Mode};
use crate::input::manager::{Manager, ManagerConfig};
use crate::ipc::server::{self as api, ServerConfig};
use crate::session::{run_tracker_with, Bus, SessionEvent};
use crate::store::{Persistence, SaveQueue, Store};
use audit_sink::Auditor;
use control::Control;
use execute::{Disk, Shell};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// Seconds between saves of changed profiles.
const SAVE_EVERY: Duration = Duration::from_secs(300);
/// How long shutdown waits for the audit queue to drain.
const AUDIT_FLUSH: Duration = Duration::from_secs(2);
/// How long shutdown waits for pending profile saves (an fsync on a slow SD card can take
/// seconds; the unit's TimeoutStopSec=10s leaves room for this and the audit flush).
const SAVE_FLUSH: Duration = Duration::from_secs(6);
/// How long shutdown waits for lock requests in flight to be confirmed or escalated (the
/// default confirmation timeout is 2 s, then the escalation runs). The saves run meanwhile
/// and wait only for what is left of SAVE_FLUSH, so the stop takes at most SAVE_FLUSH +
/// AUDIT_FLUSH (8 s) of TimeoutStopSec=10s.
const LOCK_DRAIN: Duration = SAVE_FLUSH;

/// What `typewarden daemon` was asked to do.
#[derive(Clone, Debug)]
pub struct Options {
    /// Profile directory.
    pub state_dir: PathBuf,
    /// The journal socket audit records go to.
    pub journal_socket: PathBuf,
    /// The syslog socket they go to when the journal refuses them.
    pub syslog_socket: PathBuf,
    /// Replay these traces instead of reading devices.
    pub replay: Option<Vec<PathBuf>>,
    /// The seat of each replayed trace, in order (the rest are on seat0).
    pub replay_seats: Vec<String>,
    /// Replay pacing: 1 = real time, 0 = as fast as possible.
    pub speed: f64,
    /// `--config PATH`, read again on reload (`None`: the `/etc` files).
    pub config_path: Option<PathBuf>,
}

/// Why the daemon could not run.
#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    /// The state directory is unusable.
    #[error("state directory: {0}")]
    Store(#[from] crate::store::StoreError),
    /// A replay trace is malformed, or `--replay-seat` does not fit.
    #[error("{0}")]
    Replay(#[from] replay_source::ReplayError),
    /// The audit writer could not start.
    #[error("audit writer: {0}")]
    Audit(std::io::Error),
    /// Signal handlers could not be installed.
    #[error("signals: {0}")]
    Signal(std::io::Error),
    /// The profile writer thread could not start.
    #[error("profile writer: {0}")]
    Writer(std::io::Error),
}

/// Runs until SIGTERM/SIGINT, or until a replay ends.
pub async fn run(config: Config, opts: Options) -> Result<(), DaemonError> {
    let traces = match &opts.replay {
        Some(files) => Some(replay_source::load_all(files, &opts.replay_seats)?),
        None => None,
    };
    let audit_cfg = AuditConfig {
        socket: opts.journal_socket.clone(),
        syslog_socket: Some(opts.syslog_socket.clone()),
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
    let result = serve(config, &opts, traces, &ah).await;
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
    config: Config,
    opts: &Options,
    traces: Option<Vec<(crate::trace::Trace, String)>>,
    ah: &AuditHandle,
) -> Result<(), DaemonError> {
    let (notice_tx, notice_rx) = mpsc::channel(api::NOTICE_QUEUE);
    let (request_tx, mut request_rx) = mpsc::channel(64);
    let ah = &Auditor::new(ah.clone(), Some(notice_tx));
    let mut control = Control {
        config,
        config_path: opts.config_path.clone(),
        last_status: None,
    };
    let config = &control.config.clone();
    let store = Arc::new(Store::open(&opts.state_dir)?);
    let (saved_tx, mut saved_rx) = mpsc::unbounded_channel();
    let saves = SaveQueue::start(Arc::clone(&store), move |saved| {
        let _ = saved_tx.send(saved);
    })
    .map_err(DaemonError::Writer)?;
    let disk = Disk { store, saves };
    let store = &*disk.store;
    if let Persistence::Volatile { .. } = store.persistence() {
        ah.emit(&AuditEvent::DegradedProtection {
            reason: DegradedReason::StateNotPersistent,
            subject: None,
        });
    }
    let mut brain = Brain::new(settings(config));
    let (itx, mut irx) = mpsc::channel(1024);
    let mut tasks = JoinSet::new();
    let replaying = traces.is_some();
    // Replayed typing on a seat starts once that seat's session state is known.
    let (known_tx, known_rx) = tokio::sync::watch::channel(replay_source::SeatsKnown::default());
    match traces {
        Some(t) => {
            let params = config.clean_params();
            let pointer = config.pointer.enabled.then(|| config.pointer.segment());
            let speed = opts.speed;
            tasks.spawn(replay_source::run(t, speed, params, pointer, itx, known_rx));
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
    // F37: the tracker follows the seats of the devices; seat0 until a device says otherwise.
    let mut seats = std::collections::BTreeSet::from(["seat0".to_string()]);
    let tracker_cfg = config.session.clone();
    // Sleep waits (logind delay inhibitor, at most SLEEP_DELAY) until the saves asked for at
    // PrepareForSleep(true) are on disk.
    let sleep_ready = Arc::new(tokio::sync::Notify::new());
    let track = |tasks: &mut JoinSet<()>, seats: &std::collections::BTreeSet<String>| {
        let list = seats.iter().cloned().collect();
        tasks.spawn(run_tracker_with(
            Bus::System,
            list,
            tracker_cfg.clone(),
            stx.clone(),
            Some(Arc::clone(&sleep_ready)),
        ))
    };
    let mut tracker = track(&mut tasks, &seats);
    // Kiosks: the identity file can name another person with no logind event at all.
    let (idtx, mut idrx) = mpsc::channel(4);
    if let crate::session::IdentitySource::File(path) = &config.session.identity {
        tasks.spawn(crate::session::identity_watch::watch_identity_file(
            path.clone(),
            idtx,
        ));
    }
    tasks.spawn(api::run(ServerConfig::default(), request_tx, notice_rx));
    let mut term = signal(SignalKind::terminate()).map_err(DaemonError::Signal)?;
    let mut int = signal(SignalKind::interrupt()).map_err(DaemonError::Signal)?;
    let mut hup = signal(SignalKind::hangup()).map_err(DaemonError::Signal)?;
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
    // What the core's actions act on, borrowed afresh at each use (the loop uses the same
    // state in between: the control surface, the configuration, the lock tasks).
    macro_rules! shell {
        () => {
            Shell {
                disk: &disk,
                audit: ah,
                locks: &mut locks,
                session: &control.config.session,
            }
        };
    }
    let mut input_open = true;
    loop {
        // An administrator's pause ends by itself (issue 6: bounded).
        let pause_left = brain
            .paused_until()
            .map(|until| Duration::from_millis(until.saturating_sub(clock.now().ms)));
        let event = tokio::select! {
            e = irx.recv(), if input_open => match e {
                Some(e) => Event::Input(e),
                None if replaying => break,
                None => { input_open = false; continue }
            },
            Some(e) = srx.recv() => {
                let r = resolve::resolve(&e, &control.config.session, &control.config);
                Event::Session(e, r)
            }
            Some(req) = request_rx.recv() => {
                let now = clock.now();
                let mut cx = control::Ctx { brain: &mut brain, store, saves: &disk.saves, audit: ah, now, out: Vec::new() };
                control.handle(req, &mut cx);
                let actions = std::mem::take(&mut cx.out);
                shell!().execute(actions, &mut brain, now);
                announce(&mut control, &brain, ah);
                continue;
            }
            _ = hup.recv() => {
                let now = clock.now();
                let mut cx = control::Ctx { brain: &mut brain, store, saves: &disk.saves, audit: ah, now, out: Vec::new() };
                // Errors are logged and audited inside; the running configuration stays.
                let _ = control.reload(&mut cx);
                announce(&mut control, &brain, ah);
                continue;
            }
            _ = tokio::time::sleep(pause_left.unwrap_or_default()), if pause_left.is_some() => {
                let now = clock.now();
                let actions = brain.expire_pause(now);
                shell!().execute(actions, &mut brain, now);
                continue;
            }
            Some(()) = idrx.recv() => {
                let now = clock.now();
                for info in brain.active_sessions() {
                    let e = crate::session::SessionEvent::Active(info);
                    let r = resolve::resolve(&e, &control.config.session, &control.config);
                    let actions = brain.handle(Event::Session(e, r), now);
                    shell!().execute(actions, &mut brain, now);
                }
                continue;
            }
            Some(done) = locks.join_next(), if !locks.is_empty() => match done {
                Ok(e) => e,
                Err(e) => { tracing::error!("lock task: {e}"); continue }
            },
            Some(saved) = saved_rx.recv() => {
                shell!().saved(saved, &mut brain);
                continue;
            }
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
        if let Event::Input(crate::input::InputEvent::DeviceAdded(d)) = &event {
            if seats.insert(d.seat.clone()) {
                // A keyboard on a seat not followed yet: restart the tracker on every seat
                // (it resolves them afresh; an unchanged session is no switch for the brain).
                tracing::info!(seat = %d.seat, "following a new seat");
                tracker.abort();
                tracker = track(&mut tasks, &seats);
            }
        }
        if let Event::Session(e, _) = &event {
            known_tx.send_if_modified(|k| k.note(e));
        }
        let now = clock.observe(&event);
        let keystroke = matches!(event, Event::Input(crate::input::InputEvent::Timing(_)));
        let before_sleep = matches!(event, Event::Session(SessionEvent::Sleep(true), _));
        let actions = brain.handle(event, now);
        shell!().execute(actions, &mut brain, now);
        if before_sleep {
            // The saves are filed; a blocking thread waits for them, never this loop.
            let (saves, ready) = (disk.saves.flusher(), Arc::clone(&sleep_ready));
            tokio::task::spawn_blocking(move || {
                if !saves.flush(crate::session::tracker::SLEEP_DELAY) {
                    tracing::warn!("profiles still being saved as sleep starts");
                }
                ready.notify_waiters();
            });
        }
        if !keystroke {
            announce(&mut control, &brain, ah);
        }
    }
    // Saves first: they run on the writer thread while the lock requests below finish, so
    // a slow escalation does not eat into the time the saves have before TimeoutStopSec.
    let filed = std::time::Instant::now();
    let now = clock.now();
    let actions = brain.shutdown();
    shell!().execute(actions, &mut brain, now);
    // Lock requests in flight are answered and audited, within LOCK_DRAIN.
    let drained = tokio::time::timeout(LOCK_DRAIN, async {
        while let Some(r) = locks.join_next().await {
            if let Ok(e) = r {
                let now = clock.now();
                let actions = brain.handle(e, now);
                shell!().execute(actions, &mut brain, now);
            }
        }
    })
    .await;
    if drained.is_err() {
        // The lock itself was requested; its confirmation, or the escalation, did not
        // finish (a lock_confirm_timeout_ms near the stop budget, a slow command).
        tracing::error!(
            "{} lock request(s) still unconfirmed {LOCK_DRAIN:?} into shutdown: their confirmation or escalation did not complete and is not audited",
            locks.len()
        );
        locks.abort_all();
    }
    // Whatever the lock outcomes changed (normally nothing: input has stopped).
    let now = clock.now();
    let actions = brain.shutdown();
    shell!().execute(actions, &mut brain, now);
    finish_saves(
        disk,
        &mut saved_rx,
        ah,
        SAVE_FLUSH.saturating_sub(filed.elapsed()),
    );
    tasks.abort_all();
    if let Err(e) = notifier.stopping() {
        tracing::warn!("sd_notify STOPPING: {e}");
    }
    Ok(())
}

/// Waits (bounded) for the saves still pending, then audits every save that failed or
/// could not finish: a profile is never lost silently.
fn finish_saves(
    disk: Disk,
    saved: &mut mpsc::UnboundedReceiver<crate::store::Saved>,
    ah: &Auditor,
    wait: Duration,
) {
    let Disk { store, saves } = disk;
    let unfinished = saves.shutdown(wait);
    while let Ok(s) = saved.try_recv() {
        if let Err(e) = s.result {
            tracing::error!("saving profile {}: {e}", s.identity);
            let path = store.path_of(&s.identity);
            ah.emit(&audits::save_failed(&s.identity, path, &e).0);
        }
    }
    for id in unfinished {
        tracing::error!(
            "profile {id} was not saved within {SAVE_FLUSH:?} of shutdown; what it learned since its last save is lost"
        );
        ah.emit(&audits::save_unfinished(&id, store.path_of(&id)));
    }
}

/// Tells the adapter when the public status changed (`Manager.StatusChanged`).
fn announce(control: &mut Control, brain: &Brain, ah: &Auditor) {
    let status = control::public_status(brain);
    if control.last_status.as_ref() != Some(&status) {
        control.last_status = Some(status.clone());
        ah.status(status);
    }
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
