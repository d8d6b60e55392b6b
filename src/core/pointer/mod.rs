//! Pointer input, aggregated early: kernel `EV_REL`/`EV_ABS`/button events in, a few
//! pointer *actions* per second out (issue 8).
//!
//! - [`aggregate`]: one pure state machine per device turns decoded kernel events into
//!   coarse [`Sample`]s: motion summed over [`FRAME_US`] frames (64 Hz), button edges, wheel
//!   detents. A 1–8 kHz mouse becomes at most 64 motion samples per second here, inside the
//!   reader task;
//! - [`segment`]: samples become [`PointerAction`]s (movement, point-and-click, click,
//!   drag-and-drop, scroll), the only pointer data that leaves the input layer;
//! - [`PointerTap`]: both, as the reader (and a replay, and `evaluate balabit`) drives them.
//!
//! Invariants:
//! - displacements only: no screen position exists here (evdev has none for a mouse; a
//!   touchpad's absolute coordinates become deltas and are dropped at once). A trajectory is
//!   relative to the action's own start and lives in memory for one action;
//! - no key content: the aggregator reads only pointer buttons (`BTN_MOUSE`..`BTN_TASK`,
//!   `BTN_TOUCH`, `BTN_TOOL_*`) and ignores every other `EV_KEY` code, so a composite
//!   keyboard+touchpad node cannot leak typing into pointer data;
//! - `Debug` of an action shows counts and durations, never the trajectory, so a stray log
//!   line cannot replay a path;
//! - pure: time only from event stamps and the `now_us` a caller passes to `flush`.

pub mod aggregate;
pub mod segment;

pub use aggregate::Aggregator;
pub use segment::{SegmentParams, Segmenter};

use crate::core::event::RawEvent;
use crate::core::timing::DeviceId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Motion is summed over frames of this length (µs): 64 Hz, the resolution of the Windows
/// timer that stamps the Balabit recordings, and ample for action-level features.
pub const FRAME_US: i64 = 15_625;

/// A pointer button. Only the three a person clicks with are told apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Button {
    /// `BTN_LEFT` (also a clickpad's physical click).
    Left,
    /// `BTN_RIGHT`.
    Right,
    /// `BTN_MIDDLE`.
    Middle,
    /// Side, extra, forward, back, task.
    Other,
}

/// What produced the motion: a relative device, or a touchpad's finger (absolute positions
/// turned into deltas). They move differently, so profiles keep them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Surface {
    /// Mouse, trackball, pointing stick (`REL_X`/`REL_Y`).
    Mouse,
    /// Touchpad finger motion (`ABS_X`/`ABS_Y` while one finger touches).
    Touchpad,
}

/// One coarse pointer sample, in time order per device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// Motion summed over (part of) one frame; `t_us` is the stamp of its last report.
    Motion {
        /// Stamp (µs).
        t_us: i64,
        /// Horizontal displacement in device units.
        dx: i32,
        /// Vertical displacement in device units (down is positive, as in evdev).
        dy: i32,
        /// Where it came from.
        surface: Surface,
    },
    /// A button went down or up.
    Button {
        /// Stamp (µs).
        t_us: i64,
        /// Which.
        button: Button,
        /// Down (true) or up.
        down: bool,
    },
    /// Wheel detents in one report (`REL_WHEEL`, `REL_HWHEEL`; hi-res events are ignored
    /// because the kernel also sends the detent events).
    Wheel {
        /// Stamp (µs).
        t_us: i64,
        /// Vertical detents, up is positive.
        v: i32,
        /// Horizontal detents, right is positive.
        h: i32,
    },
    /// Continuity is broken (`SYN_DROPPED`, time going backwards, device gone): an open
    /// action is abandoned and button state is forgotten.
    Cut {
        /// Stamp (µs).
        t_us: i64,
    },
}

impl Sample {
    /// The sample's stamp.
    pub fn t_us(&self) -> i64 {
        match *self {
            Sample::Motion { t_us, .. }
            | Sample::Button { t_us, .. }
            | Sample::Wheel { t_us, .. }
            | Sample::Cut { t_us } => t_us,
        }
    }
}

/// One step of a trajectory: displacement since the previous step, at `t_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Stamp (µs).
    pub t_us: i64,
    /// Horizontal displacement.
    pub dx: i32,
    /// Vertical displacement.
    pub dy: i32,
}

/// The kind of a pointer action (Ahmed & Traoré's taxonomy as used by Antal &
/// Egyed-Zsigmond, plus stationary clicks and scrolls).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Movement that ended without a click.
    Move,
    /// Movement, a pause, then a click without dragging.
    PointClick,
    /// A click with no movement before it (e.g. the second click of a double click).
    Click,
    /// Press, movement with the button held, release.
    DragDrop,
    /// Wheel detents close together.
    Scroll,
}

impl ActionKind {
    /// Every kind, in a stable order.
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Move,
        ActionKind::PointClick,
        ActionKind::Click,
        ActionKind::DragDrop,
        ActionKind::Scroll,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Move => "move",
            ActionKind::PointClick => "point_click",
            ActionKind::Click => "click",
            ActionKind::DragDrop => "drag_drop",
            ActionKind::Scroll => "scroll",
        }
    }
}

