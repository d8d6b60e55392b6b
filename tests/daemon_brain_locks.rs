//! The decision core's side of locking and saving, as readable timelines (pure: an injected
//! clock, no bus, no files): how a lock outcome is audited (refused, repeated, time-to-lock),
//! F33's "no known lock listener" warning, and a failed save being tried again.

mod common;

use common::typist::{enrolled, timing, Typist};
use std::collections::HashMap;
use std::time::Duration;
use typewarden::config::Mode;
use typewarden::core::caps::InputId;
use typewarden::core::timing::DeviceId;
use typewarden::daemon::{Action, Brain, Event, Now, Resolved, Settings};
use typewarden::input::classify::{CapsKind, Classification, DeviceClass};
use typewarden::input::device::RepeatInfo;
use typewarden::input::{DeviceAdded, InputEvent};
use typewarden::session::{
    Confirmation, Escalation, EscalationResult, LockOutcome, RequestError, SessionClass,
    SessionEvent, SessionInfo, SessionType,
};
use typewarden::store::Identity;

const ALICE: Identity = Identity::Uid(1000);

fn at(ms: u64) -> Now {
    Now { ms, us: 0 }
}

fn session(id: &str, kind: SessionType) -> SessionInfo {
    SessionInfo {
        id: id.into(),
        uid: 1000,
        user: "alice".into(),
        seat: "seat0".into(),
        class: SessionClass::User,
        kind,
        remote: false,
        active: true,
        closing: false,
        locked: false,
    }
}

fn keyboard() -> Event {
    Event::Input(InputEvent::DeviceAdded(Box::new(DeviceAdded {
        id: DeviceId(1),
        devnode: "/dev/input/event3".into(),
        name: "Test Keyboard".into(),
        input_id: InputId::default(),
        classification: Classification {
            class: DeviceClass::Keyboard,
            caps_kind: CapsKind::Keyboard,
            scored: true,
            reason: "test".into(),
        },
        group: "g".into(),
        seat: "seat0".into(),
        links: vec![],
        repeat: RepeatInfo::checked(None),
    })))
}

fn activate(b: &mut Brain, info: SessionInfo) -> Vec<Action> {
    let resolved = Resolved {
        identity: ALICE,
        exempt: false,
    };
    b.handle(
        Event::Session(SessionEvent::Active(info), Some(resolved)),
        at(0),
    )
}

/// Alice active in `kind` session c1 with her mature profile.
fn alice(kind: SessionType) -> (Brain, Vec<Action>) {
    let mut b = Brain::new(Settings {
        mode: Mode::Enforce,
        engine: Default::default(),
        pointer: Default::default(),
        settle_ms: 0,
        false_lock_window_ms: 60_000,
        lock_confirm_timeout_ms: 2000,
        escalation: Escalation::LogOnly,
    });
    b.handle(keyboard(), at(0));
    let mut acts = activate(&mut b, session("c1", kind));
    let profile = enrolled(&mut Typist::new(11, 1.0), 3000).profile().clone();
    acts.extend(b.install(ALICE, Some(profile.into()), at(0)));
    (b, acts)
}

/// The audit records among `actions`, as (event name, fields).
fn records(actions: &[Action]) -> Vec<(&'static str, HashMap<String, String>)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Audit(e) => {
                let r = e.to_record();
                let fields = r
                    .journal_fields()
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                Some((e.kind().name(), fields))
            }
            _ => None,
        })
        .collect()
}

fn degraded(actions: &[Action], event: &str) -> Vec<String> {
    records(actions)
        .into_iter()
        .filter(|(name, _)| *name == event)
        .filter_map(|(_, f)| f.get("TYPEWARDEN_REASON").cloned())
        .collect()
}

fn done(b: &mut Brain, outcome: LockOutcome, t: u64) -> Vec<Action> {
    b.handle(
        Event::LockDone {
            seat: "seat0".into(),
            outcome,
        },
        at(t),
    )
}

