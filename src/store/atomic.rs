//! Crash-safe replacement of one file.
//!
//! Order, each step checked: create `.<name>.tmp.<pid>.<n>` with O_CREAT|O_EXCL|O_NOFOLLOW
//! and mode 0600 → write → fsync the temp file → rename over the target → fsync the
//! directory. The fsync before the rename makes sure the name never points at data that is
//! not on disk yet (ext4 `auto_da_alloc` only papers over that for some cases); the
//! directory fsync makes the rename itself durable. Invariant: at every instant the target
//! is either the complete old file or the complete new one; a failure before the rename
//! removes the temp file and leaves the target untouched.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// The step of a save that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveStep {
    /// Creating the temp file.
    CreateTemp,
    /// Writing the temp file.
    Write,
    /// fsync of the temp file.
    SyncFile,
    /// Renaming the temp file over the profile.
    Rename,
    /// fsync of the directory: the new profile is in place, its durability is unknown.
    SyncDir,
}

impl fmt::Display for SaveStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SaveStep::CreateTemp => "creating the temp file",
            SaveStep::Write => "writing the temp file",
            SaveStep::SyncFile => "syncing the temp file",
            SaveStep::Rename => "renaming the temp file into place",
            SaveStep::SyncDir => "syncing the state directory",
        })
    }
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Replace `dir/name` with `bytes` atomically and durably.
pub(super) fn replace(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), (SaveStep, io::Error)> {
    let (temp_path, mut file) = create_temp(dir, name).map_err(|e| (SaveStep::CreateTemp, e))?;
    let written = file
        .write_all(bytes)
        .map_err(|e| (SaveStep::Write, e))
        .and_then(|()| file.sync_all().map_err(|e| (SaveStep::SyncFile, e)));
    drop(file);
    let renamed = written.and_then(|()| {
        std::fs::rename(&temp_path, dir.join(name)).map_err(|e| (SaveStep::Rename, e))
    });
    if let Err(e) = renamed {
        // Best effort: a leftover is removed at the next open anyway.
        let _ = std::fs::remove_file(&temp_path);
        return Err(e);
    }
    sync_dir(dir).map_err(|e| (SaveStep::SyncDir, e))
}

/// fsync a directory, making renames and unlinks in it durable.
pub(super) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(std::path::PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    for _ in 0..16 {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".{name}{}{pid}.{n}", super::dir::TEMP_MARK));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temp name")))
}
