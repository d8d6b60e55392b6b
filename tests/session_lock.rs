//! Locking through logind with confirmation and escalation, against a real private
//! dbus-daemon with python-dbusmock's logind template (see tests/common/dbus.rs). The mock's
//! `LockSession` is made to emit `Session.Lock` as the real logind does; a test "locker"
//! plays the desktop that answers it with `SetLockedHint(true)`.

#[path = "common/dbus.rs"]
mod dbus;
#[path = "common/mock.rs"]
mod mock;
#[path = "common/session_env.rs"]
mod session_env;

use mock::spawn_locker;
use session_env::{cfg, next, quick, setup, target, until};
use std::time::Duration;
use typewarden::session::*;
use zbus::zvariant::Value;

/// F34: the lock is requested for the right session and confirmed through LockedHint; the
/// request→LockedHint latency is printed (and causally at least the locker's delay).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_is_requested_for_the_session_and_confirmed_by_its_locker() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.lock_session_emits_lock().await;
    for delay_ms in [0, 300] {
        env.mock.set_locked_hint("2", false).await;
        env.mock.clear_calls().await;
        let locker = spawn_locker(&env.mock.conn, "2", Duration::from_millis(delay_ms)).await;
        let cfg = SessionConfig {
            lock_confirm_timeout_ms: 2000,
            ..cfg()
        };
        let out = lock_session(&env.bus(), &target("2", "seat0", 1000), &cfg).await;
        locker.abort();
        assert_eq!(out.request, Ok(()));
        assert_eq!(out.confirmation, Some(Confirmation::LockedHint));
        assert!(out.confirmed() && out.escalation.is_none());
        assert!(out.latency >= Duration::from_millis(delay_ms));
        assert_eq!(
            env.mock.calls("LockSession").await,
            vec![vec!["2".to_string()]]
        );
        println!(
            "lock-confirm latency, locker delay {delay_ms} ms: {:?}",
            out.latency
        );
    }
}

/// F33, F38: a TTY session has no locker, so LockSession "succeeds" but nothing confirms;
/// the command escalation runs without a shell or inherited environment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_lock_runs_the_command_escalation() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.set_session("2", "Type", Value::from("tty")).await;
    env.mock.lock_session_emits_lock().await;
    let marker = env.bus.dir().join("marker");
    let script = format!("echo \"$0 $1 ${{HOME:-unset}}\" > {}", marker.display());
    let argv = ["/bin/sh", "-c", &script, "{session}", "{uid}"];
    let spec = CommandSpec {
        argv: argv.iter().map(|s| s.to_string()).collect(),
        timeout_ms: 5000,
    };
    let cfg = quick(Escalation::Command(spec));
    let out = lock_session(&env.bus(), &target("2", "seat0", 1000), &cfg).await;
    assert_eq!(out.request, Ok(()), "F33: the request itself succeeds");
    assert_eq!(out.confirmation, None);
    assert!(out.latency >= Duration::from_millis(500));
    assert_eq!(
        out.escalation,
        Some(EscalationResult::CommandExited(Some(0)))
    );
    let text = std::fs::read_to_string(&marker).expect("marker written");
    assert_eq!(text.trim(), "2 1000 unset");

    let slow = CommandSpec {
        argv: vec!["/bin/sleep".into(), "30".into()],
        timeout_ms: 200,
    };
    let out = lock_session(
        &env.bus(),
        &target("2", "seat0", 1000),
        &quick(Escalation::Command(slow)),
    )
    .await;
    assert_eq!(out.escalation, Some(EscalationResult::CommandTimedOut));
    let missing = CommandSpec {
        argv: vec!["/nonexistent/typewarden-escalate".into()],
        timeout_ms: 200,
    };
    let out = lock_session(
        &env.bus(),
        &target("2", "seat0", 1000),
        &quick(Escalation::Command(missing)),
    )
    .await;
    assert!(
        matches!(out.escalation, Some(EscalationResult::Failed(_))),
        "{out:?}"
    );
}

/// F33: activating the greeter, or terminating, as recorded in the mock's call log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unconfirmed_lock_activates_the_greeter_or_terminates() {
    let Some(env) = setup().await else { return };
    let t = target("2", "seat0", 1000);
    let greeter = quick(Escalation::ActivateSession("greeter".into()));
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    let out = lock_session(&env.bus(), &t, &greeter).await;
    let failed = Some(EscalationResult::Failed(
        "no greeter session on seat0".into(),
    ));
    assert_eq!(out.escalation, failed);

    env.mock.add_session("c1", "seat0", 0, "gdm").await;
    env.mock
        .set_session("c1", "Class", Value::from("greeter"))
        .await;
    env.mock.switch_to("seat0", "c1", "2").await;
    let out = lock_session(&env.bus(), &t, &greeter).await;
    assert_eq!(
        out.escalation,
        Some(EscalationResult::Activated("c1".into()))
    );
    let calls = env.mock.calls("ActivateSessionOnSeat").await;
    assert_eq!(calls, vec![vec!["c1".to_string(), "seat0".to_string()]]);

    let out = lock_session(&env.bus(), &t, &quick(Escalation::Terminate)).await;
    assert_eq!(out.escalation, Some(EscalationResult::Terminated));
    assert_eq!(
        env.mock.calls("TerminateSession").await,
        vec![vec!["2".to_string()]]
    );
}

