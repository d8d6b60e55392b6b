//! Facts from `shared/traces/SOURCE.md` for the evtest, libinput record and umockdev
//! recordings (the evemu ones are in `trace_shared.rs`).

mod common;

use common::{count, trace};
use typewarden::core::event::{EV_KEY, EV_MSC, EV_SYN};
use typewarden::trace::ClockDomain;

#[test]
fn umockdev_script_decodes_embedded_stamps() {
    let Some(t) = trace("umockdev/usbkbd.evtest.script.64") else {
        return;
    };
    let d = &t.devices[0];
    assert_eq!(d.events.len(), 15);
    assert_eq!(d.clock, ClockDomain::RealtimeEpoch);
    assert_eq!(d.events.first().unwrap().time_us, 1_374_046_626_405_100);
    assert_eq!(d.events.last().unwrap().time_us, 1_374_046_628_613_128);
    let keys: Vec<i32> = d
        .events
        .iter()
        .filter(|e| e.kind == EV_KEY)
        .map(|e| e.value)
        .collect();
    assert_eq!(
        keys,
        [0, 1, 0, 1, 0],
        "orphan Enter release, then A and LeftShift"
    );
    assert_eq!(count(&d.events, EV_SYN, None), 5);
}

#[test]
fn evtest_dumps_have_twelve_pairs_and_hex_scancodes() {
    for name in [
        "numpad-flexo-mode-1",
        "numpad-flexo-mode-2",
        "numpad-ionflux-mode-1",
        "numpad-ionflux-mode-2",
    ] {
        let Some(t) = trace(&format!("evtest-dumps/{name}.evtest.txt")) else {
            return;
        };
        let d = &t.devices[0];
        assert_eq!(d.clock, ClockDomain::RealtimeEpoch);
        assert_eq!(
            (
                count(&d.events, EV_KEY, Some(1)),
                count(&d.events, EV_KEY, Some(0))
            ),
            (12, 12),
            "{name}"
        );
        // `7001e` is hex: HID keyboard usages are 0x70000-based.
        assert!(d
            .events
            .iter()
            .filter(|e| e.kind == EV_MSC)
            .all(|e| (0x70004..=0x700ff).contains(&e.value)));
        assert!(
            d.events[0].time_us > 1_732_000_000_000_000,
            "2024-11-26 epoch"
        );
    }
}

#[test]
fn libinput_doc_example_parses_identically_with_and_without_tabs() {
    let Some(norm) = trace("linux-doc/pixart-hp-mouse.hidintro.libinput-record.normalized.yml")
    else {
        return;
    };
    let Some(tabs) = trace("linux-doc/pixart-hp-mouse.hidintro.libinput-record.extract.txt") else {
        return;
    };
    assert_eq!(norm.devices, tabs.devices);
    let d = &norm.devices[0];
    assert_eq!(d.clock, ClockDomain::RelativeToFirstEvent);
    let syn: Vec<i64> = d
        .events
        .iter()
        .filter(|e| e.is_syn_report())
        .map(|e| e.time_us)
        .collect();
    assert_eq!(syn, [0, 1_207_892, 2_367_823, 3_247_617]);
    let buttons: Vec<(u16, i32)> = d
        .events
        .iter()
        .filter(|e| e.kind == EV_KEY)
        .map(|e| (e.code, e.value))
        .collect();
    assert_eq!(buttons, [(272, 1), (273, 1), (272, 0), (273, 0)]);
    let c = d.description.as_ref().unwrap();
    assert_eq!(
        (c.name.as_str(), c.id.vendor, c.id.product),
        ("PixArt HP USB Optical Mouse", 0x3f0, 0x94a)
    );
    assert_eq!(
        (c.keys.count_in(272..=274), c.rel.count(), c.types.count()),
        (3, 4, 4)
    );
}
