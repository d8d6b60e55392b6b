//! `libinput record` YAML (`version: 1`): one [`TraceDevice`] per `devices:` entry.
//!
//! Owns: the meaning of the record tree built by [`super::yaml`] (trace-formats.md §2,
//! `tools/libinput-record.c`). Read: `version`, `ndevices`, and per device `evdev:` (`name`,
//! `id`, `codes`, `absinfo`, `properties`) and `events:` frames. `- evdev:` frames hold
//! `[sec, usec, type, code, value]` rows (all decimal); `- libinput:` frames (written with
//! `--with-libinput`) are skipped. `libinput`, `system`, `hid`, `udev`, `quirks` and other
//! keys are skipped. Keyboard codes may be obfuscated by the recorder (§2.4); that is kept.
//!
//! Clock: one device → the first event is the offset ([`ClockDomain::RelativeToFirstEvent`]);
//! several → `CLOCK_MONOTONIC` at recording start, shared by all devices
//! ([`ClockDomain::RelativeToRecordingStart`]).

use super::error::Bad;
use super::text;
use super::yaml::{flow_list, unquote, Doc, Node};
use super::{ClockDomain, TraceDevice};
use crate::core::caps::{Capabilities, InputId};
use crate::core::event::RawEvent;

/// Parses a libinput record file.
pub(crate) fn parse(text: &str) -> Result<Vec<TraceDevice>, Bad> {
    let doc = Doc::parse(text)?;
    let mut version = false;
    let mut ndevices = None;
    let mut devices: Option<Vec<TraceDevice>> = None;
    for top in doc.roots() {
        let Some(key) = top.key.as_deref() else {
            return Err(Bad::at(
                top.line,
                "list item at top level, expected key: value",
            ));
        };
        match key {
            "version" => {
                if leaf(&doc, top)? != "1" {
                    return Err(Bad::at(
                        top.line,
                        "unsupported libinput record version (expected 1)",
                    ));
                }
                version = true;
            }
            "ndevices" => {
                let n = text::dec_u64(leaf(&doc, top)?)
                    .ok_or(Bad::at(top.line, "ndevices is not a number"))?;
                ndevices = Some((top.line, n));
            }
            "devices" => {
                let list = doc
                    .kids(top)
                    .map(|item| device(&doc, item))
                    .collect::<Result<Vec<_>, _>>()?;
                devices = Some(list);
            }
            _ => {}
        }
    }
    if !version {
        return Err(Bad::file(
            "no 'version: 1' line (not a libinput record file?)",
        ));
    }
    let mut devices = devices.ok_or(Bad::file("no devices: section"))?;
    if let Some((line, n)) = ndevices {
        if u64::try_from(devices.len()).ok() != Some(n) {
            return Err(Bad::at(
                line,
                "ndevices does not match the number of devices listed",
            ));
        }
    }
    let shared = devices.len() > 1;
    for d in &mut devices {
        d.clock = match (d.events.is_empty(), shared) {
            (true, _) => ClockDomain::Unknown,
            (false, false) => ClockDomain::RelativeToFirstEvent,
            (false, true) => ClockDomain::RelativeToRecordingStart,
        };
    }
    Ok(devices)
}

/// A scalar value; an indented block under it is an error.
fn leaf<'d>(doc: &'d Doc, node: &'d Node) -> Result<&'d str, Bad> {
    match doc.kids(node).next() {
        Some(child) => Err(Bad::at(
            child.line,
            "unexpected indented block under a value",
        )),
        None => Ok(node.value.as_str()),
    }
}

/// A flow list of numbers parsed with `num`.
fn numbers<T>(
    doc: &Doc,
    node: &Node,
    num: fn(&str) -> Option<T>,
    what: &'static str,
) -> Result<Vec<T>, Bad> {
    let list = flow_list(leaf(doc, node)?).ok_or(Bad::at(node.line, what))?;
    list.into_iter()
        .map(|s| num(s).ok_or(Bad::at(node.line, what)))
        .collect()
}

/// Entries of a block that must be `key: value` mappings.
fn entries<'d>(
    doc: &'d Doc,
    node: &'d Node,
) -> impl Iterator<Item = Result<(&'d str, &'d Node), Bad>> {
    doc.kids(node).map(|c| {
        c.key
            .as_deref()
            .map(|k| (k, c))
            .ok_or(Bad::at(c.line, "expected key: value here"))
    })
}

fn device(doc: &Doc, item: &Node) -> Result<TraceDevice, Bad> {
    if !item.dash {
        return Err(Bad::at(item.line, "devices: entries must be list items"));
    }
    let mut description = None;
    let mut events = Vec::new();
    for entry in entries(doc, item) {
        match entry? {
            ("evdev", node) => description = Some(evdev(doc, node)?),
            ("events", node) => events = frames(doc, node)?,
            _ => {}
        }
    }
    let description = description.ok_or(Bad::at(item.line, "device has no evdev: block"))?;
    Ok(TraceDevice {
        description: Some(description),
        events,
        clock: ClockDomain::Unknown,
    })
}

