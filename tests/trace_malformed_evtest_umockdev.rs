//! Malformed evtest dumps and umockdev scripts: one test per class, each asserting the exact `file:line: what` (or
//! `file: what`) message and that it does not quote the offending token.

mod common;

use common::assert_refused as bad;
use std::path::Path;
use typewarden::trace::{parse, Format};

fn evtest(text: &str, expected: &str, secret: &str) {
    bad("bad.txt", text.as_bytes(), None, expected, secret);
}
const EV_OK: &str = "Event: time 1732611128.101149, type 1 (EV_KEY), code 30 (KEY_A), value 1\n";

#[test]
fn evtest_garbage_in_event_lines() {
    evtest(
        &format!("{EV_OK}Event: time 17x2.000001, type 1 (EV_KEY), code 30 (KEY_A), value 0\n"),
        "bad.txt:2: event time is not <sec>.<usec>",
        "17x2",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001, type 1 (EV_KEY), code 30 (KEY_A)\n"),
        "bad.txt:2: event line needs type, code and value",
        "KEY_A",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001, type 1 (EV_KEY), code 3q (KEY_A), value 0\n"),
        "bad.txt:2: event code is not a number",
        "3q",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001, type 1 (EV_KEY), code 30 (KEY_A), value 0x\n"),
        "bad.txt:2: event value is not a 32-bit decimal",
        "KEY_A",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001, type 4 (EV_MSC), code 4 (MSC_SCAN), value 7001g\n"),
        "bad.txt:2: MSC_SCAN value is not hex",
        "7001g",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001, ---------- SYN_KEY_30 ----------\n"),
        "bad.txt:2: unrecognised SYN marker",
        "KEY_30",
    );
    evtest(
        &format!("{EV_OK}Event: time 1.000001\n"),
        "bad.txt:2: Event: line has nothing after the time",
        "1.000001",
    );
}

#[test]
fn evtest_damaged_anchor_and_header_lines() {
    evtest(
        &format!("{EV_OK}Event: tiem 1.000001, type 1 (EV_KEY), code 30 (KEY_A), value 0\n"),
        "bad.txt:2: malformed evtest Event line",
        "KEY_A",
    );
    evtest(
        "Input device ID: bus 0x3 vendor 0x46d product 0xc52bz\n",
        "bad.txt:1: Input device ID: needs bus/vendor/product/version in hex",
        "c52bz",
    );
    evtest(
        "Input device name: \"K\"\n    Event code 30 (KEY_A)\n",
        "bad.txt:2: Event code line before any Event type line",
        "KEY_A",
    );
    evtest(
        "Input device name: \"K\"\n  Event type 99 (EV_X)\n",
        "bad.txt:2: Event type line needs a type number below 32",
        "99",
    );
    evtest(
        "Input device name: \"K\"\n  Event type 1 (EV_KEY)\n    Event code 3O (KEY_A)\n",
        "bad.txt:3: Event code line needs a code number",
        "3O",
    );
}

#[test]
fn evtest_prose_between_events_is_skipped() {
    let t = parse(
        Path::new("ok.txt"),
        format!("{EV_OK}(pasted from my terminal)\n> {EV_OK}").as_bytes(),
    )
    .unwrap();
    assert_eq!(t.devices[0].events.len(), 2);
}

// ---- umockdev ----

fn script(text: &[u8], expected: &str, secret: &str) {
    bad("bad.script.64", text, None, expected, secret);
}
/// One escaped 24-byte KEY_A press at t = 1 s.
const REC: &[u8] = b"^A^@^@^@^@^@^@^@^@^@^@^@^@^@^@^@^A^@^^^@^A^@^@^@";

#[test]
fn umockdev_bad_escapes() {
    let mut t = b"r 10 ".to_vec();
    t.extend(&REC[..REC.len() - 2]);
    t.extend(b"^~");
    script(&t, "bad.script.64:1: bad ^ escape in data", "^~");
    let mut t = b"r 10 ".to_vec();
    t.extend(&REC[..REC.len() - 2]);
    t.extend(b"^");
    script(&t, "bad.script.64:1: data ends inside a ^ escape", "^@");
    let mut t = b"r 10 ".to_vec();
    t.extend(&REC[..REC.len() - 2]);
    t.extend(b"\t");
    script(&t, "bad.script.64:1: unescaped control byte in data", "\t");
}

#[test]
fn umockdev_partial_record() {
    let mut t = b"r 10 ".to_vec();
    t.extend(REC);
    t.extend(b"\nr 20 ");
    t.extend(&REC[..REC.len() - 2]);
    script(
        &t,
        "bad.script.64:2: read block is not a whole number of 24-byte events (a .script.32 file?)",
        "^A",
    );
}

#[test]
fn umockdev_bad_operation_or_delay() {
    let mut t = b"r 10 ".to_vec();
    t.extend(REC);
    let mut op = t.clone();
    op.extend(b"\nx 10 ^A");
    script(
        &op,
        "bad.script.64:2: unknown umockdev operation (expected r, w, f or Q)",
        "^A",
    );
    let mut delay = t.clone();
    delay.extend(b"\nr 1a0 ^A");
    script(
        &delay,
        "bad.script.64:2: operation delay is not a number of milliseconds",
        "1a0",
    );
    bad(
        "bad.script.64",
        b"r1 ^A",
        Some(Format::UmockdevScript),
        "bad.script.64:1: expected '<op> <ms> <data>'",
        "^A",
    );
}

#[test]
fn umockdev_time_out_of_range() {
    // tv_usec = 1_000_000 (0x0f4240) never comes from the kernel.
    let t = b"r 10 ^A^@^@^@^@^@^@^@@B^O^@^@^@^@^@^A^@^^^@^A^@^@^@";
    script(t, "bad.script.64:1: event time out of range", "^O");
    let t = b"r 10 \xff\xff\xff\xff\xff\xff\xff\x7f^@^@^@^@^@^@^@^@^A^@^^^@^A^@^@^@";
    script(t, "bad.script.64:1: event time out of range", "\u{7f}");
}
