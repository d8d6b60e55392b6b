//! Malformed evemu files and whole-file problems: one test per class, each asserting the exact `file:line: what` (or
//! `file: what`) message and that it does not quote the offending token.

mod common;

use common::assert_refused as bad;
use std::path::Path;
use typewarden::trace::{parse, Format};

fn evemu(text: &str, expected: &str, secret: &str) {
    bad("bad.events", text.as_bytes(), None, expected, secret);
}

const HDR: &str = "# EVEMU 1.3\nN: Kbd\nI: 0003 046d c52b 0111\n";

// ---- whole-file problems ----

#[test]
fn empty_and_blank_files() {
    bad("e.events", b"", None, "e.events: empty file", "\n");
    bad(
        "e.yml",
        b"  \n\t\n",
        Some(Format::LibinputRecord),
        "e.yml: empty file",
        "\t",
    );
}

#[test]
fn nul_and_binary_content() {
    bad(
        "b.events",
        b"E: 0.000001 0001 \x00\x1e 1\n",
        None,
        "b.events: binary content, not a trace",
        "\x1e",
    );
    let forced = b"E: 0.000001 0001 001e 1\n\x00";
    bad(
        "b.events",
        forced,
        Some(Format::Evemu),
        "b.events: binary content, not a text trace",
        "001e",
    );
}

#[test]
fn header_or_comments_only() {
    let msg = "h.events: no evemu description or event lines";
    bad(
        "h.events",
        b"# EVEMU 1.3\n# Kernel: 6.1\n",
        None,
        msg,
        "6.1",
    );
    let msg = "h.script.64: no events in any read (r) block";
    bad("h.script.64", b"w 10 ^A^B\nf 5 -\n", None, msg, "^B");
}

#[test]
fn unknown_format() {
    let msg =
        "x.txt: not a recognised trace format (evemu, libinput record, evtest, umockdev script)";
    bad("x.txt", b"hello 4242\nworld\n", None, msg, "4242");
}

// ---- evemu ----

#[test]
fn evemu_bad_header_version() {
    evemu(
        "# EVEMU 1.x9\nE: 0.000001 0001 001e 1\n",
        "bad.events:1: bad # EVEMU header",
        "x9",
    );
    evemu(
        "# EVEMU 2.0\nN: Kbd\n",
        "bad.events:1: bad # EVEMU header",
        "2.0",
    );
}

#[test]
fn evemu_bad_event_time() {
    let t = format!("{HDR}E: 0.000001 0001 001e 1\nE: 17q3.000002 0001 001e 0\n");
    evemu(&t, "bad.events:5: event time is not <sec>.<usec>", "17q3");
    evemu(
        "E: 1512433567 0001 001e 1\n",
        "bad.events:1: event time is not <sec>.<usec>",
        "1512433567",
    );
    evemu(
        "E: -1.000000 0001 001e 1\n",
        "bad.events:1: event time is not <sec>.<usec>",
        "-1",
    );
}

#[test]
fn evemu_usec_longer_than_six_digits_is_refused_shorter_is_read_like_evemu() {
    evemu(
        "E: 1.1234567 0001 001e 1\n",
        "bad.events:1: event time is not <sec>.<usec>",
        "1234567",
    );
    let t = parse(Path::new("ok.events"), b"E: 1.5 0001 001e 1\n").unwrap();
    assert_eq!(
        t.devices[0].events[0].time_us, 1_000_005,
        "%06u reads `5` as 5 us"
    );
}

#[test]
fn evemu_non_hex_type_and_code() {
    evemu(
        "E: 0.000001 00zq 001e 1\n",
        "bad.events:1: event type is not 16-bit hex",
        "00zq",
    );
    evemu(
        "E: 0.000001 0001 1001e 1\n",
        "bad.events:1: event code is not 16-bit hex",
        "1001e",
    );
    evemu(
        "E: 0.000001 0001 0x1e 1\n",
        "bad.events:1: event code is not 16-bit hex",
        "0x1e",
    );
}

#[test]
fn evemu_value_not_a_number() {
    evemu(
        "E: 0.000001 0001 001e 1x7\n",
        "bad.events:1: event value is not a 32-bit decimal",
        "1x7",
    );
    evemu(
        "E: 0.000001 0004 0004 4294967296\n",
        "bad.events:1: event value is not a 32-bit decimal",
        "4294967296",
    );
}

