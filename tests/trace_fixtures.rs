//! Hand-written fixtures (tests/fixtures/traces) covering the tolerated variants of each
//! format, plus the file-loading rules of `trace::load`.

mod common;

use common::fixture;
use std::path::Path;
use typewarden::core::event::RawEvent;
use typewarden::trace::{load, load_as, parse, ClockDomain, Format};

fn tuples(events: &[RawEvent]) -> Vec<(i64, u16, u16, i32)> {
    events
        .iter()
        .map(|e| (e.time_us, e.kind, e.code, e.value))
        .collect()
}

#[test]
fn evemu_fixture_with_comments_tabs_short_usec_and_signed_values() {
    let t = load(&fixture("evemu-full.evemu")).unwrap();
    assert_eq!((t.format, t.devices.len()), (Format::Evemu, 1));
    let d = &t.devices[0];
    assert_eq!(d.clock, ClockDomain::RelativeToFirstEvent);
    let c = d.description.as_ref().unwrap();
    assert_eq!(
        c.name, "Fixture Keyboard #1",
        "evemu reads N: to end of line, '#' included"
    );
    assert_eq!(
        (c.id.bus, c.id.vendor, c.id.product, c.id.version),
        (3, 0x1050, 0x10, 0x111)
    );
    assert!([0, 1, 2, 4, 17, 20].iter().all(|&t| c.types.has(t)) && !c.types.has(3));
    assert!(c.keys.has(1) && c.keys.has(30) && !c.keys.has(0) && c.rel.has(0) && c.rel.has(1));
    assert_eq!((c.abs.count(), c.props.count()), (0, 0));
    assert_eq!(
        tuples(&d.events),
        [
            (1, 4, 4, 458_756),
            (1, 1, 30, 1),
            (1, 0, 0, 0),
            (5, 2, 0, -1), // `0.5` is 5 µs, as evemu's `%06u` reads it
            (5, 0, 0, 0),
            (95_000, 1, 30, 0),
            (95_000, 2, 1, 2),
            (95_000, 0, 0, 0),
        ]
    );
}

#[test]
fn evtest_fixture_with_prompt_quotes_header_and_all_syn_banners() {
    let t = load(&fixture("evtest-full.txt")).unwrap();
    assert_eq!((t.format, t.devices.len()), (Format::Evtest, 1));
    let d = &t.devices[0];
    assert_eq!(d.clock, ClockDomain::RealtimeEpoch);
    let c = d.description.as_ref().unwrap();
    assert_eq!(c.name, "Fixture Keyboard");
    assert_eq!(
        (c.id.bus, c.id.vendor, c.id.product, c.id.version),
        (3, 0x46d, 0xc52b, 0x111)
    );
    assert_eq!(
        (
            c.types.count(),
            c.keys.count(),
            c.rel.count(),
            c.abs.count()
        ),
        (5, 2, 1, 1)
    );
    assert!(c.keys.has(30) && c.keys.has(48) && c.props.has(1));
    let t0 = 1_732_611_128_000_000;
    assert_eq!(
        tuples(&d.events),
        [
            (t0 + 101_149, 4, 4, 0x70004),
            (t0 + 101_149, 1, 30, 1),
            (t0 + 101_149, 0, 0, 0),
            (t0 + 150_000, 2, 0, -3),
            (t0 + 150_000, 0, 2, 0),
            (t0 + 160_000, 0, 3, 0),
            (t0 + 170_000, 4, 4, -1), // `ffffffff` is the %02x bit pattern of -1
            (t0 + 170_000, 1, 30, 0),
            (t0 + 170_000, 0, 0, 0), // 2005-style "Report Sync"
        ]
    );
}

