//! Recorded evdev traces parsed into the core's decoded events.
//!
//! Owns: the [`Trace`] model, format detection, bounded file loading, and one parser per
//! recorder format (see `shared/docs/trace-formats.md`):
//! - [`Format::Evemu`]: evemu description (`N:/I:/P:/B:/A:/L:/S:`) and/or `E:` event lines;
//! - [`Format::LibinputRecord`]: `libinput record` YAML, one [`TraceDevice`] per device;
//! - [`Format::Evtest`]: evtest text dumps, header optional, anchored on `Event: time`;
//! - [`Format::UmockdevScript`]: umockdev `*.script.64` read blocks of raw 24-byte events.
//!
//! Invariants:
//! - Parsing is pure ([`parse`]); only [`load`] does I/O, reads regular files only and at most
//!   [`MAX_TRACE_BYTES`].
//! - No input panics: this module denies indexing, unchecked arithmetic, `unwrap`/`expect`,
//!   and a loop test feeds random, truncated and mutated files to every parser.
//! - Errors never quote the file's content (see [`TraceError`]).
//! - Timestamps are kept exactly as recorded (µs); each device states its [`ClockDomain`],
//!   and times from different files must never be compared.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod error;
mod evemu;
mod evtest;
mod libinput;
mod text;
mod umockdev;
mod yaml;

pub use error::TraceError;

use crate::core::caps::Capabilities;
use crate::core::event::RawEvent;
use error::Bad;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Largest trace [`load`] accepts (64 MiB); real recordings are kilobytes to a few MiB.
pub const MAX_TRACE_BYTES: u64 = 64 << 20;

/// A recorder's file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// evemu-record / evemu-describe output (`.events`, `.evemu`, `.desc`, `.prop`, …).
    Evemu,
    /// `libinput record` YAML.
    LibinputRecord,
    /// evtest's text output.
    Evtest,
    /// umockdev `*.script.64` (LP64 `struct input_event` read blocks).
    UmockdevScript,
}

impl Format {
    /// Every format, in detection order.
    pub const ALL: [Format; 4] = [
        Format::Evemu,
        Format::LibinputRecord,
        Format::Evtest,
        Format::UmockdevScript,
    ];

    /// The name accepted by [`str::parse`] and shown by `Display`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Evemu => "evemu",
            Format::LibinputRecord => "libinput",
            Format::Evtest => "evtest",
            Format::UmockdevScript => "umockdev",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or("unknown trace format (expected evemu, libinput, evtest or umockdev)")
    }
}

/// What a device's `time_us` values are relative to (trace-formats.md §0 "Harness rule").
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockDomain {
    /// `CLOCK_REALTIME` epoch stamps (evtest, ChromeOS evemu files, old kernels).
    RealtimeEpoch,
    /// The recorder subtracted the first event's time (evemu-record, single-device libinput).
    RelativeToFirstEvent,
    /// Offset is the recording start, shared by all devices of the file (multi-device libinput).
    RelativeToRecordingStart,
    /// No events, or stamps of an unknown clock (e.g. small monotonic stamps in a raw dump).
    Unknown,
}

/// One recorded event node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceDevice {
    /// The recorded description, if the file has one.
    pub description: Option<Capabilities>,
    /// Events in file order, timestamps as recorded.
    pub events: Vec<RawEvent>,
    /// What the timestamps are relative to.
    pub clock: ClockDomain,
}

/// A parsed trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    /// The file, as given (for reports).
    pub path: PathBuf,
    /// The format it was parsed as.
    pub format: Format,
    /// One entry per recorded node; evemu, evtest and umockdev files have exactly one.
    pub devices: Vec<TraceDevice>,
}

/// Reads and parses `path`, detecting the format from its content.
pub fn load(path: &Path) -> Result<Trace, TraceError> {
    load_as(path, None)
}