fn unconfirmed(request: Result<(), RequestError>) -> LockOutcome {
    LockOutcome {
        request,
        requests: 1,
        confirmation: None,
        latency: Duration::from_millis(2000),
        escalation: Some(EscalationResult::LoggedOnly),
    }
}

/// F33 (a): logind answering LockSession with an error is audited as a refusal with the
/// D-Bus error name, distinct from "no locker answered", and the escalation still runs.
#[test]
fn a_refused_lock_is_audited_as_refused_and_still_escalates() {
    let (mut b, _) = alice(SessionType::Wayland);
    let refused = unconfirmed(Err(RequestError::Refused {
        name: Some("org.freedesktop.DBus.Error.AccessDenied".into()),
        text: "LockSession: access denied".into(),
    }));
    let acts = done(&mut b, refused, 1000);
    let recs = records(&acts);
    let names: Vec<&str> = recs.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        vec!["lock_not_confirmed", "escalation", "degraded_protection"]
    );
    let f = &recs[0].1;
    assert_eq!(f["TYPEWARDEN_REASON"], "refused");
    assert_eq!(
        f["TYPEWARDEN_DBUS_ERROR"],
        "org.freedesktop.DBus.Error.AccessDenied"
    );
    assert!(
        f["MESSAGE"].contains("logind refused the lock request"),
        "{f:?}"
    );
    assert_eq!(recs[1].1["TYPEWARDEN_ACTION"], "log_only");

    let acts = done(&mut b, unconfirmed(Ok(())), 5000);
    let f = &records(&acts)[0].1;
    assert_eq!(f["TYPEWARDEN_REASON"], "no_confirmation");
    assert!(!f.contains_key("TYPEWARDEN_DBUS_ERROR"));
    let acts = done(
        &mut b,
        unconfirmed(Err(RequestError::NoReply("LockSession: no reply".into()))),
        9000,
    );
    assert_eq!(records(&acts)[0].1["TYPEWARDEN_REASON"], "no_reply");
}

/// F34: the time-to-lock (first request → evidence) and the number of requests are in
/// lock_confirmed.
#[test]
fn lock_confirmed_carries_the_time_to_lock_and_the_requests() {
    let (mut b, _) = alice(SessionType::Wayland);
    let outcome = LockOutcome {
        request: Ok(()),
        requests: 2,
        confirmation: Some(Confirmation::LockedHint),
        latency: Duration::from_millis(1234),
        escalation: None,
    };
    let recs = records(&done(&mut b, outcome, 1000));
    assert_eq!(recs.len(), 1, "{recs:?}");
    let (name, f) = &recs[0];
    assert_eq!(*name, "lock_confirmed");
    assert_eq!(f["TYPEWARDEN_ELAPSED_MS"], "1234");
    assert_eq!(f["TYPEWARDEN_REQUESTS"], "2");
    assert_eq!(f["TYPEWARDEN_EVIDENCE"], "locked_hint");
}

/// F33 (c): a text console has no locker: warned as soon as it is the seat's session, and
/// the warning ends when a graphical session takes over.
#[test]
fn a_tty_session_is_audited_as_having_no_lock_listener() {
    let (mut b, acts) = alice(SessionType::Tty);
    assert_eq!(
        degraded(&acts, "degraded_protection"),
        vec!["no_lock_listener"]
    );
    let acts = activate(&mut b, session("c2", SessionType::X11));
    assert_eq!(
        degraded(&acts, "protection_restored"),
        vec!["no_lock_listener"]
    );
}

