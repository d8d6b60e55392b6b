//! The engine's profile as the store persists it.
//!
//! Owns: [`StoredProfile`], the [`Persisted`] payload: the engine's versioned, validated
//! [`ProfileFile`]. Validation runs while decoding, so a file whose statistics are out of
//! range is quarantined by the store like any other corruption (issue 5), never loaded.

use crate::engine::profile::PROFILE_VERSION;
use crate::engine::wire::{ProfileError, ProfileFile};
use crate::engine::Profile;
use crate::store::{MigrateError, Persisted};
use serde::{Deserialize, Serialize};

/// A validated engine profile on its way to or from disk.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(try_from = "ProfileFile", into = "ProfileFile")]
pub struct StoredProfile(pub Profile);

impl TryFrom<ProfileFile> for StoredProfile {
    type Error = ProfileError;

    fn try_from(f: ProfileFile) -> Result<Self, ProfileError> {
        Profile::try_from(&f).map(StoredProfile)
    }
}

impl From<StoredProfile> for ProfileFile {
    fn from(p: StoredProfile) -> Self {
        ProfileFile::from(&p.0)
    }
}

impl Persisted for StoredProfile {
    const KIND: [u8; 4] = *b"KSDP";
    // The engine's profile version is small; the cast cannot truncate while it stays < 65536.
    const VERSION: u16 = PROFILE_VERSION as u16;

    fn migrate(version: u16, payload: &[u8]) -> Result<Self, MigrateError> {
        // Version 1 (the first engine) keeps its statistics and recalibrates; nothing is
        // older.
        match version {
            1 => crate::engine::wire::migrate(1, payload)
                .map(StoredProfile)
                .map_err(|_| MigrateError::Undecodable),
            v => Err(MigrateError::Unsupported(v)),
        }
    }
}
