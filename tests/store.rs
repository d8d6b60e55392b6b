//! Profile store: round trip, every corruption class quarantined (kept, renamed, reported)
//! with the next save working, migration from a v0 fixture, oversized profiles.
//! Runs as root (the project's CI does); ownership cases use chown to uid 12345.

mod store_support;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use store_support::{container, TestProfile};
use typewarden::store::{Identity, LoadOutcome, QuarantineReason, Store, StoreError, MAX_PAYLOAD};

const ALICE: Identity = Identity::Uid(1000);

fn fresh() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("state")).unwrap();
    (tmp, store)
}

fn load(store: &Store) -> LoadOutcome<TestProfile> {
    store.load(&ALICE).unwrap()
}

/// Whatever sits at Alice's path must be quarantined for `expected`, kept byte-for-byte
/// under the quarantine name, and a save must work afterwards.
fn assert_quarantined(store: &Store, expected: QuarantineReason) {
    let path = store.path_of(&ALICE);
    let before = fs::symlink_metadata(&path).unwrap();
    let content = before.is_file().then(|| fs::read(&path).unwrap());
    match load(store) {
        LoadOutcome::Quarantined {
            reason,
            quarantined_path,
        } => {
            assert_eq!(reason, expected);
            let name = quarantined_path.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("uid-1000.profile.quarantined."), "{name}");
            let kept = fs::symlink_metadata(&quarantined_path).unwrap();
            assert_eq!((kept.ino(), kept.dev()), (before.ino(), before.dev()));
            if let Some(content) = content {
                assert_eq!(fs::read(&quarantined_path).unwrap(), content);
            }
        }
        other => panic!("expected quarantine for {expected:?}, got {other:?}"),
    }
    assert!(
        fs::symlink_metadata(&path).is_err(),
        "bad file still in place"
    );
    assert!(matches!(load(store), LoadOutcome::Missing));
    let fresh = TestProfile::new(2, 4);
    store.save(&ALICE, &fresh).unwrap();
    assert!(matches!(load(store), LoadOutcome::Loaded(p) if p == fresh));
}

fn with_file(mutate: impl FnOnce(&Path, Vec<u8>), expected: QuarantineReason) {
    let (_tmp, store) = fresh();
    store.save(&ALICE, &TestProfile::new(1, 50)).unwrap();
    let path = store.path_of(&ALICE);
    let bytes = fs::read(&path).unwrap();
    mutate(&path, bytes);
    assert_quarantined(&store, expected);
}

fn write_bytes(path: &Path, bytes: &[u8]) {
    fs::write(path, bytes).unwrap();
}

#[test]
fn round_trip_with_private_modes() {
    let (_tmp, store) = fresh();
    assert!(matches!(load(&store), LoadOutcome::Missing));
    for generation in 1..4 {
        let p = TestProfile::new(generation, 100);
        store.save(&ALICE, &p).unwrap();
        assert!(matches!(load(&store), LoadOutcome::Loaded(q) if q == p));
    }
    assert_eq!(
        fs::metadata(store.path_of(&ALICE)).unwrap().mode() & 0o777,
        0o600
    );
    assert_eq!(fs::metadata(store.dir()).unwrap().mode() & 0o777, 0o700);
    assert_eq!(
        fs::read_dir(store.dir()).unwrap().count(),
        1,
        "temp files left behind"
    );
}

#[test]
fn truncation_at_any_offset_is_quarantined() {
    let len = {
        let (_tmp, store) = fresh();
        store.save(&ALICE, &TestProfile::new(1, 50)).unwrap();
        fs::metadata(store.path_of(&ALICE)).unwrap().len() as usize
    };
    for cut in [0, 3, 21, 22, 30, len / 2, len - 1] {
        with_file(
            |p, b| write_bytes(p, &b[..cut]),
            QuarantineReason::Truncated,
        );
    }
}

