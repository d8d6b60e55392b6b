use super::*;
use crate::core::caps::InputId;

fn caps(letters: bool, pointer: bool, vendor: u16) -> Capabilities {
    let mut c = Capabilities {
        name: "Test".into(),
        ..Default::default()
    };
    c.id = InputId {
        bus: 3,
        vendor,
        product: 1,
        version: 1,
    };
    if letters {
        LETTER_KEYS.iter().for_each(|&k| c.keys.set(k));
    }
    if pointer {
        c.keys.set(BTN_LEFT);
        c.rel.set(REL_X);
        c.rel.set(REL_Y);
    }
    c
}

#[test]
fn mouse_with_repeat_and_stray_keys_is_not_a_keyboard() {
    // F06/F19: ESC, ENTER and EV_REP on a mouse node do not make it a keyboard.
    let mut c = caps(false, true, 0x1e7d);
    c.keys.set(1);
    c.keys.set(28);
    c.types.set(0x14);
    let v = classify(&c, &DeviceFacts::default(), &DeviceFilter::default());
    assert_eq!((v.class, v.scored), (DeviceClass::Pointer, true));
    assert!(
        !v.has_keyboard() && v.has_pointer(),
        "read for pointer dynamics only"
    );
    let excl: DeviceFilter = toml::from_str("exclude = [\"name=Test\"]").unwrap();
    assert!(!classify(&c, &DeviceFacts::default(), &excl).scored);
}

#[test]
fn virtual_token_and_filters() {
    let f = DeviceFilter::default();
    let facts = DeviceFacts {
        syspath: Some("/sys/devices/virtual/input/input9".into()),
        ..Default::default()
    };
    let mut keyd = caps(true, false, 0x0fac);
    keyd.id.product = 0x0ade;
    let v = classify(&keyd, &facts, &f);
    assert_eq!((v.class, v.scored), (DeviceClass::Virtual, false));
    assert!(v.reason.contains("keyd"), "{}", v.reason);
    let y = classify(&caps(true, false, 0x1050), &DeviceFacts::default(), &f);
    assert_eq!((y.class, y.scored), (DeviceClass::Token, false));
    let allow: DeviceFilter = toml::from_str("allow_virtual = [\"0fac:0ade\"]").unwrap();
    assert!(classify(&keyd, &facts, &allow).scored);
    let excl: DeviceFilter = toml::from_str("exclude = [\"name=Test\"]").unwrap();
    assert!(!classify(&caps(true, false, 1), &DeviceFacts::default(), &excl).scored);
    let comp = classify(&caps(true, true, 1), &DeviceFacts::default(), &f);
    assert_eq!((comp.class, comp.scored), (DeviceClass::Composite, true));
}

#[test]
fn groups_interfaces_of_one_device() {
    let c = caps(true, false, 1);
    let a = DeviceFacts {
        phys: "usb-0000:00:14.0-1/input0".into(),
        ..Default::default()
    };
    let b = DeviceFacts {
        phys: "usb-0000:00:14.0-1/input1".into(),
        ..Default::default()
    };
    assert_eq!(group_key(&c, &a), group_key(&c, &b));
    let bt1 = DeviceFacts {
        phys: "aa:bb:cc:dd:ee:ff".into(),
        uniq: "11:22".into(),
        ..Default::default()
    };
    let bt2 = DeviceFacts {
        phys: "aa:bb:cc:dd:ee:ff".into(),
        uniq: "33:44".into(),
        ..Default::default()
    };
    assert_ne!(group_key(&c, &bt1), group_key(&c, &bt2));
}
