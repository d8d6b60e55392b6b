//! The on-disk profile container (pure: bytes in, bytes out).
//!
//! Layout, little-endian, [`HEADER_LEN`] bytes of header then the payload:
//!
//! | offset | size | field |
//! |-------:|-----:|-------|
//! | 0  | 6 | magic `TWPROF` |
//! | 6  | 2 | container format version ([`FORMAT_VERSION`]) |
//! | 8  | 4 | payload kind (four ASCII bytes chosen by the payload type) |
//! | 12 | 2 | payload schema version |
//! | 14 | 4 | payload length |
//! | 18 | 4 | CRC-32 (IEEE) of bytes 0..18 followed by the payload |
//!
//! The checksum covers the header too, so a flipped bit in the kind, version or length is
//! caught even when it yields another plausible value. CRC-32 guards against torn or rotted
//! files, not against a forger: whoever can write the 0700 root-owned state directory is
//! root already. Invariant: [`decode`] accepts exactly what [`encode`] wrote, and files of
//! a newer format version that keep this header (the forward-compatibility contract).

use super::quarantine::QuarantineReason;

/// File magic.
pub const MAGIC: [u8; 6] = *b"TWPROF";
/// The container format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Header length in bytes.
pub const HEADER_LEN: usize = 22;
/// Largest payload accepted (profiles hold aggregated timing statistics only).
pub const MAX_PAYLOAD: usize = 256 * 1024;
/// Largest file accepted.
pub const MAX_FILE: usize = HEADER_LEN + MAX_PAYLOAD;

/// A payload as found in a valid container.
#[derive(Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Container format version: [`FORMAT_VERSION`], or newer (written by a later
    /// typewarden: the caller keeps such a file and does not read its payload).
    pub format_version: u16,
    /// Payload kind tag.
    pub kind: [u8; 4],
    /// Payload schema version.
    pub payload_version: u16,
    /// The payload bytes.
    pub payload: &'a [u8],
}

/// Wrap `payload` in a container. The caller bounds the payload by [`MAX_PAYLOAD`].
pub fn encode(kind: [u8; 4], payload_version: u16, payload: &[u8]) -> Vec<u8> {
    debug_assert!(payload.len() <= MAX_PAYLOAD);
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&kind);
    out.extend_from_slice(&payload_version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let crc = checksum(&out, payload);
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(payload);
    out
}

/// Check and unwrap a container. Every failure names a [`QuarantineReason`].
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, QuarantineReason> {
    if bytes.len() < HEADER_LEN {
        // A short file that is not even a prefix of our magic is a stranger, not a torn write.
        let n = bytes.len().min(MAGIC.len());
        return Err(if bytes[..n] == MAGIC[..n] {
            QuarantineReason::Truncated
        } else {
            QuarantineReason::BadMagic
        });
    }
    if bytes[0..6] != MAGIC {
        return Err(QuarantineReason::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[6], bytes[7]]);
    // Older than the first format: never written by any typewarden. A newer version is
    // checked like ours: every later format keeps this 22-byte header (magic, version,
    // kind, payload version, length, CRC of header and payload), so a flipped bit in the
    // version field is still caught by the checksum and never taken for a newer file.
    if version < FORMAT_VERSION {
        return Err(QuarantineReason::UnknownFormatVersion { version });
    }
    let kind = [bytes[8], bytes[9], bytes[10], bytes[11]];
    let payload_version = u16::from_le_bytes([bytes[12], bytes[13]]);
    let length = u32::from_le_bytes([bytes[14], bytes[15], bytes[16], bytes[17]]);
    let stored_crc = u32::from_le_bytes([bytes[18], bytes[19], bytes[20], bytes[21]]);
    if length as usize > MAX_PAYLOAD {
        return Err(QuarantineReason::LengthOutOfRange { length });
    }
    let payload = &bytes[HEADER_LEN..];
    if payload.len() < length as usize {
        return Err(QuarantineReason::Truncated);
    }
    if payload.len() > length as usize {
        return Err(QuarantineReason::TrailingBytes);
    }
    if checksum(&bytes[..18], payload) != stored_crc {
        return Err(QuarantineReason::ChecksumMismatch);
    }
    Ok(Decoded {
        format_version: version,
        kind,
        payload_version,
        payload,
    })
}

fn checksum(header: &[u8], payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(header);
    h.update(payload);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: [u8; 4] = *b"TEST";

    #[test]
    fn round_trip() {
        let bytes = encode(KIND, 7, b"{\"a\":1}");
        let d = decode(&bytes).unwrap();
        assert_eq!(
            (d.kind, d.payload_version, d.payload),
            (KIND, 7, &b"{\"a\":1}"[..])
        );
        assert_eq!(decode(&encode(KIND, 0, b"")).unwrap().payload, b"");
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let bytes = encode(KIND, 3, b"payload bytes of a profile");
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(decode(&b).is_err(), "bit {i} flipped unnoticed");
        }
    }

    #[test]
    fn every_truncation_is_detected() {
        let bytes = encode(KIND, 3, b"payload bytes of a profile");
        for n in 0..bytes.len() {
            assert!(decode(&bytes[..n]).is_err(), "truncation to {n} unnoticed");
        }
        assert_eq!(decode(&bytes[..5]), Err(QuarantineReason::Truncated));
        assert_eq!(
            decode(&bytes[..HEADER_LEN + 2]),
            Err(QuarantineReason::Truncated)
        );
    }

    #[test]
    fn header_fields_are_classified() {
        let good = encode(KIND, 3, b"xyz");
        let mut b = good.clone();
        b[0] = b'X';
        assert_eq!(decode(&b), Err(QuarantineReason::BadMagic));
        assert_eq!(decode(b"hello"), Err(QuarantineReason::BadMagic));
        let mut b = good.clone();
        b[6..8].copy_from_slice(&0u16.to_le_bytes());
        assert_eq!(
            decode(&b),
            Err(QuarantineReason::UnknownFormatVersion { version: 0 })
        );
        // A newer version must carry a matching checksum, or it is a flipped bit.
        let mut b = good.clone();
        b[6..8].copy_from_slice(&2u16.to_le_bytes());
        assert_eq!(decode(&b), Err(QuarantineReason::ChecksumMismatch));
        let mut b = good.clone();
        b[14..18].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            decode(&b),
            Err(QuarantineReason::LengthOutOfRange { length: u32::MAX })
        );
        let mut b = good.clone();
        b.push(0);
        assert_eq!(decode(&b), Err(QuarantineReason::TrailingBytes));
        let mut b = good;
        *b.last_mut().unwrap() ^= 0x80;
        assert_eq!(decode(&b), Err(QuarantineReason::ChecksumMismatch));
    }
}
