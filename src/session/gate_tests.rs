use super::*;
use crate::session::model::{SessionClass, SessionType};

fn info(id: &str, seat: &str) -> SessionInfo {
    SessionInfo {
        id: id.to_string(),
        uid: 1000,
        user: "alice".to_string(),
        seat: seat.to_string(),
        class: SessionClass::User,
        kind: SessionType::Wayland,
        remote: false,
        active: true,
        closing: false,
        locked: false,
    }
}

fn paused(r: PauseReason) -> Gate {
    Gate::Paused(r)
}

#[test]
fn scoring_needs_a_local_active_unlocked_user_session_on_the_device_seat() {
    let ok = info("2", "seat0");
    assert_eq!(scoring_allowed(&ok, "seat0"), Gate::Allowed);
    assert_eq!(
        scoring_allowed(&ok, "seat1"),
        paused(PauseReason::OtherSeat)
    );
    type Case = (fn(&mut SessionInfo), PauseReason);
    let cases: [Case; 7] = [
        (
            |i| i.class = SessionClass::Greeter,
            PauseReason::Class(SessionClass::Greeter),
        ),
        (
            |i| i.class = SessionClass::LockScreen,
            PauseReason::Class(SessionClass::LockScreen),
        ),
        (
            |i| i.class = SessionClass::parse("user-light"),
            PauseReason::Class(SessionClass::UserLight),
        ),
        (|i| i.remote = true, PauseReason::Remote),
        (|i| i.active = false, PauseReason::Inactive),
        (|i| i.closing = true, PauseReason::Closing),
        (|i| i.locked = true, PauseReason::Locked),
    ];
    for (change, reason) in cases {
        let mut i = ok.clone();
        change(&mut i);
        assert_eq!(scoring_allowed(&i, "seat0"), paused(reason));
    }
    // F37: a seatless session never matches a device.
    assert_eq!(
        scoring_allowed(&info("5", ""), ""),
        paused(PauseReason::OtherSeat)
    );
}

#[test]
fn unknown_class_and_type_strings_are_kept_verbatim() {
    assert_eq!(
        SessionClass::parse("future-class"),
        SessionClass::Other("future-class".into())
    );
    assert_eq!(SessionClass::parse("lock-screen").as_str(), "lock-screen");
    assert_eq!(
        SessionType::parse("test"),
        SessionType::Other("test".into())
    );
    assert_eq!(SessionType::parse("tty"), SessionType::Tty);
}

#[test]
fn a_switch_pauses_for_the_settle_window_then_allows() {
    let mut g = SeatGate::new(2000);
    assert_eq!(g.gate("seat0", 0), paused(PauseReason::NoSession));
    let sw = g.apply(&SessionEvent::Active(info("2", "seat0")), 1000);
    assert_eq!(sw.map(|s| s.to), Some(Some("2".to_string())));
    assert_eq!(g.gate("seat0", 2999), paused(PauseReason::Settling));
    assert_eq!(g.gate("seat0", 3000), Gate::Allowed);
    // A property update of the same session is not a switch and does not settle again.
    let mut same = info("2", "seat0");
    same.kind = SessionType::X11;
    assert_eq!(g.apply(&SessionEvent::Active(same), 4000), None);
    assert_eq!(g.gate("seat0", 4000), Gate::Allowed);
    // F39: user B's session becomes active: a switch, and a new settle window.
    let mut b = info("4", "seat0");
    b.uid = 1001;
    let sw = g.apply(&SessionEvent::Active(b), 5000).expect("switch");
    assert_eq!(
        (sw.from.as_deref(), sw.to.as_deref()),
        (Some("2"), Some("4"))
    );
    assert_eq!(g.gate("seat0", 5500), paused(PauseReason::Settling));
    assert_eq!(g.active("seat0").map(|i| i.uid), Some(1001));
}

