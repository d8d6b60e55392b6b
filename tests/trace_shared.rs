//! Every recording in `shared/traces` parses, and facts documented in its `SOURCE.md` (counted
//! there by an independent parser) hold for what ours returns.

mod common;

use common::{count, trace};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use typewarden::core::event::{EV_KEY, EV_MSC, EV_REL};
use typewarden::trace::{load, ClockDomain, Format};

/// Files in shared/traces that are not event traces, and why.
const NOT_TRACES: &[(&str, &str)] = &[
    ("SOURCE.md", "provenance notes"),
    ("LICENSE", "licence text of the evemu-devices group"),
    (
        "usbkbd.umockdev",
        "umockdev sysfs/udev dump of the device (no events)",
    ),
];

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

#[test]
fn every_shared_trace_parses_and_non_traces_are_refused() {
    let Some(dir) = common::shared_dir("traces") else {
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    let mut parsed = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy();
        if let Some((_, why)) = NOT_TRACES.iter().find(|(n, _)| *n == name) {
            eprintln!("skipped {}: {why}", file.display());
            let err = load(file).expect_err("a non-trace must not parse as a trace");
            assert!(
                err.to_string().contains("not a recognised trace format"),
                "{err}"
            );
            continue;
        }
        let t = load(file).unwrap_or_else(|e| panic!("{e}"));
        let group = file
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy();
        let expected = match &*group {
            "chromeos-autotest" | "evemu-devices" => Format::Evemu,
            "linux-doc" => Format::LibinputRecord,
            "evtest-dumps" => Format::Evtest,
            "umockdev" => Format::UmockdevScript,
            other => panic!("new trace group {other}: add it to this test"),
        };
        assert_eq!(t.format, expected, "{}", file.display());
        assert!(!t.devices.is_empty());
        for d in &t.devices {
            assert!(
                d.description.is_some() || !d.events.is_empty(),
                "{}: empty device",
                file.display()
            );
        }
        parsed += 1;
    }
    assert_eq!(parsed + NOT_TRACES.len(), files.len());
    assert!(
        parsed >= 30,
        "only {parsed} traces found under {}",
        dir.display()
    );
}

#[test]
fn chromeos_bad_enter_has_four_presses_and_releases_with_source_md_hold_times() {
    let Some(t) = trace("chromeos-autotest/keyboard_b+a+d+enter") else {
        return;
    };
    let d = &t.devices[0];
    assert_eq!(
        (d.description.as_ref(), d.clock),
        (None, ClockDomain::RealtimeEpoch)
    );
    assert_eq!(count(&d.events, EV_KEY, Some(1)), 4);
    assert_eq!(count(&d.events, EV_KEY, Some(0)), 4);
    let first_scan = d.events.iter().find(|e| e.kind == EV_MSC).unwrap();
    assert_eq!(first_scan.value, 0x70005, "HID usage of b");
    let mut down: HashMap<u16, i64> = HashMap::new();
    for e in d.events.iter().filter(|e| e.kind == EV_KEY) {
        if e.value == 1 {
            down.insert(e.code, e.time_us);
        } else {
            let hold_ms = (e.time_us - down.remove(&e.code).unwrap() + 500) / 1000; // rounded, as SOURCE.md
            assert!((56..=104).contains(&hold_ms), "hold {hold_ms} ms");
        }
    }
}

#[test]
fn chromeos_mouse_gesture_has_834_rel_events_at_125_hz() {
    let Some(t) = trace("chromeos-autotest/mouse_center_cursor_gesture") else {
        return;
    };
    let ev = &t.devices[0].events;
    assert_eq!(count(ev, EV_REL, None), 834);
    let mut frames = Vec::new();
    let mut rel = false;
    for e in ev {
        rel |= e.kind == EV_REL;
        if e.is_syn_report() && std::mem::take(&mut rel) {
            frames.push(e.time_us);
        }
    }
    let at_8ms = frames
        .windows(2)
        .filter(|w| (w[1] - w[0] + 500) / 1000 == 8)
        .count();
    assert_eq!(at_8ms, 422);
}

#[test]
fn chromeos_other_counts_from_source_md() {
    let Some(t) = trace("chromeos-autotest/platform_MouseScrollTest.mouse_event") else {
        return;
    };
    assert_eq!(count(&t.devices[0].events, EV_REL, None), 576);
    let Some(t) = trace("chromeos-autotest/keyboard_ctrl+shift+c") else {
        return;
    };
    let ev = &t.devices[0].events;
    assert_eq!(count(ev, EV_KEY, Some(2)), 13, "device autorepeats");
    assert_eq!(
        ev.iter().find(|e| e.kind == EV_KEY).unwrap().value,
        0,
        "orphan Enter release first"
    );
    assert_eq!(
        ev.iter().find(|e| e.kind == EV_MSC).unwrap().value,
        28,
        "AT set-1 scancode"
    );
    let Some(t) = trace("chromeos-autotest/keyboard_search+up") else {
        return;
    };
    assert!(
        t.devices[0]
            .events
            .iter()
            .any(|e| e.is_syn_report() && e.value == 1),
        "soft repeat frames"
    );
    let Some(t) = trace("chromeos-autotest/keyboard_g+o+o+d+enter") else {
        return;
    };
    assert_eq!(count(&t.devices[0].events, EV_MSC, None), 0);
}