#[test]
fn flipped_bits_are_quarantined() {
    use QuarantineReason::*;
    let cases = [
        (0, BadMagic),
        (5, BadMagic),
        // The version byte turns 1 into 257: still caught, by the checksum (a newer format
        // keeps the header and its CRC), never taken for a file of a newer typewarden.
        (7, ChecksumMismatch),
        (9, ChecksumMismatch),
        (13, ChecksumMismatch),
        (19, ChecksumMismatch),
        (40, ChecksumMismatch),
    ];
    for (byte, reason) in cases {
        with_file(
            |p, mut b| {
                b[byte] ^= 0x01;
                write_bytes(p, &b)
            },
            reason,
        );
    }
    with_file(
        |p, mut b| {
            let last = b.len() - 1;
            b[last] ^= 0x40;
            write_bytes(p, &b)
        },
        ChecksumMismatch,
    );
    // Length field one larger / smaller than the payload: caught before the checksum.
    for (delta, reason) in [(1i64, Truncated), (-1, TrailingBytes)] {
        with_file(
            |p, mut b| {
                let len = u32::from_le_bytes(b[14..18].try_into().unwrap());
                b[14..18].copy_from_slice(&((len as i64 + delta) as u32).to_le_bytes());
                write_bytes(p, &b)
            },
            reason,
        );
    }
}

#[test]
fn crafted_headers_are_quarantined() {
    use QuarantineReason::*;
    let payload = br#"{"generation":1,"means_us":[],"check":[]}"#;
    let cases: Vec<(Vec<u8>, QuarantineReason)> = vec![
        (b"#!/bin/sh\necho not a profile\n".to_vec(), BadMagic),
        (
            container(0, b"TEST", 1, payload),
            UnknownFormatVersion { version: 0 },
        ),
        (container(1, b"OTHR", 1, payload), WrongKind),
        (
            container(1, b"TEST", 1, b"{\"generation\":\"x\"}"),
            PayloadUndecodable,
        ),
        (
            container(1, b"TEST", 0, b"{\"generation\":1}"),
            MigrationFailed { from_version: 0 },
        ),
        (
            {
                let mut b = container(1, b"TEST", 1, payload);
                b[14..18].copy_from_slice(&u32::MAX.to_le_bytes());
                b
            },
            LengthOutOfRange { length: u32::MAX },
        ),
        (
            vec![0u8; 22 + MAX_PAYLOAD + 1],
            TooLarge {
                size: (22 + MAX_PAYLOAD + 1) as u64,
            },
        ),
    ];
    for (bytes, reason) in cases {
        with_file(|p, _| write_bytes(p, &bytes), reason);
    }
}

#[test]
fn wrong_owner_and_loose_modes_are_quarantined() {
    with_file(
        |p, _| std::os::unix::fs::chown(p, Some(12345), None).unwrap(),
        QuarantineReason::WrongOwner { uid: 12345 },
    );
    with_file(
        |p, _| fs::set_permissions(p, fs::Permissions::from_mode(0o644)).unwrap(),
        QuarantineReason::InsecureMode { mode: 0o644 },
    );
    with_file(
        |p, _| fs::set_permissions(p, fs::Permissions::from_mode(0o620)).unwrap(),
        QuarantineReason::InsecureMode { mode: 0o620 },
    );
}

