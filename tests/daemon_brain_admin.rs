//! The decision core's control half (issue 6) as readable timelines, pure: an injected
//! clock, no bus, no files. Pause, mode change, reset, forget and reconfiguration (which
//! keeps both the typing and the pointer profile).

mod common;
#[path = "common/mouser.rs"]
mod mouser;

use common::typist::{enrolled, timing, Typist};
use mouser::enrolled_pointer;
use typewarden::config::Mode;
use typewarden::core::caps::InputId;
use typewarden::core::timing::DeviceId;
use typewarden::daemon::profile_file::StoredProfile;
use typewarden::daemon::{Action, Brain, Event, Now, Resolved, Settings};
use typewarden::engine::{Engine, EngineParams};
use typewarden::input::classify::{CapsKind, Classification, DeviceClass};
use typewarden::input::device::RepeatInfo;
use typewarden::input::{DeviceAdded, InputEvent};
use typewarden::session::{
    Escalation, LockVia, SessionClass, SessionEvent, SessionInfo, SessionType,
};
use typewarden::store::Identity;

const ALICE: Identity = Identity::Uid(1000);

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

fn at(ms: u64, us: i64) -> Now {
    Now { ms, us }
}

fn session(id: &str) -> SessionInfo {
    SessionInfo {
        id: id.into(),
        uid: 1000,
        user: "alice".into(),
        seat: "seat0".into(),
        class: SessionClass::User,
        kind: SessionType::Wayland,
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

fn activate(b: &mut Brain, id: &str, t: Now) -> Vec<Action> {
    let resolved = Resolved {
        identity: ALICE,
        exempt: false,
    };
    b.handle(
        Event::Session(SessionEvent::Active(session(id)), Some(resolved)),
        t,
    )
}

/// Alice active in c1 with her mature profile; the engine clock starts at 0.
fn with_alice(mode: Mode) -> Brain {
    let mut b = Brain::new(settings(mode));
    b.handle(keyboard(), at(0, 0));
    activate(&mut b, "c1", at(0, 0));
    let profile = enrolled(&mut Typist::new(11, 1.0), 3000).profile().clone();
    b.install(ALICE, Some(profile.into()), at(0, 0));
    b
}

/// `who` types `n` keys from `t0_us`, at wall time `ms`.
fn typing(b: &mut Brain, seed: u64, n: usize, t0_us: i64, ms: u64) -> Vec<Action> {
    let keys = Typist::new(seed, 1.0).type_keys(n, t0_us);
    let mut out = Vec::new();
    for ev in timing(&keys, 1) {
        out.extend(b.handle(Event::Input(InputEvent::Timing(ev)), at(ms, ev.t_us)));
    }
    out
}

fn audits(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Audit(e) => Some(e.kind().name().to_string()),
            _ => None,
        })
        .collect()
}

fn locked(actions: &[Action]) -> bool {
    actions.iter().any(|a| matches!(a, Action::Lock { .. }))
}

fn keystrokes(b: &Brain) -> u64 {
    b.user(&ALICE)
        .map_or(0, |u| u.profile.maturity().keystrokes)
}

#[test]
fn a_pause_scores_and_learns_nothing_and_ends_at_its_deadline() {
    let mut b = with_alice(Mode::Enforce);
    let acts = b.pause(60_000);
    assert_eq!(audits(&acts), ["degraded_protection"]);
    assert_eq!(
        b.degraded_reasons()
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>(),
        ["paused"]
    );
    let learned = keystrokes(&b);
    // 10 s into the pause an impostor types: no lock, nothing learned, not scoring.
    let acts = typing(&mut b, 29, 800, 10_000_000, 10_000);
    assert!(!locked(&acts), "{:?}", audits(&acts));
    assert_eq!(keystrokes(&b), learned);
    assert!(!b.sessions(at(10_000, 0))[0].scoring);
    assert!(
        b.expire_pause(at(59_999, 0)).is_empty(),
        "not before its end"
    );
    assert_eq!(
        audits(&b.expire_pause(at(60_000, 0))),
        ["protection_restored"]
    );
    assert_eq!(b.paused_until(), None);
    // Verification is back: the impostor is locked.
    let acts = typing(&mut b, 29, 800, 400_000_000, 70_000);
    assert!(locked(&acts), "{:?}", audits(&acts));
}

#[test]
fn resume_ends_a_pause_once_and_a_second_pause_moves_the_deadline() {
    let mut b = with_alice(Mode::Enforce);
    assert_eq!(audits(&b.pause(1_000)), ["degraded_protection"]);
    assert!(b.pause(5_000).is_empty(), "already degraded: audited once");
    assert_eq!(b.paused_until(), Some(5_000));
    assert_eq!(audits(&b.resume()), ["protection_restored"]);
    assert!(b.resume().is_empty());
}

