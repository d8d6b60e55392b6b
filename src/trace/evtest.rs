//! evtest text dumps: optional device header, then `Event: time …` lines.
//!
//! Owns: evtest's output grammar (trace-formats.md §3): `print_device_info` header lines and
//! `print_events` lines
//! `Event: time %ld.%06ld, type %d (%s), code %d (%s), value %d` and the SYN banners.
//!
//! Decisions:
//! - Dumps are usually pasted into issues and docs, so the parser anchors on the lines it
//!   knows (`Event: time`, `Input device ID:`/`name:`, `Event type`/`Event code`,
//!   `Property type`), strips `> ` quote prefixes, and skips every other line (prompts,
//!   device lists, `Value/Min/Max`, repeat settings, the grab banner, prose). A line that
//!   starts with `Event` but is none of the known forms is an error, so a damaged event
//!   line is reported rather than silently lost.
//! - `MSC_SCAN`/`MSC_RAW` values are hex without `0x` (evtest prints them with `%02x`);
//!   all other values are decimal. SYN values are not printed and are recorded as 0.
//! - A header that appears after events starts a new device (concatenated dumps).
//! - Stamps are `CLOCK_REALTIME`: no evtest version seen calls `EVIOCSCLOCKID`.

use super::error::Bad;
use super::text::{self, numbered_lines};
use super::{ClockDomain, TraceDevice};
use crate::core::caps::{Capabilities, InputId};
use crate::core::event::{RawEvent, EV_MSC, EV_SYN};

const MSC_RAW: u16 = 3;
const MSC_SCAN: u16 = 4;
const EV_CNT: u16 = 0x20;

/// A line's content without `>` quote prefixes and surrounding blanks.
fn unquote(line: &str) -> &str {
    let mut l = line.trim();
    while let Some(rest) = l.strip_prefix('>') {
        l = rest.trim_start();
    }
    l
}

/// True for a line only evtest writes (used by format detection).
pub(crate) fn is_anchor(line: &str) -> bool {
    let l = unquote(line);
    ["Event: time", "Input device ID:", "Input device name:"]
        .iter()
        .any(|a| l.starts_with(a))
}

#[derive(Default)]
struct Device {
    caps: Option<Capabilities>,
    events: Vec<RawEvent>,
    /// The `Event type` whose `Event code` lines follow.
    current_type: Option<u16>,
}

impl Device {
    fn finish(self) -> TraceDevice {
        let clock = if self.events.is_empty() {
            ClockDomain::Unknown
        } else {
            ClockDomain::RealtimeEpoch
        };
        TraceDevice {
            description: self.caps,
            events: self.events,
            clock,
        }
    }
}

/// Parses an evtest dump into one device per header.
pub(crate) fn parse(text: &str) -> Result<Vec<TraceDevice>, Bad> {
    let mut done: Vec<TraceDevice> = Vec::new();
    let mut dev = Device::default();
    let mut recognised = false;
    for (n, raw) in numbered_lines(text) {
        let line = unquote(raw);
        let at = |what| Bad::at(n, what);
        if let Some(rest) = line.strip_prefix("Event: time") {
            dev.events.push(parse_event(rest).map_err(at)?);
        } else if let Some(rest) = header(line, "Input device ID:", &mut dev, &mut done) {
            let id = parse_id(rest).ok_or(at(
                "Input device ID: needs bus/vendor/product/version in hex",
            ))?;
            dev.caps.get_or_insert_with(Default::default).id = id;
        } else if let Some(rest) = header(line, "Input device name:", &mut dev, &mut done) {
            let name = rest.trim();
            let unquoted = name.strip_prefix('"').and_then(|s| s.strip_suffix('"'));
            dev.caps.get_or_insert_with(Default::default).name =
                unquoted.unwrap_or(name).to_owned();
        } else if let Some(rest) = line.strip_prefix("Event type ") {
            let kind = numbered(rest)
                .filter(|&t| t < EV_CNT)
                .ok_or(at("Event type line needs a type number below 32"))?;
            dev.caps
                .get_or_insert_with(Default::default)
                .types
                .set(kind);
            dev.current_type = Some(kind);
        } else if let Some(rest) = line.strip_prefix("Event code ") {
            let code = numbered(rest).ok_or(at("Event code line needs a code number"))?;
            let kind = dev
                .current_type
                .ok_or(at("Event code line before any Event type line"))?;
            let caps = dev.caps.get_or_insert_with(Default::default);
            match kind {
                1 => caps.keys.set(code),
                2 => caps.rel.set(code),
                3 => caps.abs.set(code),
                _ => {}
            }
        } else if let Some(rest) = line.strip_prefix("Property type ") {
            let prop = numbered(rest).ok_or(at("Property type line needs a number"))?;
            dev.caps
                .get_or_insert_with(Default::default)
                .props
                .set(prop);
        } else if line.starts_with("Event") {
            return Err(at("malformed evtest Event line"));
        } else {
            continue;
        }
        recognised = true;
    }
    if !recognised {
        return Err(Bad::file("no evtest header or Event: time lines"));
    }
    done.push(dev.finish());
    Ok(done)
}

