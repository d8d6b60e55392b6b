//! Hotplug sources: udev's monitor when udevd runs, inotify on `/dev/input` when it does not
//! (initramfs, containers, minimal systems; F42).
//!
//! Owns: [`Monitor`], the one interface the manager sees, and the [`Hotplug`] notices.
//!
//! Invariants:
//! - a monitor is created (subscribed) *before* the manager enumerates existing nodes, so a
//!   node appearing in between is seen by one or the other (F13);
//! - both sources drain their fd fully on every wakeup (kanata #1683: an undrained
//!   edge-triggered inotify fd loses hotplug);
//! - only `/dev/input/event*` nodes are reported.

use crate::input::device::UDEV_CONTROL;
use crate::input::sys::{self, InotifyFd};
use crate::input::udev::{UdevError, UdevMonitor, Uevent};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tokio::io::unix::AsyncFd;

/// The directory of event nodes.
pub const INPUT_DIR: &str = "/dev/input";

/// What changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hotplug {
    /// A node appeared, or changed (udev `change`, inotify `IN_ATTRIB` after a chmod/ACL):
    /// (re)try to open it. Properties come from udev when it runs.
    Add {
        devnode: PathBuf,
        props: Option<BTreeMap<String, String>>,
    },
    /// A node went away (readers notice on their own through ENODEV; this clears retries).
    Remove { devnode: PathBuf },
    /// Notices were lost: enumerate again.
    Rescan,
}

/// Monitor errors.
#[derive(Debug, thiserror::Error)]
pub enum MonitorError {
    /// The udev socket failed.
    #[error(transparent)]
    Udev(#[from] UdevError),
    /// inotify failed.
    #[error("inotify on {INPUT_DIR}: {0}")]
    Inotify(nix::errno::Errno),
}

/// Which source to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MonitorKind {
    /// udevd's processed events over netlink.
    Udev,
    /// inotify on /dev/input.
    Inotify,
}

impl MonitorKind {
    /// udev if systemd-udevd is running (its control socket exists), else inotify.
    pub fn detect() -> Self {
        if Path::new(UDEV_CONTROL).exists() {
            MonitorKind::Udev
        } else {
            MonitorKind::Inotify
        }
    }
}

/// A subscribed hotplug source.
pub enum Monitor {
    /// udev netlink monitor.
    Udev(UdevMonitor),
    /// inotify fallback.
    Inotify(AsyncFd<InotifyFd>),
}

