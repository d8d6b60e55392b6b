//! A stand-in payload for store tests: the engine's profile type is not in this branch, and
//! the store is generic over any [`Persisted`] type. Version 1 is current; version 0 (a
//! single mean, see `tests/fixtures/store/README.md`) migrates.
#![allow(dead_code)]

use serde::{Deserialize, Serialize};
use typewarden::store::{MigrateError, Persisted};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestProfile {
    pub generation: u64,
    pub means_us: Vec<f64>,
    /// Every element equals `generation`: lets a reader see a torn mix of two saves.
    pub check: Vec<u64>,
}

#[derive(Deserialize)]
struct TestProfileV0 {
    generation: u64,
    mean_us: f64,
}

impl Persisted for TestProfile {
    const KIND: [u8; 4] = *b"TEST";
    const VERSION: u16 = 1;
    fn migrate(version: u16, payload: &[u8]) -> Result<Self, MigrateError> {
        match version {
            0 => {
                let v0: TestProfileV0 =
                    serde_json::from_slice(payload).map_err(|_| MigrateError::Undecodable)?;
                Ok(TestProfile {
                    generation: v0.generation,
                    means_us: vec![v0.mean_us],
                    check: vec![],
                })
            }
            v => Err(MigrateError::Unsupported(v)),
        }
    }
}

impl TestProfile {
    /// A profile of about `n * 30` bytes of JSON.
    pub fn new(generation: u64, n: usize) -> TestProfile {
        TestProfile {
            generation,
            means_us: (0..n)
                .map(|i| generation as f64 * 1.5 + i as f64 * 0.25)
                .collect(),
            check: vec![generation; n],
        }
    }

    /// Whether this is exactly what [`TestProfile::new`] makes for its generation.
    pub fn is_consistent(&self) -> bool {
        *self == TestProfile::new(self.generation, self.check.len())
    }
}

/// A container built by hand (independently of the store's encoder) for crafted files.
pub fn container(
    format_version: u16,
    kind: &[u8; 4],
    payload_version: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut out = b"TWPROF".to_vec();
    out.extend_from_slice(&format_version.to_le_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(&payload_version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(&out);
    h.update(payload);
    out.extend_from_slice(&h.finalize().to_le_bytes());
    out.extend_from_slice(payload);
    out
}