/// F33 (c): a graphical session is trusted to have a locker until a lock there goes
/// unconfirmed; LockedHint confirming a later lock proves one and ends the warning. A switch
/// to the greeter confirms a lock but proves nothing about a locker.
#[test]
fn an_unconfirmed_lock_marks_the_session_until_a_locker_confirms_one() {
    let (mut b, acts) = alice(SessionType::Wayland);
    assert!(degraded(&acts, "degraded_protection").is_empty());
    let acts = done(&mut b, unconfirmed(Ok(())), 1000);
    assert_eq!(
        degraded(&acts, "degraded_protection"),
        vec!["no_lock_listener"]
    );
    // The same session coming back to the foreground is still suspect.
    let acts = activate(&mut b, session("c1", SessionType::Wayland));
    assert!(
        degraded(&acts, "protection_restored").is_empty(),
        "{acts:?}"
    );
    let switched = LockOutcome {
        request: Ok(()),
        requests: 1,
        confirmation: Some(Confirmation::SessionSwitched),
        latency: Duration::from_millis(10),
        escalation: None,
    };
    let acts = done(&mut b, switched, 2000);
    assert!(
        degraded(&acts, "protection_restored").is_empty(),
        "{acts:?}"
    );
    let hint = LockOutcome {
        confirmation: Some(Confirmation::LockedHint),
        ..unconfirmed(Ok(()))
    };
    let acts = done(&mut b, hint, 3000);
    assert_eq!(
        degraded(&acts, "protection_restored"),
        vec!["no_lock_listener"]
    );
}

/// A save the writer could not complete leaves the profile unsaved: the next save point
/// files it again (without this, what was learned would wait for more typing).
#[test]
fn a_failed_save_is_filed_again_at_the_next_save_point() {
    let (mut b, _) = alice(SessionType::Wayland);
    let keys = Typist::new(11, 1.0).type_keys(50, 10_000_000);
    for ev in timing(&keys, 1) {
        b.handle(
            Event::Input(InputEvent::Timing(ev)),
            Now {
                ms: 100,
                us: ev.t_us,
            },
        );
    }
    let saves = |acts: &[Action]| {
        acts.iter()
            .filter(|a| matches!(a, Action::Save(id, _) if *id == ALICE))
            .count()
    };
    assert_eq!(saves(&b.handle(Event::SaveTick, at(200))), 1);
    assert_eq!(saves(&b.handle(Event::SaveTick, at(300))), 0, "saved");
    b.save_failed(&ALICE);
    assert_eq!(saves(&b.handle(Event::SaveTick, at(400))), 1, "tried again");
}

/// `who` types `n` keys from `t0_us`, each delivered `lag_us` after its kernel stamp.
fn typed_late(b: &mut Brain, seed: u64, n: usize, t0_us: i64, lag_us: i64) -> Vec<Action> {
    let mut out = Vec::new();
    for ev in timing(&Typist::new(seed, 1.0).type_keys(n, t0_us), 1) {
        let now = Now {
            ms: u64::try_from((ev.t_us + lag_us) / 1000).unwrap_or(0),
            us: ev.t_us + lag_us,
        };
        out.extend(b.handle(Event::Input(InputEvent::Timing(ev)), now));
    }
    out
}

/// F29: events that reach the loop late still decide (features use kernel stamps only),
/// and the impostor record says how late the decision came, so an admin can tell a slow
/// lock caused by a stalled system from one caused by little evidence.
#[test]
fn f29_late_delivery_still_locks_and_the_record_states_the_lag() {
    for (lag_us, expect_ms) in [(0, 0), (1_250_000, 1250)] {
        let (mut b, _) = alice(SessionType::Wayland);
        let acts = typed_late(&mut b, 29, 600, 10_000_000, lag_us);
        let recs = records(&acts);
        let impostor = recs
            .iter()
            .find(|(n, _)| *n == "impostor_detected")
            .unwrap_or_else(|| panic!("not locked with a {lag_us} µs lag"));
        assert_eq!(impostor.1["TYPEWARDEN_INPUT_LAG_MS"], expect_ms.to_string());
        assert!(acts.iter().any(|a| matches!(a, Action::Lock { .. })));
    }
}
