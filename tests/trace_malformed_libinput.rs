//! Malformed libinput record YAML: one test per class, each asserting the exact `file:line: what` (or
//! `file: what`) message and that it does not quote the offending token.

mod common;

use common::assert_refused as bad;
use std::path::Path;
use typewarden::trace::{parse, Format};

fn yml(text: &str, expected: &str, secret: &str) {
    bad("bad.yml", text.as_bytes(), None, expected, secret);
}

/// A valid one-device record whose marked lines the tests replace.
fn record(codes: &str, frame: &str) -> String {
    format!(
        "version: 1\nndevices: 1\ndevices:\n- node: /dev/input/event3\n  evdev:\n    name: \"Kbd\"\n    id: [3, 1133, 50475, 273]\n    codes:\n{codes}    properties: []\n  events:\n  - evdev:\n{frame}"
    )
}
const CODES: &str = "      0: [0, 1]\n      1: [30, 48]\n";
const FRAME: &str =
    "    - [  0,      0,   1,  30,       1]\n    - [  0,      0,   0,   0,       0]\n";

#[test]
fn libinput_reference_record_is_valid() {
    let t = parse(Path::new("ok.yml"), record(CODES, FRAME).as_bytes()).unwrap();
    assert_eq!(t.devices[0].events.len(), 2);
}

#[test]
fn libinput_wrong_indentation() {
    yml(
        &record("      0: [0, 1]\n     1: [30, 48]\n", FRAME),
        "bad.yml:10: indentation differs from the entries above it",
        "48",
    );
    yml(
        &record(CODES, "    - [0, 0, 1, 30, 1]\n      - [0, 0, 0, 0, 0]\n"),
        "bad.yml:15: unexpected indented block under a value",
        "30",
    );
    yml(
        &record(CODES, "    - [0, 0, 1, 30, 1]\n   - [0, 0, 0, 0, 0]\n"),
        "bad.yml:15: indentation differs from the entries above it",
        "30",
    );
}

#[test]
fn libinput_missing_or_wrong_version() {
    let no_version = record(CODES, FRAME).replacen("version: 1\n", "", 1);
    bad(
        "bad.yml",
        no_version.as_bytes(),
        Some(Format::LibinputRecord),
        "bad.yml: no 'version: 1' line (not a libinput record file?)",
        "Kbd",
    );
    yml(
        &record(CODES, FRAME).replacen("version: 1", "version: 27", 1),
        "bad.yml:1: unsupported libinput record version (expected 1)",
        "27",
    );
}

#[test]
fn libinput_missing_fields() {
    yml(
        "version: 1\nndevices: 0\n",
        "bad.yml: no devices: section",
        "ndevices",
    );
    let no_evdev = "version: 1\ndevices:\n- node: /dev/input/event3\n  events:\n";
    yml(no_evdev, "bad.yml:3: device has no evdev: block", "event3");
    yml(
        &record(CODES, FRAME).replace("    name: \"Kbd\"\n", ""),
        "bad.yml:5: evdev: block has no name",
        "Kbd",
    );
    yml(
        &record(CODES, FRAME).replace("    id: [3, 1133, 50475, 273]\n", ""),
        "bad.yml:5: evdev: block has no id",
        "1133",
    );
    yml(
        &record(CODES, FRAME).replace("[3, 1133, 50475, 273]", "[3, 1133, 50475]"),
        "bad.yml:7: id needs [bus, vendor, product, version] in decimal",
        "50475",
    );
    yml(
        &record(CODES, FRAME).replace("ndevices: 1", "ndevices: 3"),
        "bad.yml:2: ndevices does not match the number of devices listed",
        "3",
    );
}

#[test]
fn libinput_non_numeric_frame_entries() {
    let frame = |row: &str| format!("    - [  0,      0,   0,   0,       0]\n    - {row}\n");
    yml(
        &record(CODES, &frame("[0, 0, 1, 30, x31]")),
        "bad.yml:15: event value is not a 32-bit decimal",
        "x31",
    );
    yml(
        &record(CODES, &frame("[0, 0, 1, 3z0, 1]")),
        "bad.yml:15: event code is not a 16-bit decimal",
        "3z0",
    );
    yml(
        &record(CODES, &frame("[0, 0, -1, 30, 1]")),
        "bad.yml:15: event type is not a 16-bit decimal",
        "-1",
    );
    yml(
        &record(CODES, &frame("[1.5, 0, 1, 30, 1]")),
        "bad.yml:15: event seconds is not a decimal number",
        "1.5",
    );
    yml(
        &record(CODES, &frame("[0, 1500000, 1, 30, 1]")),
        "bad.yml:15: event usec is not a decimal below 1000000",
        "1500000",
    );
    yml(
        &record(CODES, &frame("[0, 0, 1, 30]")),
        "bad.yml:15: event needs [sec, usec, type, code, value]",
        "30",
    );
    yml(
        &record(CODES, &frame("[0, 0, 1, , 30]")),
        "bad.yml:15: event row is not a [ ] list",
        "30",
    );
    yml(
        &record(CODES, &frame("0 0 1 30 1")),
        "bad.yml:15: event row is not a [ ] list",
        "30",
    );
}

#[test]
fn libinput_structure_errors() {
    let outside = "version: 1\ndevices:\n- node: /dev/input/event3\n  evdev:\n    name: \"K\"\n    id: [3, 1, 2, 3]\n  events:\n  - [0, 0, 1, 30, 1]\n";
    yml(
        outside,
        "bad.yml:8: events: entries must be '- evdev:' or '- libinput:' frames",
        "30",
    );
    yml(
        &record(CODES, FRAME).replace("  - evdev:", "  - hidraw:"),
        "bad.yml:13: events: entries must be '- evdev:' or '- libinput:' frames",
        "hidraw",
    );
    yml(
        &record(CODES, "    - [0, 0, 1,\n"),
        "bad.yml:14: unterminated [ list",
        "30",
    );
    yml(
        &record("      0: [0, 1]]\n", FRAME),
        "bad.yml:9: unbalanced ] in list",
        "0",
    );
    yml(
        &record("      EV_KEY: [30, 48]\n", FRAME),
        "bad.yml:9: codes: key is not an event type below 32",
        "48",
    );
    yml(
        &record("      1: [30, 4q8]\n", FRAME),
        "bad.yml:9: codes: needs a list of decimal codes",
        "4q8",
    );
    yml(
        &record(CODES, FRAME).replace("    name: \"Kbd\"\n", "    name\n"),
        "bad.yml:6: expected key: value",
        "name",
    );
}
