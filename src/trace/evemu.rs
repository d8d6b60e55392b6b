//! evemu files: optional `# EVEMU x.y` header, description lines, `E:` event lines.
//!
//! Owns: the evemu grammar as `whot/evemu` `src/evemu.c` writes and reads it
//! (trace-formats.md §1). One file is one device.
//!
//! Decisions (each more tolerant than evemu only where evemu itself is, or where the doc asks):
//! - `#` comments are accepted anywhere in every format version (1.1+ rule), since 1.0 files
//!   in the wild have none and accepting them loses nothing. `N:` is the exception: evemu
//!   reads the name to end of line (`%[^\n\r]`), so a `#` there is part of the name.
//! - The header is recognised on the first non-blank line only, as evemu does; a malformed
//!   version there is an error (evemu silently assumes 1.0, which mis-counts `A:` fields).
//! - `A:` needs 6 numbers (code, min, max, fuzz, flat, resolution) for format > 1.1 and 5
//!   (no resolution) otherwise, like evemu's `parse_abs`.
//! - Event time: 1–6 microsecond digits read as an integer, like evemu's `%06u` (see
//!   [`text::sec_dot_usec`]); the value is a signed decimal of any width.
//! - Unlike evemu, unknown or malformed lines are errors rather than skipped, and a
//!   description line after the first event is an error (one device per file).

use super::error::Bad;
use super::text::{self, before_comment, numbered_lines};
use super::{epoch_or, ClockDomain, TraceDevice};
use crate::core::caps::{Capabilities, CodeBits, InputId};
use crate::core::event::RawEvent;

/// `EV_CNT`: `B:` type indices must be below it (evemu rejects others too).
const EV_CNT: u8 = 0x20;
/// Longest bitmap kept per type: 8192 bytes cover every 16-bit code.
const MAX_BITMAP_BYTES: usize = 8192;

/// True if `line` (trimmed, not a comment) looks like an evemu line. `P: /…` is excluded: it
/// starts a umockdev sysfs dump (`*.umockdev`), whose `P:` is a devpath, not a bitmask.
pub(crate) fn looks_like(line: &str) -> bool {
    let mut chars = line.chars();
    matches!(
        chars.next(),
        Some('N' | 'I' | 'P' | 'B' | 'A' | 'L' | 'S' | 'E')
    ) && chars.next() == Some(':')
        && !line.starts_with("P: /")
}

#[derive(Default)]
struct Description {
    seen: bool,
    name: Option<String>,
    id: Option<InputId>,
    props: Vec<u8>,
    /// Byte bitmaps for `EV_SYN` (= supported types), `EV_KEY`, `EV_REL`, `EV_ABS`.
    bits: [Vec<u8>; 4],
}

impl Description {
    fn into_caps(self) -> Option<Capabilities> {
        let [types, keys, rel, abs] = self.bits.map(|b| CodeBits::from_le_bytes(&b));
        self.seen.then(|| Capabilities {
            name: self.name.unwrap_or_default(),
            id: self.id.unwrap_or_default(),
            types,
            keys,
            rel,
            abs,
            props: CodeBits::from_le_bytes(&self.props),
        })
    }
}

/// Parses an evemu file into one device.
pub(crate) fn parse(text: &str) -> Result<Vec<TraceDevice>, Bad> {
    let mut v12 = false;
    let mut desc = Description::default();
    let mut events: Vec<RawEvent> = Vec::new();
    let mut first = true;
    for (n, raw) in numbered_lines(text) {
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let was_first = std::mem::replace(&mut first, false);
        if let Some(version) = line.strip_prefix("# EVEMU").filter(|_| was_first) {
            v12 = parse_version(version).ok_or(Bad::at(n, "bad # EVEMU header"))?;
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (tag, rest) = line
            .split_once(':')
            .ok_or(Bad::at(n, "not an evemu line"))?;
        if tag == "E" {
            events.push(parse_event(rest).map_err(|what| Bad::at(n, what))?);
            continue;
        }
        if !events.is_empty() {
            return Err(Bad::at(n, "device description line after event lines"));
        }
        desc.seen = true;
        describe(&mut desc, tag, rest, v12).map_err(|what| Bad::at(n, what))?;
    }
    if !desc.seen && events.is_empty() {
        return Err(Bad::file("no evemu description or event lines"));
    }
    let clock = epoch_or(&events, ClockDomain::RelativeToFirstEvent);
    Ok(vec![TraceDevice {
        description: desc.into_caps(),
        events,
        clock,
    }])
}

/// `" 1.3"` → whether the format is newer than 1.1 (the only version-dependent rule).
fn parse_version(s: &str) -> Option<bool> {
    let (major, minor) = s.trim().split_once('.')?;
    let (major, minor) = (text::dec_u16(major)?, text::dec_u16(minor)?);
    (major == 1).then_some(minor > 1)
}

fn parse_event(rest: &str) -> Result<RawEvent, &'static str> {
    let f: Vec<&str> = before_comment(rest).split_whitespace().collect();
    let [time, kind, code, value] = f.as_slice() else {
        return Err("E: needs <sec>.<usec> <type> <code> <value>");
    };
    Ok(RawEvent {
        time_us: text::sec_dot_usec(time).ok_or("event time is not <sec>.<usec>")?,
        kind: text::hex_u16(kind).ok_or("event type is not 16-bit hex")?,
        code: text::hex_u16(code).ok_or("event code is not 16-bit hex")?,
        value: text::dec_i32(value).ok_or("event value is not a 32-bit decimal")?,
    })
}

