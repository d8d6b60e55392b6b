//! The audit writer: a thread that sends records to the journal socket, checks every send,
//! retries a bounded number of times, falls back to syslog (`/dev/log`) and then stderr,
//! and counts everything.
//!
//! Invariants:
//! - [`AuditHandle::emit`] never waits on I/O: it renders the record, appends it to the ring
//!   and to a bounded queue under short mutexes; when the queue is full the *oldest* queued
//!   record is dropped and counted (F43: never block the input loop on logging);
//! - every record ends in exactly one counter: `sent`, `syslog` (the journal refused it,
//!   `/dev/log` took it), `fallback` (written to stderr), `lost` (stderr failed too) or
//!   `dropped` (queue overflow);
//! - the ring keeps the last records whatever happened to them, for a later dump (F43).
//!
//! tracing-journald ignores send errors (peers.md §2.5), hence this writer of our own.

use super::event::AuditEvent;
use super::record::AuditRecord;
use super::send::{Delivered, Sender};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The journald native socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";
/// The syslog socket, tried when the journal socket fails (F43).
pub const SYSLOG_SOCKET: &str = "/dev/log";

/// Writer settings.
#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Journal socket path (tests bind their own).
    pub socket: PathBuf,
    /// The syslog socket tried when the journal fails (`None`: straight to stderr).
    pub syslog_socket: Option<PathBuf>,
    /// Records waiting for the writer; beyond this the oldest is dropped.
    pub queue_capacity: usize,
    /// Records kept in memory for a dump.
    pub ring_capacity: usize,
    /// Extra attempts for a failed send while the journal was reachable.
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub retry_delay: Duration,
    /// A send blocked longer than this (journald stalled) fails with EAGAIN.
    pub send_timeout: Duration,
}

impl Default for AuditConfig {
    fn default() -> AuditConfig {
        AuditConfig {
            socket: PathBuf::from(JOURNAL_SOCKET),
            syslog_socket: Some(PathBuf::from(SYSLOG_SOCKET)),
            queue_capacity: 1024,
            ring_capacity: 256,
            retries: 3,
            retry_delay: Duration::from_millis(20),
            send_timeout: Duration::from_secs(1),
        }
    }
}

/// Delivery counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuditStats {
    /// Records emitted.
    pub submitted: u64,
    /// Records the journal socket accepted.
    pub sent: u64,
    /// Records the syslog socket took because the journal refused them.
    pub syslog: u64,
    /// Extra send attempts.
    pub retried: u64,
    /// Records written to stderr because the journal refused them.
    pub fallback: u64,
    /// Records neither the journal nor stderr took.
    pub lost: u64,
    /// Records dropped because the queue was full.
    pub dropped: u64,
}

#[derive(Default)]
struct Counters {
    submitted: AtomicU64,
    sent: AtomicU64,
    syslog: AtomicU64,
    retried: AtomicU64,
    fallback: AtomicU64,
    lost: AtomicU64,
    dropped: AtomicU64,
}

#[derive(Default)]
struct Queue {
    items: VecDeque<AuditRecord>,
    busy: bool,
    closed: bool,
    /// Shutdown ran out of time: skip the journal for what is left.
    abandon: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    idle: Condvar,
    ring: Mutex<VecDeque<AuditRecord>>,
    config: AuditConfig,
    counters: Counters,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not silence the audit trail.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A cheap, cloneable handle to submit records from any thread.
#[derive(Clone)]
pub struct AuditHandle {
    shared: Arc<Shared>,
}

impl AuditHandle {
    /// Submit an event. Never blocks on I/O.
    pub fn emit(&self, event: &AuditEvent) {
        let record = event.to_record();
        let s = &self.shared;
        s.counters.submitted.fetch_add(1, Relaxed);
        {
            let mut ring = lock(&s.ring);
            if ring.len() >= s.config.ring_capacity.max(1) {
                ring.pop_front();
            }
            ring.push_back(record.clone());
        }
        let mut q = lock(&s.queue);
        if q.items.len() >= s.config.queue_capacity.max(1) {
            q.items.pop_front();
            s.counters.dropped.fetch_add(1, Relaxed);
        }
        q.items.push_back(record);
        s.wake.notify_one();
    }

    /// The counters so far.
    pub fn stats(&self) -> AuditStats {
        let c = &self.shared.counters;
        AuditStats {
            submitted: c.submitted.load(Relaxed),
            sent: c.sent.load(Relaxed),
            syslog: c.syslog.load(Relaxed),
            retried: c.retried.load(Relaxed),
            fallback: c.fallback.load(Relaxed),
            lost: c.lost.load(Relaxed),
            dropped: c.dropped.load(Relaxed),
        }
    }

    /// The most recent records, oldest first.
    pub fn recent(&self) -> Vec<AuditRecord> {
        lock(&self.shared.ring).iter().cloned().collect()
    }

    /// Wait until every queued record has been handled; false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut q = lock(&self.shared.queue);
        while !q.items.is_empty() || q.busy {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            q = self
                .shared
                .idle
                .wait_timeout(q, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

/// The running writer. Dropping it shuts it down (see [`Audit::shutdown`]).
pub struct Audit {
    handle: AuditHandle,
    thread: Option<JoinHandle<()>>,
}

impl Audit {
    /// Start the writer thread; `fallback` receives stderr lines (pass `io::stderr()`).
    pub fn start(config: AuditConfig, fallback: Box<dyn Write + Send>) -> io::Result<Audit> {
        let sender = Sender::new(config.clone(), fallback);
        let shared = Arc::new(Shared {
            queue: Mutex::default(),
            wake: Condvar::new(),
            idle: Condvar::new(),
            ring: Mutex::default(),
            config,
            counters: Counters::default(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("typewarden-audit".into())
            .spawn(move || run(&thread_shared, sender))?;
        Ok(Audit {
            handle: AuditHandle { shared },
            thread: Some(thread),
        })
    }

    /// A handle for emitting.
    pub fn handle(&self) -> AuditHandle {
        self.handle.clone()
    }

    /// Deliver what is queued (to stderr when `timeout` runs out), stop the thread and
    /// return the final counters.
    pub fn shutdown(mut self, timeout: Duration) -> AuditStats {
        self.stop(timeout);
        self.handle.stats()
    }

    fn stop(&mut self, timeout: Duration) {
        let flushed = self.handle.flush(timeout);
        {
            let mut q = lock(&self.handle.shared.queue);
            q.closed = true;
            q.abandon = !flushed;
        }
        self.handle.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Audit {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop(Duration::from_secs(2));
        }
    }
}

fn run(shared: &Shared, mut sender: Sender) {
    loop {
        let (record, abandon) = {
            let mut q = lock(&shared.queue);
            loop {
                if let Some(r) = q.items.pop_front() {
                    q.busy = true;
                    break (r, q.abandon);
                }
                if q.closed {
                    return;
                }
                q = shared.wake.wait(q).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let c = &shared.counters;
        let outcome = sender.deliver(&record, abandon);
        c.retried.fetch_add(outcome.retries, Relaxed);
        match outcome.result {
            Delivered::Journal => c.sent.fetch_add(1, Relaxed),
            Delivered::Syslog => c.syslog.fetch_add(1, Relaxed),
            Delivered::Fallback => c.fallback.fetch_add(1, Relaxed),
            Delivered::Lost => c.lost.fetch_add(1, Relaxed),
        };
        let mut q = lock(&shared.queue);
        q.busy = false;
        shared.idle.notify_all();
    }
}
