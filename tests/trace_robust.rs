//! No input makes a trace parser panic: random bytes (plain and built from each format's
//! alphabet), every real trace truncated at many points, and real traces with random byte
//! edits, fed to format detection and to each of the four parsers explicitly.
//!
//! A deterministic xorshift generator keeps failures reproducible; a panic fails the test
//! and the printed case (seed, file, cut or edit) identifies the input.

mod common;

use std::path::{Path, PathBuf};
use typewarden::trace::{parse, parse_as, Format};

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Feeds `bytes` to detection and to every parser; errors must name the file.
fn feed(bytes: &[u8], case: &dyn Fn() -> String) {
    let path = Path::new("fuzz");
    let outcome = std::panic::catch_unwind(|| {
        let mut results = vec![parse(path, bytes)];
        results.extend(Format::ALL.map(|f| parse_as(path, bytes, Some(f))));
        for r in results {
            if let Err(e) = r {
                assert!(e.to_string().starts_with("fuzz"), "{e}");
            }
        }
    });
    if outcome.is_err() {
        panic!("parser panicked on {}", case());
    }
}

/// Text shaped like each format, so random inputs reach past the first line.
const ALPHABETS: [&[u8]; 4] = [
    b"# EVEMU 1.3\nNIPBALSE: 0123456789abcdefx.-+#\t ",
    b"version: 1\ndevices:\n- evdev: events: name: id: codes: [0, 1, 2]\"#{}\t ",
    b"Event: time 1.000001, type 4 (EV_MSC), code 4 (MSC_SCAN), value 7001e\n> --SYN_REPORT\t",
    b"r 10 ^@^A^`^^^\xff\xfe w f Q\n\r",
];

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for i in 0..4000 {
        let len = rng.below(600);
        let alphabet = ALPHABETS.get(i % 5).copied();
        let bytes: Vec<u8> = (0..len)
            .map(|_| match alphabet {
                Some(a) => a[rng.below(a.len())],
                None => rng.next() as u8,
            })
            .collect();
        feed(&bytes, &|| format!("random case {i}: {bytes:?}"));
    }
}

fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(common::fixture(""))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    if let Some(dir) = common::shared_dir("traces") {
        for group in std::fs::read_dir(dir).unwrap() {
            let group = group.unwrap().path();
            if group.is_dir() {
                files.extend(std::fs::read_dir(group).unwrap().map(|e| e.unwrap().path()));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn truncated_real_files_never_panic() {
    for file in corpus() {
        let bytes = std::fs::read(&file).unwrap();
        // Every one of the first 64 cuts, then evenly spread cuts: up to 300 for small files,
        // fewer for large ones so that the test stays quick in debug builds.
        let spread = (2_000_000 / bytes.len().max(1)).clamp(20, 300);
        let step = (bytes.len() / spread).max(1);
        let cuts = (0..bytes.len().min(64)).chain((0..bytes.len()).step_by(step));
        for cut in cuts {
            feed(&bytes[..cut], &|| {
                format!("{} cut at {cut}", file.display())
            });
        }
    }
}

#[test]
fn mutated_real_files_never_panic() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    const SPECIAL: &[u8] = b"\0\n\t ^`[]:#-.,\"\xff0123456789";
    for file in corpus() {
        let original = std::fs::read(&file).unwrap();
        if original.is_empty() {
            continue;
        }
        let rounds = match original.len() {
            0..=20_000 => 150,
            20_001..=100_000 => 40,
            _ => 10,
        };
        for round in 0..rounds {
            let mut bytes = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(bytes.len().max(1));
                let b = if rng.below(2) == 0 {
                    SPECIAL[rng.below(SPECIAL.len())]
                } else {
                    rng.next() as u8
                };
                match rng.below(3) {
                    0 if at < bytes.len() => bytes[at] = b,
                    1 => bytes.insert(at.min(bytes.len()), b),
                    _ if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => {}
                }
            }
            feed(&bytes, &|| {
                format!("{} mutation round {round}", file.display())
            });
        }
    }
}
