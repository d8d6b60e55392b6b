//! The session tracker against a real private dbus-daemon with python-dbusmock's logind
//! template (the harness in tests/common/dbus.rs explains what is real and what is mocked).
//! Skips with "skipping: …" when dbus-daemon or python3-dbusmock is missing.

#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use session_env::{active, cfg, next, setup, until};
use typewarden::session::*;
use zbus::zvariant::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_session_is_tracked_with_its_properties() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    let info = active(next(&mut rx).await);
    let want = SessionInfo {
        id: "2".into(),
        uid: 1000,
        user: "alice".into(),
        seat: "seat0".into(),
        class: SessionClass::User,
        kind: SessionType::Other("test".into()),
        remote: false,
        active: true,
        closing: false,
        locked: false,
    };
    assert_eq!(info, want);
    let mut gate = SeatGate::new(0);
    gate.apply(&SessionEvent::Active(info), 0);
    assert_eq!(gate.gate("seat0", 0), Gate::Allowed);
}

/// F39: a fast user switch produces a new Active event with the new uid; the gate reports
/// the switch (profiles swap) and settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_switch_produces_a_new_active_session() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    let mut gate = SeatGate::new(2000);
    gate.apply(&next(&mut rx).await, 0);

    // The greeter logs in bob as session 4; AddSession makes it the seat's active session.
    env.mock.add_session("4", "seat0", 1001, "bob").await;
    let e = until(
        &mut rx,
        |e| matches!(e, SessionEvent::Active(i) if i.id == "4"),
    )
    .await;
    let sw = gate.apply(&e, 10_000).expect("a switch");
    assert_eq!(
        (sw.from.as_deref(), sw.to.as_deref()),
        (Some("2"), Some("4"))
    );
    assert_eq!(active(e).uid, 1001);
    assert_eq!(
        gate.gate("seat0", 11_000),
        Gate::Paused(PauseReason::Settling)
    );
    assert_eq!(gate.gate("seat0", 12_000), Gate::Allowed);

    // Back to alice through Seat.ActiveSession's PropertiesChanged.
    env.mock.switch_to("seat0", "4", "2").await;
    let e = until(
        &mut rx,
        |e| matches!(e, SessionEvent::Active(i) if i.id == "2"),
    )
    .await;
    assert_eq!(active(e).uid, 1000);
}

/// peers.md §3.5, F38: greeter and lock-screen sessions (passwords) and remote sessions are
/// never scored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn greeter_lock_screen_and_remote_sessions_pause_scoring() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("c1", "seat0", 0, "gdm").await;
    let mut rx = env.track(&["seat0"], cfg());
    let mut gate = SeatGate::new(0);
    gate.apply(&next(&mut rx).await, 0);
    for (class, want) in [
        ("greeter", SessionClass::Greeter),
        ("lock-screen", SessionClass::LockScreen),
    ] {
        env.mock
            .set_session("c1", "Class", Value::from(class))
            .await;
        let e = until(
            &mut rx,
            |e| matches!(e, SessionEvent::Active(i) if i.class.as_str() == class),
        )
        .await;
        gate.apply(&e, 1);
        assert_eq!(
            gate.gate("seat0", 1),
            Gate::Paused(PauseReason::Class(want))
        );
    }
    env.mock
        .set_session("c1", "Class", Value::from("user"))
        .await;
    env.mock
        .set_session("c1", "Remote", Value::from(true))
        .await;
    let e = until(
        &mut rx,
        |e| matches!(e, SessionEvent::Active(i) if i.remote),
    )
    .await;
    gate.apply(&e, 2);
    assert_eq!(gate.gate("seat0", 2), Gate::Paused(PauseReason::Remote));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn locked_hint_produces_locked_and_unlocked_events() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("3", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    let mut gate = SeatGate::new(0);
    gate.apply(&next(&mut rx).await, 0);
    env.mock.set_locked_hint("3", true).await;
    let e = next(&mut rx).await;
    let want = SessionEvent::Locked {
        seat: "seat0".into(),
        session: "3".into(),
        via: LockVia::Hint,
    };
    assert_eq!(e, want);
    gate.apply(&e, 1);
    assert_eq!(gate.gate("seat0", 1), Gate::Paused(PauseReason::Locked));
    env.mock.set_locked_hint("3", false).await;
    let e = next(&mut rx).await;
    assert!(
        matches!(&e, SessionEvent::Unlocked { session, via: LockVia::Hint, .. } if session == "3")
    );
    gate.apply(&e, 2);
    assert_eq!(gate.gate("seat0", 2), Gate::Allowed);
}

/// F17, F18 (session side): PrepareForSleep(true) pauses until resume, then settles.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prepare_for_sleep_pauses_scoring() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0"], cfg());
    let mut gate = SeatGate::new(2000);
    gate.apply(&next(&mut rx).await, 0);
    env.mock.prepare_for_sleep(true).await;
    let e = next(&mut rx).await;
    assert_eq!(e, SessionEvent::Sleep(true));
    gate.apply(&e, 5000);
    assert_eq!(
        gate.gate("seat0", 5000),
        Gate::Paused(PauseReason::Sleeping)
    );
    env.mock.prepare_for_sleep(false).await;
    let e = next(&mut rx).await;
    assert_eq!(e, SessionEvent::Sleep(false));
    gate.apply(&e, 9000);
    assert_eq!(
        gate.gate("seat0", 9000),
        Gate::Paused(PauseReason::Settling)
    );
    assert_eq!(gate.gate("seat0", 11_000), Gate::Allowed);
}

/// F37: each seat is followed on its own; the lock target for a seat1 keyboard is seat1's
/// active session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_seat_is_followed_separately() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.add_session("7", "seat1", 1001, "bob").await;
    let mut rx = env.track(&["seat0", "seat1"], cfg());
    let mut gate = SeatGate::new(0);
    gate.apply(&next(&mut rx).await, 0);
    gate.apply(&next(&mut rx).await, 0);
    assert_eq!(gate.active("seat0").map(|i| i.uid), Some(1000));
    assert_eq!(gate.active("seat1").map(|i| i.uid), Some(1001));
    env.mock.set_locked_hint("7", true).await;
    let e = next(&mut rx).await;
    assert!(
        matches!(&e, SessionEvent::Locked { seat, session, .. } if seat == "seat1" && session == "7")
    );
    gate.apply(&e, 1);
    assert_eq!(gate.gate("seat1", 1), Gate::Paused(PauseReason::Locked));
    assert_eq!(gate.gate("seat0", 1), Gate::Allowed);
}

/// F37: a device's seat that logind does not know (yet) is reported as having no active
/// session (scoring paused there), does not disturb the other seats, and is picked up once
/// it appears.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_seat_has_no_session_until_it_appears() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let mut rx = env.track(&["seat0", "seat1"], cfg());
    assert_eq!(active(next(&mut rx).await).seat, "seat0");
    let e = next(&mut rx).await;
    assert_eq!(
        e,
        SessionEvent::NoActiveSession {
            seat: "seat1".into()
        }
    );
    let mut gate = SeatGate::new(0);
    gate.apply(&e, 0);
    assert_eq!(gate.gate("seat1", 0), Gate::Paused(PauseReason::NoSession));
    env.mock.add_session("7", "seat1", 1001, "bob").await;
    let info = active(next(&mut rx).await);
    assert_eq!((info.id.as_str(), info.seat.as_str()), ("7", "seat1"));
}
