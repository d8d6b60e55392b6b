//! The profile as the store persists it: the keystroke profile and the pointer profile of
//! one identity, in one checksummed file.
//!
//! Owns: [`StoredProfile`], the [`Persisted`] payload (kind `KSDP`), its schema version and
//! the migration from older versions. Validation runs while decoding, so a file whose
//! statistics are out of range is quarantined by the store like any other corruption
//! (issue 5), never loaded.
//!
//! Payload versions:
//! - 1: the first engine's keystroke [`ProfileFile`] alone (typewarden 0.1 before issues 4
//!   and 8);
//! - 2: `{"keys": ProfileFile, "pointer": PointerProfileFile}`, keys at the engine's
//!   [`PROFILE_VERSION`](crate::engine::profile::PROFILE_VERSION) 2.
//!
//! A version 1 file migrates by keeping its keystroke statistics (the engine recalibrates
//! them for its current score, see [`crate::engine::wire::migrate`]) and starting the pointer
//! profile in training. Nothing is thrown away and no one is falsely locked on a mis-scaled
//! score; the price is a short recalibration (a few hundred keystrokes) after the upgrade.

use crate::engine::pointer::wire::{PointerProfileError, PointerProfileFile};
use crate::engine::pointer::PointerProfile;
use crate::engine::wire::{ProfileError, ProfileFile};
use crate::engine::Profile;
use crate::store::{MigrateError, Persisted};
use serde::{Deserialize, Serialize};

/// The payload schema version this build writes.
pub const STORED_PROFILE_VERSION: u16 = 2;

/// A validated keystroke + pointer profile on its way to or from disk.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "StoredFile", into = "StoredFile")]
pub struct StoredProfile {
    /// Keystroke timing.
    pub keys: Profile,
    /// Pointer dynamics.
    pub pointer: PointerProfile,
}

impl From<Profile> for StoredProfile {
    /// A keystroke profile with a pointer profile in training.
    fn from(keys: Profile) -> Self {
        Self {
            keys,
            pointer: PointerProfile::new(),
        }
    }
}

/// The version 2 payload.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredFile {
    keys: ProfileFile,
    pointer: PointerProfileFile,
}

/// Why a stored profile was rejected.
#[derive(Debug, thiserror::Error)]
pub enum StoredProfileError {
    /// The keystroke part.
    #[error(transparent)]
    Keys(#[from] ProfileError),
    /// The pointer part.
    #[error(transparent)]
    Pointer(#[from] PointerProfileError),
}

impl TryFrom<StoredFile> for StoredProfile {
    type Error = StoredProfileError;

    fn try_from(f: StoredFile) -> Result<Self, StoredProfileError> {
        Ok(Self {
            keys: Profile::try_from(&f.keys)?,
            pointer: PointerProfile::try_from(&f.pointer)?,
        })
    }
}

impl From<StoredProfile> for StoredFile {
    fn from(p: StoredProfile) -> Self {
        StoredFile {
            keys: ProfileFile::from(&p.keys),
            pointer: PointerProfileFile::from(&p.pointer),
        }
    }
}

impl Persisted for StoredProfile {
    const KIND: [u8; 4] = *b"KSDP";
    const VERSION: u16 = STORED_PROFILE_VERSION;

    fn migrate(version: u16, payload: &[u8]) -> Result<Self, MigrateError> {
        match version {
            // The first engine's keystroke profile alone: its statistics are kept and it
            // recalibrates (engine::wire::migrate); the pointer profile starts in training.
            1 => crate::engine::wire::migrate(1, payload)
                .map(StoredProfile::from)
                .map_err(|_| MigrateError::Undecodable),
            v => Err(MigrateError::Unsupported(v)),
        }
    }
}
