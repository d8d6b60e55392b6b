//! The writer's queue discipline with a sink the test holds: every save blocks until the
//! test releases it, so "the caller does not wait", "latest wins" and "in order" are checked
//! by what the sink saw, not by timing. (The store's own disk work is tested in
//! tests/store*.rs; the loop not waiting on it in tests/daemon_saves.rs.)

use super::*;
use crate::store::MigrateError;
use serde::{Deserialize, Serialize};
use std::sync::mpsc;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct P(u32);

impl Persisted for P {
    const KIND: [u8; 4] = *b"TEST";
    const VERSION: u16 = 1;
    fn migrate(version: u16, _: &[u8]) -> Result<Self, MigrateError> {
        Err(MigrateError::Unsupported(version))
    }
}

const A: Identity = Identity::Uid(1000);
const B: Identity = Identity::Uid(1001);
/// Only ever reached when something is wrong.
const STUCK: Duration = Duration::from_secs(10);

struct Harness {
    queue: SaveQueue<P>,
    /// Each save as the sink starts it.
    started: mpsc::Receiver<(Identity, u32)>,
    /// One message lets one save finish; `Some(errno)` makes it fail.
    release: mpsc::Sender<Option<i32>>,
    reports: mpsc::Receiver<Saved>,
}

fn harness() -> Harness {
    let (started_tx, started) = mpsc::channel();
    let (release, release_rx) = mpsc::channel::<Option<i32>>();
    let (report_tx, reports) = mpsc::channel();
    let sink: Sink<P> = Box::new(move |id, p| {
        started_tx.send((id.clone(), p.0)).unwrap();
        match release_rx.recv() {
            Ok(Some(errno)) => Err(StoreError::Io {
                path: "/state".into(),
                source: std::io::Error::from_raw_os_error(errno),
            }),
            _ => Ok(()),
        }
    });
    let report: Report = Box::new(move |s| {
        let _ = report_tx.send(s);
    });
    Harness {
        queue: SaveQueue::with_sink(sink, report).unwrap(),
        started,
        release,
        reports,
    }
}

fn next(started: &mpsc::Receiver<(Identity, u32)>) -> (Identity, u32) {
    started.recv_timeout(STUCK).expect("a save started")
}

#[test]
fn submitting_never_waits_for_a_save_in_flight_and_the_latest_save_wins() {
    let Harness {
        queue,
        started,
        release,
        reports,
    } = harness();
    queue.submit(A, P(1));
    assert_eq!(next(&started), (A, 1));
    // A1 is blocked in the sink. Submitting from another thread must come back anyway.
    let queue = Arc::new(queue);
    let q = Arc::clone(&queue);
    let (done_tx, done) = mpsc::channel();
    std::thread::spawn(move || {
        q.submit(A, P(2));
        q.submit(B, P(1));
        q.submit(A, P(3));
        done_tx.send(()).unwrap();
    });
    done.recv_timeout(STUCK)
        .expect("submit returned while a save was blocked");
    assert_eq!(queue.pending(), 3, "A1 in flight, A3 and B1 waiting");
    for _ in 0..3 {
        release.send(None).unwrap();
    }
    // A2 was replaced by A3 before it was taken; A keeps its place ahead of B.
    assert_eq!(next(&started), (A, 3));
    assert_eq!(next(&started), (B, 1));
    assert!(queue.flush(STUCK));
    let reports: Vec<Identity> = reports.try_iter().map(|s| s.identity).collect();
    assert_eq!(reports, vec![A, A, B], "one report per save written");
    assert!(started.try_recv().is_err(), "A2 was never written");
}

#[test]
fn flush_and_forget_are_bounded_and_forget_drops_a_waiting_save() {
    let h = harness();
    h.queue.submit(A, P(1));
    assert_eq!(next(&h.started), (A, 1));
    h.queue.submit(B, P(1));
    assert!(!h.queue.flush(Duration::from_millis(20)), "A1 is stuck");
    assert!(
        !h.queue.forget(&A, Duration::from_millis(20)),
        "A's save is in flight: deleting A's file now would race it"
    );
    assert!(h.queue.forget(&B, STUCK), "B was only waiting");
    h.release.send(None).unwrap();
    assert!(h.queue.forget(&A, STUCK));
    assert!(h.queue.flush(STUCK));
    assert!(
        h.started.try_recv().is_err(),
        "B's forgotten save never ran"
    );
}

#[test]
fn a_failed_save_is_reported_with_the_store_error() {
    let h = harness();
    h.queue.submit(A, P(1));
    next(&h.started);
    h.release.send(Some(28)).unwrap(); // ENOSPC
    let saved = h.reports.recv_timeout(STUCK).unwrap();
    assert_eq!(saved.identity, A);
    match saved.result {
        Err(StoreError::Io { source, .. }) => assert_eq!(source.raw_os_error(), Some(28)),
        other => panic!("expected the sink's error, got {other:?}"),
    }
}

#[test]
fn shutdown_with_a_stuck_save_returns_what_is_lost_and_does_not_hang() {
    let h = harness();
    h.queue.submit(A, P(1));
    next(&h.started);
    h.queue.submit(B, P(1));
    h.queue.submit(A, P(2));
    let lost = h.queue.shutdown(Duration::from_millis(20));
    assert_eq!(
        lost,
        vec![A, B],
        "each identity once, the one in flight first"
    );
    // Releasing the stuck save afterwards is harmless: the thread ends.
    let _ = h.release.send(None);
}

#[test]
fn shutdown_writes_everything_waiting_first() {
    let h = harness();
    for _ in 0..2 {
        h.release.send(None).unwrap();
    }
    h.queue.submit(A, P(1));
    h.queue.submit(B, P(1));
    assert!(h.queue.shutdown(STUCK).is_empty());
    let mut started: Vec<Identity> = h.started.try_iter().map(|(id, _)| id).collect();
    started.sort();
    assert_eq!(started, vec![A, B]);
}
