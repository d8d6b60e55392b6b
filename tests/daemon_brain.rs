//! The daemon's decision core (`daemon::Brain`) driven with readable timelines: sessions,
//! devices and cleaned typing in, actions out. Pure: no bus, no files, an injected clock.

mod common;
#[path = "common/mouser.rs"]
mod mouser;

use common::typist::{end_of, enrolled, timing, Typist};
use typewarden::config::Mode;
use typewarden::core::caps::InputId;
use typewarden::core::pointer::{PointerEvent, PointerTap, SegmentParams};
use typewarden::core::timing::DeviceId;
use typewarden::daemon::{Action, Brain, Event, Now, Resolved, Settings};
use typewarden::input::classify::{CapsKind, Classification, DeviceClass};
use typewarden::input::device::RepeatInfo;
use typewarden::input::{DeviceAdded, InputEvent};
use typewarden::session::{
    Escalation, LockVia, SessionClass, SessionEvent, SessionInfo, SessionType,
};
use typewarden::store::Identity;

fn settings(mode: Mode) -> Settings {
    Settings {
        mode,
        engine: Default::default(),
        pointer: Default::default(),
        settle_ms: 0,
        false_lock_window_ms: 60_000,
        lock_confirm_timeout_ms: 2000,
        escalation: Escalation::LogOnly,
    }
}

fn now(ms: u64, us: i64) -> Now {
    Now { ms, us }
}

fn session(id: &str, uid: u32, user: &str) -> SessionInfo {
    SessionInfo {
        id: id.into(),
        uid,
        user: user.into(),
        seat: "seat0".into(),
        class: SessionClass::User,
        kind: SessionType::Wayland,
        remote: false,
        active: true,
        closing: false,
        locked: false,
    }
}

fn keyboard(id: u32) -> Event {
    device(
        id,
        "Test Keyboard",
        DeviceClass::Keyboard,
        CapsKind::Keyboard,
    )
}

fn mouse(id: u32) -> Event {
    device(id, "Test Mouse", DeviceClass::Pointer, CapsKind::Pointer)
}

fn device(id: u32, name: &str, class: DeviceClass, caps_kind: CapsKind) -> Event {
    Event::Input(InputEvent::DeviceAdded(Box::new(DeviceAdded {
        id: DeviceId(id),
        devnode: "/dev/input/event3".into(),
        name: name.into(),
        input_id: InputId::default(),
        classification: Classification {
            class,
            caps_kind,
            scored: true,
            reason: "test".into(),
        },
        group: "g".into(),
        seat: "seat0".into(),
        links: vec![],
        repeat: RepeatInfo::checked(None),
    })))
}

fn activate(b: &mut Brain, info: SessionInfo, t: Now) -> Vec<Action> {
    let resolved = Resolved {
        identity: Identity::Uid(info.uid),
        exempt: false,
    };
    b.handle(
        Event::Session(SessionEvent::Active(info), Some(resolved)),
        t,
    )
}

/// Feeds `who`'s typing (starting at `t0_us`) and returns every action.
fn type_as(b: &mut Brain, who: &mut Typist, n: usize, t0_us: i64) -> (Vec<Action>, i64) {
    let keys = who.type_keys(n, t0_us);
    let mut out = Vec::new();
    for ev in timing(&keys, 1) {
        out.extend(b.handle(Event::Input(InputEvent::Timing(ev)), now(100_000, ev.t_us)));
    }
    (out, end_of(&keys))
}

fn audits(actions: &[Action]) -> Vec<&'static str> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Audit(e) => Some(e.kind().name()),
            _ => None,
        })
        .collect()
}

fn locks(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Lock { target, .. } => Some(target.session.clone()),
            _ => None,
        })
        .collect()
}

/// A brain with alice (uid 1000) active in session c1, her mature profile installed.
fn with_alice(mode: Mode) -> Brain {
    let mut b = Brain::new(settings(mode));
    b.handle(keyboard(1), now(0, 0));
    let acts = activate(&mut b, session("c1", 1000, "alice"), now(0, 0));
    assert!(
        matches!(acts.as_slice(), [Action::Load(Identity::Uid(1000))]),
        "{acts:?}"
    );
    let profile = enrolled(&mut Typist::new(11, 1.0), 3000).profile().clone();
    b.install(Identity::Uid(1000), Some(profile.into()), now(0, 0));
    b
}

#[test]
fn the_owner_typing_is_not_locked_and_an_impostor_is() {
    let mut b = with_alice(Mode::Enforce);
    let (acts, end) = type_as(&mut b, &mut Typist::new(11, 1.0), 1500, 10_000_000);
    assert!(locks(&acts).is_empty(), "{:?}", audits(&acts));
    let (acts, _) = type_as(&mut b, &mut Typist::new(29, 1.0), 800, end + 60_000_000);
    assert_eq!(locks(&acts), vec!["c1".to_string()]);
    let a = audits(&acts);
    assert!(
        a.contains(&"impostor_detected") && a.contains(&"lock_requested"),
        "{a:?}"
    );
}

#[test]
fn monitor_mode_never_asks_for_a_lock() {
    let mut b = with_alice(Mode::Monitor);
    let (acts, _) = type_as(&mut b, &mut Typist::new(29, 1.0), 800, 10_000_000);
    assert!(locks(&acts).is_empty());
    assert!(audits(&acts).contains(&"impostor_detected"));
}

#[test]
fn a_locked_session_is_not_scored() {
    let mut b = with_alice(Mode::Enforce);
    let mut info = session("c1", 1000, "alice");
    info.locked = true;
    activate(&mut b, info, now(5, 0));
    let (acts, _) = type_as(&mut b, &mut Typist::new(29, 1.0), 800, 10_000_000);
    assert!(acts.is_empty(), "{:?}", audits(&acts));
}

