//! Reads one opened event node under tokio and feeds the cleaning core.
//!
//! Owns: the per-device read loop, the `SYN_DROPPED` → `EVIOCGKEY` resync, the
//! zero-progress guard and, for a pointer (or a composite node's pointer),
//! the `core::pointer::PointerTap` that aggregates its events where they are read, so only
//! whole actions reach the channel (issue 8: a 1–8 kHz mouse sends a few messages a second),
//! with the quiet-pointer timer that closes an action a pause ended.
//!
//! Invariants:
//! - every wakeup drains the fd to `EAGAIN` (yielding to other tasks between batches) and
//!   sends what the cleaner produced before waiting again; the cleaner holds nothing back, so
//!   no frame waits for the next keystroke or for a timer (F32); `EAGAIN`/`EINTR` are
//!   normal, not errors;
//! - a node whose pointer is read, once events arrive, is taken off the runtime's epoll and
//!   read every 4 ms until a read finds nothing (`reader_busy`), so a 1–8 kHz mouse costs
//!   250 wakeups a second while it moves and none while it rests (issue 8);
//! - after `SYN_DROPPED`, events up to the next `SYN_REPORT` go to the cleaner (which
//!   discards them), the rest of that read is discarded too, and the key state is re-read with
//!   `EVIOCGKEY` (which also flushes the kernel queue's stale key events) and handed to
//!   `Cleaner::resync` (F01). Nothing synthetic is emitted (F04);
//! - `ENODEV`, `POLLHUP`, `POLLERR` end the loop quietly: the device is gone (F10, F11);
//! - a wakeup that consumes nothing is counted; repeated ones back off and finally end the
//!   loop as stalled, so the reader can never spin (F03);
//! - timing comes only from kernel stamps on the fd's CLOCK_MONOTONIC (F27, F29).

use crate::core::clean::{CleanParams, CleanStats, Cleaner};
use crate::core::event::{RawEvent, INPUT_EVENT_SIZE};
use crate::core::pointer::{PointerEvent, PointerTap, SegmentParams};
use crate::core::timing::{DeviceId, TimingEvent};
use crate::input::device::down_codes;
use crate::input::sys;
use crate::input::InputEvent;
use nix::errno::Errno;
use serde::Serialize;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc::Sender;
use tokio::time::Instant;

/// Records read per `read()` call.
const BATCH: usize = 64;
/// Reads per wakeup before yielding to other tasks (the loop then continues draining).
const READS_PER_YIELD: usize = 16;
/// Consecutive zero-progress wakeups before backing off, and before giving up.
const ZERO_BACKOFF_AFTER: u32 = 4;
const ZERO_GIVE_UP: u32 = 64;

/// How a reader ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderExit {
    /// `ENODEV`/`POLLHUP`/`POLLERR`: unplugged (F10).
    Gone,
    /// Too many wakeups without progress (F03); the manager may reopen the node.
    Stalled,
    /// Another read error (errno only).
    Error(i32),
    /// The consumer went away.
    Closed,
}

/// Loop health counters (no content).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ReaderStats {
    /// Raw events read.
    pub events: u64,
    /// Readiness wakeups.
    pub wakeups: u64,
    /// Wakeups that consumed nothing.
    pub zero_progress: u64,
    /// `EVIOCGKEY` reads: one at open (F09), one after each `SYN_DROPPED` (F01).
    pub resyncs: u64,
    /// Raw events discarded after a drop window closed mid-read (their effect is in the resync).
    pub discarded_after_drop: u64,
}

/// What the reader hands back when it ends.
#[derive(Debug)]
pub struct ReaderEnd {
    /// The device instance.
    pub id: DeviceId,
    /// Why it ended.
    pub exit: ReaderExit,
    /// Cleaning counters.
    pub clean: CleanStats,
    /// Loop counters.
    pub reader: ReaderStats,
}

/// Current CLOCK_MONOTONIC in µs: the domain of the fd's kernel stamps after EVIOCSCLOCKID.
pub fn monotonic_us() -> i64 {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_MONOTONIC)
        .map(|t| t.tv_sec() * 1_000_000 + t.tv_nsec() / 1_000)
        .unwrap_or(0)
}

