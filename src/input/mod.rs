//! Live input: discovery, classification, passive reading and hotplug of `/dev/input` event
//! nodes. Thin I/O adapters around pure code ([`classify`], [`filter`], `core::clean`).
//!
//! - [`sys`]: the evdev ioctls (the crate's only `unsafe`), never `EVIOCGRAB`;
//! - [`device`]: open a node read-only, CLOCK_MONOTONIC, describe it from ioctls/sysfs/udev;
//! - [`classify`], [`filter`]: which nodes are a person's keyboard (pure);
//! - [`reader`]: one tokio task per keyboard node, feeding `core::clean::Cleaner`;
//! - [`udev`], [`monitor`]: hotplug from udev's netlink monitor, inotify fallback;
//! - [`manager`]: the lifecycle of all nodes;
//! - [`list`]: the `typewarden devices` report;
//!
//! Everything leaves this module as an [`InputEvent`] on one channel to one consumer; key
//! codes never do (they end at `core::clean`).

pub mod classify;
pub mod device;
pub mod filter;
pub mod list;
pub mod manager;
pub mod monitor;
pub mod reader;
pub mod sys;
pub mod udev;

use crate::core::caps::InputId;
use crate::core::clean::CleanStats;
use crate::core::pointer::PointerEvent;
use crate::core::timing::{DeviceId, TimingEvent};
use classify::Classification;
use device::RepeatInfo;
use monitor::MonitorKind;
use reader::{ReaderExit, ReaderStats};
use std::path::PathBuf;

/// A keyboard-capable node started being read.
#[derive(Clone, Debug)]
pub struct DeviceAdded {
    /// New for every open; a re-plugged device gets a new id.
    pub id: DeviceId,
    /// `/dev/input/eventN`.
    pub devnode: PathBuf,
    /// Device name.
    pub name: String,
    /// Bus, vendor, product, version.
    pub input_id: InputId,
    /// Class, whether scored, and why.
    pub classification: Classification,
    /// Physical-device group shared by its sibling nodes.
    pub group: String,
    /// udev `ID_SEAT`, `seat0` when absent or udev is not running.
    pub seat: String,
    /// Stable by-id/by-path links, if udev provided them.
    pub links: Vec<String>,
    /// Checked autorepeat settings (F07).
    pub repeat: RepeatInfo,
}

/// What the input layer tells the rest of the daemon.
#[derive(Clone, Debug)]
pub enum InputEvent {
    /// Startup enumeration finished: the F40 self-check figures.
    Ready {
        /// Hotplug source in use.
        monitor: MonitorKind,
        /// Keyboard-capable nodes being read.
        keyboards: usize,
        /// Nodes that could not be opened for lack of permission.
        unreadable: usize,
    },
    /// A node is being read.
    DeviceAdded(Box<DeviceAdded>),
    /// A node stopped being read; its timing chain was cut before this.
    DeviceRemoved {
        /// Which.
        id: DeviceId,
        /// Why.
        exit: ReaderExit,
        /// Cleaning counters of its lifetime.
        clean: CleanStats,
        /// Loop counters of its lifetime.
        reader: ReaderStats,
    },
    /// A node could not be opened after retries (F40).
    Unreadable {
        /// Which.
        devnode: PathBuf,
        /// errno.
        errno: i32,
    },
    /// A cleaned timing event.
    Timing(TimingEvent),
    /// A pointer action (or cut), aggregated and segmented in the reader (issue 8).
    Pointer(PointerEvent),
}
