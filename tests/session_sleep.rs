//! Holding sleep back until the profiles are saved: the tracker takes a logind *delay*
//! inhibitor, and after `PrepareForSleep(true)` closes it only once the loop said it is done
//! (or after `SLEEP_DELAY`); after resume it takes a new one. On a real private dbus-daemon
//! with python-dbusmock's logind template (tests/common/dbus.rs), whose `Inhibit` hands out
//! a pipe and drops the inhibitor from `ListInhibitors` when our end closes, as logind does.

#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use session_env::{cfg, next, setup, until};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Notify};
use typewarden::session::*;

/// Polls `ListInhibitors` until it has `n` entries (fails after 10 s).
async fn inhibitors(mock: &mock::Mock, n: usize) -> Vec<(String, String, String, String)> {
    let start = Instant::now();
    loop {
        let list = mock.inhibitors().await;
        if list.len() == n {
            return list;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{list:?}, want {n}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_waits_for_the_loop_then_the_inhibitor_is_taken_again() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let ready = Arc::new(Notify::new());
    let (tx, mut rx) = mpsc::channel(64);
    let seats = vec!["seat0".to_string()];
    tokio::spawn(run_tracker_with(
        env.bus(),
        seats,
        cfg(),
        tx,
        Some(ready.clone()),
    ));
    next(&mut rx).await;
    let held = inhibitors(&env.mock, 1).await;
    assert_eq!(
        (held[0].0.as_str(), held[0].1.as_str(), held[0].3.as_str()),
        ("sleep", "typewarden", "delay")
    );

    env.mock.prepare_for_sleep(true).await;
    assert_eq!(
        until(&mut rx, |e| matches!(e, SessionEvent::Sleep(_))).await,
        SessionEvent::Sleep(true)
    );
    // The loop has not answered: sleep is still held back (SLEEP_DELAY is 3 s).
    assert_eq!(env.mock.inhibitors().await.len(), 1);
    ready.notify_waiters();
    inhibitors(&env.mock, 0).await;

    env.mock.prepare_for_sleep(false).await;
    assert_eq!(
        until(&mut rx, |e| matches!(e, SessionEvent::Sleep(_))).await,
        SessionEvent::Sleep(false)
    );
    inhibitors(&env.mock, 1).await;
}

/// A loop that never answers does not keep the system awake: the inhibitor goes after
/// SLEEP_DELAY. Without a `sleep_ready` signal no inhibitor is taken at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleep_is_never_held_back_longer_than_the_delay() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut plain = env.track(&["seat0"], cfg());
    next(&mut plain).await;
    let (tx, mut rx) = mpsc::channel(64);
    let ready = Arc::new(Notify::new());
    let seats = vec!["seat0".to_string()];
    tokio::spawn(run_tracker_with(env.bus(), seats, cfg(), tx, Some(ready)));
    next(&mut rx).await;
    inhibitors(&env.mock, 1).await; // only the second tracker's
    let start = Instant::now();
    env.mock.prepare_for_sleep(true).await;
    until(&mut rx, |e| *e == SessionEvent::Sleep(true)).await;
    inhibitors(&env.mock, 0).await;
    // Causal bound, not a speed target: the release waited for the delay.
    assert!(start.elapsed() >= typewarden::session::tracker::SLEEP_DELAY);
}
