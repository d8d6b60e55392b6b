//! Which event nodes are a person's keyboard: one pure function for startup enumeration,
//! hotplug and recorded descriptions alike (F13).
//!
//! Owns: [`classify`], [`group_key`], [`DeviceFacts`] and the [`Classification`] result.
//! The device filter (include/exclude/token/virtual matchers) lives in `input::filter`.
//!
//! Rules, in order (docs/devices.md explains each):
//! 1. an `exclude` match is never scored;
//! 2. a virtual device (sysfs path under `/devices/virtual/`, or a known remapper/injector
//!    identity; not `BUS_VIRTUAL`, which hypervisor keyboards such as virtio-input report) is [`DeviceClass::Virtual`] and scored only when an
//!    `allow_virtual` matcher names it (F21, F26);
//! 3. a token or scanner (`tokens`, YubiKey vendor 0x1050 by default) is never scored (F23);
//! 4. capabilities decide the rest: a keyboard has all 26 letter keys, a pointer has
//!    REL_X+REL_Y (or a touchpad's ABS_X+ABS_Y+BTN_TOOL_FINGER) and BTN_LEFT, composite has
//!    both. `EV_REP` or a `kbd` handler alone never makes a keyboard (F06, F19): mice
//!    autorepeat their buttons and advertise stray keys such as ESC and ENTER;
//! 5. keyboards and composites are scored when `include` is empty or matches; pointers
//!    (their motion, clicks and scrolls: issue 8) are scored unless excluded, as `include`
//!    names keyboards.
//!
//! Invariant: the reason string names rules and identities (names, vid:pid, paths), never a
//! key code.

use crate::core::caps::Capabilities;
use crate::input::filter::DeviceFilter;
use serde::Serialize;

/// `KEY_Q..KEY_P`, `KEY_A..KEY_L`, `KEY_Z..KEY_M` (`input-event-codes.h`).
const LETTER_KEYS: [u16; 26] = [
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 44, 45, 46, 47, 48,
    49, 50,
];
const BTN_LEFT: u16 = 0x110;
const BTN_TOOL_FINGER: u16 = 0x145;
const REL_X: u16 = 0;
const REL_Y: u16 = 1;
const ABS_X: u16 = 0;
const ABS_Y: u16 = 1;

/// Virtual devices we know by identity: (vendor:product or 0 for any, name fragment, creator).
/// Listed in docs/devices.md. Matching only improves the reason text and covers recorded
/// descriptions without a sysfs path: every device under `/devices/virtual/` is virtual anyway.
const KNOWN_VIRTUAL: [(u16, u16, &str, &str); 7] = [
    (0x0fac, 0x0ade, "", "keyd"),
    (0, 0, "keyd virtual", "keyd"),
    (0, 0, "kanata", "kanata"),
    (0, 0, "xremap", "xremap"),
    (0, 0, "ydotoold", "ydotoold"),
    (0, 0, "input-remapper", "input-remapper"),
    (0, 0, "forwarded", "input-remapper"),
];

/// What the capability bitmaps alone say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CapsKind {
    /// All letter keys, no pointer.
    Keyboard,
    /// Pointer axes and a left button, no full letter block.
    Pointer,
    /// Both on one node (keyboard with touchpad, Type Cover, some receivers).
    Composite,
    /// Neither (power button, lid switch, media keys, numpad, joystick, …).
    Other,
}

/// The policy class of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceClass {
    /// A keyboard.
    Keyboard,
    /// A mouse, trackpoint or touchpad.
    Pointer,
    /// Keyboard and pointer on one node; only its keys feed timing.
    Composite,
    /// Created by software (uinput): remappers, injectors, test tools.
    Virtual,
    /// A hardware token or scanner that types at machine speed.
    Token,
    /// Anything else.
    Other,
}

impl DeviceClass {
    /// Stable lowercase name for CLI output.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceClass::Keyboard => "keyboard",
            DeviceClass::Pointer => "pointer",
            DeviceClass::Composite => "composite",
            DeviceClass::Virtual => "virtual",
            DeviceClass::Token => "token",
            DeviceClass::Other => "other",
        }
    }
}

/// Everything known about a node besides its capabilities.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceFacts {
    /// `/dev/input/eventN`, if live.
    pub devnode: Option<String>,
    /// Resolved sysfs path of the input device (`/sys/devices/.../inputN`), if known.
    pub syspath: Option<String>,
    /// `EVIOCGPHYS`.
    pub phys: String,
    /// `EVIOCGUNIQ`.
    pub uniq: String,
    /// Stable links (`/dev/input/by-id/…`, `/dev/input/by-path/…`).
    pub links: Vec<String>,
    /// udev `ID_SEAT`; `None` means seat0 (or udev not running).
    pub seat: Option<String>,
    /// udev `LIBINPUT_DEVICE_GROUP`.
    pub udev_group: Option<String>,
    /// udev `ID_INPUT_KEYBOARD`, `None` when udev did not (yet) describe the node.
    pub udev_keyboard: Option<bool>,
}

/// The verdict on one node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// Policy class.
    pub class: DeviceClass,
    /// What the bitmaps say, before policy.
    pub caps_kind: CapsKind,
    /// Whether its keystrokes (a pointer: its pointer actions) may be learned from and scored
    /// as a person's input.
    pub scored: bool,
    /// Why, in words (never key codes).
    pub reason: String,
}

impl Classification {
    /// True if the node can emit keystrokes worth reading (keys of a keyboard-like block).
    pub fn has_keyboard(&self) -> bool {
        matches!(self.caps_kind, CapsKind::Keyboard | CapsKind::Composite)
    }