#[test]
fn chromeos_prop_gives_name_id_and_keys_but_no_events() {
    let Some(t) = trace("chromeos-autotest/keyboard.prop") else {
        return;
    };
    let d = &t.devices[0];
    assert!(d.events.is_empty());
    assert_eq!(d.clock, ClockDomain::Unknown);
    let c = d.description.as_ref().unwrap();
    assert_eq!(c.name, "Emulated Keyboard");
    assert_eq!(
        (c.id.bus, c.id.vendor, c.id.product, c.id.version),
        (0x03, 0x0461, 0x4e05, 0x0111)
    );
    assert!(c.types.has(EV_KEY) && c.keys.has(30) && c.keys.count_in(16..=25) == 10);
}

#[test]
fn yubikey_desc_is_a_usb_keyboard_with_letter_keys() {
    let Some(t) = trace("evemu-devices/Yubico_Yubico_Yubikey_II.desc") else {
        return;
    };
    let d = &t.devices[0];
    assert!(d.events.is_empty());
    let c = d.description.as_ref().unwrap();
    assert_eq!((c.id.bus, c.id.vendor), (0x03, 0x1050));
    assert_eq!(c.name, "Yubico Yubico Yubikey II");
    // Q..P, A..L, Z..M: all 26 letters.
    assert_eq!(
        c.keys.count_in(16..=25) + c.keys.count_in(30..=38) + c.keys.count_in(44..=50),
        26
    );
    assert_eq!(c.rel.count(), 0);
}

#[test]
fn surface_type_cover_is_keyboard_and_mouse_on_one_node() {
    let Some(t) = trace("evemu-devices/Microsoft_Surface_Type_Cover.events") else {
        return;
    };
    let d = &t.devices[0];
    assert_eq!(
        (
            count(&d.events, EV_KEY, None),
            count(&d.events, EV_REL, None)
        ),
        (5, 40)
    );
    assert_eq!(d.clock, ClockDomain::RelativeToFirstEvent);
    assert_eq!(d.events[0].time_us, 0, "this file starts at 0.000000");
    let c = d.description.as_ref().unwrap();
    assert!(c.keys.has(30) && c.rel.has(0) && c.rel.has(1) && c.abs.count() > 0);
}

#[test]
fn evemu_devices_facts() {
    let Some(t) = trace("evemu-devices/PS2_Generic_Mouse.events") else {
        return;
    };
    assert_eq!(count(&t.devices[0].events, EV_REL, None), 4440);
    assert_eq!(
        t.devices[0].clock,
        ClockDomain::RealtimeEpoch,
        "2012 epoch stamps"
    );
    let Some(t) = trace("evemu-devices/Logitech_K400_Plus.events") else {
        return;
    };
    assert!(t.devices[0]
        .events
        .iter()
        .any(|e| e.is_syn_report() && e.value == 1));
    assert_eq!(
        t.devices[0].events[0].time_us, 1,
        "evemu-record puts the first event at 0.000001"
    );
    let Some(kb) =
        trace("evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.keyboard.events")
    else {
        return;
    };
    let Some(tp) = trace(
        "evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.trackpoint.events",
    ) else {
        return;
    };
    assert!(tp.devices[0].events.is_empty() && !kb.devices[0].events.is_empty());
    let (kb, tp) = (
        kb.devices[0].description.as_ref().unwrap(),
        tp.devices[0].description.as_ref().unwrap(),
    );
    assert_eq!(
        (kb.name.as_str(), kb.id),
        (tp.name.as_str(), tp.id),
        "one device, two nodes"
    );
    assert!(tp.rel.count() > 0 && kb.rel.count() == 0);
}

/// Every event trace in shared/traces runs through the cleaning core: the stream keeps the
/// timing contract of `core::timing` (each release closes an open press of its slot, no
/// double press, nothing open at the end, time never backwards inside a chain), and the
/// `typewarden replay --json` binary replays them all in one run.
#[test]
fn every_shared_trace_runs_through_the_cleaning_core_and_the_replay_command() {
    use typewarden::core::clean::{CleanParams, Cleaner};
    use typewarden::core::timing::{DeviceId, Edge, TimingKind};
    let Some(dir) = common::shared_dir("traces") else {
        return;
    };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    files.sort();
    files.retain(|f| {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        !NOT_TRACES.iter().any(|(n, _)| *n == name)
    });
    let mut keystrokes = 0;
    for file in &files {
        let t = load(file).unwrap();
        for (i, d) in t.devices.iter().enumerate() {
            let mut c = Cleaner::new(DeviceId(i as u32), CleanParams::default());
            let mut out = Vec::new();
            for e in &d.events {
                c.push(e, &mut out);
            }
            c.finish(d.events.last().map_or(0, |e| e.time_us), &mut out);
            let mut open = HashMap::new();
            let mut last = None;
            for ev in &out {
                match ev.kind {
                    TimingKind::Cut(_) => {
                        open.clear();
                        last = None;
                    }
                    TimingKind::Key { slot, edge } => {
                        assert!(last.is_none_or(|l| ev.t_us >= l), "{}", file.display());
                        last = Some(ev.t_us);
                        match edge {
                            Edge::Press => {
                                assert!(open.insert(slot, ev.t_us).is_none(), "{}", file.display())
                            }
                            Edge::Release => {
                                let p = open.remove(&slot).expect("release of an open press");
                                assert!(ev.t_us >= p, "{}", file.display());
                            }
                        }
                    }
                }
            }
            assert!(open.is_empty(), "{}: presses left open", file.display());
            keystrokes += c.stats().keystrokes;
        }
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_typewarden"))
        .args(["replay", "--json"])
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["totals"]["files"], files.len(), "{}", v["errors"]);
    assert_eq!(v["totals"]["keystrokes"], keystrokes);
    assert!(keystrokes > 50, "the traces hold real typing: {keystrokes}");
}