#[test]
fn monitor_mode_set_at_run_time_audits_without_locking() {
    let mut b = with_alice(Mode::Enforce);
    b.set_mode(Mode::Monitor);
    assert_eq!(b.mode(), Mode::Monitor);
    let acts = typing(&mut b, 29, 800, 10_000_000, 10_000);
    assert!(!locked(&acts));
    assert!(audits(&acts).contains(&"impostor_detected".to_string()));
}

#[test]
fn a_reset_profile_trains_from_scratch_and_a_forgotten_one_is_never_saved() {
    let mut b = with_alice(Mode::Enforce);
    let acts = b.reset_profile(&ALICE, at(1_000, 1_000_000));
    assert_eq!(audits(&acts), ["degraded_protection"], "in training again");
    assert_eq!(keystrokes(&b), 0);
    assert!(!b.sessions(at(1_000, 0))[0].mature);
    // It learns again, and an impostor is not locked while it does.
    let acts = typing(&mut b, 29, 300, 10_000_000, 10_000);
    assert!(!locked(&acts));
    assert!(keystrokes(&b) > 0);
    assert!(b.forget_profile(&ALICE));
    assert!(b.user(&ALICE).is_none());
    typing(&mut b, 11, 200, 50_000_000, 20_000);
    assert!(
        b.user(&ALICE).is_none(),
        "nothing learned for a forgotten profile"
    );
    let saves = b
        .shutdown()
        .into_iter()
        .filter(|a| matches!(a, Action::Save(..)))
        .count();
    assert_eq!(saves, 0, "a forgotten profile is never written back");
    // The next session loads (and so trains) again.
    let acts = activate(&mut b, "c2", at(30_000, 60_000_000));
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Load(id) if *id == ALICE)));
}

#[test]
fn new_engine_settings_reach_a_user_at_their_next_unlock() {
    let mut b = with_alice(Mode::Enforce);
    let level = |b: &Brain| b.sessions(at(0, 0))[0].trust.map(|t| t.2).unwrap();
    let before = level(&b);
    let learned = keystrokes(&b);
    let mut s = settings(Mode::Enforce);
    s.engine.target_false_locks_per_10k /= 10.0;
    b.reconfigure(s);
    assert_eq!(level(&b), before, "not mid-way through a verification");
    let unlock = SessionEvent::Unlocked {
        seat: "seat0".into(),
        session: "c1".into(),
        via: LockVia::Hint,
    };
    b.handle(Event::Session(unlock, None), at(5_000, 5_000_000));
    assert!(
        level(&b) > before,
        "a stricter false-lock target raises the lock level"
    );
    assert_eq!(keystrokes(&b), learned, "the profile is kept");
    assert!(b.sessions(at(5_000, 0))[0].mature);
}

#[test]
fn a_reload_keeps_the_pointer_profile_and_a_mouse_only_profile_protects_while_read() {
    // Alice has only ever used the mouse: her typing profile is in training, her pointer
    // profile is mature, so her session is protected (`Engine::deciding`).
    let mut b = Brain::new(settings(Mode::Enforce));
    b.handle(keyboard(), at(0, 0));
    activate(&mut b, "c1", at(0, 0));
    let pointer = enrolled_pointer(3, 900);
    assert!(pointer.is_mature(), "the synthetic mouse user enrolled");
    let stored = StoredProfile {
        keys: Engine::new(EngineParams::default()).profile().clone(),
        pointer: pointer.clone(),
    };
    b.install(ALICE, Some(stored), at(0, 0));
    let s = &b.sessions(at(0, 0))[0];
    assert!(
        s.mature && s.trust.is_some(),
        "a mouse-only profile protects"
    );

    // A reload that changes engine and pointer settings applies at the next unlock and
    // keeps both profiles (it once rebuilt the engine with an empty pointer profile).
    let mut s = settings(Mode::Enforce);
    s.engine.target_false_locks_per_10k /= 10.0;
    s.pointer.evidence_weight = 0.4;
    b.reconfigure(s);
    let unlock = SessionEvent::Unlocked {
        seat: "seat0".into(),
        session: "c1".into(),
        via: LockVia::Hint,
    };
    b.handle(Event::Session(unlock, None), at(5_000, 5_000_000));
    let u = b.user(&ALICE).expect("loaded");
    assert!(u.pointer == &pointer, "the pointer profile is kept");
    assert!(b.sessions(at(5_000, 0))[0].mature);

    // Pointers switched off: the pointer profile is kept but protects no one, and the
    // session says so (in training, no trust shown).
    let mut s = settings(Mode::Enforce);
    s.pointer.enabled = false;
    b.reconfigure(s);
    let unlock = SessionEvent::Unlocked {
        seat: "seat0".into(),
        session: "c1".into(),
        via: LockVia::Hint,
    };
    b.handle(Event::Session(unlock, None), at(9_000, 9_000_000));
    let s = &b.sessions(at(9_000, 0))[0];
    assert!(
        !s.mature && s.trust.is_none(),
        "protected by an unread pointer"
    );
    assert!(
        b.user(&ALICE).expect("loaded").pointer == &pointer,
        "still kept"
    );
}
