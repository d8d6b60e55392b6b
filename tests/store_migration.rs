//! Migration of a real daemon profile written by the previous payload version (issue 6,
//! issue 8): `tests/fixtures/store/profile-keys-v1.bin` holds a keystroke-only profile
//! (payload version 1) written by the store at commit e6f80ca from a synthetic typist. The
//! current code must load it as a migration, keep the keystroke model verifying (the same
//! scores as before), start the pointer profile in training, and save it as version 2.

mod common;

use common::typist::{timing, Typist};
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
fn a_v1_keystroke_profile_migrates_verifying_with_the_pointer_in_training() {
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
    assert!(p.keys.is_mature(), "the keystroke model keeps verifying");
    assert_eq!(p.keys.maturity().keystrokes, 1836);
    assert!(
        !p.pointer.is_mature() && p.pointer.actions() == 0,
        "pointer in training"
    );

    // The migrated engine decides at once from typing: its owner passes, another typist
    // is locked, as before the upgrade.
    let mut owner = Engine::with_profile(EngineParams::default(), p.keys.clone());
    assert!(owner.deciding());
    owner.on_unlock(0);
    let mut out = Vec::new();
    let mut alice = Typist::new(8, 1.0);
    alice.type_keys(2000, 0); // what the profile was enrolled on; then new typing
    for ev in timing(&alice.type_keys(1500, 1_000_000), 1) {
        owner.on_timing(&ev, SourceKind::Keyboard, &mut out);
    }
    assert_ne!(
        owner.policy().state(),
        TrustState::Locked,
        "owner not locked"
    );
    let mut other = Engine::with_profile(EngineParams::default(), p.keys.clone());
    other.on_unlock(0);
    for ev in timing(&Typist::new(29, 1.0).type_keys(1500, 1_000_000), 1) {
        other.on_timing(&ev, SourceKind::Keyboard, &mut out);
    }
    assert_eq!(
        other.policy().state(),
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