    /// True if the node can emit pointer motion worth reading (issue 8).
    pub fn has_pointer(&self) -> bool {
        matches!(self.caps_kind, CapsKind::Pointer | CapsKind::Composite)
    }
}

/// What the bitmaps say (rule 4).
pub fn caps_kind(caps: &Capabilities) -> CapsKind {
    // Code bitmaps, not the EV_* type bitmap: recorded descriptions sometimes carry an
    // inconsistent type map (the evemu-devices trackpoint lists REL codes but no EV_REL).
    let keyboard = LETTER_KEYS.iter().all(|&c| caps.keys.has(c));
    let axes = (caps.rel.has(REL_X) && caps.rel.has(REL_Y))
        || (caps.abs.has(ABS_X) && caps.abs.has(ABS_Y) && caps.keys.has(BTN_TOOL_FINGER));
    let pointer = axes && caps.keys.has(BTN_LEFT);
    match (keyboard, pointer) {
        (true, true) => CapsKind::Composite,
        (true, false) => CapsKind::Keyboard,
        (false, true) => CapsKind::Pointer,
        (false, false) => CapsKind::Other,
    }
}

/// Classifies one node. Pure: the same inputs give the same verdict at startup and on hotplug.
pub fn classify(caps: &Capabilities, facts: &DeviceFacts, filter: &DeviceFilter) -> Classification {
    let kind = caps_kind(caps);
    let id = format!("{:04x}:{:04x}", caps.id.vendor, caps.id.product);
    let make = |class, scored, reason: String| Classification {
        class,
        caps_kind: kind,
        scored,
        reason,
    };
    let base = match kind {
        CapsKind::Keyboard => DeviceClass::Keyboard,
        CapsKind::Pointer => DeviceClass::Pointer,
        CapsKind::Composite => DeviceClass::Composite,
        CapsKind::Other => DeviceClass::Other,
    };
    if let Some(m) = filter.excluded(caps, facts) {
        return make(base, false, format!("excluded by config ({m})"));
    }
    if let Some(why) = virtual_reason(caps, facts) {
        return match filter.allowed_virtual(caps, facts) {
            Some(m) if kind != CapsKind::Pointer && kind != CapsKind::Other => make(
                DeviceClass::Virtual,
                true,
                format!("{why}; allowed by config ({m})"),
            ),
            _ => make(
                DeviceClass::Virtual,
                false,
                format!("{why}; not a person's typing unless allow_virtual names it"),
            ),
        };
    }
    if let Some(m) = filter.token(caps, facts) {
        return make(
            DeviceClass::Token,
            false,
            format!("token or scanner {id} ({m}); types at machine speed"),
        );
    }
    let udev_note = match (facts.udev_keyboard, kind) {
        (Some(false), CapsKind::Keyboard | CapsKind::Composite) => {
            "; udev does not tag it ID_INPUT_KEYBOARD"
        }
        _ => "",
    };
    match kind {
        CapsKind::Keyboard | CapsKind::Composite => {
            let what = if kind == CapsKind::Keyboard {
                "all letter keys"
            } else {
                "letter keys and a pointer"
            };
            if filter.include.is_empty() {
                make(base, true, format!("{what}{udev_note}"))
            } else if let Some(m) = filter.included(caps, facts) {
                make(
                    base,
                    true,
                    format!("{what}; included by config ({m}){udev_note}"),
                )
            } else {
                make(
                    base,
                    false,
                    format!("{what}, but no include matcher names it"),
                )
            }
        }
        CapsKind::Pointer => make(
            base,
            true,
            "pointer axes and BTN_LEFT, no letter block: pointer dynamics".into(),
        ),
        CapsKind::Other => make(
            base,
            false,
            "no letter block and no pointer (EV_REP or a few keys are not enough)".into(),
        ),
    }
}

/// Why a node counts as virtual, if it does.
fn virtual_reason(caps: &Capabilities, facts: &DeviceFacts) -> Option<String> {
    let name = caps.name.to_ascii_lowercase();
    let known = KNOWN_VIRTUAL.iter().find(|(v, p, frag, _)| {
        (*v != 0 && caps.id.vendor == *v && caps.id.product == *p)
            || (!frag.is_empty() && name.contains(frag))
    });
    let creator = known
        .map(|k| format!(" (looks like {})", k.3))
        .unwrap_or_default();
    if facts
        .syspath
        .as_deref()
        .is_some_and(|p| p.contains("/devices/virtual/"))
    {
        Some(format!(
            "virtual: sysfs path under /devices/virtual/{creator}"
        ))
    } else {
        known.map(|k| format!("virtual: known {} identity", k.3))
    }
}

/// Groups the nodes of one physical device: udev's `LIBINPUT_DEVICE_GROUP` when present,
/// else bus/vid/pid plus the phys path without its `/inputN` tail and the unique id (a
/// Bluetooth phys is the host adapter's address, so uniq tells devices apart), else the
/// sysfs parent. A node with none of these is its own group.
pub fn group_key(caps: &Capabilities, facts: &DeviceFacts) -> String {
    if let Some(g) = &facts.udev_group {
        return g.clone();
    }
    let id = format!(
        "{:x}/{:x}/{:x}",
        caps.id.bus, caps.id.vendor, caps.id.product
    );
    if !facts.phys.is_empty() {
        let stem = facts
            .phys
            .rsplit_once('/')
            .map_or(facts.phys.as_str(), |(s, _)| s);
        return format!("{id}:{stem}:{}", facts.uniq);
    }
    match (&facts.syspath, &facts.devnode) {
        (Some(p), _) => p
            .rsplit_once('/')
            .map_or(p.clone(), |(parent, _)| parent.to_string()),
        (None, Some(n)) => n.clone(),
        (None, None) => format!("{id}:{}", caps.name),
    }
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
