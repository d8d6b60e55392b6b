//! The device lifecycle: subscribe, enumerate, open, classify, read, retry, forget.
//!
//! Owns: which nodes are open (by path and `st_rdev`), pending open retries, and the reader
//! tasks. Sends [`InputEvent`]s to the single consumer.
//!
//! Invariants:
//! - the monitor is subscribed before enumeration (F13) and startup and hotplug share
//!   [`Manager::try_add`], hence one classification function (F13, kanata #1752);
//! - "no keyboard" is a normal state: the loop keeps waiting for hotplug (F17, evremap #35);
//! - a failed open (EACCES/EPERM while udev or logind set permissions, ENOENT/ENODEV while a
//!   node is being re-created) is retried with backoff, again on the next `change`/`IN_ATTRIB`,
//!   and reported once as unreadable when retries run out (F40, F42);
//! - a node removed and re-created at the same path, even with the same `st_rdev` (minor
//!   numbers are reused), is opened afresh with a new `DeviceId` (F12, F15);
//! - a stalled reader (F03) is reopened once its task has ended.

use crate::core::clean::CleanParams;
use crate::core::pointer::SegmentParams;
use crate::core::timing::DeviceId;
use crate::input::classify::{classify, group_key};
use crate::input::device::{open_node, probe, udev_db_props, DeviceError};
use crate::input::filter::DeviceFilter;
use crate::input::monitor::{list_event_nodes, Hotplug, Monitor, MonitorError, MonitorKind};
use crate::input::reader::{self, ReaderEnd, ReaderExit, Snapshot};
use crate::input::{DeviceAdded, InputEvent};
use nix::errno::Errno;
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::Sender;
use tokio::task::JoinSet;
use tokio::time::Instant;

/// Open retries before a node is reported unreadable (about 10 s in total).
const MAX_ATTEMPTS: u32 = 8;
/// Safety-net rescan period, in case a notice was lost without an overflow signal.
const RESCAN: Duration = Duration::from_secs(60);
/// How often a monitor that could not be created is tried again.
const RESUBSCRIBE: Duration = Duration::from_secs(5);

/// Manager settings.
#[derive(Clone, Debug, Default)]
pub struct ManagerConfig {
    /// Device selection.
    pub filter: DeviceFilter,
    /// Cleaning rules.
    pub params: CleanParams,
    /// Hotplug source; `None` detects (udev if running, else inotify).
    pub monitor: Option<MonitorKind>,
    /// Read pointer nodes (and composite nodes' pointer events) with these segmentation
    /// thresholds; `None`: pointers are classified but not read.
    pub pointer: Option<SegmentParams>,
}

struct Opened {
    id: DeviceId,
    rdev: u64,
    /// A remove notice arrived; the reader has not ended yet.
    stale: bool,
}

struct Retry {
    attempt: u32,
    due: Instant,
}

enum AddResult {
    /// Read; `keyboard`: it has a keyboard (the F40 self-check counts those).
    Reading {
        keyboard: bool,
    },
    NotKeyboard,
    Failed(Errno),
}

/// The lifecycle state machine of all event nodes.
pub struct Manager {
    cfg: ManagerConfig,
    tx: Sender<InputEvent>,
    next_id: u32,
    open: HashMap<PathBuf, Opened>,
    retry: HashMap<PathBuf, Retry>,
    readers: JoinSet<(PathBuf, ReaderEnd)>,
    udev: bool,
}

impl Manager {
    /// A manager sending to `tx`.
    pub fn new(cfg: ManagerConfig, tx: Sender<InputEvent>) -> Self {
        Self {
            cfg,
            tx,
            next_id: 1,
            open: HashMap::new(),
            retry: HashMap::new(),
            readers: JoinSet::new(),
            udev: false,
        }
    }

