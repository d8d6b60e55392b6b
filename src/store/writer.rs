//! The profile writer: one thread that does the store's disk work (serialize, temp file,
//! fsync, rename, directory fsync) so that the decision loop never waits on a disk (issue 5:
//! "saves are periodic and on shutdown/sleep, never on the keystroke path"; an fsync on a
//! slow SD card or a congested eMMC takes seconds).
//!
//! Invariants:
//! - [`SaveQueue::submit`] never waits on I/O: it files the save under a short mutex and
//!   wakes the thread;
//! - saves of one identity are written in the order they were submitted, never two at once
//!   (one thread), and a save still waiting is replaced by a newer one of the same identity
//!   (latest wins): what lands on disk last is what was submitted last;
//! - every save the thread takes ends in exactly one [`Saved`] report (a replaced save is
//!   superseded, not reported); the report is made before the save counts as finished, so
//!   after a successful [`SaveQueue::flush`] every report is out;
//! - [`SaveQueue::forget`] drops an identity's waiting save and waits for its save in
//!   flight, so a profile deleted afterwards cannot be brought back by a save;
//! - every wait here is bounded; a thread stuck in the kernel is detached, never joined.

use super::{Identity, Persisted, Store, StoreError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How one save ended.
#[derive(Debug)]
pub struct Saved {
    /// Whose profile.
    pub identity: Identity,
    /// The store's answer.
    pub result: Result<(), StoreError>,
}

type Sink<T> = Box<dyn FnMut(&Identity, &T) -> Result<(), StoreError> + Send>;
type Report = Box<dyn FnMut(Saved) + Send>;

struct State<T> {
    /// Identities with a waiting save, oldest first.
    order: VecDeque<Identity>,
    /// The latest waiting save of each identity in `order`.
    waiting: HashMap<Identity, T>,
    /// The identity whose save the thread is writing.
    in_flight: Option<Identity>,
    closed: bool,
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Signalled when a save is filed or the queue closes.
    wake: Condvar,
    /// Signalled when a save finished.
    idle: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in a sink must not stop every later save.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The writer thread and the queue in front of it.
pub struct SaveQueue<T> {
    shared: Arc<Shared<T>>,
    thread: Option<JoinHandle<()>>,
}

impl<T: Persisted + Send + 'static> SaveQueue<T> {
    /// Starts the thread writing into `store`; `report` hears how each save ended (from the
    /// writer thread).
    pub fn start(
        store: Arc<Store>,
        report: impl FnMut(Saved) + Send + 'static,
    ) -> std::io::Result<Self> {
        Self::with_sink(Box::new(move |id, p| store.save(id, p)), Box::new(report))
    }

    fn with_sink(sink: Sink<T>, report: Report) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                order: VecDeque::new(),
                waiting: HashMap::new(),
                in_flight: None,
                closed: false,
            }),
            wake: Condvar::new(),
            idle: Condvar::new(),
        });
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("typewarden-store".into())
            .spawn(move || run(&thread_shared, sink, report))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Files a save of `profile` for `id`; replaces a save of `id` still waiting. Never
    /// waits on I/O.
    pub fn submit(&self, id: Identity, profile: T) {
        let mut s = lock(&self.shared.state);
        if !s.waiting.contains_key(&id) {
            s.order.push_back(id.clone());
        }
        s.waiting.insert(id, profile);
        self.shared.wake.notify_one();
    }

    /// Saves waiting or in flight.
    pub fn pending(&self) -> usize {
        let s = lock(&self.shared.state);
        s.waiting.len() + usize::from(s.in_flight.is_some())
    }

    /// Drops `id`'s waiting save and waits up to `timeout` for its save in flight to end;
    /// `false` when one is still being written (the caller must not delete the file then).
    pub fn forget(&self, id: &Identity, timeout: Duration) -> bool {
        let mut s = lock(&self.shared.state);
        if s.waiting.remove(id).is_some() {
            s.order.retain(|o| o != id);
        }
        self.wait(s, timeout, |s| s.in_flight.as_ref() != Some(id))
    }

    /// Waits up to `timeout` until no save is waiting or in flight; `false` on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.flusher().flush(timeout)
    }

    /// A handle that can wait for the queue to drain from another thread.
    pub fn flusher(&self) -> Flusher<T> {
        Flusher {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Flushes (up to `timeout`) and stops the thread. Returns the identities whose saves
    /// did not finish in time, each once, oldest first (a save in flight first): they are
    /// lost.
    pub fn shutdown(mut self, timeout: Duration) -> Vec<Identity> {
        let flushed = self.flush(timeout);
        let unfinished = {
            let mut s = lock(&self.shared.state);
            s.closed = true;
            let mut ids: Vec<Identity> = s.in_flight.iter().cloned().collect();
            let waiting: Vec<Identity> = s.order.drain(..).collect();
            ids.extend(
                waiting
                    .into_iter()
                    .filter(|id| s.in_flight.as_ref() != Some(id)),
            );
            s.waiting.clear();
            ids
        };
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            if flushed {
                let _ = t.join();
            }
            // else: the thread is stuck in a system call; it is detached, the process ends.
        }
        unfinished
    }

    fn wait(
        &self,
        s: MutexGuard<'_, State<T>>,
        timeout: Duration,
        done: impl Fn(&State<T>) -> bool,
    ) -> bool {
        self.shared.wait(s, timeout, done)
    }
}

/// Waits for a [`SaveQueue`] to drain (e.g. on a blocking thread before sleep).
pub struct Flusher<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Flusher<T> {
    /// See [`SaveQueue::flush`].
    pub fn flush(&self, timeout: Duration) -> bool {
        let s = lock(&self.shared.state);
        self.shared.wait(s, timeout, |s| {
            s.waiting.is_empty() && s.in_flight.is_none()
        })
    }
}

impl<T> Shared<T> {
    fn wait(
        &self,
        mut s: MutexGuard<'_, State<T>>,
        timeout: Duration,
        done: impl Fn(&State<T>) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        while !done(&s) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            s = self
                .idle
                .wait_timeout(s, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        true
    }
}

impl<T> Drop for SaveQueue<T> {
    fn drop(&mut self) {
        // Without `shutdown` (an error path): stop taking work, never wait for the disk.
        lock(&self.shared.state).closed = true;
        self.shared.wake.notify_all();
    }
}

fn run<T>(shared: &Shared<T>, mut sink: Sink<T>, mut report: Report) {
    loop {
        let (id, profile) = {
            let mut s = lock(&shared.state);
            loop {
                if s.closed {
                    return;
                }
                if let Some(id) = s.order.pop_front() {
                    if let Some(p) = s.waiting.remove(&id) {
                        s.in_flight = Some(id.clone());
                        break (id, p);
                    }
                    continue;
                }
                s = shared.wake.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
        };
        let result = sink(&id, &profile);
        report(Saved {
            identity: id,
            result,
        });
        lock(&shared.state).in_flight = None;
        shared.idle.notify_all();
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