#[test]
fn non_regular_files_are_quarantined_not_followed() {
    // A symlink to a perfectly valid profile elsewhere must still not be followed.
    with_file(
        |p, b| {
            let elsewhere = p.with_file_name("..").join("elsewhere.profile");
            write_bytes(&elsewhere, &b);
            fs::set_permissions(&elsewhere, fs::Permissions::from_mode(0o600)).unwrap();
            fs::remove_file(p).unwrap();
            symlink(&elsewhere, p).unwrap();
        },
        QuarantineReason::NotRegularFile,
    );
    with_file(
        |p, _| {
            fs::remove_file(p).unwrap();
            symlink("/nonexistent/dangling", p).unwrap();
        },
        QuarantineReason::NotRegularFile,
    );
    with_file(
        |p, _| {
            fs::remove_file(p).unwrap();
            fs::create_dir(p).unwrap();
            fs::write(p.join("inside"), "x").unwrap();
        },
        QuarantineReason::NotRegularFile,
    );
    // A FIFO must not be opened (it would block a reader).
    with_file(
        |p, _| {
            fs::remove_file(p).unwrap();
            nix::unistd::mkfifo(p, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        },
        QuarantineReason::NotRegularFile,
    );
}

#[test]
fn v0_fixture_migrates_and_unknown_versions_do_not() {
    let (_tmp, store) = fresh();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store/profile-v0.bin");
    let path = store.path_of(&ALICE);
    fs::copy(&fixture, &path).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
    match load(&store) {
        LoadOutcome::Migrated {
            profile,
            from_version,
        } => {
            assert_eq!(from_version, 0);
            assert_eq!((profile.generation, profile.means_us), (7, vec![123.5]));
        }
        other => panic!("expected a migration, got {other:?}"),
    }
    assert_eq!(
        fs::read(&path).unwrap(),
        fs::read(&fixture).unwrap(),
        "load must not write"
    );
}

#[test]
fn oversized_profiles_are_refused_and_the_old_one_kept() {
    let (_tmp, store) = fresh();
    let small = TestProfile::new(1, 3);
    store.save(&ALICE, &small).unwrap();
    let err = store
        .save(&ALICE, &TestProfile::new(2, 60_000))
        .unwrap_err();
    assert!(matches!(err, StoreError::TooLarge { .. }), "{err}");
    assert!(matches!(load(&store), LoadOutcome::Loaded(p) if p == small));
}

/// Issue 6: a file written by a newer typewarden (a downgrade) is not corrupt: it is not
/// quarantined, the load says so, a save refuses to overwrite it, and `inspect` sees it.
#[test]
fn newer_versions_are_kept_and_never_overwritten() {
    let payload = br#"{"generation":1,"means_us":[],"check":[]}"#;
    for (bytes, format_version, payload_version) in [
        (container(2, b"TEST", 1, payload), 2, 1),
        (container(9, b"ANEW", 4, b"a later layout"), 9, 4),
        (container(1, b"TEST", 2, payload), 1, 2),
    ] {
        let (_tmp, store) = fresh();
        let path = store.path_of(&ALICE);
        write_bytes(&path, &bytes);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        for _ in 0..2 {
            match load(&store) {
                LoadOutcome::Newer {
                    format_version: f,
                    payload_version: p,
                } => assert_eq!((f, p), (format_version, payload_version)),
                other => panic!("expected Newer, got {other:?}"),
            }
        }
        assert!(matches!(
            store.inspect::<TestProfile>(&ALICE).unwrap(),
            typewarden::store::Inspection::Newer { .. }
        ));
        let err = store.save(&ALICE, &TestProfile::new(5, 3)).unwrap_err();
        assert!(matches!(err, StoreError::NewerVersion { .. }), "{err}");
        assert_eq!(
            fs::read(&path).unwrap(),
            bytes,
            "the newer file is untouched"
        );
        let names: Vec<_> = fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "no quarantine, no temp file: {names:?}");
        // An administrator's delete (or reset) clears the way.
        assert!(store.delete(&ALICE).unwrap());
        store.save(&ALICE, &TestProfile::new(6, 3)).unwrap();
        assert!(matches!(load(&store), LoadOutcome::Loaded(p) if p.generation == 6));
    }
}

/// Issue 6 (self-service erasure): `erase` removes the profile and every quarantined copy,
/// and `inspect` never moves anything.
#[test]
fn erase_removes_quarantined_copies_and_inspect_is_read_only() {
    let (_tmp, store) = fresh();
    let path = store.path_of(&ALICE);
    for _ in 0..2 {
        write_bytes(&path, b"garbage");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            store.inspect::<TestProfile>(&ALICE).unwrap(),
            typewarden::store::Inspection::Corrupt(QuarantineReason::BadMagic)
        ));
        assert!(path.exists(), "inspect must not quarantine");
        assert!(matches!(load(&store), LoadOutcome::Quarantined { .. }));
    }
    store.save(&ALICE, &TestProfile::new(1, 3)).unwrap();
    let bob = Identity::Uid(1001);
    store.save(&bob, &TestProfile::new(1, 3)).unwrap();
    assert_eq!(store.quarantined(&ALICE).unwrap().len(), 2);
    assert_eq!(store.erase(&ALICE).unwrap(), 3);
    assert!(store.quarantined(&ALICE).unwrap().is_empty());
    assert!(store.file_facts(&ALICE).is_none());
    assert!(
        store.file_facts(&bob).is_some(),
        "another user's profile stays"
    );
    assert_eq!(store.erase(&ALICE).unwrap(), 0);
}
