//! The state directory: where it is, whether it is safe, whether it survives a reboot, and
//! removing temp files a crash left behind.
//!
//! Invariants after [`prepare`]: the path is a real directory (not a symlink), owned by root
//! or the effective uid, mode 0700. A directory that others can write is refused rather
//! than fixed: they may already have planted files or symlinks in it.

use super::StoreError;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where profiles live when neither the caller nor systemd says otherwise.
pub const DEFAULT_STATE_DIR: &str = "/var/lib/typewarden";

/// Marker between a profile name and the temp suffix: `.<name>.tmp.<pid>.<n>`.
pub(super) const TEMP_MARK: &str = ".tmp.";

/// Whether the state directory survives a reboot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// A disk-backed file system.
    Persistent,
    /// tmpfs or ramfs: profiles vanish at reboot, so protection silently restarts in training.
    /// The daemon audits this as degraded protection.
    Volatile {
        /// The file system type.
        fs: &'static str,
    },
}

/// `$STATE_DIRECTORY` (systemd 240+, the first entry when several are listed) or
/// [`DEFAULT_STATE_DIR`].
pub fn default_state_dir() -> PathBuf {
    std::env::var_os("STATE_DIRECTORY")
        .and_then(|v| {
            let first = v.to_string_lossy().split(':').next()?.to_owned();
            (!first.is_empty()).then(|| PathBuf::from(first))
        })
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR))
}

/// Create the directory (mode 0700) if missing, then check and tighten it.
pub(super) fn prepare(dir: &Path) -> Result<(), StoreError> {
    let err = |source| StoreError::Io {
        path: dir.to_owned(),
        source,
    };
    match dir.symlink_metadata() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?,
        Err(e) => return Err(err(e)),
        Ok(_) => {}
    }
    let meta = dir.symlink_metadata().map_err(err)?;
    let unsafe_dir = |problem: String| StoreError::UnsafeStateDir {
        path: dir.to_owned(),
        problem,
    };
    if meta.file_type().is_symlink() {
        return Err(unsafe_dir("is a symlink".into()));
    }
    if !meta.is_dir() {
        return Err(unsafe_dir("is not a directory".into()));
    }
    if !owner_ok(meta.uid()) {
        return Err(unsafe_dir(format!("is owned by uid {}", meta.uid())));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(unsafe_dir(format!(
            "is group- or world-writable (mode {:04o})",
            meta.mode() & 0o7777
        )));
    }
    if meta.mode() & 0o7777 != 0o700 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

/// Root or the daemon's own effective uid may own state.
pub(super) fn owner_ok(uid: u32) -> bool {
    uid == 0 || uid == nix::unistd::geteuid().as_raw()
}

/// statfs(2) the directory and classify its file system.
pub(super) fn persistence(dir: &Path) -> Result<Persistence, StoreError> {
    use nix::sys::statfs::{statfs, TMPFS_MAGIC};
    // linux/magic.h; nix 0.29 has no constant for it.
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    let st = statfs(dir).map_err(|e| StoreError::Io {
        path: dir.to_owned(),
        source: e.into(),
    })?;
    let fs_type = st.filesystem_type();
    Ok(if fs_type == TMPFS_MAGIC {
        Persistence::Volatile { fs: "tmpfs" }
    } else if fs_type.0 as u64 == RAMFS_MAGIC {
        Persistence::Volatile { fs: "ramfs" }
    } else {
        Persistence::Persistent
    })
}

/// Remove temp files of interrupted saves (`.<profile-name>.tmp.<pid>.<n>`). Only one daemon
/// owns a state directory, so at open no save can be in flight. Returns how many were removed.
pub(super) fn remove_stale_temps(dir: &Path) -> Result<usize, StoreError> {
    let err = |source| StoreError::Io {
        path: dir.to_owned(),
        source,
    };
    let mut removed = 0;
    for entry in std::fs::read_dir(dir).map_err(err)? {
        let entry = entry.map_err(err)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_temp_name(name) {
            continue;
        }
        // remove_file unlinks a symlink itself; a directory under a temp name is left alone.
        if entry.file_type().map_err(err)?.is_dir() {
            continue;
        }
        std::fs::remove_file(entry.path()).map_err(err)?;
        removed += 1;
    }
    Ok(removed)
}

fn is_temp_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('.') else {
        return false;
    };
    match rest.rsplit_once(TEMP_MARK) {
        Some((profile, suffix)) => {
            super::Identity::from_file_name(profile).is_some()
                && suffix.split('.').count() == 2
                && suffix
                    .split('.')
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_are_recognised_narrowly() {
        assert!(is_temp_name(".uid-1000.profile.tmp.123.0"));
        assert!(is_temp_name(".id-6162.profile.tmp.9.41"));
        for other in [
            "uid-1000.profile",
            ".uid-1000.profile",
            ".uid-1000.profile.tmp.123",
            ".uid-1000.profile.tmp.x.1",
            ".bashrc.tmp.1.2",
            "uid-1000.profile.quarantined.17",
        ] {
            assert!(!is_temp_name(other), "{other}");
        }
    }
}