fn evdev(doc: &Doc, block: &Node) -> Result<Capabilities, Bad> {
    no_inline_value(block)?;
    let mut caps = Capabilities::default();
    let (mut name, mut id) = (false, false);
    for entry in entries(doc, block) {
        match entry? {
            ("name", n) => {
                caps.name = unquote(leaf(doc, n)?).to_owned();
                name = true;
            }
            ("id", n) => {
                let ids = numbers(
                    doc,
                    n,
                    text::dec_u16,
                    "id needs [bus, vendor, product, version] in decimal",
                )?;
                let [bus, vendor, product, version] = ids.as_slice() else {
                    return Err(Bad::at(
                        n.line,
                        "id needs [bus, vendor, product, version] in decimal",
                    ));
                };
                caps.id = InputId {
                    bus: *bus,
                    vendor: *vendor,
                    product: *product,
                    version: *version,
                };
                id = true;
            }
            ("codes", n) => {
                for entry in entries(doc, n) {
                    let (kind, list) = entry?;
                    let kind = text::dec_u16(kind).filter(|&k| k < 0x20).ok_or(Bad::at(
                        list.line,
                        "codes: key is not an event type below 32",
                    ))?;
                    caps.types.set(kind);
                    let codes = numbers(
                        doc,
                        list,
                        text::dec_u16,
                        "codes: needs a list of decimal codes",
                    )?;
                    let bits = match kind {
                        1 => Some(&mut caps.keys),
                        2 => Some(&mut caps.rel),
                        3 => Some(&mut caps.abs),
                        _ => None,
                    };
                    if let Some(bits) = bits {
                        codes.into_iter().for_each(|c| bits.set(c));
                    }
                }
            }
            ("absinfo", n) => {
                for entry in entries(doc, n) {
                    let (code, info) = entry?;
                    let what = "absinfo needs [min, max, fuzz, flat, resolution] in decimal";
                    let values = numbers(doc, info, text::dec_i32, what)?;
                    if text::dec_u16(code).is_none() || values.len() != 5 {
                        return Err(Bad::at(info.line, what));
                    }
                }
            }
            ("properties", n) => {
                let props = numbers(
                    doc,
                    n,
                    text::dec_u16,
                    "properties needs a list of decimal numbers",
                )?;
                props.into_iter().for_each(|p| caps.props.set(p));
            }
            _ => {}
        }
    }
    match (name, id) {
        (true, true) => Ok(caps),
        (false, _) => Err(Bad::at(block.line, "evdev: block has no name")),
        (true, false) => Err(Bad::at(block.line, "evdev: block has no id")),
    }
}

/// A block key must not also carry an inline value (`evdev: x` followed by children).
fn no_inline_value(node: &Node) -> Result<(), Bad> {
    if node.value.is_empty() {
        Ok(())
    } else {
        Err(Bad::at(
            node.line,
            "expected a block, found an inline value",
        ))
    }
}

fn frames(doc: &Doc, events: &Node) -> Result<Vec<RawEvent>, Bad> {
    no_inline_value(events)?;
    let mut out = Vec::new();
    for item in doc.kids(events) {
        let mut kids = doc.kids(item);
        let frame = kids.next().filter(|_| item.dash);
        let (Some(frame), None) = (frame, kids.next()) else {
            return Err(Bad::at(
                item.line,
                "events: entries must be '- evdev:' or '- libinput:' frames",
            ));
        };
        match frame.key.as_deref() {
            Some("libinput") => continue,
            Some("evdev") => no_inline_value(frame)?,
            _ => {
                return Err(Bad::at(
                    item.line,
                    "events: entries must be '- evdev:' or '- libinput:' frames",
                ))
            }
        }
        for row in doc.kids(frame) {
            if !row.dash || row.key.is_some() {
                return Err(Bad::at(
                    row.line,
                    "evdev frame rows must be '- [sec, usec, type, code, value]'",
                ));
            }
            out.push(event(doc, row)?);
        }
    }
    Ok(out)
}

fn event(doc: &Doc, row: &Node) -> Result<RawEvent, Bad> {
    let at = |what| Bad::at(row.line, what);
    let fields = flow_list(leaf(doc, row)?).ok_or(at("event row is not a [ ] list"))?;
    let [sec, usec, kind, code, value] = fields.as_slice() else {
        return Err(at("event needs [sec, usec, type, code, value]"));
    };
    let sec = text::dec_u64(sec).ok_or(at("event seconds is not a decimal number"))?;
    let usec = text::dec_u64(usec)
        .filter(|&u| u < 1_000_000)
        .ok_or(at("event usec is not a decimal below 1000000"))?;
    Ok(RawEvent {
        time_us: text::to_us(sec, usec).ok_or(at("event time out of range"))?,
        kind: text::dec_u16(kind).ok_or(at("event type is not a 16-bit decimal"))?,
        code: text::dec_u16(code).ok_or(at("event code is not a 16-bit decimal"))?,
        value: text::dec_i32(value).ok_or(at("event value is not a 32-bit decimal"))?,
    })
}