#[test]
fn locked_hint_pauses_but_a_lock_signal_alone_does_not() {
    let mut g = SeatGate::new(0);
    g.apply(&SessionEvent::Active(info("2", "seat0")), 0);
    let (seat, session) = ("seat0".to_string(), "2".to_string());
    let signal = SessionEvent::Locked {
        seat: seat.clone(),
        session: session.clone(),
        via: LockVia::Signal,
    };
    g.apply(&signal, 1);
    assert_eq!(
        g.gate("seat0", 1),
        Gate::Allowed,
        "F33: a Lock signal may have no listener"
    );
    let hint = SessionEvent::Locked {
        seat: seat.clone(),
        session: session.clone(),
        via: LockVia::Hint,
    };
    g.apply(&hint, 2);
    assert_eq!(g.gate("seat0", 2), paused(PauseReason::Locked));
    // A hint for another session does not touch this one.
    let other = SessionEvent::Unlocked {
        seat: seat.clone(),
        session: "9".into(),
        via: LockVia::Hint,
    };
    g.apply(&other, 3);
    assert_eq!(g.gate("seat0", 3), paused(PauseReason::Locked));
    g.apply(
        &SessionEvent::Unlocked {
            seat,
            session,
            via: LockVia::Hint,
        },
        4,
    );
    assert_eq!(g.gate("seat0", 4), Gate::Allowed);
}

#[test]
fn sleep_and_logind_outages_pause_and_settle_afterwards() {
    let mut g = SeatGate::new(1000);
    g.apply(&SessionEvent::Active(info("2", "seat0")), 0);
    assert_eq!(g.gate("seat0", 1000), Gate::Allowed);
    g.apply(&SessionEvent::Sleep(true), 2000);
    assert_eq!(g.gate("seat0", 2500), paused(PauseReason::Sleeping));
    g.apply(&SessionEvent::Sleep(false), 9000);
    assert_eq!(
        g.gate("seat0", 9500),
        paused(PauseReason::Settling),
        "F17: resume settles"
    );
    assert_eq!(g.gate("seat0", 10_000), Gate::Allowed);
    g.apply(
        &SessionEvent::LogindLost {
            reason: "test".into(),
        },
        11_000,
    );
    assert_eq!(
        g.gate("seat0", 11_000),
        paused(PauseReason::LogindUnreachable)
    );
    g.apply(&SessionEvent::LogindBack, 12_000);
    assert_eq!(g.gate("seat0", 12_500), paused(PauseReason::Settling));
    assert_eq!(g.gate("seat0", 13_000), Gate::Allowed);
}

#[test]
fn seats_are_independent() {
    // F37: seat1's session is the lock target for seat1's keyboard, seat0's for seat0's.
    let mut g = SeatGate::new(0);
    g.apply(&SessionEvent::Active(info("2", "seat0")), 0);
    let mut other = info("7", "seat1");
    other.uid = 1001;
    g.apply(&SessionEvent::Active(other), 0);
    assert_eq!(g.active("seat1").map(|i| i.id.as_str()), Some("7"));
    g.apply(
        &SessionEvent::NoActiveSession {
            seat: "seat1".into(),
        },
        1,
    );
    assert_eq!(g.gate("seat1", 1), paused(PauseReason::NoSession));
    assert_eq!(g.gate("seat0", 1), Gate::Allowed);
    assert_eq!(g.gate("seat9", 1), paused(PauseReason::NoSession));
}

#[test]
fn only_a_quick_unlock_of_our_own_lock_is_a_probable_false_lock() {
    assert!(is_probable_false_lock(1000, 1000, 0));
    assert!(is_probable_false_lock(1000, 61_000, 60_000));
    assert!(!is_probable_false_lock(1000, 61_001, 60_000));
    assert!(
        !is_probable_false_lock(2000, 1000, 60_000),
        "clock order matters"
    );
    let mut d = FalseLockDetector::new(60_000);
    assert_eq!(d.unlocked("2", 10), None, "not our lock");
    d.locked("2", 1000);
    assert_eq!(d.unlocked("2", 31_000), Some(30_000));
    assert_eq!(d.unlocked("2", 31_001), None, "each lock counts once");
    d.locked("3", 0);
    assert_eq!(d.unlocked("3", 600_000), None);
    d.locked("4", 0);
    d.forget("4");
    assert_eq!(d.unlocked("4", 1), None);
}
