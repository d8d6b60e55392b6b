//! Test helpers shared by integration tests.
//!
//! `caps_from_description` is a deliberately minimal reader of evemu `N:`/`I:`/`B:` lines,
//! private to the tests, until the real trace parser (`typewarden::trace`) lands; the lead
//! switches these tests to it at merge.
#![allow(dead_code)]

use std::path::PathBuf;
use typewarden::core::caps::{Capabilities, CodeBits, InputId};

/// Where shared traces live: `TYPEWARDEN_TRACES`, else `<crate>/../shared/traces`. `None`
/// (after printing why) if absent, unless `TYPEWARDEN_REQUIRE_DATA=1`, which panics.
pub fn traces_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("TYPEWARDEN_TRACES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/traces"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("TYPEWARDEN_REQUIRE_DATA").as_deref() != Ok("1"),
        "traces missing at {}",
        dir.display()
    );
    println!("skipping: no shared traces at {}", dir.display());
    None
}

/// Builds [`Capabilities`] from the `N:`, `I:` and `B:` lines of an evemu description.
pub fn caps_from_description(text: &str) -> Capabilities {
    let mut caps = Capabilities::default();
    let mut maps: [Vec<u8>; 5] = Default::default(); // types, key, rel, abs, (unused)
    for line in text.lines() {
        if let Some(n) = line.strip_prefix("N: ") {
            caps.name = n.trim().to_string();
        } else if let Some(i) = line.strip_prefix("I: ") {
            let v: Vec<u16> = i
                .split_whitespace()
                .map(|x| u16::from_str_radix(x, 16).unwrap())
                .collect();
            caps.id = InputId {
                bus: v[0],
                vendor: v[1],
                product: v[2],
                version: v[3],
            };
        } else if let Some(b) = line.strip_prefix("B: ") {
            let bytes: Vec<u8> = b
                .split_whitespace()
                .map(|x| u8::from_str_radix(x, 16).unwrap())
                .collect();
            if let Some(map) = maps.get_mut(bytes[0] as usize) {
                map.extend_from_slice(&bytes[1..]);
            }
        }
    }
    caps.types = CodeBits::from_le_bytes(&maps[0]);
    caps.keys = CodeBits::from_le_bytes(&maps[1]);
    caps.rel = CodeBits::from_le_bytes(&maps[2]);
    caps.abs = CodeBits::from_le_bytes(&maps[3]);
    caps
}
