//! Locks that do not go as planned, against a real private dbus-daemon with
//! python-dbusmock's logind template (see tests/common/dbus.rs): logind refusing
//! `LockSession` (F33; an unanswered one is in tests/session_robustness.rs), and a locker
//! that ignores the first `Lock` signal, so that only the repeated request locks (F34,
//! swayidle #204).

#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use futures_util::StreamExt;
use session_env::{cfg, quick, setup, target};
use std::time::Duration;
use typewarden::session::proxies::SessionProxy;
use typewarden::session::*;

/// F33: an error reply (here the bus policy's or polkit's AccessDenied) is a refusal with
/// its D-Bus error name, not "no locker"; nothing is waited for, and the escalation runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_lock_request_says_so_and_escalates() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let code = "raise dbus.exceptions.DBusException('Permission denied', \
                name='org.freedesktop.DBus.Error.AccessDenied')";
    env.mock.manager_method("LockSession", "s", "", code).await;
    let out = lock_session(
        &env.bus(),
        &target("2", "seat0", 1000),
        &quick(Escalation::Terminate),
    )
    .await;
    match &out.request {
        Err(RequestError::Refused { name, text }) => {
            assert_eq!(
                name.as_deref(),
                Some("org.freedesktop.DBus.Error.AccessDenied")
            );
            assert!(text.contains("Permission denied"), "{text}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!((out.requests, out.confirmation), (1, None));
    assert!(
        out.latency < Duration::from_millis(500),
        "a refusal is not waited on: {:?}",
        out.latency
    );
    assert_eq!(out.escalation, Some(EscalationResult::Terminated));
    assert_eq!(
        env.mock.calls("TerminateSession").await,
        vec![vec!["2".to_string()]]
    );
}

/// F34: a locker that drops the first `Lock` (swayidle #204's argument order) locks on the
/// second: typewarden repeats LockSession once, at half the confirmation timeout, and the
/// time-to-lock is measured from the first request. Without the repeat nothing would lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locker_that_ignores_the_first_lock_is_asked_again() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.lock_session_emits_lock().await;
    let proxy = SessionProxy::builder(&env.mock.conn)
        .path(mock::session_path("2"))
        .unwrap()
        .build()
        .await
        .unwrap();
    let mut locks = proxy.receive_lock().await.unwrap();
    let conn = env.mock.conn.clone();
    let locker = tokio::spawn(async move {
        locks.next().await; // ignored
        locks.next().await;
        let path = mock::session_path("2");
        conn.call_method(
            Some(dbus::LOGIND),
            path.as_str(),
            Some("org.freedesktop.login1.Session"),
            "SetLockedHint",
            &true,
        )
        .await
        .unwrap();
    });
    let config = SessionConfig {
        lock_confirm_timeout_ms: 4000,
        escalation: Escalation::Terminate,
        ..cfg()
    };
    let out = lock_session(&env.bus(), &target("2", "seat0", 1000), &config).await;
    locker.abort();
    assert_eq!(out.request, Ok(()));
    assert_eq!(out.requests, 2, "{out:?}");
    assert_eq!(out.confirmation, Some(Confirmation::LockedHint), "{out:?}");
    assert_eq!(out.escalation, None, "confirmed: never terminate");
    assert_eq!(
        env.mock.calls("LockSession").await,
        vec![vec!["2".to_string()], vec!["2".to_string()]]
    );
    // Causal, not a speed target: the lock cannot come before the repeat was sent.
    assert!(out.latency >= repeat_at(Duration::from_millis(4000)));
    println!("time-to-lock with one ignored Lock: {:?}", out.latency);
}
