//! Reads one opened event node under tokio and feeds the cleaning core.
//!
//! Owns: the per-device read loop, the `SYN_DROPPED` → `EVIOCGKEY` resync, the quiet-device
//! flush timer and the zero-progress guard.
//!
//! Invariants:
//! - every wakeup drains the fd to `EAGAIN` (yielding to other tasks between batches), so no
//!   frame waits for the next keystroke (F32); `EAGAIN`/`EINTR` are normal, not errors;
//! - after `SYN_DROPPED`, events up to the next `SYN_REPORT` go to the cleaner (which
//!   discards them), the rest of that read is discarded too, and the key state is re-read with
//!   `EVIOCGKEY` (which also flushes the kernel queue's stale key events) and handed to
//!   `Cleaner::resync` (F01). Nothing synthetic is emitted (F04);
//! - `ENODEV`, `POLLHUP`, `POLLERR` end the loop quietly: the device is gone (F10, F11);
//! - a wakeup that consumes nothing is counted; repeated ones back off and finally end the
//!   loop as stalled, so the reader can never spin (F03);
//! - timing comes only from kernel stamps on the fd's CLOCK_MONOTONIC (F27, F29).

use crate::core::clean::{CleanParams, CleanStats, Cleaner};
use crate::core::event::{RawEvent, EV_KEY, INPUT_EVENT_SIZE};
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
    params: CleanParams,
    stats: ReaderStats,
    in_drop: bool,
    last_key_us: Option<i64>,
    out: Vec<TimingEvent>,
    buf: Vec<u8>,
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

