//! The store's read-only and erasure side for the control surface (issue 6): what a
//! profile file is without loading it, its size and time, its quarantined copies, and
//! erasing a profile with them (self-service deletion of biometric data).
//!
//! Invariant: [`Store::inspect`] never writes, moves or quarantines anything: it may run
//! whenever an administrator asks, while only [`Store::load`] decides about a bad file.

use super::quarantine::QuarantineReason;
use super::read::{self, Found, Read};
use super::{atomic, Identity, Persisted, Store, StoreError};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

/// What a profile file holds, found without changing anything.
#[derive(Debug)]
pub enum Inspection<T> {
    /// No file.
    Missing,
    /// A verified profile (migrated in memory if it was older).
    Valid(T),
    /// A file that the next load will quarantine, and why.
    Corrupt(QuarantineReason),
    /// Written by a newer typewarden.
    Newer {
        /// Container format version.
        format_version: u16,
        /// Payload schema version.
        payload_version: u16,
    },
}

/// A profile file's size and modification time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileFacts {
    /// Bytes.
    pub size: u64,
    /// Seconds since the epoch.
    pub mtime: u64,
}

impl Store {
    /// Reads and verifies `id`'s profile without acting on what it finds.
    pub fn inspect<T: Persisted>(&self, id: &Identity) -> Result<Inspection<T>, StoreError> {
        Ok(match read::verified_payload(self.dir(), &id.file_name())? {
            Read::Missing => Inspection::Missing,
            Read::Bad(reason) => Inspection::Corrupt(reason),
            Read::Good(bytes) => match read::decode_profile::<T>(&bytes) {
                Ok(Found::Current(p) | Found::Migrated(p, _)) => Inspection::Valid(p),
                Ok(Found::Newer {
                    format_version,
                    payload_version,
                }) => Inspection::Newer {
                    format_version,
                    payload_version,
                },
                Err(reason) => Inspection::Corrupt(reason),
            },
        })
    }

    /// Size and time of `id`'s profile file, `None` if there is none.
    pub fn file_facts(&self, id: &Identity) -> Option<FileFacts> {
        let m = self.path_of(id).symlink_metadata().ok()?;
        Some(FileFacts {
            size: m.len(),
            mtime: u64::try_from(m.mtime()).unwrap_or(0),
        })
    }

    /// The quarantined copies of `id`'s profile, sorted.
    pub fn quarantined(&self, id: &Identity) -> Result<Vec<PathBuf>, StoreError> {
        let prefix = format!("{}.quarantined.", id.file_name());
        let err = |source| StoreError::Io {
            path: self.dir().to_owned(),
            source,
        };
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.dir()).map_err(err)? {
            let entry = entry.map_err(err)?;
            if entry
                .file_name()
                .to_str()
                .is_some_and(|n| n.starts_with(&prefix))
            {
                out.push(entry.path());
            }
        }
        out.sort();
        Ok(out)
    }

    /// Deletes `id`'s profile and every quarantined copy of it, durably. Returns how many
    /// files went.
    pub fn erase(&self, id: &Identity) -> Result<usize, StoreError> {
        let mut n = usize::from(self.delete(id)?);
        for path in self.quarantined(id)? {
            // remove_file removes a quarantined symlink itself, never its target; a
            // quarantined directory goes with remove_dir_all, which does not follow links.
            let is_dir = path.symlink_metadata().is_ok_and(|m| m.is_dir());
            let removed = if is_dir {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            match removed {
                Ok(()) => n += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StoreError::Io { path, source }),
            }
        }
        atomic::sync_dir(self.dir()).map_err(|source| StoreError::Io {
            path: self.dir().to_owned(),
            source,
        })?;
        Ok(n)
    }
}