    /// Runs until the consumer closes the channel.
    pub async fn run(mut self) -> Result<(), MonitorError> {
        let Some(mut monitor) = self.subscribe().await else {
            return Ok(());
        };
        let kind = monitor.kind();
        self.udev = kind == MonitorKind::Udev;
        let (mut keyboards, mut unreadable) = (0, 0);
        for node in list_event_nodes() {
            match self.try_add(&node, None).await {
                AddResult::Reading { keyboard: true } => keyboards += 1,
                AddResult::Failed(Errno::EACCES | Errno::EPERM) => unreadable += 1,
                _ => {}
            }
        }
        // F40: never silently read nothing.
        tracing::info!(monitor = ?kind, "{keyboards} keyboards visible, {unreadable} unreadable");
        if self
            .tx
            .send(InputEvent::Ready {
                monitor: kind,
                keyboards,
                unreadable,
            })
            .await
            .is_err()
        {
            return Ok(());
        }
        let mut rescan = tokio::time::interval_at(Instant::now() + RESCAN, RESCAN);
        loop {
            let next_retry = self.retry.values().map(|r| r.due).min();
            tokio::select! {
                batch = monitor.next() => match batch {
                    Ok(batch) => for h in batch { self.hotplug(h).await },
                    Err(e) => {
                        tracing::warn!("{e}; resubscribing in 1 s");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        let Some(m) = self.subscribe().await else {
                            return Ok(());
                        };
                        monitor = m;
                        self.udev = monitor.kind() == MonitorKind::Udev;
                        self.rescan().await;
                    }
                },
                Some(Ok((path, end))) = self.readers.join_next() => self.reader_ended(path, end).await,
                _ = tokio::time::sleep_until(next_retry.unwrap_or_else(Instant::now)), if next_retry.is_some() => self.retry_due().await,
                _ = rescan.tick() => self.rescan().await,
                _ = self.tx.closed() => return Ok(()),
            }
        }
    }

    /// A hotplug monitor, retried every [`RESUBSCRIBE`] until one can be created (a system
    /// without `/dev/input` yet: no input device, or devtmpfs not mounted; udevd not up).
    /// Meanwhile the consumer is told that nothing is read, so the missing protection is
    /// audited (F40) rather than a dead input task. `None`: the consumer is gone.
    async fn subscribe(&self) -> Option<Monitor> {
        let mut told = false;
        loop {
            let kind = self.cfg.monitor.unwrap_or_else(MonitorKind::detect);
            match Monitor::subscribe(kind) {
                Ok(m) => return Some(m),
                Err(e) if !told => {
                    told = true;
                    tracing::error!(
                        "input monitor: {e}; no input device is read until it can be created (retrying every {}s)",
                        RESUBSCRIBE.as_secs()
                    );
                    let ready = InputEvent::Ready {
                        monitor: kind,
                        keyboards: 0,
                        unreadable: 0,
                    };
                    self.tx.send(ready).await.ok()?;
                }
                Err(e) => tracing::debug!("input monitor: {e}"),
            }
            tokio::select! {
                _ = tokio::time::sleep(RESUBSCRIBE) => {}
                _ = self.tx.closed() => return None,
            }
        }
    }

    async fn hotplug(&mut self, h: Hotplug) {
        match h {
            Hotplug::Add { devnode, props } => {
                self.retry.remove(&devnode);
                self.try_add(&devnode, props).await;
            }
            Hotplug::Remove { devnode } => {
                self.retry.remove(&devnode);
                if let Some(o) = self.open.get_mut(&devnode) {
                    o.stale = true;
                }
            }
            Hotplug::Rescan => self.rescan().await,
        }
    }

    async fn rescan(&mut self) {
        for node in list_event_nodes() {
            self.try_add(&node, None).await;
        }
    }

