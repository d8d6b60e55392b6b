//! Reading a profile file defensively: file type, owner and mode before content, a bounded
//! read, then container, kind and version checks.
//!
//! Invariant: nothing is read from a file that is not a regular file owned by root or the
//! daemon with no group/other bits, and never more than [`format::MAX_FILE`] + 1 bytes.

use super::format::{self, MAX_FILE};
use super::quarantine::QuarantineReason;
use super::{dir, MigrateError, Persisted, StoreError};
use nix::errno::Errno;
use std::io::{self, Read as _};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

/// What was found at a profile path.
pub(super) enum Read {
    /// No file.
    Missing,
    /// A file that must be quarantined.
    Bad(QuarantineReason),
    /// The raw bytes of a file that passed the file-level checks.
    Good(Vec<u8>),
}

/// Open and read `dir/name` if it is safe to.
pub(super) fn verified_payload(dir: &Path, name: &str) -> Result<Read, StoreError> {
    let path = dir.join(name);
    let io_err = |source| StoreError::Io {
        path: path.clone(),
        source,
    };
    // lstat first so a FIFO or device node is never opened (opening can block or have effects).
    match path.symlink_metadata() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return classify_open_error(e).map_err(io_err),
        Ok(m) if !m.file_type().is_file() => {
            return Ok(Read::Bad(QuarantineReason::NotRegularFile))
        }
        Ok(_) => {}
    }
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Read::Missing),
        Err(e) => return classify_open_error(e).map_err(io_err),
    };
    // fstat the opened file: it is what we read, whatever the path points to by now.
    let meta = file.metadata().map_err(io_err)?;
    if !meta.file_type().is_file() {
        return Ok(Read::Bad(QuarantineReason::NotRegularFile));
    }
    if !dir::owner_ok(meta.uid()) {
        return Ok(Read::Bad(QuarantineReason::WrongOwner { uid: meta.uid() }));
    }
    if meta.mode() & 0o077 != 0 {
        return Ok(Read::Bad(QuarantineReason::InsecureMode {
            mode: meta.mode() & 0o7777,
        }));
    }
    if meta.len() > MAX_FILE as u64 {
        return Ok(Read::Bad(QuarantineReason::TooLarge { size: meta.len() }));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    if let Err(e) = file.take(MAX_FILE as u64 + 1).read_to_end(&mut bytes) {
        return classify_open_error(e).map_err(io_err);
    }
    if bytes.len() > MAX_FILE {
        // It grew after the fstat.
        return Ok(Read::Bad(QuarantineReason::TooLarge {
            size: bytes.len() as u64,
        }));
    }
    Ok(Read::Good(bytes))
}

/// Errors that are the file's fault quarantine it; errors of the process or system
/// (EMFILE, ENOMEM, …) are returned: quarantining a good profile for them would be wrong.
fn classify_open_error(e: io::Error) -> Result<Read, io::Error> {
    let errno = e.raw_os_error().map(Errno::from_raw);
    match errno {
        Some(Errno::ELOOP | Errno::ENXIO | Errno::EISDIR) => {
            Ok(Read::Bad(QuarantineReason::NotRegularFile))
        }
        Some(Errno::EIO | Errno::EACCES | Errno::EPERM | Errno::EUCLEAN | Errno::EBADMSG) => {
            Ok(Read::Bad(QuarantineReason::Unreadable {
                errno: errno.map_or(0, |e| e as i32),
            }))
        }
        _ => Err(e),
    }
}

/// A payload that verified.
pub(super) enum Found<T> {
    /// At the current version.
    Current(T),
    /// Migrated from this older payload version.
    Migrated(T, u16),
    /// Written by a newer typewarden: kept as it is, never read, never overwritten.
    Newer {
        /// Container format version.
        format_version: u16,
        /// Payload schema version.
        payload_version: u16,
    },
}

/// Container → kind and version checks → deserialize or migrate.
pub(super) fn decode_profile<T: Persisted>(bytes: &[u8]) -> Result<Found<T>, QuarantineReason> {
    let d = format::decode(bytes)?;
    if d.format_version > format::FORMAT_VERSION {
        // Its layout past the header is unknown, so its kind cannot be trusted either.
        return Ok(Found::Newer {
            format_version: d.format_version,
            payload_version: d.payload_version,
        });
    }
    if d.kind != T::KIND {
        return Err(QuarantineReason::WrongKind);
    }
    if d.payload_version > T::VERSION {
        return Ok(Found::Newer {
            format_version: d.format_version,
            payload_version: d.payload_version,
        });
    }
    if d.payload_version == T::VERSION {
        // serde_json errors can quote payload text: map to a fixed reason.
        return serde_json::from_slice(d.payload)
            .map(Found::Current)
            .map_err(|_| QuarantineReason::PayloadUndecodable);
    }
    T::migrate(d.payload_version, d.payload)
        .map(|p| Found::Migrated(p, d.payload_version))
        .map_err(|_: MigrateError| QuarantineReason::MigrationFailed {
            from_version: d.payload_version,
        })
}

/// Whether the file at `dir/name` has a header of a newer version (format, or payload of
/// kind `kind` beyond `version`). Reads only the header; any problem reading it is "no":
/// then the save goes ahead as before.
pub(super) fn is_newer(dir: &Path, name: &str, kind: [u8; 4], version: u16) -> bool {
    let flags = nix::fcntl::OFlag::O_NOFOLLOW | nix::fcntl::OFlag::O_NONBLOCK;
    let Ok(file) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits())
        .open(dir.join(name))
    else {
        return false;
    };
    if !file.metadata().is_ok_and(|m| m.file_type().is_file()) {
        return false;
    }
    let mut h = [0u8; format::HEADER_LEN];
    if file.take(h.len() as u64).read_exact(&mut h).is_err() || h[0..6] != format::MAGIC {
        return false;
    }
    let format_version = u16::from_le_bytes([h[6], h[7]]);
    let payload_version = u16::from_le_bytes([h[12], h[13]]);
    format_version > format::FORMAT_VERSION
        || (format_version == format::FORMAT_VERSION
            && h[8..12] == kind
            && payload_version > version)
}
