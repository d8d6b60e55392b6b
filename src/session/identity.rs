//! Who is typing: the logind uid by default, or a root-owned file naming the person on kiosk
//! images where every employee shares one local account (VDI clients).
//!
//! The file is read with the configuration's path hygiene (after swhkd CVE-2022-27814/27819,
//! peers.md §3.1): opened with `O_NOFOLLOW` and `O_NONBLOCK` (a symlink is refused, a FIFO
//! cannot hang us), then checked on the opened fd: a regular file owned by root, not group- or
//! world-writable, at most [`MAX_IDENTITY_FILE_BYTES`]; its directory must be owned by root and
//! not group- or world-writable, so nobody else can swap the file. The content is one name
//! from a small safe alphabet (it becomes a profile key and an audit field); errors never
//! quote it.

use super::config::IdentitySource;
use super::model::SessionInfo;
use nix::fcntl::OFlag;
use std::fs::{File, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Largest identity file read; anything bigger is refused unread.
pub const MAX_IDENTITY_FILE_BYTES: u64 = 256;

/// Longest accepted name.
pub const MAX_NAME_CHARS: usize = 64;

/// Whose profile the keystrokes belong to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The session owner's uid (profiles keyed by uid, never by user name: F39).
    Uid(u32),
    /// A person named by the configured identity file.
    Named(String),
}

/// The identity file is unusable; the daemon pauses scoring and audits it.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{}: {what}", path.display())]
pub struct IdentityError {
    /// The configured file.
    pub path: PathBuf,
    /// What is wrong (never the file's content).
    pub what: String,
}

/// The identity for keystrokes typed into `session`.
pub fn resolve(source: &IdentitySource, session: &SessionInfo) -> Result<Identity, IdentityError> {
    match source {
        IdentitySource::LogindUid => Ok(Identity::Uid(session.uid)),
        IdentitySource::File(path) => read_identity_file(path).map(Identity::Named),
    }
}

/// Reads and checks the identity file; returns the name it holds.
pub fn read_identity_file(path: &Path) -> Result<String, IdentityError> {
    let err = |what: &str| IdentityError {
        path: path.to_path_buf(),
        what: what.to_string(),
    };
    let dir = path
        .parent()
        .ok_or_else(|| err("has no parent directory"))?;
    let dir_file = open(dir, OFlag::O_DIRECTORY).map_err(|e| err(&io_what(&e, "directory")))?;
    let dir_meta = dir_file
        .metadata()
        .map_err(|e| err(&io_what(&e, "directory")))?;
    check_owner_mode(&dir_meta).map_err(|w| err(&format!("directory {w}")))?;

    let file = open(path, OFlag::empty()).map_err(|e| err(&io_what(&e, "file")))?;
    let meta = file.metadata().map_err(|e| err(&io_what(&e, "file")))?;
    if !meta.file_type().is_file() {
        return Err(err("not a regular file (refused)"));
    }
    check_owner_mode(&meta).map_err(|w| err(&w))?;
    let too_big = format!("larger than {MAX_IDENTITY_FILE_BYTES} bytes (refused)");
    if meta.len() > MAX_IDENTITY_FILE_BYTES {
        return Err(err(&too_big));
    }
    // The size can change after fstat; never read more than the limit plus one byte.
    let mut bytes = Vec::new();
    file.take(MAX_IDENTITY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| err(&io_what(&e, "file")))?;
    if bytes.len() as u64 > MAX_IDENTITY_FILE_BYTES {
        return Err(err(&too_big));
    }
    parse_name(&bytes).ok_or_else(|| {
        err(&format!(
            "must hold one name of 1..={MAX_NAME_CHARS} characters from A-Z a-z 0-9 . _ @ -, \
             not starting with . or -, and an optional final newline"
        ))
    })
}

/// One name and an optional final newline; `None` for anything else.
fn parse_name(bytes: &[u8]) -> Option<String> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let ok_char = |b: &u8| b.is_ascii_alphanumeric() || b"._@-".contains(b);
    let ok = !body.is_empty()
        && body.len() <= MAX_NAME_CHARS
        && body.iter().all(ok_char)
        && !body.starts_with(b".")
        && !body.starts_with(b"-");
    // Only ASCII passed the check, so this conversion cannot fail.
    ok.then(|| String::from_utf8_lossy(body).into_owned())
}

fn open(path: &Path, extra: OFlag) -> std::io::Result<File> {
    let flags = OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | extra;
    OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(path)
}

/// Owned by root and writable by nobody else: unlike the configuration, the identity decides
/// whose profile is trained, so even typewarden's own non-root uid may not own it.
fn check_owner_mode(meta: &Metadata) -> Result<(), String> {
    if meta.uid() != 0 {
        return Err(format!(
            "owned by uid {}, must be owned by root (refused)",
            meta.uid()
        ));
    }
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "group- or world-writable (mode {mode:04o}, refused)"
        ));
    }
    Ok(())
}

fn io_what(e: &std::io::Error, what: &str) -> String {
    match e.raw_os_error().map(nix::errno::Errno::from_raw) {
        Some(nix::errno::Errno::ELOOP) => format!("{what} is a symbolic link (refused)"),
        Some(nix::errno::Errno::ENOENT) => format!("{what} does not exist"),
        Some(nix::errno::Errno::ENOTDIR) => format!("{what}: a path component is not a directory"),
        _ => format!("cannot read {what}: {e}"),
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
