//! The profile store: one crash-safe, checksummed file per identity in the state directory.
//!
//! Owns the state directory and the files in it. Invariants:
//! - the directory is a 0700 non-symlink owned by root or the daemon (`dir.rs`);
//! - a save replaces a profile atomically and durably (`atomic.rs`): after any crash the
//!   file holds the old or the new profile in full;
//! - a load either returns a verified profile, reports it missing, or quarantines the file
//!   (`quarantine.rs`) and says why: a bad file never crashes the daemon, is never deleted,
//!   and never blocks enrollment from restarting; a file of a newer version is not
//!   corrupt: it is kept as it is and never overwritten;
//! - nothing here logs, and errors name paths and OS errors, never file content.
//!
//! Saves are meant for periodic, shutdown and sleep paths, never the keystroke path; the
//! daemon makes them through [`SaveQueue`] (`writer.rs`), one thread doing the disk work.

mod admin;
mod atomic;
mod dir;
mod format;
mod identity;
mod quarantine;
mod read;
mod writer;

pub use admin::{FileFacts, Inspection};
pub use atomic::SaveStep;
pub use dir::{default_state_dir, Persistence, DEFAULT_STATE_DIR};
pub use format::{FORMAT_VERSION, MAX_PAYLOAD};
pub use identity::{Identity, IdentityError, MAX_NAME_BYTES};
pub use quarantine::QuarantineReason;
pub use writer::{Flusher, SaveQueue, Saved};

use serde::{de::DeserializeOwned, Serialize};
use std::path::{Path, PathBuf};

/// A type the store can persist. The store is generic so that it does not depend on the
/// engine's profile type; the payload is JSON inside the checksummed container.
pub trait Persisted: Serialize + DeserializeOwned {
    /// Four ASCII bytes naming the payload type; a file of another kind is quarantined.
    const KIND: [u8; 4];
    /// The payload schema version [`Store::save`] writes.
    const VERSION: u16;
    /// Build a current value from a payload written at an older schema version
    /// (`version < VERSION`), so an upgrade keeps users protected (issue 6). Return
    /// [`MigrateError`] for versions that cannot be migrated: the file is then quarantined.
    fn migrate(version: u16, payload: &[u8]) -> Result<Self, MigrateError>;
}

/// A migration that could not be done. Carries no payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MigrateError {
    /// No migration path from this version.
    #[error("no migration from payload version {0}")]
    Unsupported(u16),
    /// The old payload does not parse as that version.
    #[error("payload does not parse as its declared version")]
    Undecodable,
}

/// The result of [`Store::load`].
#[derive(Debug)]
pub enum LoadOutcome<T> {
    /// A verified profile at the current version.
    Loaded(T),
    /// A verified profile migrated from an older payload version; the caller should save it
    /// (the store never writes on load).
    Migrated {
        /// The migrated profile.
        profile: T,
        /// The payload version found on disk.
        from_version: u16,
    },
    /// No profile: enrollment starts.
    Missing,
    /// A newer typewarden wrote the file (a downgrade): it is kept untouched and never
    /// overwritten ([`Store::save`] refuses); the caller does not score this identity.
    Newer {
        /// Container format version found.
        format_version: u16,
        /// Payload schema version found.
        payload_version: u16,
    },
    /// The file was moved aside; the caller audits it and restarts enrollment.
    Quarantined {
        /// Why.
        reason: QuarantineReason,
        /// Where the file is now.
        quarantined_path: PathBuf,
    },
}

/// Store errors: problems of the store itself, not of a profile file (those quarantine).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An I/O error on a path.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state directory is not safe to keep biometric templates in.
    #[error("state directory {path} {problem}; refusing to use it")]
    UnsafeStateDir {
        /// The directory.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A save failed; the previous profile (if any) is intact unless `step` is `SyncDir`.
    #[error("saving {path} failed while {step}: {source}")]
    Save {
        /// The profile path.
        path: PathBuf,
        /// The failed step.
        step: SaveStep,
        /// The OS error.
        source: std::io::Error,
    },
    /// The serialized profile is larger than the format allows.
    #[error("profile for {identity} is {size} bytes, over the {MAX_PAYLOAD}-byte limit")]
    TooLarge {
        /// Whose profile.
        identity: Identity,
        /// Its serialized size.
        size: usize,
    },
    /// The profile failed to serialize.
    #[error("profile for {identity} does not serialize")]
    Serialize {
        /// Whose profile.
        identity: Identity,
    },
    /// The file was written by a newer typewarden; it is not overwritten (issue 6: an
    /// upgrade, or a rollback, never destroys a profile).
    #[error("{path} was written by a newer typewarden; not overwriting it")]
    NewerVersion {
        /// The profile path.
        path: PathBuf,
    },
    /// A corrupt file could not be moved aside.
    #[error("cannot quarantine {path} ({reason}): {source}")]
    Quarantine {
        /// The file.
        path: PathBuf,
        /// Why it was to be quarantined.
        reason: QuarantineReason,
        /// The OS error.
        source: std::io::Error,
    },
}

