//! Robustness of the session adapter against a real private dbus-daemon with
//! python-dbusmock's logind template (see tests/common/dbus.rs): logind or the bus going away
//! and returning, hanging calls, sessions vanishing. Nothing may end the tracker or panic.

#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use session_env::{active, cfg, next, quick, setup, target, until};
use std::time::Duration;
use typewarden::session::*;

/// F39: logind restarting (the mock killed and started again, losing its state) gives
/// LogindLost then LogindBack, and tracking resumes on the new instance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logind_disappearing_and_returning_is_reported_and_tracking_resumes() {
    let Some(mut env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    assert_eq!(active(next(&mut rx).await).id, "2");

    env.logind.kill().await;
    let e = next(&mut rx).await;
    assert!(matches!(e, SessionEvent::LogindLost { .. }), "{e:?}");
    let mut gate = SeatGate::new(0);
    gate.apply(&e, 0);
    assert_eq!(
        gate.gate("seat0", 0),
        Gate::Paused(PauseReason::LogindUnreachable)
    );

    env.logind.restart().await;
    env.mock.add_session("5", "seat0", 1001, "bob").await;
    let e = until(&mut rx, |e| *e == SessionEvent::LogindBack).await;
    gate.apply(&e, 1);
    // Depending on the race with AddSession, the new instance first knows no seat0.
    let e = until(&mut rx, |e| matches!(e, SessionEvent::Active(_))).await;
    assert_eq!(active(e.clone()).id, "5");
    gate.apply(&e, 2);
    assert_eq!(gate.gate("seat0", 2), Gate::Allowed);

    env.mock.set_locked_hint("5", true).await;
    let e = next(&mut rx).await;
    assert!(
        matches!(
            e,
            SessionEvent::Locked {
                via: LockVia::Hint,
                ..
            }
        ),
        "{e:?}"
    );
}

/// A hanging logind call: GetSeat sleeps in the mock while a flag file exists. The tracker's
/// deadline fires (LogindLost naming the call), and once logind answers again it recovers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_call_times_out_and_the_tracker_recovers() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let flag = env.bus.dir().join("hang");
    std::fs::write(&flag, "").expect("flag");
    let code = format!(
        "if os.path.exists('{}'): time.sleep(1.0)\nret = '/org/freedesktop/login1/seat/' + args[0]",
        flag.display()
    );
    env.mock.manager_method("GetSeat", "s", "o", &code).await;
    let cfg = SessionConfig {
        dbus_timeout_ms: 200,
        ..SessionConfig::default()
    };
    let mut rx = env.track(&["seat0"], cfg);
    let e = next(&mut rx).await;
    let SessionEvent::LogindLost { reason } = e else {
        panic!("{e:?}")
    };
    assert!(
        reason.contains("GetSeat") && reason.contains("200 ms"),
        "{reason}"
    );
    std::fs::remove_file(&flag).expect("unflag");
    assert_eq!(next(&mut rx).await, SessionEvent::LogindBack);
    assert_eq!(active(next(&mut rx).await).id, "2");
}

/// The bus itself restarting (every connection dropped): the tracker reports the outage,
/// reconnects with backoff and resumes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bus_restarting_is_survived() {
    let Some(mut env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    assert_eq!(active(next(&mut rx).await).id, "2");
    env.logind.kill().await;
    env.bus.restart();
    let e = next(&mut rx).await;
    assert!(matches!(e, SessionEvent::LogindLost { .. }), "{e:?}");
    env.logind.restart().await;
    env.mock = mock::Mock::new(&env.bus.address).await;
    env.mock.add_session("3", "seat0", 1000, "alice").await;
    until(&mut rx, |e| *e == SessionEvent::LogindBack).await;
    let e = until(&mut rx, |e| matches!(e, SessionEvent::Active(_))).await;
    assert_eq!(active(e).id, "3");
}

/// A session that vanished before the lock is an outcome with an error, not a crash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locking_a_vanished_session_reports_and_escalates() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let out = lock_session(
        &env.bus(),
        &target("9", "seat0", 1000),
        &quick(Escalation::LogOnly),
    )
    .await;
    // An error reply while looking the session up (the mock: no such object; logind:
    // NoSuchSession): a refusal, and nothing was requested.
    assert!(
        matches!(
            &out.request,
            Err(RequestError::Refused { name: Some(_), .. })
        ),
        "{out:?}"
    );
    assert_eq!((out.requests, out.confirmation), (0, None));
    assert_eq!(out.escalation, Some(EscalationResult::LoggedOnly));
    let gone = Bus::Address("unix:path=/nonexistent/bus".into());
    let out = lock_session(
        &gone,
        &target("2", "seat0", 1000),
        &quick(Escalation::Terminate),
    )
    .await;
    let failed = Some(EscalationResult::Failed(
        "the system bus is unreachable".into(),
    ));
    assert_eq!(out.escalation, failed);
}

/// A hanging LockSession: the call deadline fires, the escalation still runs, and the
/// tracker (sharing the hung logind) keeps working afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_lock_call_times_out_and_nothing_dies() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    next(&mut rx).await;
    env.mock
        .manager_method("LockSession", "s", "", "time.sleep(1.5)")
        .await;
    let cfg = SessionConfig {
        dbus_timeout_ms: 300,
        ..quick(Escalation::LogOnly)
    };
    let out = lock_session(&env.bus(), &target("2", "seat0", 1000), &cfg).await;
    let err = out.request.clone().expect_err("timed out");
    assert!(matches!(err, RequestError::NoReply(_)), "{err:?}");
    let err = err.to_string();
    assert!(
        err.contains("LockSession") && err.contains("300 ms"),
        "{err}"
    );
    assert_eq!(out.escalation, Some(EscalationResult::LoggedOnly));
    assert!(
        out.latency < Duration::from_millis(1500),
        "{:?}",
        out.latency
    );
    env.mock.set_locked_hint("2", true).await;
    let e = until(&mut rx, |e| matches!(e, SessionEvent::Locked { .. })).await;
    assert!(matches!(
        e,
        SessionEvent::Locked {
            via: LockVia::Hint,
            ..
        }
    ));
}
