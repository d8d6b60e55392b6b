//! `typewarden daemon --replay FILE… [--speed X]`: recorded traces instead of devices.
//!
//! Owns: turning traces into the same [`InputEvent`]s the live input layer sends. Everything
//! downstream (sessions, profiles, locking, audit) is unchanged.
//!
//! Invariants:
//! - replayed devices are local devices, on `seat0` unless `--replay-seat` gives a trace
//!   another seat (F37: multi-seat replays), read through the same cleaning core and
//!   pointer aggregation as live ones: a device with a recorded description is classified
//!   like a live node; one without is a pointer if it records `REL_X`/`REL_Y` motion and no
//!   keyboard keys, a composite if both, else a keyboard;
//! - a trace's typing starts once the loop knows the session state of its seat (or after
//!   [`SEAT_WAIT`]), as live typing would find it: its devices are announced first, since a
//!   device on a new seat is what makes the daemon follow that seat;
//! - a pointer's quiet-device flushes happen at their deadlines in trace time, between
//!   events, as the live reader's timer would fire them;
//! - the trace clock drives the engine: events keep their recorded spacing. Each file is
//!   shifted by a constant so that it starts one second after the previous one ended (two
//!   files' clocks are never comparable, trace-formats.md §0); a constant shift changes no
//!   interval;
//! - `speed` only paces delivery (1 = real time, 0 = as fast as possible), so a fast replay
//!   decides exactly like a real-time one.

use crate::core::caps::InputId;
use crate::core::clean::{CleanParams, Cleaner};
use crate::core::event::{RawEvent, EV_KEY, EV_REL};
use crate::core::pointer::{PointerTap, SegmentParams};
use crate::core::timing::DeviceId;
use crate::input::classify::{classify, CapsKind, Classification, DeviceClass, DeviceFacts};
use crate::input::device::RepeatInfo;
use crate::input::filter::DeviceFilter;
use crate::input::reader::{ReaderExit, ReaderStats};
use crate::input::{DeviceAdded, InputEvent};
use crate::trace::{self, TraceError};
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// Gap inserted between two replayed files.
const FILE_GAP_US: i64 = 1_000_000;
/// How long a trace waits for the session state of its seat; a tracker that says nothing
/// still lets it start.
pub const SEAT_WAIT: Duration = Duration::from_secs(10);

/// The seat of replayed devices without `--replay-seat`.
pub const DEFAULT_SEAT: &str = "seat0";

/// Why the replay options are unusable.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A trace is malformed.
    #[error("{0}")]
    Trace(#[from] TraceError),
    /// `--replay-seat` does not fit the traces.
    #[error("--replay-seat: {0}")]
    Seat(String),
}

/// Loads every file first, so a bad one stops the daemon before anything is replayed, and
/// pairs each with its seat (`seats[i]` for file `i`, else [`DEFAULT_SEAT`]).
pub fn load_all(
    files: &[PathBuf],
    seats: &[String],
) -> Result<Vec<(trace::Trace, String)>, ReplayError> {
    if seats.len() > files.len() {
        return Err(ReplayError::Seat(format!(
            "{} seats for {} traces",
            seats.len(),
            files.len()
        )));
    }
    if let Some(bad) = seats
        .iter()
        .find(|s| crate::audit::fields::SeatId::new(s).is_err())
    {
        return Err(ReplayError::Seat(format!(
            "{bad:?} is not a seat id (letters, digits, _ and -)"
        )));
    }
    files
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let seat = seats.get(i).map_or(DEFAULT_SEAT, String::as_str);
            Ok((trace::load(f)?, seat.to_string()))
        })
        .collect()
}

/// The seats whose session state the loop has heard from the logind tracker.
#[derive(Clone, Debug, Default)]
pub struct SeatsKnown {
    seats: std::collections::BTreeSet<String>,
    /// The tracker cannot know (logind unreachable): nothing to wait for.
    all: bool,
}

impl SeatsKnown {
    /// Takes note of a tracker event; whether anything changed.
    pub fn note(&mut self, e: &crate::session::SessionEvent) -> bool {
        use crate::session::SessionEvent as S;
        match e {
            S::Active(info) => self.seats.insert(info.seat.clone()),
            S::NoActiveSession { seat } => self.seats.insert(seat.clone()),
            S::LogindLost { .. } => !std::mem::replace(&mut self.all, true),
            _ => false,
        }
    }

    fn knows(&self, seat: &str) -> bool {
        self.all || self.seats.contains(seat)
    }
}

