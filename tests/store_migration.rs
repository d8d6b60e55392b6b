//! Migration of a real daemon profile written by the previous payload version (issue 6,
//! issue 8): `tests/fixtures/store/profile-keys-v1.bin` holds a keystroke-only profile
//! (payload version 1) written by the store at commit e6f80ca from a synthetic typist. The
//! current code must load it as a migration, keep every keystroke statistic, recalibrate
//! the keystroke score (the engine's version-1 calibration does not fit its current score,
//! `engine::wire::migrate`), start the pointer profile in training, and save it as
//! version 2. The recalibration window (`min_calibration` keystrokes of the owner, in which
//! nothing is decided) is the cost of an upgrade; docs/evaluation.md states it.

mod common;

use common::typist::{end_of, timing, Typist};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use typewarden::daemon::profile_file::{StoredProfile, STORED_PROFILE_VERSION};
use typewarden::engine::{Engine, EngineParams, SourceKind, TrustState};
use typewarden::store::{Identity, LoadOutcome, QuarantineReason, Store};

const ALICE: Identity = Identity::Uid(1000);

fn fixture() -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store/profile-keys-v1.bin"))
        .unwrap()
}

#[test]
fn a_v1_keystroke_profile_migrates_recalibrating_with_the_pointer_in_training() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("state")).unwrap();
    let path = store.path_of(&ALICE);
    fs::write(&path, fixture()).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        u16::from_le_bytes([fixture()[12], fixture()[13]]),
        1,
        "a v1 file"
    );

    let p = match store.load::<StoredProfile>(&ALICE).unwrap() {
        LoadOutcome::Migrated {
            profile,
            from_version,
        } => {
            assert_eq!(from_version, 1);
            profile
        }
        other => panic!("expected a migration, got {other:?}"),
    };
    assert_eq!(fs::read(&path).unwrap(), fixture(), "load never writes");
    let m = p.keys.maturity();
    assert_eq!(m.keystrokes, 1836, "the keystroke statistics are kept");
    assert!(
        !m.mature && m.calibration == 0.0,
        "the score recalibrates: {m:?}"
    );
    assert!(
        !p.pointer.is_mature() && p.pointer.actions() == 0,
        "pointer in training"
    );

    // The migrated engine decides again after its owner's next `min_calibration`
    // keystrokes (not a new enrollment): then the owner passes and another typist who
    // takes over is locked, as before the upgrade.
    let params = EngineParams::default();
    let mut e = Engine::with_profile(params.clone(), p.keys.clone());
    assert!(!e.deciding(), "nothing is decided on a mis-scaled score");
    e.on_unlock(0);
    let mut out = Vec::new();
    let mut alice = Typist::new(8, 1.0);
    alice.type_keys(2000, 0); // what the profile was enrolled on; then new typing
    let typed = alice.type_keys(1500, 1_000_000);
    let mut deciding_after = None;
    for (i, ev) in timing(&typed, 1).iter().enumerate() {
        e.on_timing(ev, SourceKind::Keyboard, &mut out);
        if deciding_after.is_none() && e.deciding() {
            deciding_after = Some(i + 1);
        }
    }
    let n = deciding_after.expect("never decided again");
    println!("migrated profile decides again after {n} timing events");
    // Each keystroke is two timing events (press, release); a calibration sample per
    // scored press, so about 2 × min_calibration events plus the ones not yet scorable.
    assert!(
        n <= 4 * params.min_calibration as usize,
        "recalibration took {n} events"
    );
    assert_ne!(e.policy().state(), TrustState::Locked, "owner not locked");
    for ev in timing(
        &Typist::new(29, 1.0).type_keys(1500, end_of(&typed) + 5_000_000),
        1,
    ) {
        e.on_timing(&ev, SourceKind::Keyboard, &mut out);
    }
    assert_eq!(
        e.policy().state(),
        TrustState::Locked,
        "another typist is locked"
    );

    // Saved again, it is a current (v2) file that loads as is.
    store.save(&ALICE, &p).unwrap();
    let bytes = fs::read(&path).unwrap();
    assert_eq!(
        u16::from_le_bytes([bytes[12], bytes[13]]),
        STORED_PROFILE_VERSION
    );
    match store.load::<StoredProfile>(&ALICE).unwrap() {
        LoadOutcome::Loaded(again) => {
            assert_eq!(again.keys.maturity(), p.keys.maturity());
            assert_eq!(again.pointer, p.pointer);
        }
        other => panic!("expected a plain load, got {other:?}"),
    }
}

#[test]
fn a_damaged_v1_payload_is_quarantined_not_loaded() {
    // A v1 container whose payload parses as JSON but not as a profile: the migration fails
    // and the store quarantines the file (kept, never deleted).
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("state")).unwrap();
    let payload = br#"{"version":1,"keystrokes":3}"#;
    let mut head = b"TWPROF".to_vec();
    head.extend_from_slice(&1u16.to_le_bytes());
    head.extend_from_slice(b"KSDP");
    head.extend_from_slice(&1u16.to_le_bytes());
    head.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&head);
    h.update(payload);
    head.extend_from_slice(&h.finalize().to_le_bytes());
    head.extend_from_slice(payload);
    let path = store.path_of(&ALICE);
    fs::write(&path, &head).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    match store.load::<StoredProfile>(&ALICE).unwrap() {
        LoadOutcome::Quarantined { reason, .. } => assert_eq!(
            reason,
            QuarantineReason::MigrationFailed { from_version: 1 }
        ),
        other => panic!("expected quarantine, got {other:?}"),
    }
}