/// Reads and parses `path` as `format`, or detects it when `None`. Only regular files are
/// read (a FIFO or device node is refused without blocking) and at most [`MAX_TRACE_BYTES`].
pub fn load_as(path: &Path, format: Option<Format>) -> Result<Trace, TraceError> {
    let io = |source| TraceError::Io {
        file: path.to_path_buf(),
        source,
    };
    let whole = |what| TraceError::File {
        file: path.to_path_buf(),
        what,
    };
    // O_NONBLOCK so that opening a FIFO cannot hang; fstat then decides on the opened file.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(whole("not a regular file"));
    }
    let too_large = whole("larger than the 64 MiB trace limit");
    if meta.len() > MAX_TRACE_BYTES {
        return Err(too_large);
    }
    let mut bytes = Vec::new();
    file.take(MAX_TRACE_BYTES.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).map_or(true, |n| n > MAX_TRACE_BYTES) {
        return Err(too_large);
    }
    parse_as(path, &bytes, format)
}

const UNKNOWN_FORMAT: &str =
    "not a recognised trace format (evemu, libinput record, evtest, umockdev script)";

/// Parses file content, detecting the format. `path` is only used in errors and the result.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Trace, TraceError> {
    parse_as(path, bytes, None)
}

/// Parses file content as `format`, or detects it when `None`.
pub fn parse_as(path: &Path, bytes: &[u8], format: Option<Format>) -> Result<Trace, TraceError> {
    let fail = |bad: Bad| bad.into_error(path.to_path_buf());
    let bytes = without_bom(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(Bad::file("empty file")));
    }
    let format = match format.or_else(|| detect(bytes)) {
        Some(f) => f,
        None if is_binary(bytes) => return Err(fail(Bad::file("binary content, not a trace"))),
        None => return Err(fail(Bad::file(UNKNOWN_FORMAT))),
    };
    let text = || String::from_utf8_lossy(bytes);
    let devices = match format {
        Format::UmockdevScript => umockdev::parse(bytes),
        _ if is_binary(bytes) => Err(Bad::file("binary content, not a text trace")),
        Format::Evemu => evemu::parse(&text()),
        Format::LibinputRecord => libinput::parse(&text()),
        Format::Evtest => evtest::parse(&text()),
    }
    .map_err(fail)?;
    Ok(Trace {
        path: path.to_path_buf(),
        format,
        devices,
    })
}

/// Guesses the format from content (extensions are ignored: ChromeOS recordings have none).
pub fn detect(bytes: &[u8]) -> Option<Format> {
    let bytes = without_bom(bytes);
    if umockdev::looks_like(bytes) {
        return Some(Format::UmockdevScript);
    }
    if is_binary(bytes) {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    let mut significant = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = significant.next()?;
    if first.starts_with("# EVEMU") {
        return Some(Format::Evemu);
    }
    if first == "# libinput record" {
        return Some(Format::LibinputRecord);
    }
    let content = std::iter::once(first)
        .chain(significant)
        .find(|l| !l.starts_with('#'))?;
    if content.starts_with("version:") {
        Some(Format::LibinputRecord)
    } else if evemu::looks_like(content) {
        Some(Format::Evemu)
    } else if text.lines().any(evtest::is_anchor) {
        Some(Format::Evtest)
    } else {
        None
    }
}

/// A UTF-8 byte-order mark (left by some Windows editors) is not content.
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// Control bytes other than tab, CR and LF never occur in the text formats.
fn is_binary(bytes: &[u8]) -> bool {
    bytes
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
}

/// Stamps from 2001 on (≥ 1e9 s) are wall-clock epoch times; recorders that rebase produce
/// seconds since the first event or the recording start, never anything that large.
pub(crate) fn epoch_or(events: &[RawEvent], otherwise: ClockDomain) -> ClockDomain {
    match events.first() {
        None => ClockDomain::Unknown,
        Some(e) if e.time_us >= 1_000_000_000_000_000 => ClockDomain::RealtimeEpoch,
        Some(_) => otherwise,
    }
}
