//! Path hygiene of `config::load` (swhkd CVE-2022-27814/27819): what is refused and how the
//! refusal reads. Real files, directories, symlinks and FIFOs in a temporary `/etc` root.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use typewarden::config::{load, LoadOptions, MAX_FILE_BYTES};

struct Etc {
    root: tempfile::TempDir,
}

impl Etc {
    /// `<tmp>/typewarden/` (0755) containing a valid main file and an empty drop-in dir.
    fn new() -> Self {
        let etc = Self {
            root: tempfile::tempdir().unwrap(),
        };
        for d in [etc.dir(), etc.drop_in()] {
            fs::create_dir(&d).unwrap();
            chmod(&d, 0o755);
        }
        etc.write(&etc.dir().join("typewarden.toml"), "mode = \"monitor\"\n");
        etc
    }

    fn dir(&self) -> PathBuf {
        self.root.path().join("typewarden")
    }

    fn drop_in(&self) -> PathBuf {
        self.dir().join("typewarden.toml.d")
    }

    fn write(&self, path: &Path, text: &str) -> PathBuf {
        fs::write(path, text).unwrap();
        chmod(path, 0o644);
        path.to_path_buf()
    }

    /// The error text of loading this root.
    fn err(&self) -> String {
        load(&LoadOptions {
            etc_root: self.root.path(),
            config: None,
        })
        .unwrap_err()
        .to_string()
    }
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn the_fixture_itself_loads() {
    let etc = Etc::new();
    let c = load(&LoadOptions {
        etc_root: etc.root.path(),
        config: None,
    })
    .unwrap();
    assert_eq!(c.sources().len(), 2);
}

#[test]
fn symlinked_file_is_refused() {
    let etc = Etc::new();
    let real = etc.write(&etc.root.path().join("real.toml"), "mode = \"enforce\"\n");
    let main = etc.dir().join("typewarden.toml");
    fs::remove_file(&main).unwrap();
    symlink(&real, &main).unwrap();
    assert_eq!(
        etc.err(),
        format!("{}: is a symbolic link (refused)", main.display())
    );
    // The same for a drop-in, and for `--config` pointing at a symlink.
    fs::remove_file(&main).unwrap();
    let link = etc.drop_in().join("a.toml");
    symlink(&real, &link).unwrap();
    assert_eq!(
        etc.err(),
        format!("{}: is a symbolic link (refused)", link.display())
    );
    let opts = LoadOptions {
        etc_root: etc.root.path(),
        config: Some(&link),
    };
    assert_eq!(
        load(&opts).unwrap_err().to_string(),
        format!("{}: is a symbolic link (refused)", link.display())
    );
}

#[test]
fn symlinked_directories_are_refused() {
    let etc = Etc::new();
    let moved = etc.root.path().join("elsewhere");
    fs::rename(etc.dir(), &moved).unwrap();
    symlink(&moved, etc.dir()).unwrap();
    assert_eq!(
        etc.err(),
        format!("{}: is a symbolic link (refused)", etc.dir().display())
    );

    let etc = Etc::new();
    let moved = etc.root.path().join("d");
    fs::rename(etc.drop_in(), &moved).unwrap();
    symlink(&moved, etc.drop_in()).unwrap();
    assert_eq!(
        etc.err(),
        format!("{}: is a symbolic link (refused)", etc.drop_in().display())
    );
}

#[test]
fn fifo_and_directory_are_refused() {
    let etc = Etc::new();
    let fifo = etc.drop_in().join("fifo.toml");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    // O_NONBLOCK: without it this open would block forever waiting for a writer.
    assert_eq!(
        etc.err(),
        format!("{}: not a regular file (refused)", fifo.display())
    );

    let etc = Etc::new();
    let dir = etc.drop_in().join("dir.toml");
    fs::create_dir(&dir).unwrap();
    assert_eq!(
        etc.err(),
        format!("{}: not a regular file (refused)", dir.display())
    );

    let etc = Etc::new();
    let opts = LoadOptions {
        etc_root: etc.root.path(),
        config: Some(Path::new("/dev/null")),
    };
    assert_eq!(
        load(&opts).unwrap_err().to_string(),
        "/dev/null: not a regular file (refused)"
    );
}

#[test]
fn etc_dir_that_is_a_file_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let not_dir = root.path().join("typewarden");
    fs::write(&not_dir, "").unwrap();
    let err = load(&LoadOptions {
        etc_root: root.path(),
        config: None,
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: is not a directory", not_dir.display())
    );
}

#[test]
fn too_large_file_is_refused_at_the_limit_plus_one() {
    let etc = Etc::new();
    let main = etc.dir().join("typewarden.toml");
    // Exactly at the limit is fine: a comment padded to MAX_FILE_BYTES.
    let body = "mode = \"monitor\"\n#";
    let at_limit = format!(
        "{body}{}\n",
        "x".repeat(MAX_FILE_BYTES as usize - body.len() - 1)
    );
    assert_eq!(at_limit.len() as u64, MAX_FILE_BYTES);
    etc.write(&main, &at_limit);
    assert!(load(&LoadOptions {
        etc_root: etc.root.path(),
        config: None
    })
    .is_ok());
    etc.write(&main, &format!("{at_limit}#"));
    assert_eq!(
        etc.err(),
        format!("{}: larger than 65536 bytes (refused)", main.display())
    );
}

#[test]
fn group_or_world_writable_is_refused() {
    for (what, mode) in [("world", 0o646), ("group", 0o664)] {
        let etc = Etc::new();
        let main = etc.dir().join("typewarden.toml");
        chmod(&main, mode);
        let want = format!(
            "{}: group- or world-writable (mode {mode:04o}, refused)",
            main.display()
        );
        assert_eq!(etc.err(), want, "{what}-writable file");
    }
    let etc = Etc::new();
    chmod(&etc.dir(), 0o777);
    assert_eq!(
        etc.err(),
        format!(
            "{}: group- or world-writable (mode 0777, refused)",
            etc.dir().display()
        )
    );
    let etc = Etc::new();
    chmod(&etc.drop_in(), 0o775);
    assert_eq!(
        etc.err(),
        format!(
            "{}: group- or world-writable (mode 0775, refused)",
            etc.drop_in().display()
        )
    );
}

#[test]
fn wrong_owner_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        println!("skipping: chown to another uid needs root");
        return;
    }
    let etc = Etc::new();
    let main = etc.dir().join("typewarden.toml");
    std::os::unix::fs::chown(&main, Some(12345), None).unwrap();
    let want = format!(
        "{}: owned by uid 12345, must be owned by root (refused)",
        main.display()
    );
    assert_eq!(etc.err(), want);
    let etc = Etc::new();
    std::os::unix::fs::chown(etc.dir(), Some(12345), None).unwrap();
    let want = format!(
        "{}: owned by uid 12345, must be owned by root (refused)",
        etc.dir().display()
    );
    assert_eq!(etc.err(), want);
}

#[test]
fn invalid_utf8_is_refused() {
    let etc = Etc::new();
    let main = etc.dir().join("typewarden.toml");
    fs::write(&main, b"mode = \"\xff\"\n").unwrap();
    assert_eq!(etc.err(), format!("{}: not valid UTF-8", main.display()));
}
