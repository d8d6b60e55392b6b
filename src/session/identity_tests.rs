//! These tests create root- and non-root-owned files, so most of them need root (CI and the
//! dev machine run as root); as non-root they print "skipping" and return.

use super::*;
use crate::session::model::{SessionClass, SessionType};
use std::os::unix::fs::{symlink, PermissionsExt};

fn is_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    println!("skipping: needs root to create root-owned files");
    false
}

fn dir() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tempdir");
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    d
}

fn write(path: &Path, text: &[u8], mode: u32) {
    std::fs::write(path, text).expect("write");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn session() -> SessionInfo {
    SessionInfo {
        id: "3".into(),
        uid: 1000,
        user: "kiosk".into(),
        seat: "seat0".into(),
        class: SessionClass::User,
        kind: SessionType::X11,
        remote: false,
        active: true,
        closing: false,
        locked: false,
    }
}

#[test]
fn logind_uid_is_the_default_identity() {
    let id = resolve(&IdentitySource::LogindUid, &session());
    assert_eq!(id, Ok(Identity::Uid(1000)));
}

#[test]
fn a_root_owned_file_names_the_person() {
    if !is_root() {
        return;
    }
    let d = dir();
    let p = d.path().join("kiosk-user");
    write(&p, b"j.doe@corp\n", 0o644);
    let id = resolve(&IdentitySource::File(p.clone()), &session());
    assert_eq!(id, Ok(Identity::Named("j.doe@corp".into())));
    write(&p, b"alice", 0o600);
    assert_eq!(read_identity_file(&p), Ok("alice".into()));
}

#[test]
fn unsafe_files_are_refused_without_quoting_their_content() {
    if !is_root() {
        return;
    }
    let d = dir();
    let p = d.path().join("kiosk-user");
    let what = |p: &Path| read_identity_file(p).expect_err("refused").what;

    write(&p, b"SECRETCONTENT x\n", 0o644);
    let w = what(&p);
    assert!(
        w.contains("must hold one name") && !w.contains("SECRET"),
        "{w}"
    );
    for bad in [
        &b""[..],
        b"\n",
        b"a\nb\n",
        b".hidden",
        b"-opt",
        b"caf\xc3\xa9",
        &[b'a'; 65],
    ] {
        write(&p, bad, 0o644);
        assert!(what(&p).contains("must hold one name"));
    }
    write(&p, &[b'a'; 300], 0o644);
    assert!(what(&p).contains("larger than 256 bytes"));
    write(&p, b"alice\n", 0o664);
    assert!(what(&p).contains("group- or world-writable"));
    write(&p, b"alice\n", 0o644);
    nix::unistd::chown(&p, Some(nix::unistd::Uid::from_raw(1000)), None).expect("chown");
    assert!(what(&p).contains("owned by uid 1000, must be owned by root"));

    let link = d.path().join("link");
    let target = d.path().join("target");
    write(&target, b"alice\n", 0o644);
    symlink(&target, &link).expect("symlink");
    assert!(what(&link).contains("symbolic link"));
    assert!(what(&d.path().join("missing")).contains("does not exist"));
    let sub = d.path().join("sub");
    std::fs::create_dir(&sub).expect("mkdir");
    assert!(what(&sub).contains("not a regular file"));
}

#[test]
fn a_file_in_a_directory_others_can_write_is_refused() {
    if !is_root() {
        return;
    }
    let d = dir();
    let p = d.path().join("kiosk-user");
    write(&p, b"alice\n", 0o644);
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let w = read_identity_file(&p).expect_err("refused").what;
    assert!(w.starts_with("directory group- or world-writable"), "{w}");
}
