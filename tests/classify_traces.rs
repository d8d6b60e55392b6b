//! The classifier on real device descriptions from `shared/traces` (evemu-devices and
//! chromeos-autotest `.prop` files). Descriptions carry no sysfs path, so virtual detection
//! is not exercised here (the kernel tier does that on real uinput nodes).

mod common;

use typewarden::input::classify::{classify, group_key, CapsKind, DeviceClass, DeviceFacts};
use typewarden::input::filter::DeviceFilter;

/// The recorded description of a shared trace, through the real trace parser.
fn caps_of(path: &std::path::Path) -> typewarden::core::caps::Capabilities {
    let trace = typewarden::trace::load(path).unwrap();
    trace.devices[0].description.clone().expect("a description")
}

fn verdict(file: &str) -> Option<(DeviceClass, CapsKind, bool, String)> {
    let dir = common::shared_dir("traces")?;
    let caps = caps_of(&dir.join(file));
    let c = classify(&caps, &DeviceFacts::default(), &DeviceFilter::default());
    Some((c.class, c.caps_kind, c.scored, c.reason))
}

#[test]
fn real_descriptions_classify_as_expected() {
    use DeviceClass::*;
    // The bool: scored (a pointer's actions are, since issue 8).
    let cases = [
        // F23: YubiKey OTP is a full USB keyboard by capabilities; its vendor makes it a token.
        (
            "evemu-devices/Yubico_Yubico_Yubikey_II.desc",
            Token,
            CapsKind::Keyboard,
            false,
        ),
        // A keyboard with a touchpad on one node.
        (
            "evemu-devices/Logitech_K400_Plus.events",
            Composite,
            CapsKind::Composite,
            true,
        ),
        // F19: the ROCCAT mouse node advertises ESC, ENTER and buttons but no letter block.
        (
            "evemu-devices/ROCCAT_ROCCAT_Kone_XTD.mouse.evemu",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
        (
            "evemu-devices/ROCCAT_ROCCAT_Kone_XTD.keyboard.evemu",
            Keyboard,
            CapsKind::Keyboard,
            true,
        ),
        // F19: keys and a touchpad (REL and ABS) on one node.
        (
            "evemu-devices/Microsoft_Surface_Type_Cover.events",
            Composite,
            CapsKind::Composite,
            true,
        ),
        (
            "evemu-devices/Razer_Razer_BlackWidow_2013.keyboard.desc",
            Keyboard,
            CapsKind::Keyboard,
            true,
        ),
        // The multimedia node of the Razer also has the full letter block: a keyboard.
        (
            "evemu-devices/Razer_Razer_BlackWidow_2013.keyboard-multimedia.desc",
            Keyboard,
            CapsKind::Keyboard,
            true,
        ),
        (
            "evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.trackpoint.events",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
        (
            "evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.keyboard.events",
            Keyboard,
            CapsKind::Keyboard,
            true,
        ),
        (
            "evemu-devices/Logitech_Unifying_Device._Wireless_PID-400e.desc",
            Composite,
            CapsKind::Composite,
            true,
        ),
        // The PS/2 mouse recording has no description; the Logitech USB-PS/2 mouse's has.
        (
            "chromeos-autotest/platform_MouseScrollTest.mouse.prop",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
        (
            "chromeos-autotest/mouse.prop",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
        (
            "chromeos-autotest/keyboard.prop",
            Keyboard,
            CapsKind::Keyboard,
            true,
        ),
        // libinput record descriptions (decimal code lists), with and without tabs.
        (
            "linux-doc/pixart-hp-mouse.hidintro.libinput-record.extract.txt",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
        (
            "linux-doc/pixart-hp-mouse.hidintro.libinput-record.normalized.yml",
            Pointer,
            CapsKind::Pointer,
            true,
        ),
    ];
    for (file, class, kind, scored) in cases {
        let Some((c, k, s, reason)) = verdict(file) else {
            return;
        };
        assert_eq!((c, k, s), (class, kind, scored), "{file}: {reason}");
    }
    // Every description in shared/traces is one of the cases above: a new one fails here
    // until its expected class is written down.
    let Some(dir) = common::shared_dir("traces") else {
        return;
    };
    let mut described = Vec::new();
    for group in std::fs::read_dir(&dir).unwrap() {
        let group = group.unwrap().path();
        if !group.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&group).unwrap() {
            let f = f.unwrap().path();
            let Ok(t) = typewarden::trace::load(&f) else {
                continue; // not a trace (SOURCE.md, LICENSE, the umockdev sysfs dump)
            };
            if t.devices.iter().any(|d| d.description.is_some()) {
                described.push(f.strip_prefix(&dir).unwrap().display().to_string());
            }
        }
    }
    described.sort();
    let mut listed: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
    listed.sort();
    assert_eq!(described, listed);
}

#[test]
fn excluding_and_allow_listing_by_identity() {
    let Some(dir) = common::shared_dir("traces") else {
        return;
    };
    let caps = caps_of(&dir.join("evemu-devices/Razer_Razer_BlackWidow_2013.keyboard.desc"));
    let f: DeviceFilter = toml::from_str("exclude = [\"1532:*\"]").unwrap();
    let c = classify(&caps, &DeviceFacts::default(), &f);
    assert!(!c.scored && c.reason.contains("1532:*"), "{}", c.reason);
    let only_other: DeviceFilter =
        toml::from_str("include = [\"name=Some Other Keyboard\"]").unwrap();
    assert!(!classify(&caps, &DeviceFacts::default(), &only_other).scored);
    // Tokens can be re-declared: with the default list replaced, the YubiKey is a keyboard.
    let y = caps_of(&dir.join("evemu-devices/Yubico_Yubico_Yubikey_II.desc"));
    let no_tokens: DeviceFilter = toml::from_str("tokens = []").unwrap();
    assert_eq!(
        classify(&y, &DeviceFacts::default(), &no_tokens).class,
        DeviceClass::Keyboard
    );
}

#[test]
fn both_lenovo_nodes_form_one_group() {
    let Some(dir) = common::shared_dir("traces") else {
        return;
    };
    let read = |f: &str| caps_of(&dir.join(f));
    let kbd =
        read("evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.keyboard.events");
    let tp = read(
        "evemu-devices/Lenovo_ThinkPad_Compact_USB_Keyboard_with_TrackPoint.trackpoint.events",
    );
    // Descriptions carry no phys; give both the phys the kernel would (one USB device, two
    // interfaces) to check the grouping rule on real identities.
    let fk = DeviceFacts {
        phys: "usb-0000:00:14.0-2/input0".into(),
        ..Default::default()
    };
    let ft = DeviceFacts {
        phys: "usb-0000:00:14.0-2/input1".into(),
        ..Default::default()
    };
    assert_eq!(group_key(&kbd, &fk), group_key(&tp, &ft));
    let roccat = read("evemu-devices/ROCCAT_ROCCAT_Kone_XTD.keyboard.evemu");
    assert_ne!(group_key(&kbd, &fk), group_key(&roccat, &fk));
}