/// Matches a header line; a header after events closes the current device first.
fn header<'l>(
    line: &'l str,
    prefix: &str,
    dev: &mut Device,
    done: &mut Vec<TraceDevice>,
) -> Option<&'l str> {
    let rest = line.strip_prefix(prefix)?;
    if !dev.events.is_empty() {
        done.push(std::mem::take(dev).finish());
    }
    Some(rest)
}

/// `bus 0x3 vendor 0x46d product 0xc52b version 0x111` (`%#x`, so zero is plain `0`).
fn parse_id(rest: &str) -> Option<InputId> {
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ["bus", bus, "vendor", vendor, "product", product, "version", version] = f.as_slice()
    else {
        return None;
    };
    Some(InputId {
        bus: text::hex_u16_0x(bus)?,
        vendor: text::hex_u16_0x(vendor)?,
        product: text::hex_u16_0x(product)?,
        version: text::hex_u16_0x(version)?,
    })
}

/// `30 (KEY_A)` or `30 (KEY_A) state 0` or `30`: the decimal number; the name is ignored.
fn numbered(s: &str) -> Option<u16> {
    let s = s.trim();
    let (num, rest) = s.split_once(' ').unwrap_or((s, ""));
    let rest = rest.trim();
    (rest.is_empty() || rest.starts_with('(')).then_some(())?;
    text::dec_u16(num)
}

fn parse_event(rest: &str) -> Result<RawEvent, &'static str> {
    let (time, body) = rest
        .split_once(',')
        .ok_or("Event: line has nothing after the time")?;
    let time_us = text::sec_dot_usec(time.trim()).ok_or("event time is not <sec>.<usec>")?;
    let body = body.trim();
    let Some(fields) = body.strip_prefix("type ") else {
        let code = syn_code(body).ok_or("unrecognised SYN marker")?;
        return Ok(RawEvent {
            time_us,
            kind: EV_SYN,
            code,
            value: 0,
        });
    };
    let malformed = "event line needs type, code and value";
    let (kind, after) = fields.split_once(", code ").ok_or(malformed)?;
    let (code, value) = after.rsplit_once(", value ").ok_or(malformed)?;
    let kind = numbered(kind).ok_or("event type is not a number")?;
    let code = numbered(code).ok_or("event code is not a number")?;
    let value = value.trim();
    let value = if kind == EV_MSC && (code == MSC_SCAN || code == MSC_RAW) {
        // `%02x` of an int: the bit pattern, so 0xffffffff is -1.
        text::hex_u32(value)
            .map(|v| i32::from_ne_bytes(v.to_ne_bytes()))
            .ok_or("MSC_SCAN value is not hex")?
    } else {
        text::dec_i32(value).ok_or("event value is not a 32-bit decimal")?
    };
    Ok(RawEvent {
        time_us,
        kind,
        code,
        value,
    })
}

/// `-------------- SYN_REPORT ------------`, `++++ SYN_MT_REPORT ++++`,
/// `>>>> SYN_DROPPED <<<<`, and the 2005 `---- Report Sync ----`.
fn syn_code(banner: &str) -> Option<u16> {
    let name =
        banner.trim_matches(|c: char| matches!(c, '-' | '+' | '<' | '>') || c.is_whitespace());
    match name {
        "SYN_REPORT" | "Report Sync" => Some(0),
        "SYN_CONFIG" => Some(1),
        "SYN_MT_REPORT" => Some(2),
        "SYN_DROPPED" => Some(3),
        _ => None,
    }
}
