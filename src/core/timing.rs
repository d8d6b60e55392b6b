//! Timing events: what the cleaning core hands to the engine. They carry no typed content.
//!
//! Owns: [`TimingEvent`], [`Edge`], [`CutReason`] and [`DeviceId`].
//!
//! Contract for consumers (engine, replay summary), upheld by `core::clean`:
//! - every `Release` of a slot follows a `Press` of the same slot on the same device with no
//!   `Cut` of that device in between, and its time is ≥ the press time;
//! - a `Cut` ends the device's timing chain: presses still open are void, and no hold time or
//!   latency may span it;
//! - nothing synthetic is ever emitted: every `Press`/`Release` time is a kernel stamp of a
//!   real key transition (field cases F04, F29).

use crate::core::keyslot::KeySlot;
use serde::Serialize;

/// Identifies one device instance (one open of one node). Assigned by the input layer; a
/// re-plugged device gets a new id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DeviceId(pub u32);

/// A key transition that survived cleaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The key went down.
    Press,
    /// The key came up.
    Release,
}

/// Why a timing chain was cut. The names are stable: they appear in replay summaries and,
/// later, in audit records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CutReason {
    /// The kernel reported `SYN_DROPPED`: events were lost (F01).
    Overrun,
    /// The reader re-read the key state from the kernel (`EVIOCGKEY`).
    Resync,
    /// A release arrived for a key that was not known to be down: a press was missed.
    OrphanRelease,
    /// A press arrived for a key already down (F08/F09: missed release or a broken device).
    DuplicatePress,
    /// A key autorepeated: it was held past the repeat delay, which is not typing rhythm (F05).
    Autorepeat,
    /// A key stayed down longer than the configured maximum hold.
    LongHold,
    /// A key bounced (F30: pressed again within the chatter window of its release); the
    /// bounce is dropped and no latency is measured from the bounced release.
    Chatter,
    /// Time went backwards between two events of one device (F27: clock step).
    ClockStep,
    /// The device was removed (F10, F14, F15).
    DeviceRemoved,
    /// The recording ended with keys still down.
    EndOfStream,
}

impl CutReason {
    /// Every reason, in a stable order (for summaries).
    pub const ALL: [CutReason; 10] = [
        CutReason::Overrun,
        CutReason::Resync,
        CutReason::OrphanRelease,
        CutReason::DuplicatePress,
        CutReason::Autorepeat,
        CutReason::LongHold,
        CutReason::Chatter,
        CutReason::ClockStep,
        CutReason::DeviceRemoved,
        CutReason::EndOfStream,
    ];

    /// Stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CutReason::Overrun => "overrun",
            CutReason::Resync => "resync",
            CutReason::OrphanRelease => "orphan_release",
            CutReason::DuplicatePress => "duplicate_press",
            CutReason::Autorepeat => "autorepeat",
            CutReason::LongHold => "long_hold",
            CutReason::Chatter => "chatter",
            CutReason::ClockStep => "clock_step",
            CutReason::DeviceRemoved => "device_removed",
            CutReason::EndOfStream => "end_of_stream",
        }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimingKind {
    /// A clean key transition.
    Key {
        /// Opaque key slot.
        slot: KeySlot,
        /// Press or release.
        edge: Edge,
    },
    /// The chain was cut.
    Cut(CutReason),
}

/// One cleaned timing event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingEvent {
    /// Kernel (monotonic) time of the transition or of the event that caused the cut, in µs.
    pub t_us: i64,
    /// The device instance it came from.
    pub device: DeviceId,
    /// The transition or cut.
    pub kind: TimingKind,
}