#[test]
fn a_user_switch_swaps_profiles_and_never_mixes_typing() {
    let mut b = with_alice(Mode::Enforce);
    let alice_learned = b
        .engines()
        .next()
        .unwrap()
        .1
        .profile()
        .maturity()
        .keystrokes;
    // Bob takes the seat: alice's profile is not used for his typing; his own is loaded.
    let acts = activate(&mut b, session("c2", 1001, "bob"), now(10, 0));
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Load(Identity::Uid(1001)))));
    b.install(Identity::Uid(1001), None, now(10, 0));
    let (acts, _) = type_as(&mut b, &mut Typist::new(29, 1.0), 800, 10_000_000);
    assert!(
        locks(&acts).is_empty(),
        "bob is enrolling, not an impostor on alice"
    );
    assert!(audits(&acts).contains(&"enrollment_progress"));
    // Alice's engine saw none of it: her profile still knows only her enrollment.
    let alice = b
        .engines()
        .find(|(i, _)| **i == Identity::Uid(1000))
        .unwrap()
        .1;
    assert_eq!(alice.profile().maturity().keystrokes, alice_learned);
}

#[test]
fn a_probable_false_lock_is_audited_and_backs_off() {
    let mut b = with_alice(Mode::Enforce);
    let (acts, _) = type_as(&mut b, &mut Typist::new(29, 1.0), 800, 10_000_000);
    assert_eq!(locks(&acts), vec!["c1".to_string()]);
    let level_before = b.engines().next().unwrap().1.policy().lock_level();
    let outcome = typewarden::session::LockOutcome {
        request: Ok(()),
        confirmation: Some(typewarden::session::Confirmation::LockedHint),
        latency: std::time::Duration::from_millis(40),
        escalation: None,
    };
    let done = b.handle(
        Event::LockDone {
            seat: "seat0".into(),
            outcome,
        },
        now(1000, 0),
    );
    assert_eq!(audits(&done), vec!["lock_confirmed"]);
    let unlock = SessionEvent::Unlocked {
        seat: "seat0".into(),
        session: "c1".into(),
        via: LockVia::Hint,
    };
    let acts = b.handle(Event::Session(unlock, None), now(6000, 0));
    assert_eq!(audits(&acts), vec!["probable_false_lock"]);
    let level_after = b.engines().next().unwrap().1.policy().lock_level();
    assert!(level_after > level_before, "{level_before} → {level_after}");
}

/// Feeds `who`'s pointing as device `id` (through the reader's aggregation) at `t0_us`.
fn point_as(b: &mut Brain, who: &mut mouser::Mouser, n: usize, t0_us: i64) -> (Vec<Action>, i64) {
    let (raw, end) = who.actions(n, t0_us);
    let mut tap = PointerTap::new(DeviceId(2), SegmentParams::default());
    let mut evs = Vec::new();
    for e in &raw {
        while let Some(d) = tap.deadline().filter(|&d| d <= e.time_us) {
            tap.flush(d, &mut evs);
        }
        tap.push(e, &mut evs);
    }
    tap.flush(end, &mut evs);
    let mut out = Vec::new();
    for ev in evs {
        let t = match &ev {
            PointerEvent::Action { action, .. } => action.end_us,
            PointerEvent::Cut { t_us, .. } => *t_us,
        };
        out.extend(b.handle(Event::Input(InputEvent::Pointer(ev)), now(100_000, t)));
    }
    (out, end)
}

#[test]
fn a_session_used_only_with_the_mouse_enrolls_and_locks_a_pointing_impostor() {
    let mut b = Brain::new(settings(Mode::Enforce));
    let added = b.handle(mouse(2), now(0, 0));
    assert_eq!(
        audits(&added),
        vec!["device_added"],
        "a mouse is now monitored"
    );
    activate(&mut b, session("c1", 1000, "alice"), now(0, 0));
    let acts = b.install(Identity::Uid(1000), None, now(0, 0));
    assert_eq!(audits(&acts), vec!["degraded_protection"], "in training");
    let mut alice = mouser::Mouser::new(3);
    let (acts, end) = point_as(&mut b, &mut alice, 900, 1_000_000);
    assert!(locks(&acts).is_empty(), "{:?}", audits(&acts));
    assert!(
        audits(&acts).contains(&"protection_restored"),
        "the pointer profile decides: {:?}",
        audits(&acts)
    );
    let (acts, end) = point_as(&mut b, &mut alice, 300, end + 1_000_000);
    assert!(
        locks(&acts).is_empty(),
        "owner pointing: {:?}",
        audits(&acts)
    );
    let (acts, _) = point_as(&mut b, &mut mouser::Mouser::new(41), 200, end + 5_000_000);
    assert_eq!(locks(&acts), vec!["c1".to_string()]);
    let detected = acts.iter().find_map(|a| match a {
        Action::Audit(e) if e.kind().name() == "impostor_detected" => Some(format!("{e:?}")),
        _ => None,
    });
    assert!(
        detected.as_deref().is_some_and(|d| d.contains("pointer")),
        "device class: {detected:?}"
    );
    // What is saved holds both profiles.
    let saved = b.shutdown();
    let stored = saved.iter().find_map(|a| match a {
        Action::Save(_, p) => Some(p),
        _ => None,
    });
    let p = stored.expect("the profile is saved");
    assert!(p.pointer.is_mature() && !p.keys.is_mature());
}