async fn run_with(
    fd: OwnedFd,
    initial: Snapshot,
    id: DeviceId,
    params: CleanParams,
    tx: Sender<InputEvent>,
    key_state: KeyState,
) -> ReaderEnd {
    let mut lp = Loop {
        key_state,
        cleaner: Cleaner::new(id, params),
        params,
        stats: ReaderStats::default(),
        in_drop: false,
        last_key_us: None,
        out: Vec::new(),
        buf: vec![0u8; BATCH * INPUT_EVENT_SIZE],
    };
    let exit = match sys::async_readable(fd) {
        Ok(afd) => lp.main(&afd, initial, &tx).await,
        Err(e) => ReaderExit::Error(e.raw_os_error().unwrap_or(0)),
    };
    lp.cleaner.remove(monotonic_us(), &mut lp.out);
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

impl Loop {
    async fn main(
        &mut self,
        afd: &AsyncFd<OwnedFd>,
        initial: Snapshot,
        tx: &Sender<InputEvent>,
    ) -> ReaderExit {
        // F09: keys already down at open have no usable press time.
        self.stats.resyncs += 1;
        self.cleaner
            .resync(down_codes(&initial.keys), initial.t_us, &mut self.out);
        let mut zero = 0u32;
        let mut flush_at: Option<Instant> = None;
        loop {
            let woke = tokio::select! {
                r = afd.readable() => Some(r),
                _ = tokio::time::sleep_until(flush_at.unwrap_or_else(Instant::now)), if flush_at.is_some() => None,
            };
            let mut guard = match woke {
                None => {
                    // The device went quiet: deliver a held-back last release (F32).
                    flush_at = None;
                    self.last_key_us = None;
                    self.cleaner.flush(monotonic_us(), &mut self.out);
                    if !self.send(tx).await {
                        return ReaderExit::Closed;
                    }
                    continue;
                }
                Some(Ok(g)) => g,
                Some(Err(e)) => return ReaderExit::Error(e.raw_os_error().unwrap_or(0)),
            };
            let before = self.stats.events;
            let hup = guard.ready().is_read_closed() || guard.ready().is_error();
            match self.drain(afd.get_ref(), tx).await {
                Ok(true) => guard.clear_ready(),
                Ok(false) => {}
                Err(exit) => return exit,
            }
            if !self.send(tx).await {
                return ReaderExit::Closed;
            }
            if self.stats.events > before {
                zero = 0;
                if let Some(t) = self.last_key_us {
                    let due = t + self.params.chatter_us + 1_000 - monotonic_us();
                    flush_at = Some(
                        Instant::now() + Duration::from_micros(due.clamp(0, 10_000_000) as u64),
                    );
                }
                continue;
            }
            if hup {
                return ReaderExit::Gone;
            }
            zero += 1;
            self.stats.zero_progress += 1;
            if zero >= ZERO_GIVE_UP {
                return ReaderExit::Stalled;
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
            if ev.kind == EV_KEY {
                self.last_key_us = Some(ev.time_us);
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

    /// Sends what the cleaner produced; false if the consumer is gone.
    async fn send(&mut self, tx: &Sender<InputEvent>) -> bool {
        for ev in self.out.drain(..) {
            if tx.send(InputEvent::Timing(ev)).await.is_err() {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    //! The loop on a Unix datagram socket standing in for an evdev fd (this host has no
    //! input devices; the kernel tier runs the same loop on real uinput nodes). Each datagram
    //! is one `read()`'s worth of records, as evdev returns whole events.
    use super::*;
    use crate::core::event::{EV_SYN, SYN_DROPPED};
    use crate::core::timing::{CutReason, Edge, TimingKind};
    use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};

    /// Datagram: empty messages read as 0 bytes with no hang-up. Seqpacket: closing the peer
    /// is a hang-up, like an unplugged device.
    fn pair(ty: SockType) -> (OwnedFd, OwnedFd) {
        socketpair(
            AddressFamily::Unix,
            ty,
            None,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        )
        .unwrap()
    }

    fn send(fd: &OwnedFd, evs: &[RawEvent]) {
        let bytes: Vec<u8> = evs.iter().flat_map(|e| e.to_bytes()).collect();
        nix::unistd::write(fd, &bytes).unwrap();
    }

    fn no_keys(_: std::os::fd::BorrowedFd<'_>) -> nix::Result<[u8; sys::KEY_BYTES]> {
        Ok([0; sys::KEY_BYTES])
    }

    fn idle() -> Snapshot {
        Snapshot {
            keys: [0; sys::KEY_BYTES],
            t_us: monotonic_us(),
        }
    }

    fn key(t: i64, code: u16, v: i32) -> [RawEvent; 2] {
        [
            RawEvent::new(t, EV_KEY, code, v),
            RawEvent::new(t, EV_SYN, 0, 0),
        ]
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn empty_wakeups_back_off_and_stall() {
        // F03: a readable fd that yields nothing must not spin.
        let (ours, theirs) = pair(SockType::Datagram);
        let (tx, _rx) = tokio::sync::mpsc::channel(16);
        let task = tokio::spawn(run_with(
            ours,
            idle(),
            DeviceId(1),
            CleanParams::default(),
            tx,
            no_keys,
        ));
        for _ in 0..200 {
            nix::unistd::write(&theirs, &[]).unwrap();
        }
        let end = tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(end.exit, ReaderExit::Stalled);
        assert_eq!(end.reader.zero_progress, u64::from(ZERO_GIVE_UP));
    }

    #[tokio::test(flavor = "current_thread")]
    async fn last_release_arrives_without_a_next_key_and_drop_resyncs() {
        let (ours, theirs) = pair(SockType::SeqPacket);
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let task = tokio::spawn(run_with(
            ours,
            idle(),
            DeviceId(7),
            CleanParams::default(),
            tx,
            no_keys,
        ));
        let t0 = monotonic_us();
        send(&theirs, &[key(t0, 30, 1), key(t0 + 80_000, 30, 0)].concat());
        // F32: the release is held back for the chatter window, then flushed by the timer,
        // with no further event on the fd.
        let mut edges = vec![];
        while edges.len() < 2 {
            match tokio::time::timeout(Duration::from_secs(5), rx.recv())
                .await
                .unwrap()
                .unwrap()
            {
                InputEvent::Timing(TimingEvent {
                    kind: TimingKind::Key { edge, .. },
                    ..
                }) => edges.push(edge),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(edges, vec![Edge::Press, Edge::Release]);
        // F01: SYN_DROPPED, the overflowed frame, then records after its SYN_REPORT in the same
        // read are discarded and the state comes from the (fake) EVIOCGKEY.
        let t1 = monotonic_us();
        let mut burst = key(t1, 48, 1).to_vec();
        burst.extend([
            RawEvent::new(t1 + 1, EV_SYN, SYN_DROPPED, 0),
            RawEvent::new(t1 + 2, EV_KEY, 48, 0),
        ]);
        burst.extend([
            RawEvent::new(t1 + 2, EV_SYN, 0, 0),
            RawEvent::new(t1 + 3, EV_KEY, 30, 1),
        ]);
        send(&theirs, &burst);
        drop(theirs);
        let end = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(end.exit, ReaderExit::Gone);
        assert_eq!(
            (
                end.clean.overruns,
                end.reader.resyncs,
                end.reader.discarded_after_drop
            ),
            (1, 2, 1)
        );
        let mut rest = vec![];
        while let Ok(InputEvent::Timing(t)) = rx.try_recv() {
            rest.push(t.kind);
        }
        assert!(
            rest.contains(&TimingKind::Cut(CutReason::Overrun)),
            "{rest:?}"
        );
        assert!(
            !rest.iter().any(|k| matches!(
                k,
                TimingKind::Key {
                    edge: Edge::Release,
                    ..
                }
            )),
            "{rest:?}"
        );
    }
}