fn is_event_node(name: &str) -> bool {
    name.strip_prefix("event")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Monitor {
    /// Subscribes to `kind`.
    pub fn subscribe(kind: MonitorKind) -> Result<Self, MonitorError> {
        match kind {
            MonitorKind::Udev => Ok(Monitor::Udev(UdevMonitor::subscribe()?)),
            MonitorKind::Inotify => {
                let ino = Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
                    .map_err(MonitorError::Inotify)?;
                let mask = AddWatchFlags::IN_CREATE
                    | AddWatchFlags::IN_ATTRIB
                    | AddWatchFlags::IN_DELETE
                    | AddWatchFlags::IN_MOVED_TO
                    | AddWatchFlags::IN_Q_OVERFLOW;
                ino.add_watch(INPUT_DIR, mask)
                    .map_err(MonitorError::Inotify)?;
                let fd = sys::async_readable(InotifyFd(ino)).map_err(|e| {
                    MonitorError::Inotify(nix::errno::Errno::from_raw(
                        e.raw_os_error().unwrap_or(0),
                    ))
                })?;
                Ok(Monitor::Inotify(fd))
            }
        }
    }

    /// Which source this is.
    pub fn kind(&self) -> MonitorKind {
        match self {
            Monitor::Udev(_) => MonitorKind::Udev,
            Monitor::Inotify(_) => MonitorKind::Inotify,
        }
    }

    /// Waits for the next notices (never an empty batch).
    pub async fn next(&mut self) -> Result<Vec<Hotplug>, MonitorError> {
        loop {
            let batch = match self {
                Monitor::Udev(m) => m
                    .next_batch()
                    .await?
                    .into_iter()
                    .filter_map(from_uevent)
                    .collect::<Vec<_>>(),
                Monitor::Inotify(fd) => read_inotify(fd).await?,
            };
            if !batch.is_empty() {
                return Ok(batch);
            }
        }
    }
}

fn from_uevent(ev: Uevent) -> Option<Hotplug> {
    let props = match ev {
        Uevent::Overflow => return Some(Hotplug::Rescan),
        Uevent::Device(p) => p,
    };
    if props.get("SUBSYSTEM").map(String::as_str) != Some("input") {
        return None;
    }
    let devnode = PathBuf::from(props.get("DEVNAME")?);
    if !devnode.starts_with(INPUT_DIR) || !devnode.file_name()?.to_str().is_some_and(is_event_node)
    {
        return None;
    }
    match props.get("ACTION").map(String::as_str) {
        Some("add") | Some("change") | Some("bind") => Some(Hotplug::Add {
            devnode,
            props: Some(props),
        }),
        Some("remove") => Some(Hotplug::Remove { devnode }),
        _ => None,
    }
}

async fn read_inotify(fd: &AsyncFd<InotifyFd>) -> Result<Vec<Hotplug>, MonitorError> {
    let errno = |e: std::io::Error| {
        MonitorError::Inotify(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)))
    };
    let mut guard = fd.readable().await.map_err(errno)?;
    let mut out = Vec::new();
    loop {
        match fd.get_ref().0.read_events() {
            Ok(events) => {
                for ev in events {
                    if ev.mask.contains(AddWatchFlags::IN_Q_OVERFLOW) {
                        out.push(Hotplug::Rescan);
                        continue;
                    }
                    let Some(name) = ev
                        .name
                        .as_ref()
                        .and_then(|n| n.to_str())
                        .filter(|n| is_event_node(n))
                    else {
                        continue;
                    };
                    let devnode = Path::new(INPUT_DIR).join(name);
                    out.push(if ev.mask.contains(AddWatchFlags::IN_DELETE) {
                        Hotplug::Remove { devnode }
                    } else {
                        Hotplug::Add {
                            devnode,
                            props: None,
                        }
                    });
                }
            }
            Err(nix::errno::Errno::EAGAIN) => {
                guard.clear_ready();
                return Ok(out);
            }
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(MonitorError::Inotify(e)),
        }
    }
}

/// Existing event nodes, sorted by number.
pub fn list_event_nodes() -> Vec<PathBuf> {
    let mut nodes: Vec<(u32, PathBuf)> = std::fs::read_dir(INPUT_DIR)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            let n = name.strip_prefix("event")?.parse().ok()?;
            is_event_node(&name).then(|| (n, e.path()))
        })
        .collect();
    nodes.sort();
    nodes.into_iter().map(|(_, p)| p).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uevents_become_hotplug_notices() {
        let p = |kv: &[(&str, &str)]| {
            Uevent::Device(
                kv.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        };
        let add = p(&[
            ("ACTION", "add"),
            ("SUBSYSTEM", "input"),
            ("DEVNAME", "/dev/input/event4"),
        ]);
        assert!(
            matches!(from_uevent(add), Some(Hotplug::Add { devnode, props: Some(_) }) if devnode == Path::new("/dev/input/event4"))
        );
        let rm = p(&[
            ("ACTION", "remove"),
            ("SUBSYSTEM", "input"),
            ("DEVNAME", "/dev/input/event4"),
        ]);
        assert_eq!(
            from_uevent(rm),
            Some(Hotplug::Remove {
                devnode: "/dev/input/event4".into()
            })
        );
        // The parent inputN device and mouse/js nodes are not event nodes.
        assert_eq!(
            from_uevent(p(&[("ACTION", "add"), ("SUBSYSTEM", "input")])),
            None
        );
        assert_eq!(
            from_uevent(p(&[
                ("ACTION", "add"),
                ("SUBSYSTEM", "input"),
                ("DEVNAME", "/dev/input/mouse0")
            ])),
            None
        );
        assert_eq!(
            from_uevent(p(&[
                ("ACTION", "add"),
                ("SUBSYSTEM", "hidraw"),
                ("DEVNAME", "/dev/hidraw0")
            ])),
            None
        );
        assert_eq!(from_uevent(Uevent::Overflow), Some(Hotplug::Rescan));
        assert!(is_event_node("event12") && !is_event_node("event") && !is_event_node("event1x"));
    }
}