/// Reads the kernel's key-down bitmap (`EVIOCGKEY` for live devices).
type KeyState = fn(std::os::fd::BorrowedFd<'_>) -> nix::Result<[u8; sys::KEY_BYTES]>;

struct Loop {
    key_state: KeyState,
    cleaner: Cleaner,
    stats: ReaderStats,
    in_drop: bool,
    out: Vec<TimingEvent>,
    buf: Vec<u8>,
    pointer: Option<PointerTap>,
    pout: Vec<PointerEvent>,
}

/// The keys down at open (`EVIOCGKEY`). Taken right after open, before the device is
/// announced: the ioctl flushes queued key events, so taking it later in the reader task
/// would lose the first keystrokes typed meanwhile; events queued after it are kept.
pub struct Snapshot {
    keys: [u8; sys::KEY_BYTES],
    t_us: i64,
}

impl Snapshot {
    /// Reads the key state of an opened node.
    pub fn read(fd: &OwnedFd) -> nix::Result<Self> {
        Ok(Self {
            keys: sys::key_state(fd.as_fd())?,
            t_us: monotonic_us(),
        })
    }
}

/// Reads `fd` (opened by `device::open_node`, `initial` taken right after) until the device
/// goes away or `tx` closes.
pub async fn run(
    fd: OwnedFd,
    initial: Snapshot,
    id: DeviceId,
    params: CleanParams,
    tx: Sender<InputEvent>,
) -> ReaderEnd {
    run_with(fd, initial, id, params, tx, sys::key_state).await
}

/// [`run`] for a node whose pointer is read too: its events also go through a
/// `PointerTap` with thresholds `pointer`, which sends [`InputEvent::Pointer`] actions.
pub async fn run_with_pointer(
    fd: OwnedFd,
    initial: Snapshot,
    id: DeviceId,
    params: CleanParams,
    pointer: Option<SegmentParams>,
    tx: Sender<InputEvent>,
) -> ReaderEnd {
    let tap = pointer.map(|p| PointerTap::new(id, p));
    run_inner(fd, initial, id, params, tap, tx, sys::key_state).await
}

async fn run_with(
    fd: OwnedFd,
    initial: Snapshot,
    id: DeviceId,
    params: CleanParams,
    tx: Sender<InputEvent>,
    key_state: KeyState,
) -> ReaderEnd {
    run_inner(fd, initial, id, params, None, tx, key_state).await
}

async fn run_inner(
    fd: OwnedFd,
    initial: Snapshot,
    id: DeviceId,
    params: CleanParams,
    pointer: Option<PointerTap>,
    tx: Sender<InputEvent>,
    key_state: KeyState,
) -> ReaderEnd {
    let mut lp = Loop {
        key_state,
        cleaner: Cleaner::new(id, params),
        stats: ReaderStats::default(),
        in_drop: false,
        out: Vec::new(),
        buf: vec![0u8; BATCH * INPUT_EVENT_SIZE],
        pointer,
        pout: Vec::new(),
    };
    let exit = lp.run(fd, initial, &tx).await;
    let gone = monotonic_us();
    lp.cleaner.remove(gone, &mut lp.out);
    if let Some(tap) = &mut lp.pointer {
        tap.remove(gone, &mut lp.pout);
    }
    if exit != ReaderExit::Closed {
        lp.send(&tx).await;
    }
    ReaderEnd {
        id,
        exit,
        clean: lp.cleaner.stats().clone(),
        reader: lp.stats,
    }
}

/// Why the readiness loop returned.
enum Flow {
    /// The reader ends.
    Exit(ReaderExit),
    /// A node whose pointer is read is busy: read it by polling (`reader_busy`).
    Busy,
}

impl Loop {
    /// Readiness-driven reading, switching to polling while a pointer is busy (issue 8).
    async fn run(&mut self, fd: OwnedFd, initial: Snapshot, tx: &Sender<InputEvent>) -> ReaderExit {
        // F09: keys already down at open have no usable press time.
        self.stats.resyncs += 1;
        self.cleaner
            .resync(down_codes(&initial.keys), initial.t_us, &mut self.out);
        let mut fd = fd;
        loop {
            let afd = match sys::async_readable(fd) {
                Ok(afd) => afd,
                Err(e) => return ReaderExit::Error(e.raw_os_error().unwrap_or(0)),
            };
            match self.main(&afd, tx).await {
                Flow::Exit(exit) => return exit,
                Flow::Busy => {
                    // Deregistered: while polling, no event wakes the runtime thread.
                    fd = afd.into_inner();
                    if let Err(exit) = self.busy(&fd, tx).await {
                        return exit;
                    }
                }
            }
        }
    }

    async fn main(&mut self, afd: &AsyncFd<OwnedFd>, tx: &Sender<InputEvent>) -> Flow {
        let mut zero = 0u32;
        let mut flush_at: Option<Instant> = self.pointer_due();
        loop {
            let woke = tokio::select! {
                r = afd.readable() => Some(r),
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => None,
            };
            let mut guard = match woke {
                None => {
                    // The pointer went quiet: close the action that the pause ended.
                    let now = monotonic_us();
                    if let Some(tap) = &mut self.pointer {
                        tap.flush(now, &mut self.pout);
                    }
                    flush_at = self.pointer_due();
                    if !self.send(tx).await {
                        return Flow::Exit(ReaderExit::Closed);
                    }
                    continue;
                }
                Some(Ok(g)) => g,
                Some(Err(e)) => {
                    return Flow::Exit(ReaderExit::Error(e.raw_os_error().unwrap_or(0)))
                }
            };
            let before = self.stats.events;
            self.stats.wakeups += 1;
            let hup = guard.ready().is_read_closed() || guard.ready().is_error();
            match self.drain(afd.get_ref(), tx).await {
                Ok(true) => guard.clear_ready(),
                Ok(false) => {}
                Err(exit) => return Flow::Exit(exit),
            }
            if !self.send(tx).await {
                return Flow::Exit(ReaderExit::Closed);
            }
            if self.stats.events > before {
                zero = 0;
                if self.pointer.is_some() {
                    return Flow::Busy;
                }
                flush_at = self.pointer_due();
                continue;
            }
            if hup {
                return Flow::Exit(ReaderExit::Gone);
            }
            zero += 1;
            self.stats.zero_progress += 1;
            if zero >= ZERO_GIVE_UP {
                return Flow::Exit(ReaderExit::Stalled);
            }
            if zero >= ZERO_BACKOFF_AFTER {
                tokio::time::sleep(Duration::from_millis(
                    1 << (zero - ZERO_BACKOFF_AFTER).min(7),
                ))
                .await;
            }
        }
    }

    /// Reads until `EAGAIN` (→ `Ok(true)`: clear readiness) or until a yield is due or a read
    /// returned 0 bytes (→ `Ok(false)`: readiness stays set, so the loop comes straight back).
    async fn drain(&mut self, fd: &OwnedFd, tx: &Sender<InputEvent>) -> Result<bool, ReaderExit> {
        for _ in 0..READS_PER_YIELD {
            let n = match nix::unistd::read(fd.as_raw_fd(), &mut self.buf) {
                // Never from evdev; a 0-byte read is no progress, and readiness is kept so the
                // zero-progress guard (not a lost edge) decides what happens next.
                Ok(0) => return Ok(false),
                Ok(n) => n,
                Err(Errno::EAGAIN) => return Ok(true),
                Err(Errno::EINTR) => continue,
                Err(Errno::ENODEV) => return Err(ReaderExit::Gone),
                Err(e) => return Err(ReaderExit::Error(e as i32)),
            };
            if n % INPUT_EVENT_SIZE != 0 {
                return Err(ReaderExit::Error(Errno::EINVAL as i32));
            }
            self.process(fd, n)?;
            if !self.send(tx).await {
                return Err(ReaderExit::Closed);
            }
            if n < self.buf.len() {
                // evdev returns every queued event that fits: a short read emptied the queue,
                // so the EAGAIN read would only cost a syscall. Clearing readiness is safe:
                // an event queued since raises a new edge.
                return Ok(true);
            }
        }
        tokio::task::yield_now().await;
        Ok(false)
    }

    fn process(&mut self, fd: &OwnedFd, n: usize) -> Result<(), ReaderExit> {
        let count = n / INPUT_EVENT_SIZE;
        self.stats.events += count as u64;
        for i in 0..count {
            let mut rec = [0u8; INPUT_EVENT_SIZE];
            rec.copy_from_slice(&self.buf[i * INPUT_EVENT_SIZE..(i + 1) * INPUT_EVENT_SIZE]);
            let ev = RawEvent::from_bytes(&rec);
            self.cleaner.push(&ev, &mut self.out);
            if let Some(tap) = &mut self.pointer {
                tap.push(&ev, &mut self.pout);
            }
            if ev.is_syn_dropped() {
                self.in_drop = true;
            } else if self.in_drop && ev.is_syn_report() {
                self.in_drop = false;
                // Later records of this read are already reflected in the kernel's key state.
                self.stats.discarded_after_drop += (count - i - 1) as u64;
                return self.resync(fd);
            }
        }
        Ok(())
    }

    fn resync(&mut self, fd: &OwnedFd) -> Result<(), ReaderExit> {
        let state = match (self.key_state)(fd.as_fd()) {
            Ok(s) => s,
            Err(Errno::ENODEV) => return Err(ReaderExit::Gone),
            Err(e) => return Err(ReaderExit::Error(e as i32)),
        };
        self.stats.resyncs += 1;
        self.cleaner
            .resync(down_codes(&state), monotonic_us(), &mut self.out);
        Ok(())
    }

    /// When the pointer tap next needs a quiet-device flush, on tokio's clock.
    fn pointer_due(&self) -> Option<Instant> {
        let d = self.pointer.as_ref()?.deadline()?;
        let due = d.saturating_sub(monotonic_us()).clamp(0, 60_000_000);
        Some(Instant::now() + Duration::from_micros(due as u64))
    }

    /// Sends what the cleaner and the pointer tap produced; false if the consumer is gone.
    async fn send(&mut self, tx: &Sender<InputEvent>) -> bool {
        for ev in self.out.drain(..) {
            if tx.send(InputEvent::Timing(ev)).await.is_err() {
                return false;
            }
        }
        for ev in self.pout.drain(..) {
            if tx.send(InputEvent::Pointer(ev)).await.is_err() {
                return false;
            }
        }
        true
    }
}

#[path = "reader_busy.rs"]
mod busy;

#[cfg(test)]
#[path = "reader_tests.rs"]
mod tests;