/// Sends the traces as input events; returns when all were sent (or the loop is gone).
pub async fn run(
    traces: Vec<(trace::Trace, String)>,
    speed: f64,
    params: CleanParams,
    pointer: Option<SegmentParams>,
    tx: Sender<InputEvent>,
    mut known: tokio::sync::watch::Receiver<SeatsKnown>,
) {
    let mut next_id = 1u32;
    let mut end_us: i64 = 0;
    for (t, seat) in traces {
        let Some(first) = t
            .devices
            .iter()
            .filter_map(|d| d.events.first())
            .map(|e| e.time_us)
            .min()
        else {
            continue;
        };
        let shift = end_us.saturating_add(FILE_GAP_US).saturating_sub(first);
        let mut devices = Vec::new();
        for (i, d) in t.devices.iter().enumerate() {
            let id = DeviceId(next_id);
            next_id += 1;
            let name = d.description.as_ref().map_or_else(
                || format!("replay {}#{i}", t.path.display()),
                |c| c.name.clone(),
            );
            let input_id = d.description.as_ref().map_or(InputId::default(), |c| c.id);
            let classification = replay_class(d, &seat);
            let tap = pointer
                .filter(|_| classification.has_pointer())
                .map(|p| PointerTap::new(id, p));
            let a = added(id, name, input_id, classification, &seat);
            if tx.send(InputEvent::DeviceAdded(Box::new(a))).await.is_err() {
                return;
            }
            devices.push((id, Cleaner::new(id, params), tap));
        }
        let _ = tokio::time::timeout(SEAT_WAIT, known.wait_for(|k| k.knows(&seat))).await;
        // Merge the file's devices by time (libinput records share one time base).
        let mut events: Vec<(usize, crate::core::event::RawEvent)> = t
            .devices
            .iter()
            .enumerate()
            .flat_map(|(i, d)| d.events.iter().map(move |e| (i, *e)))
            .collect();
        events.sort_by_key(|(_, e)| e.time_us);
        let mut out = Vec::new();
        let mut pout = Vec::new();
        let mut last_us = first;
        for (i, mut e) in events {
            pace(e.time_us - last_us, speed).await;
            last_us = e.time_us;
            e.time_us = e.time_us.saturating_add(shift);
            end_us = end_us.max(e.time_us);
            if let Some((_, c, tap)) = devices.get_mut(i) {
                c.push(&e, &mut out);
                if let Some(tap) = tap {
                    while let Some(d) = tap.deadline().filter(|&d| d <= e.time_us) {
                        tap.flush(d, &mut pout);
                    }
                    tap.push(&e, &mut pout);
                }
            }
            let msgs = out
                .drain(..)
                .map(InputEvent::Timing)
                .chain(pout.drain(..).map(InputEvent::Pointer));
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
        }
        for (id, mut c, tap) in devices {
            c.finish(end_us, &mut out);
            c.remove(end_us, &mut out);
            if let Some(mut tap) = tap {
                tap.finish(end_us, &mut pout);
                tap.remove(end_us, &mut pout);
            }
            let mut msgs: Vec<InputEvent> = out
                .drain(..)
                .map(InputEvent::Timing)
                .chain(pout.drain(..).map(InputEvent::Pointer))
                .collect();
            msgs.push(InputEvent::DeviceRemoved {
                id,
                exit: ReaderExit::Gone,
                clean: c.stats().clone(),
                reader: ReaderStats::default(),
            });
            for m in msgs {
                if tx.send(m).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn pace(gap_us: i64, speed: f64) {
    if speed > 0.0 && gap_us > 0 {
        tokio::time::sleep(Duration::from_secs_f64(gap_us as f64 / 1e6 / speed)).await;
    }
}

/// How a replayed device counts (see the module invariants). A recorded keyboard or an
/// unclassifiable description stays a scored keyboard, as replays always treated them.
fn replay_class(d: &trace::TraceDevice, seat: &str) -> Classification {
    let kind = match &d.description {
        Some(caps) => {
            let c = classify(caps, &DeviceFacts::default(), &DeviceFilter::default());
            match c.caps_kind {
                CapsKind::Pointer | CapsKind::Composite => return c,
                _ => CapsKind::Keyboard,
            }
        }
        None => {
            let motion = d.events.iter().any(|e| e.kind == EV_REL && e.code <= 1);
            let keys = d.events.iter().any(is_keyboard_key);
            match (motion, keys) {
                (true, false) => CapsKind::Pointer,
                (true, true) => CapsKind::Composite,
                _ => CapsKind::Keyboard,
            }
        }
    };
    let (class, what) = match kind {
        CapsKind::Pointer => (DeviceClass::Pointer, "pointer"),
        CapsKind::Composite => (DeviceClass::Composite, "keyboard and pointer"),
        _ => (DeviceClass::Keyboard, "keyboard"),
    };
    Classification {
        class,
        caps_kind: kind,
        scored: true,
        reason: format!("replayed trace: counted as a local {what} on {seat}"),
    }
}

/// A keyboard key (below the `BTN_*` ranges); only its presence is looked at.
fn is_keyboard_key(e: &RawEvent) -> bool {
    e.kind == EV_KEY && e.code < 0x100
}

fn added(
    id: DeviceId,
    name: String,
    input_id: InputId,
    classification: Classification,
    seat: &str,
) -> DeviceAdded {
    DeviceAdded {
        id,
        devnode: PathBuf::from("replay"),
        name,
        input_id,
        classification,
        group: format!("replay-{}", id.0),
        seat: seat.into(),
        links: Vec::new(),
        repeat: RepeatInfo::checked(None),
    }
}