/// One segmented pointer action: what the engine scores.
#[derive(Clone, PartialEq)]
pub struct PointerAction {
    /// What kind.
    pub kind: ActionKind,
    /// Mouse or touchpad motion.
    pub surface: Surface,
    /// The clicking or dragging button.
    pub button: Option<Button>,
    /// Stamp of the action's first sample (µs).
    pub start_us: i64,
    /// Stamp of its last sample (µs); decisions on it carry this stamp.
    pub end_us: i64,
    /// The movement (for a drag: the motion with the button held). Empty for clicks and
    /// scrolls. The first step's displacement happened during the frame before its stamp.
    pub path: Vec<Step>,
    /// Button press and release stamps (clicks and drags).
    pub press_us: Option<i64>,
    /// See `press_us`.
    pub release_us: Option<i64>,
    /// Scroll detents: `dy` vertical, `dx` horizontal per wheel report.
    pub ticks: Vec<Step>,
    /// Time since the previous action of this device ended (µs), if there was one since
    /// the last cut.
    pub since_prev_us: Option<i64>,
}

impl fmt::Debug for PointerAction {
    /// Privacy: counts and durations only, never the trajectory.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PointerAction")
            .field("kind", &self.kind)
            .field("surface", &self.surface)
            .field("button", &self.button)
            .field("start_us", &self.start_us)
            .field("end_us", &self.end_us)
            .field("steps", &self.path.len())
            .field("ticks", &self.ticks.len())
            .finish_non_exhaustive()
    }
}

/// What the input layer sends for a pointer.
#[derive(Clone, Debug, PartialEq)]
pub enum PointerEvent {
    /// A complete action.
    Action {
        /// The device instance.
        device: DeviceId,
        /// The action (boxed: the channel message stays small).
        action: Box<PointerAction>,
    },
    /// Continuity was lost on a device (overrun, clock step) or it was removed: an open
    /// action was dropped.
    Cut {
        /// The device instance.
        device: DeviceId,
        /// Stamp (µs).
        t_us: i64,
        /// The device is gone.
        removed: bool,
    },
}

/// Per-device counters (no content).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PointerStats {
    /// Raw pointer events seen (motion, buttons, wheel, touch).
    pub events: u64,
    /// Coarse samples produced.
    pub samples: u64,
    /// Actions produced, any kind.
    pub actions: u64,
    /// Cuts (overrun, clock step, removal).
    pub cuts: u64,
    /// Movements too short to score (fewer than the minimum steps), dropped.
    pub dropped_short: u64,
}

/// Aggregation and segmentation for one device: raw events in, actions out.
pub struct PointerTap {
    device: DeviceId,
    agg: Aggregator,
    seg: Segmenter,
    samples: Vec<Sample>,
    actions: Vec<PointerAction>,
}

impl PointerTap {
    /// A tap for one device instance.
    pub fn new(device: DeviceId, params: SegmentParams) -> Self {
        Self {
            device,
            agg: Aggregator::new(),
            seg: Segmenter::new(params),
            samples: Vec::with_capacity(8),
            actions: Vec::with_capacity(2),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> PointerStats {
        let mut s = self.seg.stats().clone();
        s.events = self.agg.events();
        s
    }

    /// Feeds one kernel event; finished actions and cuts are appended to `out`.
    #[inline]
    pub fn push(&mut self, ev: &RawEvent, out: &mut Vec<PointerEvent>) {
        self.agg.push(ev, &mut self.samples);
        if !self.samples.is_empty() {
            self.drain(out);
        }
    }

    /// When [`PointerTap::flush`] should next be called if no event arrives (µs, same clock
    /// as the events): when a pause closes the open movement or scroll, counting the motion
    /// still in the open frame. A steadily moving mouse keeps pushing it ahead, so a quiet
    /// timer fires about once per action, never once per frame.
    pub fn deadline(&self) -> Option<i64> {
        let pending = self
            .agg
            .pending_us()
            .map(|t| t.saturating_add(self.seg.params().pause_us + 1));
        match (pending, self.seg.deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The device went quiet until `now_us`: emits what is due.
    pub fn flush(&mut self, now_us: i64, out: &mut Vec<PointerEvent>) {
        self.agg.flush(now_us, &mut self.samples);
        self.drain(out);
        self.seg.flush(now_us, &mut self.actions);
        self.emit(out);
    }

    /// The device is gone: an open action is dropped and the consumer is told.
    pub fn remove(&mut self, t_us: i64, out: &mut Vec<PointerEvent>) {
        self.agg.reset();
        self.samples.clear();
        self.seg.cut(t_us);
        out.push(PointerEvent::Cut {
            device: self.device,
            t_us,
            removed: true,
        });
    }

    /// The recording ended: emits what is complete (an open movement), drops the rest.
    pub fn finish(&mut self, t_us: i64, out: &mut Vec<PointerEvent>) {
        self.agg.flush(i64::MAX, &mut self.samples);
        self.drain(out);
        self.seg.flush(i64::MAX, &mut self.actions);
        self.emit(out);
        self.seg.cut(t_us);
    }

    fn drain(&mut self, out: &mut Vec<PointerEvent>) {
        for s in self.samples.drain(..) {
            if let Sample::Cut { t_us } = s {
                self.seg.flush(t_us, &mut self.actions);
                Self::emit_actions(self.device, &mut self.actions, out);
                self.seg.cut(t_us);
                out.push(PointerEvent::Cut {
                    device: self.device,
                    t_us,
                    removed: false,
                });
            } else {
                self.seg.push(&s, &mut self.actions);
            }
        }
        self.emit(out);
    }

    fn emit(&mut self, out: &mut Vec<PointerEvent>) {
        Self::emit_actions(self.device, &mut self.actions, out);
    }

    fn emit_actions(
        device: DeviceId,
        actions: &mut Vec<PointerAction>,
        out: &mut Vec<PointerEvent>,
    ) {
        out.extend(actions.drain(..).map(|a| PointerEvent::Action {
            device,
            action: Box::new(a),
        }));
    }
}
