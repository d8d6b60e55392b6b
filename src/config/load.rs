//! The I/O shell: finds the configuration files, applies path hygiene, reads them.
//!
//! Path hygiene, after swhkd CVE-2022-27814/27819 (a root daemon parsing a file an attacker
//! chose or could swap): files are opened with `O_NOFOLLOW` (a symlink is refused, not
//! followed) and `O_NONBLOCK` (opening a FIFO must not hang), then checked on the *opened* fd:
//! a regular file, at most [`MAX_FILE_BYTES`], owned by root or by us, not group- or
//! world-writable. `/etc/typewarden` and the drop-in directory must be real directories with
//! the same owner and mode rules, so nobody else can swap files inside them between our
//! checks and our opens.

use super::{build, parse, Config, ConfigError, Source, DEFAULTS_TOML};
use nix::errno::Errno;
use nix::fcntl::OFlag;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{ErrorKind, Read};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The system configuration root; `<root>/typewarden/` holds our files.
pub const ETC_ROOT: &str = "/etc";

/// Largest configuration file read; anything bigger is refused unread.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Where to look. Tests point `etc_root` at a temporary directory; there is deliberately no
/// environment variable for it, so a caller's environment cannot redirect a root daemon.
#[derive(Clone, Debug)]
pub struct LoadOptions<'a> {
    /// Normally [`ETC_ROOT`].
    pub etc_root: &'a Path,
    /// `--config PATH`: replaces the `/etc` files (the defaults still apply underneath).
    pub config: Option<&'a Path>,
}

impl Default for LoadOptions<'_> {
    fn default() -> Self {
        Self {
            etc_root: Path::new(ETC_ROOT),
            config: None,
        }
    }
}

/// Reads, checks, parses and merges all sources.
pub fn load(opts: &LoadOptions<'_>) -> Result<Config, ConfigError> {
    let mut layers = vec![parse(Source::Builtin, DEFAULTS_TOML)?];
    for path in files(opts)? {
        if let Some(text) = read(&path, opts.config.is_none())? {
            layers.push(parse(Source::File(path), &text)?);
        }
    }
    build(layers)
}

/// The candidate files in order. Only `--config` must exist.
fn files(opts: &LoadOptions<'_>) -> Result<Vec<PathBuf>, ConfigError> {
    if let Some(path) = opts.config {
        return Ok(vec![path.to_path_buf()]);
    }
    let dir = opts.etc_root.join("typewarden");
    if !check_dir(&dir)? {
        return Ok(Vec::new());
    }
    let mut out = vec![dir.join("typewarden.toml")];
    let drop_in = dir.join("typewarden.toml.d");
    if check_dir(&drop_in)? {
        let entries = std::fs::read_dir(&drop_in).map_err(|e| io_error(&drop_in, &e))?;
        let mut names = Vec::new();
        for entry in entries {
            let name = entry.map_err(|e| io_error(&drop_in, &e))?.file_name();
            if Path::new(&name).extension().is_some_and(|x| x == "toml") {
                names.push(name);
            }
        }
        names.sort();
        out.extend(names.into_iter().map(|n| drop_in.join(n)));
    }
    Ok(out)
}

/// `Ok(false)` if `dir` does not exist; an error unless it is a safe directory.
fn check_dir(dir: &Path) -> Result<bool, ConfigError> {
    // lstat first only to say "symlink" rather than the bare ELOOP/ENOTDIR of the open below.
    match std::fs::symlink_metadata(dir) {
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(io_error(dir, &e)),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(bad(dir, "is a symbolic link (refused)"))
        }
        Ok(_) => {}
    }
    let file = open(dir, OFlag::O_DIRECTORY).map_err(|e| io_error(dir, &e))?;
    let meta = file.metadata().map_err(|e| io_error(dir, &e))?;
    check_owner_mode(dir, &meta)?;
    Ok(true)
}

/// The text of `path`; `Ok(None)` if it is missing and `optional`.
fn read(path: &Path, optional: bool) -> Result<Option<String>, ConfigError> {
    let file = match open(path, OFlag::empty()) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound && optional => return Ok(None),
        Err(e) => return Err(io_error(path, &e)),
    };
    let meta = file.metadata().map_err(|e| io_error(path, &e))?;
    if !meta.file_type().is_file() {
        return Err(bad(path, "not a regular file (refused)"));
    }
    check_owner_mode(path, &meta)?;
    let too_big = || {
        bad(
            path,
            &format!("larger than {MAX_FILE_BYTES} bytes (refused)"),
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    // The size can change after fstat; never read more than the limit plus one byte.
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| bad(path, "not valid UTF-8"))
}

fn open(path: &Path, extra: OFlag) -> std::io::Result<File> {
    let flags = OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | extra;
    OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
}

/// Owned by root or by our effective uid, and writable by nobody else.
fn check_owner_mode(path: &Path, meta: &Metadata) -> Result<(), ConfigError> {
    let euid = nix::unistd::geteuid().as_raw();
    let uid = meta.uid();
    if uid != 0 && uid != euid {
        let allowed = match euid {
            0 => "root".to_string(),
            _ => format!("root or uid {euid}"),
        };
        let what = format!("owned by uid {uid}, must be owned by {allowed} (refused)");
        return Err(bad(path, &what));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(bad(
            path,
            &format!("group- or world-writable (mode {mode:04o}, refused)"),
        ));
    }
    Ok(())
}

fn bad(path: &Path, what: &str) -> ConfigError {
    ConfigError::File {
        file: path.display().to_string(),
        what: what.to_string(),
    }
}

fn io_error(path: &Path, e: &std::io::Error) -> ConfigError {
    let what = match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ELOOP) => "is a symbolic link (refused)".to_string(),
        Some(Errno::ENOENT) => "does not exist".to_string(),
        Some(Errno::ENOTDIR) => "is not a directory".to_string(),
        _ => format!("cannot read: {e}"),
    };
    ConfigError::File {
        file: path.display().to_string(),
        what,
    }
}