    /// Opens, classifies and starts reading one node, or schedules a retry.
    async fn try_add(&mut self, path: &Path, props: Option<BTreeMap<String, String>>) -> AddResult {
        let rdev = std::fs::metadata(path).map(|m| m.rdev()).ok();
        if let Some(o) = self.open.get(path) {
            if !o.stale && rdev == Some(o.rdev) {
                // A duplicate notice for a node we already read.
                return AddResult::Reading { keyboard: false };
            }
        }
        // With udev running, a node udev has not described yet is opened later (its add
        // notice follows, or the last retry opens it without properties).
        let props = match (props, rdev) {
            (Some(p), _) => Some(p),
            (None, Some(r)) if self.udev => udev_db_props(r),
            _ => None,
        };
        let attempt = self.retry.get(path).map_or(0, |r| r.attempt);
        if self.udev && props.is_none() && attempt + 1 < MAX_ATTEMPTS {
            self.schedule_retry(path, attempt);
            return AddResult::Failed(Errno::EAGAIN);
        }
        let opened =
            open_node(path).and_then(|fd| probe(&fd, path, props.as_ref()).map(|p| (fd, p)));
        let (fd, probed) = match opened {
            Ok(x) => x,
            Err(e) => return self.open_failed(path, attempt, e).await,
        };
        self.retry.remove(path);
        let classification = classify(&probed.caps, &probed.facts, &self.cfg.filter);
        let pointer = self.cfg.pointer.filter(|_| classification.has_pointer());
        let keyboard = classification.has_keyboard();
        if !keyboard && pointer.is_none() {
            tracing::debug!(node = %path.display(), class = classification.class.as_str(), "not read: {}", classification.reason);
            return AddResult::NotKeyboard;
        }
        let initial = match Snapshot::read(&fd) {
            Ok(snap) => snap,
            Err(errno) => {
                let e = DeviceError::Ioctl {
                    path: path.display().to_string(),
                    what: "EVIOCGKEY",
                    errno,
                };
                return self.open_failed(path, attempt, e).await;
            }
        };
        let id = DeviceId(self.next_id);
        self.next_id += 1;
        self.open.insert(
            path.to_path_buf(),
            Opened {
                id,
                rdev: probed.rdev,
                stale: false,
            },
        );
        let added = DeviceAdded {
            id,
            devnode: path.to_path_buf(),
            name: probed.caps.name.clone(),
            input_id: probed.caps.id,
            group: group_key(&probed.caps, &probed.facts),
            seat: probed.facts.seat.clone().unwrap_or_else(|| "seat0".into()),
            links: probed.facts.links.clone(),
            repeat: probed.repeat,
            classification,
        };
        tracing::info!(id = id.0, node = %path.display(), name = %added.name, class = added.classification.class.as_str(),
            scored = added.classification.scored, seat = %added.seat, "device added: {}", added.classification.reason);
        let _ = self.tx.send(InputEvent::DeviceAdded(Box::new(added))).await;
        let (tx, params, p) = (self.tx.clone(), self.cfg.params, path.to_path_buf());
        self.readers.spawn(async move {
            let end = reader::run_with_pointer(fd, initial, id, params, pointer, tx).await;
            (p, end)
        });
        AddResult::Reading { keyboard }
    }

    async fn open_failed(&mut self, path: &Path, attempt: u32, e: DeviceError) -> AddResult {
        let errno = e.errno();
        let retriable = matches!(
            errno,
            Errno::EACCES | Errno::EPERM | Errno::ENOENT | Errno::ENODEV | Errno::ENXIO
        );
        if retriable && attempt + 1 < MAX_ATTEMPTS {
            if attempt == 0 {
                tracing::debug!("{e}; retrying");
            }
            self.schedule_retry(path, attempt);
        } else if errno != Errno::ENOENT && errno != Errno::ENODEV {
            // F40: once per device, with what an admin needs to fix it.
            let meta = std::fs::metadata(path).ok();
            let (mode, uid, gid) =
                meta.map_or((0, 0, 0), |m| (m.mode() & 0o7777, m.uid(), m.gid()));
            tracing::warn!("{e} (mode {mode:o}, owner {uid}:{gid}); giving up until it changes");
            let _ = self
                .tx
                .send(InputEvent::Unreadable {
                    devnode: path.to_path_buf(),
                    errno: errno as i32,
                })
                .await;
            self.retry.remove(path);
        } else {
            self.retry.remove(path);
        }
        AddResult::Failed(errno)
    }

    fn schedule_retry(&mut self, path: &Path, attempt: u32) {
        let delay = Duration::from_millis(50 << attempt.min(6));
        self.retry.insert(
            path.to_path_buf(),
            Retry {
                attempt: attempt + 1,
                due: Instant::now() + delay,
            },
        );
    }

    async fn retry_due(&mut self) {
        let now = Instant::now();
        let due: Vec<PathBuf> = self
            .retry
            .iter()
            .filter(|(_, r)| r.due <= now)
            .map(|(p, _)| p.clone())
            .collect();
        for path in due {
            self.try_add(&path, None).await;
        }
    }

    async fn reader_ended(&mut self, path: PathBuf, end: ReaderEnd) {
        if self.open.get(&path).is_some_and(|o| o.id == end.id) {
            self.open.remove(&path);
        }
        tracing::info!(id = end.id.0, node = %path.display(), exit = ?end.exit, overruns = end.clean.overruns,
            keystrokes = end.clean.keystrokes, zero_progress = end.reader.zero_progress, "device removed");
        if end.exit == ReaderExit::Stalled {
            self.schedule_retry(&path, 0); // F03: reopen and resync from scratch
        }
        let _ = self
            .tx
            .send(InputEvent::DeviceRemoved {
                id: end.id,
                exit: end.exit,
                clean: end.clean,
                reader: end.reader,
            })
            .await;
    }
}