#[test]
fn libinput_fixture_with_two_devices_shares_the_recording_clock() {
    let t = load(&fixture("libinput-two-devices.yml")).unwrap();
    assert_eq!((t.format, t.devices.len()), (Format::LibinputRecord, 2));
    let (kb, pad) = (&t.devices[0], &t.devices[1]);
    assert_eq!(
        (kb.clock, pad.clock),
        (
            ClockDomain::RelativeToRecordingStart,
            ClockDomain::RelativeToRecordingStart
        )
    );
    let c = kb.description.as_ref().unwrap();
    assert_eq!(c.name, "Fixture Keyboard #2");
    assert_eq!(
        (c.id.bus, c.id.vendor, c.id.product, c.id.version),
        (3, 0x46d, 0xc52b, 0x111)
    );
    assert!(c.types.has(17) && c.keys.count() == 5 && c.keys.has(125) && c.rel.count() == 0);
    assert_eq!(
        tuples(&kb.events),
        [
            (1_500_000, 4, 4, 30),
            (1_500_000, 1, 30, 1),
            (1_500_000, 0, 0, 0),
            (1_580_000, 4, 4, 30),
            (1_580_000, 1, 30, 0),
            (1_580_000, 0, 0, 0),
        ],
        "the - libinput: frame is skipped"
    );
    let c = pad.description.as_ref().unwrap();
    assert_eq!(
        (c.name.as_str(), c.id.bus, c.abs.count(), c.props.count()),
        ("Fixture Touchpad", 17, 6, 2)
    );
    assert_eq!(
        tuples(&pad.events),
        [(2_010_000, 3, 57, -1), (2_010_000, 0, 0, 0)]
    );
}

/// umockdev's `script_record_op()` escaping, written from its source for this test.
fn escape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in bytes {
        match b {
            0..=31 => out.extend([b'^', b + 64]),
            b'^' => out.extend(*b"^`"),
            _ => out.push(b),
        }
    }
    out
}

#[test]
fn umockdev_script_round_trips_escapes_and_skips_writes_and_after_q() {
    let events = [
        RawEvent::new(1_374_046_626_000_010, 4, 4, 0x205e_5e20), // '^' and ' ' bytes in the value
        RawEvent::new(1_374_046_626_000_010, 1, 0x5e, 1),
        RawEvent::new(1_374_046_626_000_010, 0, 0, 0),
        RawEvent::new(1_374_046_626_094_013, 1, 0x5e, 0),
    ];
    let block =
        |evs: &[RawEvent]| escape(&evs.iter().flat_map(|e| e.to_bytes()).collect::<Vec<u8>>());
    let mut script = b"r 100 ".to_vec();
    script.extend(block(&events[..3]));
    script.extend(b"\nw 3 ");
    script.extend(block(&[RawEvent::new(7, 17, 1, 1)]));
    script.extend(b"\nf 10 -\nr 0 ");
    script.extend(block(&events[3..]));
    script.extend(b"\nQ 0 stop\nr 5 not even escaped \x01\n");
    let t = parse(Path::new("kbd.script.64"), &script).unwrap();
    assert_eq!(t.format, Format::UmockdevScript);
    assert_eq!(t.devices[0].events, events);
    assert_eq!(t.devices[0].clock, ClockDomain::RealtimeEpoch);
}

#[test]
fn a_utf8_byte_order_mark_is_ignored() {
    let t = parse(
        Path::new("bom.events"),
        b"\xef\xbb\xbf# EVEMU 1.3\nE: 0.000001 0001 001e 1\n",
    )
    .unwrap();
    assert_eq!((t.format, t.devices[0].events.len()), (Format::Evemu, 1));
}

#[test]
fn explicit_format_overrides_detection() {
    let err = load_as(&fixture("evemu-full.evemu"), Some(Format::Evtest)).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("evemu-full.evemu: no evtest header or Event: time lines"),
        "{err}"
    );
    let t = load_as(&fixture("evtest-full.txt"), Some(Format::Evtest)).unwrap();
    assert_eq!(t.devices[0].events.len(), 9);
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>(), Ok(f));
    }
    assert!("yaml".parse::<Format>().is_err());
}

#[test]
fn load_refuses_missing_directories_fifos_empty_and_oversized_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);

    let e = load(&p("missing.events")).unwrap_err().to_string();
    assert!(
        e.starts_with(&format!("{}: cannot read: ", p("missing.events").display())),
        "{e}"
    );

    let e = load(dir.path()).unwrap_err().to_string();
    assert_eq!(e, format!("{}: not a regular file", dir.path().display()));

    nix::unistd::mkfifo(&p("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let e = load(&p("fifo")).unwrap_err().to_string(); // must return, not block on the FIFO
    assert_eq!(e, format!("{}: not a regular file", p("fifo").display()));

    std::fs::write(p("empty.events"), "\n \n").unwrap();
    let e = load(&p("empty.events")).unwrap_err().to_string();
    assert_eq!(e, format!("{}: empty file", p("empty.events").display()));

    let big = std::fs::File::create(p("big.events")).unwrap();
    big.set_len(typewarden::trace::MAX_TRACE_BYTES + 1).unwrap(); // sparse: no real I/O
    let e = load(&p("big.events")).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: larger than the 64 MiB trace limit",
            p("big.events").display()
        )
    );
}