fn describe(d: &mut Description, tag: &str, rest: &str, v12: bool) -> Result<(), &'static str> {
    let fields: Vec<&str> = before_comment(rest).split_whitespace().collect();
    match tag {
        "N" => {
            let name = rest.trim();
            if name.is_empty() {
                return Err("N: device name is empty");
            }
            if d.name.replace(name.to_owned()).is_some() {
                return Err("second N: line (one device per evemu file)");
            }
        }
        "I" => {
            let ids = hex_fields::<4>(&fields)
                .ok_or("I: needs 4 hex fields (bus vendor product version)")?;
            let [bus, vendor, product, version] = ids;
            if d.id
                .replace(InputId {
                    bus,
                    vendor,
                    product,
                    version,
                })
                .is_some()
            {
                return Err("second I: line (one device per evemu file)");
            }
        }
        "P" => push_bytes(&mut d.props, &fields, "P: needs 8 hex bytes")?,
        "B" => {
            let (kind, bytes) = fields
                .split_first()
                .ok_or("B: needs a type and 8 hex bytes")?;
            let kind = text::hex_u8(kind)
                .filter(|&k| k < EV_CNT)
                .ok_or("B: event type is not hex below 0x20")?;
            if let Some(map) = d.bits.get_mut(usize::from(kind)) {
                push_bytes(map, bytes, "B: needs a type and 8 hex bytes")?;
            } else if bytes.len() != 8 || bytes.iter().any(|b| text::hex_u8(b).is_none()) {
                return Err("B: needs a type and 8 hex bytes");
            }
        }
        "A" => {
            let ok = match fields.split_first() {
                Some((code, nums)) => {
                    text::hex_u16(code).is_some()
                        && nums.len() == if v12 { 5 } else { 4 }
                        && nums.iter().all(|x| text::dec_i32(x).is_some())
                }
                None => false,
            };
            if !ok {
                return Err(if v12 {
                    "A: needs a hex code and 5 decimals (min max fuzz flat resolution) for format 1.2+"
                } else {
                    "A: needs a hex code and 4 decimals (min max fuzz flat) before format 1.2"
                });
            }
        }
        "L" | "S" => match fields.as_slice() {
            [code, state] if text::hex_u16(code).is_some() && text::dec_i32(state).is_some() => {}
            _ => return Err("L:/S: needs a hex code and a decimal state"),
        },
        _ => return Err("unknown evemu line type"),
    }
    Ok(())
}

fn hex_fields<const K: usize>(fields: &[&str]) -> Option<[u16; K]> {
    let mut out = [0u16; K];
    if fields.len() != K {
        return None;
    }
    for (slot, f) in out.iter_mut().zip(fields) {
        *slot = text::hex_u16(f)?;
    }
    Some(out)
}

/// Appends one line's 8 bitmap bytes, refusing maps longer than any code range.
fn push_bytes(
    map: &mut Vec<u8>,
    fields: &[&str],
    malformed: &'static str,
) -> Result<(), &'static str> {
    if map.len() >= MAX_BITMAP_BYTES {
        return Err("bitmap longer than the 16-bit code range");
    }
    let bytes: Option<Vec<u8>> = fields.iter().map(|f| text::hex_u8(f)).collect();
    match bytes {
        Some(b) if b.len() == 8 => {
            map.extend(b);
            Ok(())
        }
        _ => Err(malformed),
    }
}
