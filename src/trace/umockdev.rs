//! umockdev scripts of an evdev node (`*.script.64`): read blocks of raw `struct input_event`.
//!
//! Owns: the script grammar `<op> <ms> <data>` of `martinpitt/umockdev`
//! `docs/script-format.txt` and its escaping as `script_record_op()` in
//! `src/libumockdev-preload.c` writes it: a byte below 32 becomes `^` + (byte + 64), `^`
//! itself becomes `` ^` ``, every other byte (space and bytes ≥ 0x80 included) is verbatim.
//! (trace-formats.md §4 says "≤ 32"; the writer's code escapes only < 32.)
//!
//! Decisions:
//! - Only `r` blocks are device output. `w` (what the client wrote) and `f` (replay fuzz)
//!   are validated and skipped; `Q` ends the script, as in umockdev.
//! - Events are the 24-byte LP64 layout; evdev `read()` returns whole events, so a block that
//!   is not a multiple of 24 bytes is an error (it is probably a `.script.32` file).
//! - Times are the embedded kernel stamps; the `<ms>` field is replay pacing and is ignored.
//!   Stamps of 2001 or later are realtime; smaller ones come from an unknown clock.

use super::error::Bad;
use super::{epoch_or, ClockDomain, TraceDevice};
use crate::core::event::{RawEvent, INPUT_EVENT_SIZE};

/// True if the first non-empty line looks like `r <ms> …` or `w <ms> …`.
pub(crate) fn looks_like(bytes: &[u8]) -> bool {
    let Some(first) = bytes.split(|&b| b == b'\n').find(|l| !l.is_empty()) else {
        return false;
    };
    let Some(rest) = first
        .strip_prefix(b"r ")
        .or_else(|| first.strip_prefix(b"w "))
    else {
        return false;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0 && matches!(rest.get(digits), None | Some(b' '))
}

/// Parses a script into one device.
pub(crate) fn parse(bytes: &[u8]) -> Result<Vec<TraceDevice>, Bad> {
    let mut events = Vec::new();
    for (raw, n) in bytes.split(|&b| b == b'\n').zip(1usize..) {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Some((&op, rest)) = line.split_first() else {
            continue;
        };
        match op {
            b'Q' => break,
            b'r' | b'w' | b'f' => {}
            _ => {
                return Err(Bad::at(
                    n,
                    "unknown umockdev operation (expected r, w, f or Q)",
                ))
            }
        }
        let rest = rest
            .strip_prefix(b" ")
            .ok_or(Bad::at(n, "expected '<op> <ms> <data>'"))?;
        let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        let data = match rest.get(digits..) {
            Some([]) => &[][..],
            Some([b' ', data @ ..]) if digits > 0 => data,
            _ => {
                return Err(Bad::at(
                    n,
                    "operation delay is not a number of milliseconds",
                ))
            }
        };
        let data = unescape(data).map_err(|what| Bad::at(n, what))?;
        if op != b'r' {
            continue;
        }
        let records = data.chunks_exact(INPUT_EVENT_SIZE);
        if !records.remainder().is_empty() {
            return Err(Bad::at(
                n,
                "read block is not a whole number of 24-byte events (a .script.32 file?)",
            ));
        }
        for rec in records {
            events.push(decode(rec).ok_or(Bad::at(n, "event time out of range"))?);
        }
    }
    if events.is_empty() {
        return Err(Bad::file("no events in any read (r) block"));
    }
    let clock = epoch_or(&events, ClockDomain::Unknown);
    Ok(vec![TraceDevice {
        description: None,
        events,
        clock,
    }])
}

/// Reverses `script_record_op()` escaping.
fn unescape(data: &[u8]) -> Result<Vec<u8>, &'static str> {
    let mut out = Vec::with_capacity(data.len());
    let mut it = data.iter();
    while let Some(&b) = it.next() {
        match b {
            b'^' => match it.next() {
                Some(b'`') => out.push(b'^'),
                Some(&c) if (64..96).contains(&c) => out.push(c.wrapping_sub(64)),
                Some(_) => return Err("bad ^ escape in data"),
                None => return Err("data ends inside a ^ escape"),
            },
            0..=31 => return Err("unescaped control byte in data"),
            _ => out.push(b),
        }
    }
    Ok(out)
}

/// One LP64 record, with the time checked instead of wrapped (a corrupt file may hold any
/// `tv_sec`; the kernel never writes `tv_usec` outside 0..1e6).
fn decode(rec: &[u8]) -> Option<RawEvent> {
    let rec: &[u8; INPUT_EVENT_SIZE] = rec.try_into().ok()?;
    let (sec, rest) = rec.split_first_chunk::<8>()?;
    let (usec, _) = rest.split_first_chunk::<8>()?;
    let (sec, usec) = (i64::from_le_bytes(*sec), i64::from_le_bytes(*usec));
    let time_us = sec
        .checked_mul(1_000_000)?
        .checked_add(usec)
        .filter(|_| (0..1_000_000).contains(&usec))?;
    Some(RawEvent {
        time_us,
        ..RawEvent::from_bytes(rec)
    })
}
