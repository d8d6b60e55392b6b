//! Why a profile file could not be trusted, and moving it aside.
//!
//! Invariant: a quarantined file is renamed, never deleted or rewritten, so an admin can
//! inspect or restore it; its new name (`<name>.quarantined.<unix-time>[.<n>]`) is not a
//! profile name, so [`super::Identity::from_file_name`] and the loader never see it again.
//! Reasons carry numbers and fixed tokens only: never bytes from the file.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Why a file was quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineReason {
    /// A symlink, directory, FIFO, socket or device in place of the profile.
    NotRegularFile,
    /// Owned by neither root nor the daemon's effective uid.
    WrongOwner {
        /// The file's owner.
        uid: u32,
    },
    /// Group or other permission bits set: the profile may have leaked or been planted.
    InsecureMode {
        /// The file's permission bits.
        mode: u32,
    },
    /// The kernel refused to read it (EIO, EACCES, …).
    Unreadable {
        /// The OS error number.
        errno: i32,
    },
    /// Larger than the format allows.
    TooLarge {
        /// The file size in bytes.
        size: u64,
    },
    /// Shorter than its header or its length field says (torn write, zero length).
    Truncated,
    /// Longer than its length field says.
    TrailingBytes,
    /// Not a typewarden profile container.
    BadMagic,
    /// A container version this build does not know (written by a newer typewarden).
    UnknownFormatVersion {
        /// The version found.
        version: u16,
    },
    /// A length field beyond the format's limit.
    LengthOutOfRange {
        /// The length found.
        length: u32,
    },
    /// Header or payload does not match its checksum.
    ChecksumMismatch,
    /// A container holding another payload type.
    WrongKind,
    /// A payload schema newer than this build knows.
    FuturePayloadVersion {
        /// The version found.
        version: u16,
    },
    /// The payload passed the checksum yet does not deserialize.
    PayloadUndecodable,
    /// An older payload version whose migration failed.
    MigrationFailed {
        /// The version found.
        from_version: u16,
    },
}

impl QuarantineReason {
    /// A fixed snake_case token for audit fields and metrics.
    pub fn as_str(&self) -> &'static str {
        match self {
            QuarantineReason::NotRegularFile => "not_regular_file",
            QuarantineReason::WrongOwner { .. } => "wrong_owner",
            QuarantineReason::InsecureMode { .. } => "insecure_mode",
            QuarantineReason::Unreadable { .. } => "unreadable",
            QuarantineReason::TooLarge { .. } => "too_large",
            QuarantineReason::Truncated => "truncated",
            QuarantineReason::TrailingBytes => "trailing_bytes",
            QuarantineReason::BadMagic => "bad_magic",
            QuarantineReason::UnknownFormatVersion { .. } => "unknown_format_version",
            QuarantineReason::LengthOutOfRange { .. } => "length_out_of_range",
            QuarantineReason::ChecksumMismatch => "checksum_mismatch",
            QuarantineReason::WrongKind => "wrong_kind",
            QuarantineReason::FuturePayloadVersion { .. } => "future_payload_version",
            QuarantineReason::PayloadUndecodable => "payload_undecodable",
            QuarantineReason::MigrationFailed { .. } => "migration_failed",
        }
    }
}

impl fmt::Display for QuarantineReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuarantineReason::WrongOwner { uid } => write!(f, "owned by uid {uid}"),
            QuarantineReason::InsecureMode { mode } => write!(f, "mode {mode:04o}"),
            QuarantineReason::Unreadable { errno } => {
                write!(f, "unreadable: {}", io::Error::from_raw_os_error(*errno))
            }
            QuarantineReason::TooLarge { size } => write!(f, "{size} bytes is too large"),
            QuarantineReason::UnknownFormatVersion { version } => {
                write!(f, "unknown container format version {version}")
            }
            QuarantineReason::LengthOutOfRange { length } => {
                write!(f, "length field {length} out of range")
            }
            QuarantineReason::FuturePayloadVersion { version } => {
                write!(f, "payload version {version} is newer than this build")
            }
            QuarantineReason::MigrationFailed { from_version } => {
                write!(f, "migration from payload version {from_version} failed")
            }
            other => f.write_str(&other.as_str().replace('_', " ")),
        }
    }
}

/// Rename `dir/name` to `dir/name.quarantined.<unix_time>` (or `….<n>` when that exists) and
/// return the new path. The directory is 0700 and ours, so the existence check cannot race
/// with another user.
pub fn move_aside(dir: &Path, name: &str, unix_time: u64) -> io::Result<PathBuf> {
    let base = format!("{name}.quarantined.{unix_time}");
    for n in 0..100u32 {
        let target = dir.join(if n == 0 {
            base.clone()
        } else {
            format!("{base}.{n}")
        });
        if target.symlink_metadata().is_ok() {
            continue;
        }
        // rename() moves a symlink or directory itself, never what it points to.
        std::fs::rename(dir.join(name), &target)?;
        return Ok(target);
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "100 quarantined copies with the same timestamp",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_render_without_content() {
        assert_eq!(
            QuarantineReason::ChecksumMismatch.to_string(),
            "checksum mismatch"
        );
        assert_eq!(
            QuarantineReason::InsecureMode { mode: 0o644 }.to_string(),
            "mode 0644"
        );
        assert_eq!(
            QuarantineReason::WrongOwner { uid: 12345 }.as_str(),
            "wrong_owner"
        );
    }

    #[test]
    fn move_aside_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p"), "one").unwrap();
        let first = move_aside(dir.path(), "p", 42).unwrap();
        std::fs::write(dir.path().join("p"), "two").unwrap();
        let second = move_aside(dir.path(), "p", 42).unwrap();
        assert_eq!(first.file_name().unwrap(), "p.quarantined.42");
        assert_eq!(second.file_name().unwrap(), "p.quarantined.42.1");
        assert_eq!(std::fs::read_to_string(first).unwrap(), "one");
        assert_eq!(std::fs::read_to_string(second).unwrap(), "two");
        assert!(!dir.path().join("p").exists());
    }
}