/// The target leaving the foreground (a switch to the greeter) or ending also confirms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switch_away_or_the_session_ending_confirms() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("c1", "seat0", 0, "gdm").await;
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    // The mock's LockSession switches the seat to the greeter, like a display manager would.
    let code = "objects['/org/freedesktop/login1/seat/seat0'].Set('org.freedesktop.login1.Seat', \
                'ActiveSession', ('c1', dbus.ObjectPath('/org/freedesktop/login1/session/c1')))";
    env.mock.manager_method("LockSession", "s", "", code).await;
    let out = lock_session(
        &env.bus(),
        &target("2", "seat0", 1000),
        &quick(Escalation::Terminate),
    )
    .await;
    assert_eq!(out.confirmation, Some(Confirmation::SessionSwitched));
    assert_eq!(out.escalation, None, "never terminate a confirmed session");

    let code = "objects['/org/freedesktop/login1'].EmitSignal('org.freedesktop.login1.Manager', \
                'SessionRemoved', 'so', [args[0], '/org/freedesktop/login1/session/' + args[0]])";
    env.mock.manager_method("LockSession", "s", "", code).await;
    env.mock.switch_to("seat0", "c1", "2").await;
    let out = lock_session(
        &env.bus(),
        &target("2", "seat0", 1000),
        &quick(Escalation::LogOnly),
    )
    .await;
    assert_eq!(out.confirmation, Some(Confirmation::SessionGone));
}

/// F37: the keyboard is on seat1, so the lock goes to seat1's active session only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seat1_keyboard_locks_only_seat1s_session() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.add_session("7", "seat1", 1001, "bob").await;
    env.mock.lock_session_emits_lock().await;
    let mut rx = env.track(&["seat0", "seat1"], cfg());
    let mut gate = SeatGate::new(0);
    gate.apply(&next(&mut rx).await, 0);
    gate.apply(&next(&mut rx).await, 0);
    let on_seat1 = gate.active("seat1").expect("seat1 session").clone();
    let _locker0 = spawn_locker(&env.mock.conn, "2", Duration::ZERO).await;
    let _locker7 = spawn_locker(&env.mock.conn, "7", Duration::ZERO).await;
    let t = target(&on_seat1.id, &on_seat1.seat, on_seat1.uid);
    let out = lock_session(&env.bus(), &t, &cfg()).await;
    assert!(out.confirmed());
    assert_eq!(
        env.mock.calls("LockSession").await,
        vec![vec!["7".to_string()]]
    );
    let e = until(&mut rx, |e| {
        matches!(
            e,
            SessionEvent::Locked {
                via: LockVia::Hint,
                ..
            }
        )
    })
    .await;
    assert!(
        matches!(&e, SessionEvent::Locked { seat, session, .. } if seat == "seat1" && session == "7")
    );
    gate.apply(&e, 1);
    assert_eq!(gate.gate("seat0", 1), Gate::Allowed, "seat0 stays unlocked");
}

/// An unlock soon after typewarden's confirmed lock is a probable false lock; the tracker's
/// Unlocked event feeds the detector.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_unlock_after_our_lock_is_a_probable_false_lock() {
    let Some(env) = setup().await else { return };
    env.mock.add_session("2", "seat0", 1000, "alice").await;
    env.mock.lock_session_emits_lock().await;
    let mut rx = env.track(&["seat0"], cfg());
    next(&mut rx).await;
    let _locker = spawn_locker(&env.mock.conn, "2", Duration::ZERO).await;
    let clock = std::time::Instant::now();
    let ms = || clock.elapsed().as_millis() as u64;
    let out = lock_session(&env.bus(), &target("2", "seat0", 1000), &cfg()).await;
    assert!(out.confirmed());
    let mut detector = FalseLockDetector::new(cfg().probable_false_lock_window_s * 1000);
    detector.locked("2", ms());
    env.mock.set_locked_hint("2", false).await;
    let e = until(&mut rx, |e| {
        matches!(
            e,
            SessionEvent::Unlocked {
                via: LockVia::Hint,
                ..
            }
        )
    })
    .await;
    let SessionEvent::Unlocked { session, .. } = e else {
        unreachable!()
    };
    assert!(detector.unlocked(&session, ms()).is_some());
}
