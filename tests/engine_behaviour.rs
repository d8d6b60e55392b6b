//! Engine behaviour on deterministic synthetic typists: takeover, false locks, adaptation
//! poisoning, following the owner to a new keyboard, unscored arrow keys, injection, tokens,
//! and field cases F14, F19, F23, F25, F26, F29.
//!
//! Real parts throughout: key timelines become `RawEvent`s, go through the real
//! `core::clean::Cleaner`, and then the real engine. Only the typists are synthetic.

mod common;

use common::typist::*;
use typewarden::core::clean::{CleanParams, Cleaner};
use typewarden::core::event::{RawEvent, EV_KEY, EV_SYN, SYN_REPORT};
use typewarden::core::timing::DeviceId;
use typewarden::engine::wire::ProfileFile;
use typewarden::engine::{
    Decision, Engine, EngineParams, InjectionKind, LockReason, SourceKind, TrustState,
};
use typewarden::eval::timeline::{concat, raw_events, KeyRec};

fn injection(d: &[Decision]) -> Option<InjectionKind> {
    d.iter().find_map(|x| {
        if let Decision::Injection { kind, .. } = x {
            Some(*kind)
        } else {
            None
        }
    })
}

/// Impostor keystrokes (presses at or before the first lock after `from_us`).
fn keys_until_lock(keys: &[KeyRec], d: &[Decision], from_us: i64) -> Option<usize> {
    let lock = locks(d).into_iter().find(|&t| t >= from_us)?;
    Some(
        keys.iter()
            .filter(|k| k.press_us >= from_us && k.press_us <= lock)
            .count(),
    )
}

