//! Profile store: the state directory (created, tightened or refused), removal of temp
//! files left by crashes, list/delete, and tmpfs detection. Runs as root (the project's CI
//! does); the foreign-owner case uses chown to uid 12345.

mod store_support;

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::Path;
use store_support::TestProfile;
use typewarden::store::{Identity, LoadOutcome, Persistence, Store, StoreError};

const ALICE: Identity = Identity::Uid(1000);

fn fresh() -> (tempfile::TempDir, Store) {
    let tmp = tempfile::tempdir().unwrap();
    let store = Store::open(&tmp.path().join("state")).unwrap();
    (tmp, store)
}

fn load(store: &Store) -> LoadOutcome<TestProfile> {
    store.load(&ALICE).unwrap()
}

#[test]
fn state_dir_is_created_tightened_or_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let made = tmp.path().join("a/b/state");
    Store::open(&made).unwrap();
    assert_eq!(fs::metadata(&made).unwrap().mode() & 0o7777, 0o700);

    let loose = tmp.path().join("loose");
    fs::create_dir(&loose).unwrap();
    fs::set_permissions(&loose, fs::Permissions::from_mode(0o755)).unwrap();
    Store::open(&loose).unwrap();
    assert_eq!(fs::metadata(&loose).unwrap().mode() & 0o7777, 0o700);

    let refused = |path: &Path, what: &str| match Store::open(path) {
        Err(e @ StoreError::UnsafeStateDir { .. }) => assert!(e.to_string().contains(what), "{e}"),
        other => panic!("{}: expected refusal, got {other:?}", path.display()),
    };
    let writable = tmp.path().join("writable");
    fs::create_dir(&writable).unwrap();
    fs::set_permissions(&writable, fs::Permissions::from_mode(0o1777)).unwrap();
    refused(&writable, "world-writable");
    let link = tmp.path().join("link");
    symlink(&loose, &link).unwrap();
    refused(&link, "symlink");
    let foreign = tmp.path().join("foreign");
    fs::create_dir(&foreign).unwrap();
    std::os::unix::fs::chown(&foreign, Some(12345), None).unwrap();
    refused(&foreign, "uid 12345");
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    refused(&file, "not a directory");
}

#[test]
fn open_removes_only_our_temp_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("state");
    Store::open(&dir).unwrap();
    fs::write(dir.join(".uid-1000.profile.tmp.77.3"), "torn").unwrap();
    symlink("/etc/passwd", dir.join(".id-6162.profile.tmp.1.2")).unwrap();
    fs::write(dir.join(".keep"), "").unwrap();
    fs::write(dir.join("uid-5.profile.quarantined.1"), "").unwrap();
    let store = Store::open(&dir).unwrap();
    assert_eq!(store.removed_temps(), 2);
    let mut left: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    left.sort();
    assert_eq!(left, [".keep", "uid-5.profile.quarantined.1"]);
    assert!(Path::new("/etc/passwd").exists());
}

#[test]
fn list_and_delete() {
    let (_tmp, store) = fresh();
    let kiosk = Identity::named("../../etc/shadow").unwrap();
    for id in [Identity::Uid(7), ALICE, kiosk.clone()] {
        store.save(&id, &TestProfile::new(1, 2)).unwrap();
    }
    fs::write(store.dir().join("uid-9.profile.quarantined.5"), "").unwrap();
    assert_eq!(
        store.list().unwrap(),
        [Identity::Uid(7), ALICE, kiosk.clone()]
    );
    assert!(store.path_of(&kiosk).starts_with(store.dir()));
    assert!(store.delete(&ALICE).unwrap());
    assert!(!store.delete(&ALICE).unwrap());
    assert!(matches!(load(&store), LoadOutcome::Missing));
    assert_eq!(store.list().unwrap(), [Identity::Uid(7), kiosk]);
}

#[test]
fn persistence_agrees_with_stat() {
    let (_tmp, store) = fresh();
    let out = std::process::Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(store.dir())
        .output();
    let Ok(out) = out else {
        println!("skipping: stat(1) not available");
        return;
    };
    let fs_type = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let expected = match fs_type.as_str() {
        "tmpfs" => Persistence::Volatile { fs: "tmpfs" },
        "ramfs" => Persistence::Volatile { fs: "ramfs" },
        _ => Persistence::Persistent,
    };
    assert_eq!(store.persistence(), expected, "stat says {fs_type}");
}