#[test]
fn evemu_truncated_and_overlong_event_lines() {
    let msg = "bad.events:2: E: needs <sec>.<usec> <type> <code> <value>";
    evemu(
        "E: 0.000001 0001 001e 1\nE: 0.000002 0001 001e\n",
        msg,
        "001e",
    );
    evemu(
        "E: 0.000001 0001 001e 1\nE: 0.000002 0001 001e 0 0031\n",
        msg,
        "0031",
    );
}

#[test]
fn evemu_b_line_with_bad_hex_or_type() {
    let msg = "bad.events:4: B: needs a type and 8 hex bytes";
    evemu(&format!("{HDR}B: 01 fe ff g7 ff ff ff ff ff\n"), msg, "g7");
    evemu(&format!("{HDR}B: 01 fe ff ff ff\n"), msg, "fe");
    evemu(
        &format!("{HDR}B: 02 100 00 00 00 00 00 00 00\n"),
        "bad.events:4: B: needs a type and 8 hex bytes",
        "100",
    );
    evemu(
        &format!("{HDR}B: 2f 00 00 00 00 00 00 00 00\n"),
        "bad.events:4: B: event type is not hex below 0x20",
        "2f",
    );
}

#[test]
fn evemu_bitmap_longer_than_code_range() {
    let line = "B: 01 ff ff ff ff ff ff ff ff\n";
    let t = format!("{HDR}{}", line.repeat(1025));
    evemu(
        &t,
        "bad.events:1028: bitmap longer than the 16-bit code range",
        "ff",
    );
}

#[test]
fn evemu_i_line_wrong_field_count() {
    let msg = "bad.events:2: I: needs 4 hex fields (bus vendor product version)";
    evemu("N: Kbd\nI: 0003 046d c52b\n", msg, "c52b");
    evemu("N: Kbd\nI: 0003 046d c52b 0111 0777\n", msg, "0777");
    evemu("N: Kbd\nI: 0003 046d c52b 1zz1\n", msg, "1zz1");
}

#[test]
fn evemu_a_line_wrong_count_for_version() {
    let v13 = "bad.events:4: A: needs a hex code and 5 decimals (min max fuzz flat resolution) for format 1.2+";
    evemu(&format!("{HDR}A: 35 0 1022 0 0\n"), v13, "1022");
    let v10 =
        "bad.events:3: A: needs a hex code and 4 decimals (min max fuzz flat) before format 1.2";
    evemu(
        "N: Kbd\nI: 0003 046d c52b 0111\nA: 35 0 1022 0 0 12\n",
        v10,
        "1022",
    );
    evemu(&format!("{HDR}A: 35 0 10q2 0 0 0\n"), v13, "10q2");
}

#[test]
fn evemu_p_l_s_lines() {
    evemu(
        &format!("{HDR}P: 00 00 00 00 00 00 00 9x\n"),
        "bad.events:4: P: needs 8 hex bytes",
        "9x",
    );
    evemu(
        &format!("{HDR}L: 01\n"),
        "bad.events:4: L:/S: needs a hex code and a decimal state",
        "01",
    );
    evemu(
        &format!("{HDR}S: 05 on\n"),
        "bad.events:4: L:/S: needs a hex code and a decimal state",
        "on",
    );
}

#[test]
fn evemu_unknown_or_misplaced_lines() {
    evemu(
        &format!("{HDR}X: 1e\n"),
        "bad.events:4: unknown evemu line type",
        "1e",
    );
    evemu(
        &format!("{HDR}just 1e words\n"),
        "bad.events:4: not an evemu line",
        "1e",
    );
    let after = format!("{HDR}E: 0.000001 0001 001e 1\nB: 01 fe 00 00 00 00 00 00 00\n");
    evemu(
        &after,
        "bad.events:5: device description line after event lines",
        "fe",
    );
    evemu(
        &format!("{HDR}N: Other 4242\n"),
        "bad.events:4: second N: line (one device per evemu file)",
        "4242",
    );
    evemu(
        "N:   \nI: 0003 046d c52b 0111\n",
        "bad.events:1: N: device name is empty",
        "046d",
    );
}