#[test]
fn impostor_spliced_into_a_genuine_stream_is_locked_and_the_genuine_stream_is_not() {
    let mut alice = Typist::new(1, 1.0);
    let mut bob = Typist::new(2, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let start = 10_000_000_000;
    // Genuine: 6,000 more keystrokes from a fresh unlock, never locked.
    let genuine = alice.type_keys(6000, start);
    e.on_unlock(start);
    let d = feed(&mut e, &timing(&genuine, 1), SourceKind::Keyboard);
    // Not zero: over 30 typists × 6,000 genuine keystrokes this engine makes 8 false locks
    // (8 of the 30 runs have one), so "never" held only by the luck of a seed and flipped
    // with any change to the stream (the F30 cleaner redesign flipped it, with the same
    // total of 8). The rate itself is reported by `typewarden evaluate`, not asserted here.
    assert!(
        locks(&d).len() <= 1,
        "owner falsely locked {} times",
        locks(&d).len()
    );
    // Takeover without any reset: 500 genuine keystrokes, then Bob at the same speed.
    let t0 = end_of(&genuine) + 5_000_000;
    let a = alice.type_keys(500, t0);
    let b = bob.type_keys(2000, 0);
    let stream = concat(&[&a, &b], 2_000_000);
    let handover = stream[500].press_us;
    e.on_unlock(t0);
    let d = feed(&mut e, &timing(&stream, 1), SourceKind::Keyboard);
    assert!(
        locks(&d).iter().all(|&t| t >= handover),
        "locked during the genuine part"
    );
    let n = keys_until_lock(&stream, &d, handover).expect("impostor never locked");
    assert!(n <= 150, "impostor typed {n} keystrokes before the lock");
    assert!(d.iter().any(|x| matches!(
        x,
        Decision::Lock {
            reason: LockReason::Impostor,
            ..
        }
    )));
}

#[test]
fn a_long_impostor_session_cannot_poison_the_profile() {
    let mut alice = Typist::new(3, 1.0);
    let mut eve = Typist::new(4, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let before = serde_json::to_string(&ProfileFile::from(e.profile())).unwrap();
    // Worst case: Eve types 20,000 keystrokes and is let back in after every lock.
    let t0 = 20_000_000_000;
    let long = eve.type_keys(20_000, t0);
    e.on_unlock(t0);
    let mut out = Vec::new();
    let mut locked = 0;
    for ev in timing(&long, 1) {
        out.clear();
        e.on_timing(&ev, SourceKind::Keyboard, &mut out);
        for l in locks(&out) {
            locked += 1;
            e.on_unlock(l);
        }
    }
    assert!(locked > 20, "Eve was locked only {locked} times");
    // The profile still rejects Eve quickly and still accepts Alice.
    let t1 = end_of(&long) + 60_000_000;
    let probe = concat(
        &[&alice.type_keys(500, t1), &eve.type_keys(1500, 0)],
        2_000_000,
    );
    let handover = probe[500].press_us;
    e.on_unlock(t1);
    let d = feed(&mut e, &timing(&probe, 1), SourceKind::Keyboard);
    assert!(
        locks(&d).iter().all(|&t| t >= handover),
        "owner locked after the attack"
    );
    let n = keys_until_lock(&probe, &d, handover).expect("Eve accepted after poisoning");
    assert!(n <= 150, "Eve needed {n} keystrokes after poisoning");
    let after = serde_json::to_string(&ProfileFile::from(e.profile())).unwrap();
    assert_ne!(
        before, after,
        "adaptation is live (it learned Alice's confident typing)"
    );
}

#[test]
fn genuine_typing_is_adapted_from() {
    let mut alice = Typist::new(5, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let t0 = 30_000_000_000;
    e.on_unlock(t0);
    feed(
        &mut e,
        &timing(&alice.type_keys(3000, t0), 1),
        SourceKind::Keyboard,
    );
    assert!(
        e.adapted() > 1000,
        "only {} keystrokes adapted",
        e.adapted()
    );
}

/// Machine typing: `n` keys with press-press `gap(i)` ms and hold `hold(i)` ms.
fn machine(
    n: usize,
    t0_us: i64,
    gap: impl Fn(usize) -> f64,
    hold: impl Fn(usize) -> f64,
) -> Vec<KeyRec> {
    let mut t = t0_us;
    (0..n)
        .map(|i| {
            if i > 0 {
                t += (gap(i) * 1000.0) as i64;
            }
            KeyRec {
                code: KEYS[(i * 5) % 26],
                press_us: t,
                release_us: t + (hold(i) * 1000.0) as i64,
            }
        })
        .collect()
}

#[test]
fn f25_fixed_delay_hid_injection_is_reported_and_locks_fast() {
    let mut alice = Typist::new(6, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let t0 = 40_000_000_000;
    e.on_unlock(t0);
    // A new USB keyboard appears; 1.5 s later it types 60 keys, 100 ms apart, 30 ms holds.
    let inj = machine(60, t0 + 1_500_000, |_| 100.0, |_| 30.0);
    let d = feed(&mut e, &timing(&inj, 7), SourceKind::Keyboard);
    assert_eq!(injection(&d), Some(InjectionKind::MachineRegular));
    let lock = d.iter().find_map(|x| {
        if let Decision::Lock { t_us, reason } = x {
            Some((*t_us, *reason))
        } else {
            None
        }
    });
    let (t, reason) = lock.expect("no lock");
    assert_eq!(reason, LockReason::Injection);
    assert!(
        inj.iter().filter(|k| k.press_us <= t).count() <= 20,
        "locked too late"
    );
}

#[test]
fn jittered_and_machine_speed_injection_are_reported_even_during_enrollment() {
    // Jittered delays (uniform 60–180 ms) with the fixed holds such tools use.
    let mut e = Engine::new(Default::default());
    e.on_unlock(0);
    let mut x = 77u64;
    let mut rnd = move || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as f64 / (1u64 << 31) as f64
    };
    let jitter: Vec<f64> = (0..80).map(|_| 60.0 + 120.0 * rnd()).collect();
    let inj = machine(80, 0, |i| jitter[i], |_| 25.0);
    assert_eq!(
        injection(&feed(&mut e, &timing(&inj, 1), SourceKind::Keyboard)),
        Some(InjectionKind::MachineRegular)
    );
    // Machine speed: 4–9 ms apart, 1–3 ms holds.
    let mut e = Engine::new(Default::default());
    e.on_unlock(0);
    let fast = machine(40, 0, |i| 4.0 + (i % 6) as f64, |i| 1.0 + (i % 3) as f64);
    assert_eq!(
        injection(&feed(&mut e, &timing(&fast, 1), SourceKind::Virtual)),
        Some(InjectionKind::MachineSpeed)
    );
    // Human (synthetic) typing of the same length is not reported.
    let mut e = Engine::new(Default::default());
    e.on_unlock(0);
    let human = Typist::new(8, 1.0).type_keys(4000, 0);
    assert_eq!(
        injection(&feed(&mut e, &timing(&human, 1), SourceKind::Keyboard)),
        None
    );
}

#[test]
fn f23_token_burst_is_ignored_not_scored_not_learned_no_lock() {
    let mut alice = Typist::new(9, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let before = ProfileFile::from(e.profile());
    // A YubiKey: 44 keys ~8 ms apart then Enter, on a token source.
    let t0 = 50_000_000_000;
    e.on_unlock(t0);
    let mut otp = machine(44, t0, |_| 8.0, |_| 4.0);
    otp.push(KeyRec {
        code: 28,
        press_us: t0 + 360_000,
        release_us: t0 + 364_000,
    });
    let d = feed(&mut e, &timing(&otp, 9), SourceKind::Token);
    assert!(d.is_empty(), "token input produced decisions: {d:?}");
    assert_eq!(ProfileFile::from(e.profile()), before);
    // The same burst from an unclassified keyboard would be machine speed.
    assert!(injection(&feed(&mut e, &timing(&otp, 10), SourceKind::Keyboard)).is_some());
}

#[test]
fn f26_uinput_tool_injection_is_reported_unless_allow_listed() {
    let mut alice = Typist::new(11, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let t0 = 60_000_000_000;
    e.on_unlock(t0);
    // ydotool defaults: 20 ms holds, 20 ms gaps → 40 ms press-press.
    let y = machine(100, t0, |_| 40.0, |_| 20.0);
    let before = ProfileFile::from(e.profile());
    assert!(feed(&mut e, &timing(&y, 4), SourceKind::AllowedTool).is_empty());
    assert_eq!(ProfileFile::from(e.profile()), before);
    let d = feed(&mut e, &timing(&y, 5), SourceKind::Virtual);
    assert_eq!(injection(&d), Some(InjectionKind::MachineRegular));
}

/// Issue 3: a virtual keyboard that is not allow-listed is not a person's typing: a human
/// typing through it (a remapper re-emitting someone else's rhythm) is neither scored against
/// the owner (no impostor lock) nor learned (the profile does not move, enrollment does not
/// advance). Only the injection check above applies to it.
#[test]
fn virtual_typing_is_never_scored_or_learned() {
    let mut alice = Typist::new(11, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let before = ProfileFile::from(e.profile());
    let t0 = 70_000_000_000;
    e.on_unlock(t0);
    let eve = Typist::new(4, 1.0).type_keys(1500, t0);
    let d = feed(&mut e, &timing(&eve, 6), SourceKind::Virtual);
    assert!(locks(&d).is_empty(), "virtual typing was scored: {d:?}");
    assert_eq!(ProfileFile::from(e.profile()), before);
    // The same typing on a keyboard is scored, and locks.
    e.on_unlock(t0);
    let d = feed(&mut e, &timing(&eve, 7), SourceKind::Keyboard);
    assert!(!locks(&d).is_empty());
    // Enrollment does not advance on virtual typing either.
    let mut fresh = Engine::new(Default::default());
    fresh.on_unlock(0);
    feed(&mut fresh, &timing(&eve, 8), SourceKind::Virtual);
    assert_eq!(fresh.profile().maturity().keystrokes, 0);
}

#[test]
fn f14_after_device_readd_the_engine_reverifies() {
    let mut alice = Typist::new(12, 1.0);
    let mut bob = Typist::new(13, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let t0 = 70_000_000_000;
    e.on_unlock(t0);
    let a = alice.type_keys(300, t0);
    feed(&mut e, &timing(&a, 1), SourceKind::Keyboard);
    assert_eq!(e.policy().state(), TrustState::Trusted);
    let trusted_level = e.policy().level();
    // KVM flip: Ctrl and Alt down, device removed with no releases (cleaner cuts).
    let mut c = Cleaner::new(DeviceId(1), CleanParams::default());
    let mut out = Vec::new();
    let t = end_of(&a) + 100_000;
    for ev in [
        RawEvent::new(t, EV_KEY, 29, 1),
        RawEvent::new(t, EV_SYN, SYN_REPORT, 0),
        RawEvent::new(t + 40_000, EV_KEY, 56, 1),
        RawEvent::new(t + 40_000, EV_SYN, SYN_REPORT, 0),
    ] {
        c.push(&ev, &mut out);
    }
    c.remove(t + 60_000, &mut out);
    let mut d = Vec::new();
    for ev in &out {
        e.on_timing(ev, SourceKind::Keyboard, &mut d);
    }
    assert!(
        e.policy().level() >= e.params().reverify_level - 1e-9,
        "no re-verification after removal"
    );
    assert!(e.policy().level() > trusted_level);
    // Re-added as a new device 2 s later; Bob types: locked faster than a plain takeover.
    let b = bob.type_keys(1000, t + 2_000_000);
    let d = feed(&mut e, &timing(&b, 2), SourceKind::Keyboard);
    let after_readd = keys_until_lock(&b, &d, 0).expect("Bob not locked after re-add");
    // Control: same engine state without the removal, Bob on the same device.
    let mut alice2 = Typist::new(12, 1.0);
    let mut ctl = enrolled(&mut alice2, 3000);
    ctl.on_unlock(t0);
    feed(
        &mut ctl,
        &timing(&alice2.type_keys(300, t0), 1),
        SourceKind::Keyboard,
    );
    let b2 = Typist::new(13, 1.0).type_keys(1000, t + 200_000);
    let d2 = feed(&mut ctl, &timing(&b2, 1), SourceKind::Keyboard);
    let plain = keys_until_lock(&b2, &d2, 0).expect("Bob not locked");
    assert!(after_readd < plain, "re-add {after_readd} vs plain {plain}");
    // And the owner, after a re-add, re-verifies without a lock.
    let mut alice3 = Typist::new(12, 1.0);
    let mut own = enrolled(&mut alice3, 3000);
    own.on_unlock(t0);
    feed(
        &mut own,
        &timing(&alice3.type_keys(300, t0), 1),
        SourceKind::Keyboard,
    );
    let mut d = Vec::new();
    for ev in &out {
        own.on_timing(ev, SourceKind::Keyboard, &mut d);
    }
    let back = alice3.type_keys(1000, t + 2_000_000);
    let d = feed(&mut own, &timing(&back, 2), SourceKind::Keyboard);
    assert!(locks(&d).is_empty(), "owner locked after re-add");
    assert_eq!(own.policy().state(), TrustState::Trusted);
}

#[test]
fn f29_a_batch_delivered_late_gives_the_same_features_and_decisions() {
    let mut alice = Typist::new(14, 1.0);
    let keys = alice.type_keys(3600, 0);
    let raw = raw_events(&keys);
    // Prompt delivery: one frame at a time. Late delivery: frames arrive in batches of 6,
    // 40 ms after the last one's stamp. The engine never sees read time, so only stamps may
    // matter (the cleaner has no clock of its own either: nothing in it depends on arrival).
    let run = |batch: usize| {
        let mut c = Cleaner::new(DeviceId(1), CleanParams::default());
        let mut e = Engine::new(Default::default());
        e.on_unlock(0);
        let (mut timing, mut decisions) = (Vec::new(), Vec::new());
        for chunk in raw.chunks(batch * 2) {
            let mut out = Vec::new();
            for ev in chunk {
                c.push(ev, &mut out);
            }
            for ev in &out {
                e.on_timing(ev, SourceKind::Keyboard, &mut decisions);
            }
            timing.extend(out);
        }
        (
            typewarden::eval::timeline::keystrokes(&timing, 1_500_000),
            decisions,
        )
    };
    let (k1, d1) = run(1);
    let (k2, d2) = run(6);
    assert_eq!(k1.len(), k2.len());
    assert_eq!(k1, k2, "features depend on delivery");
    assert_eq!(d1, d2, "decisions depend on delivery");
    assert!(d1.iter().any(|d| matches!(d, Decision::Matured { .. })));
}

/// The same person on another keyboard: every hold 40 % longer, latencies 10 % slower.
fn on_new_keyboard(keys: &[KeyRec]) -> Vec<KeyRec> {
    let t0 = keys.first().map_or(0, |k| k.press_us);
    keys.iter()
        .map(|k| {
            let press = t0 + ((k.press_us - t0) as f64 * 1.1) as i64;
            KeyRec {
                code: k.code,
                press_us: press,
                release_us: press + ((k.release_us - k.press_us) as f64 * 1.4) as i64,
            }
        })
        .collect()
}

/// False locks over `sessions` sessions of `n` keystrokes on the new keyboard, each from an
/// unlock; after a lock the owner unlocks at once.
fn new_keyboard_false_locks(params: EngineParams, sessions: usize, n: usize) -> Vec<usize> {
    let mut alice = Typist::new(21, 1.0);
    let enroll = alice.type_keys(3000, 0);
    let mut e = Engine::new(params);
    e.on_unlock(0);
    feed(&mut e, &timing(&enroll, 1), SourceKind::Keyboard);
    assert!(e.profile().is_mature());
    let mut t = 100_000_000_000;
    (0..sessions)
        .map(|_| {
            let keys = on_new_keyboard(&alice.type_keys(n, t));
            e.on_unlock(t);
            let mut locks = 0;
            let mut out = Vec::new();
            for ev in timing(&keys, 1) {
                out.clear();
                e.on_timing(&ev, SourceKind::Keyboard, &mut out);
                for l in common::typist::locks(&out) {
                    locks += 1;
                    e.on_unlock(l);
                }
            }
            t = end_of(&keys) + 3_600_000_000;
            locks
        })
        .collect()
}

#[test]
fn the_profile_follows_its_owner_to_a_new_keyboard() {
    let adapting = new_keyboard_false_locks(EngineParams::default(), 4, 1500);
    let frozen = new_keyboard_false_locks(
        EngineParams {
            adapt: false,
            ..EngineParams::default()
        },
        4,
        1500,
    );
    println!("false locks per session: adapting {adapting:?}, frozen {frozen:?}");
    assert!(
        frozen[3] > 0,
        "the new keyboard is a real shift: {frozen:?}"
    );
    assert!(
        adapting[3] < frozen[3] && adapting[2..].iter().sum::<usize>() < adapting[0] + 1,
        "adapting {adapting:?} vs frozen {frozen:?}"
    );
}

#[test]
fn arrow_keys_are_not_scored_but_link_the_chain() {
    let mut alice = Typist::new(22, 1.0);
    let mut e = enrolled(&mut alice, 3000);
    let t0 = 110_000_000_000;
    e.on_unlock(t0);
    let a = alice.type_keys(400, t0);
    feed(&mut e, &timing(&a, 1), SourceKind::Keyboard);
    let before = e.policy().level();
    // 80 cursor moves with timing nothing like Alice's letters: 35–60 ms holds, irregular
    // 300–700 ms gaps.
    let mut t = end_of(&a) + 400_000;
    let arrows: Vec<KeyRec> = (0..80)
        .map(|i| {
            t += 300_000 + (i * 7919 % 400) as i64 * 1000;
            KeyRec {
                code: [103, 105, 106, 108][i % 4],
                press_us: t,
                release_us: t + 35_000 + (i * 31 % 25) as i64 * 1000,
            }
        })
        .collect();
    let d = feed(&mut e, &timing(&arrows, 1), SourceKind::Keyboard);
    assert!(locks(&d).is_empty() && injection(&d).is_none(), "{d:?}");
    assert!(
        e.policy().level() <= before + 1e-9,
        "arrow keys moved suspicion: {before} → {}",
        e.policy().level()
    );
    // The same timing on letter keys is scored, and is not Alice.
    let mut e2 = enrolled(&mut Typist::new(22, 1.0), 3000);
    e2.on_unlock(t0);
    feed(&mut e2, &timing(&a, 1), SourceKind::Keyboard);
    let letters: Vec<KeyRec> = arrows
        .iter()
        .enumerate()
        .map(|(i, k)| KeyRec {
            code: KEYS[(i * 3) % 26],
            ..*k
        })
        .collect();
    feed(&mut e2, &timing(&letters, 1), SourceKind::Keyboard);
    assert!(
        e2.policy().level() > before + 0.1,
        "letters with that timing should raise suspicion: {}",
        e2.policy().level()
    );
}

#[test]
fn a_profile_from_the_first_engine_recalibrates_instead_of_locking_its_owner() {
    use typewarden::daemon::profile_file::StoredProfile;
    use typewarden::store::Persisted;
    let mut alice = Typist::new(23, 1.0);
    let e = enrolled(&mut alice, 3000);
    // The same statistics as written by profile version 1, with that engine's calibration.
    let mut v1 = ProfileFile::from(e.profile());
    v1.version = 1;
    v1.calibration = [640.0, 0.85, 0.12];
    let payload = serde_json::to_vec(&v1).unwrap();
    let migrated = StoredProfile::migrate(1, &payload)
        .expect("version 1 migrates")
        .keys;
    assert!(!migrated.is_mature());
    let mut e = Engine::with_profile(EngineParams::default(), migrated);
    let t0 = 120_000_000_000;
    e.on_unlock(t0);
    let keys = alice.type_keys(3000, t0);
    let d = feed(&mut e, &timing(&keys, 1), SourceKind::Keyboard);
    let matured = d.iter().position(|x| matches!(x, Decision::Matured { .. }));
    assert!(matured.is_some(), "recalibrated and deciding again");
    assert!(locks(&d).is_empty(), "owner locked after the upgrade");
    // With the old calibration kept as it was, the new score would lock the owner.
    let mut stale = Engine::with_profile(
        EngineParams::default(),
        typewarden::engine::Profile::try_from(&ProfileFile {
            version: typewarden::engine::profile::PROFILE_VERSION,
            ..v1
        })
        .unwrap(),
    );
    stale.on_unlock(t0);
    let d = feed(&mut stale, &timing(&keys, 1), SourceKind::Keyboard);
    assert!(
        !locks(&d).is_empty(),
        "the control shows why the migration exists"
    );
}

/// Merges timing streams of several devices by stamp, as the daemon's loop receives them.
fn merged(
    streams: &[Vec<typewarden::core::timing::TimingEvent>],
) -> Vec<typewarden::core::timing::TimingEvent> {
    let mut all: Vec<_> = streams.iter().flatten().copied().collect();
    all.sort_by_key(|e| e.t_us);
    all
}

/// A mouse's macro thumb button (F19, Logitech M720): `KEY_LEFTMETA` 1/0 within 6 ms, every
/// `every_us` from `t0_us`.
fn macro_presses(n: usize, t0_us: i64, every_us: i64) -> Vec<KeyRec> {
    (0..n as i64)
        .map(|i| KeyRec {
            code: 125,
            press_us: t0_us + i * every_us,
            release_us: t0_us + i * every_us + 6_000,
        })
        .collect()
}

#[test]
fn f19_macro_button_presses_are_neither_learned_nor_scored_nor_a_new_keyboard() {
    // In training: a profile never learns from macro presses alone.
    let mut e = Engine::new(EngineParams::default());
    e.on_unlock(0);
    let d = feed(
        &mut e,
        &timing(&macro_presses(300, 0, 3_000_000), 2),
        SourceKind::Keyboard,
    );
    assert!(d.is_empty(), "{d:?}");
    assert_eq!(
        e.profile().maturity().keystrokes,
        0,
        "macro presses learned"
    );

    // Verifying: the owner types on the keyboard (device 1) while the mouse's keyboard node
    // (device 2) sends a macro press every 2.5 s. Every decision and the suspicion are
    // exactly those of the same typing without the macros: they never re-verify as another
    // keyboard, never count as typing, never inject.
    let base = enrolled(&mut Typist::new(11, 1.0), 3000).profile().clone();
    let owner = Typist::new(11, 1.0).type_keys(2500, 10_000_000);
    let typed = timing(&owner, 1);
    let macros = timing(&macro_presses(200, 10_000_000, 2_500_000), 2);
    let mut plain = Engine::with_profile(EngineParams::default(), base.clone());
    let mut mixed = Engine::with_profile(EngineParams::default(), base);
    plain.on_unlock(10_000_000);
    mixed.on_unlock(10_000_000);
    let a = feed(&mut plain, &typed, SourceKind::Keyboard);
    let b = feed(&mut mixed, &merged(&[typed, macros]), SourceKind::Keyboard);
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(plain.policy().level(), mixed.policy().level());
    assert_eq!(plain.profile().maturity(), mixed.profile().maturity());
}

/// `n` keys of a payload (the alphabet in turn), one every `gap_us`, each held `hold_us`.
fn payload(n: usize, t0: i64, gap_us: i64, hold_us: i64) -> Vec<KeyRec> {
    (0..n as i64)
        .map(|i| KeyRec {
            code: KEYS[(i % 26) as usize],
            press_us: t0 + i * gap_us,
            release_us: t0 + i * gap_us + hold_us,
        })
        .collect()
}

/// Decisions of the owner's mature engine on raw events through the real cleaner.
fn on_owner(raw: &[RawEvent], t0: i64) -> Vec<Decision> {
    let mut e = enrolled(&mut Typist::new(1, 1.0), 3000);
    e.on_unlock(t0);
    let mut c = Cleaner::new(DeviceId(1), CleanParams::default());
    let mut t = Vec::new();
    for r in raw {
        c.push(r, &mut t);
    }
    feed(&mut e, &t, SourceKind::Keyboard)
}

#[test]
fn an_injector_that_cuts_its_own_chain_is_still_reported_and_locked() {
    // Machine holds (5 ms) are never scored (F19), so they must never escape the injection
    // detector by breaking the chain it judges (found by review: both streams below were
    // neither scored nor reported). Slow: one key every 1.6 s, over `max_latency_ms`.
    let t0 = 100_000_000_000;
    let slow = raw_events(&payload(100, t0, 1_600_000, 5_000));
    let d = on_owner(&slow, t0);
    assert_eq!(
        injection(&d),
        Some(InjectionKind::MachineSpeed),
        "slow payload"
    );
    assert!(!locks(&d).is_empty());
    // Fast, each key followed by a Shift tap bounced within `chatter_ms`, which cuts the
    // chain after every key and types nothing.
    let mut keys = Vec::new();
    for k in payload(100, t0, 60_000, 5_000) {
        let p = k.press_us;
        keys.push(k);
        for dt in [8_000, 20_000] {
            keys.push(KeyRec {
                code: 42,
                press_us: p + dt,
                release_us: p + dt + 5_000,
            });
        }
    }
    let d = on_owner(&raw_events(&keys), t0);
    assert_eq!(
        injection(&d),
        Some(InjectionKind::MachineSpeed),
        "bounced payload"
    );
    assert!(!locks(&d).is_empty());
}

fn injections(d: &[Decision]) -> usize {
    d.iter()
        .filter(|x| matches!(x, Decision::Injection { .. }))
        .count()
}

#[test]
fn machine_typing_is_reported_again_after_an_unlock_and_across_devices_and_replugs() {
    use typewarden::core::timing::{CutReason, TimingEvent, TimingKind};
    let cut = |t_us, dev, r| TimingEvent {
        t_us,
        device: DeviceId(dev),
        kind: TimingKind::Cut(r),
    };
    let t0 = 100_000_000_000;
    // Locked, unlocked 10 s later, and the injector goes on: reported and locked again
    // (found by review: once reported, the rule stayed quiet for good).
    let mut e = enrolled(&mut Typist::new(1, 1.0), 3000);
    e.on_unlock(t0);
    let a = payload(40, t0, 1_600_000, 5_000);
    let d = feed(&mut e, &timing(&a, 1), SourceKind::Keyboard);
    assert_eq!((injections(&d), locks(&d).len()), (1, 1));
    let t1 = end_of(&a) + 10_000_000;
    e.on_unlock(t1);
    let mut d = Vec::new();
    e.on_timing(&cut(t1, 1, CutReason::Resync), SourceKind::Keyboard, &mut d);
    d.extend(feed(
        &mut e,
        &timing(&payload(200, t1 + 1000, 1_600_000, 5_000), 1),
        SourceKind::Keyboard,
    ));
    assert_eq!(
        (injections(&d), locks(&d).len()),
        (1, 1),
        "after the unlock"
    );

    // A gadget that re-enumerates (a new device) every 15 keys.
    let mut e = enrolled(&mut Typist::new(1, 1.0), 3000);
    e.on_unlock(t0);
    let (mut d, mut t) = (Vec::new(), t0);
    for k in 0..20u32 {
        let p = payload(15, t, 30_000, 5_000);
        d.extend(feed(&mut e, &timing(&p, 10 + k), SourceKind::Keyboard));
        t = end_of(&p) + 1_000;
        e.on_timing(
            &cut(t, 10 + k, CutReason::DeviceRemoved),
            SourceKind::Keyboard,
            &mut d,
        );
        t += 1_000_000;
    }
    assert!(
        injections(&d) >= 1 && !locks(&d).is_empty(),
        "re-plugging gadget"
    );

    // Eight keyboard interfaces in turn, one key every 2 s overall; and one device at 15
    // keys a minute.
    let mut e = enrolled(&mut Typist::new(1, 1.0), 3000);
    e.on_unlock(t0);
    let mut ev = Vec::new();
    for (i, k) in payload(300, t0, 2_000_000, 5_000).into_iter().enumerate() {
        ev.extend(timing(&[k], 20 + (i % 8) as u32));
    }
    ev.sort_by_key(|x| x.t_us);
    let d = feed(&mut e, &ev, SourceKind::Keyboard);
    assert!(
        injections(&d) >= 1 && !locks(&d).is_empty(),
        "spread over interfaces"
    );
    let mut e = enrolled(&mut Typist::new(1, 1.0), 3000);
    e.on_unlock(t0);
    let d = feed(
        &mut e,
        &timing(&payload(300, t0, 4_100_000, 5_000), 1),
        SourceKind::Keyboard,
    );
    assert!(injections(&d) >= 1 && !locks(&d).is_empty(), "rate-limited");
}

#[test]
fn f19_an_owner_with_a_shortcut_macro_mouse_is_never_an_injector() {
    // The owner types on keyboard 1 and uses a macro mouse (device 2) whose buttons send
    // Ctrl+C / Ctrl+V / Ctrl+Z / Ctrl+X / Ctrl+A at firmware speed (keys 1 ms apart, holds
    // of 1–3 ms), one chord every 6 s, on and on after the typing ends (so the chords fill
    // the machine-hold window: without the shortcut rule this test fails): exactly what
    // the owner alone gets.
    let t0 = 100_000_000_000;
    let typing = Typist::new(1, 1.0).type_keys(600, t0);
    let mut chords = Vec::new();
    for i in 0..100i64 {
        let t = t0 + 1_000_000 + i * 6_000_000;
        chords.push(KeyRec {
            code: 29,
            press_us: t,
            release_us: t + 3_000,
        });
        chords.push(KeyRec {
            code: [46, 47, 44, 45, 30][(i % 5) as usize],
            press_us: t + 1_000,
            release_us: t + 2_000,
        });
    }
    let mut ev = timing(&typing, 1);
    ev.extend(timing(&chords, 2));
    ev.sort_by_key(|x| x.t_us);
    let mut mixed = enrolled(&mut Typist::new(1, 1.0), 3000);
    mixed.on_unlock(t0);
    let d = feed(&mut mixed, &ev, SourceKind::Keyboard);
    let mut alone = enrolled(&mut Typist::new(1, 1.0), 3000);
    alone.on_unlock(t0);
    let a = feed(&mut alone, &timing(&typing, 1), SourceKind::Keyboard);
    assert_eq!(injections(&d), 0, "{d:?}");
    assert_eq!(locks(&d), locks(&a));
}