/// An open state directory.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    persistence: Persistence,
    removed_temps: usize,
}

impl Store {
    /// Open (creating if needed) the state directory, check it, and remove temp files of
    /// interrupted saves.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        dir::prepare(dir)?;
        let removed_temps = dir::remove_stale_temps(dir)?;
        Ok(Store {
            dir: dir.to_owned(),
            persistence: dir::persistence(dir)?,
            removed_temps,
        })
    }

    /// The state directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether profiles survive a reboot.
    pub fn persistence(&self) -> Persistence {
        self.persistence
    }

    /// How many temp files of interrupted saves [`Store::open`] removed.
    pub fn removed_temps(&self) -> usize {
        self.removed_temps
    }

    /// The path of an identity's profile.
    pub fn path_of(&self, id: &Identity) -> PathBuf {
        self.dir.join(id.file_name())
    }

    /// Load and verify an identity's profile, quarantining the file if it cannot be trusted.
    pub fn load<T: Persisted>(&self, id: &Identity) -> Result<LoadOutcome<T>, StoreError> {
        let name = id.file_name();
        let reason = match read::verified_payload(&self.dir, &name)? {
            read::Read::Missing => return Ok(LoadOutcome::Missing),
            read::Read::Bad(reason) => reason,
            read::Read::Good(bytes) => match read::decode_profile::<T>(&bytes) {
                Ok(read::Found::Current(profile)) => return Ok(LoadOutcome::Loaded(profile)),
                Ok(read::Found::Migrated(profile, from_version)) => {
                    return Ok(LoadOutcome::Migrated {
                        profile,
                        from_version,
                    })
                }
                Ok(read::Found::Newer {
                    format_version,
                    payload_version,
                }) => {
                    return Ok(LoadOutcome::Newer {
                        format_version,
                        payload_version,
                    })
                }
                Err(reason) => reason,
            },
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        match quarantine::move_aside(&self.dir, &name, now) {
            Ok(quarantined_path) => {
                // Make the move durable so a reboot does not resurrect the bad file.
                let _ = atomic::sync_dir(&self.dir);
                Ok(LoadOutcome::Quarantined {
                    reason,
                    quarantined_path,
                })
            }
            Err(source) => Err(StoreError::Quarantine {
                path: self.dir.join(&name),
                reason,
                source,
            }),
        }
    }

    /// Save a profile atomically. On error the previous file is intact (see [`SaveStep`]).
    pub fn save<T: Persisted>(&self, id: &Identity, profile: &T) -> Result<(), StoreError> {
        let payload = serde_json::to_vec(profile).map_err(|_| StoreError::Serialize {
            identity: id.clone(),
        })?;
        if payload.len() > MAX_PAYLOAD {
            return Err(StoreError::TooLarge {
                identity: id.clone(),
                size: payload.len(),
            });
        }
        let bytes = format::encode(T::KIND, T::VERSION, &payload);
        let name = id.file_name();
        if read::is_newer(&self.dir, &name, T::KIND, T::VERSION) {
            return Err(StoreError::NewerVersion {
                path: self.dir.join(&name),
            });
        }
        atomic::replace(&self.dir, &name, &bytes).map_err(|(step, source)| StoreError::Save {
            path: self.dir.join(&name),
            step,
            source,
        })
    }

    /// Identities that have a profile file (valid or not: loading decides), sorted.
    pub fn list(&self) -> Result<Vec<Identity>, StoreError> {
        let err = |source| StoreError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut ids = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(err)? {
            let entry = entry.map_err(err)?;
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(Identity::from_file_name)
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Delete an identity's profile durably (self-service erasure, admin reset). Returns
    /// whether there was one. Quarantined copies are kept for the admin.
    pub fn delete(&self, id: &Identity) -> Result<bool, StoreError> {
        let path = self.path_of(id);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(source) => return Err(StoreError::Io { path, source }),
        }
        atomic::sync_dir(&self.dir).map_err(|source| StoreError::Io {
            path: self.dir.clone(),
            source,
        })?;
        Ok(true)
    }
}
