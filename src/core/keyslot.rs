//! The privacy boundary: key codes become opaque key slots here, and nowhere else.
//!
//! Owns: the one table that maps a kernel key code to a [`KeySlot`] and a coarse
//! [`KeyClass`].
//!
//! Invariants:
//! - Only the cleaning core calls [`slot_for_code`]; everything downstream (features, engine,
//!   profiles, logs, D-Bus) sees slots, never codes.
//! - A slot is a dense index that is *not* the key code, so a slot sequence never equals a
//!   key-code or scancode sequence. It lets the engine keep per-key and per-digraph timing
//!   statistics; it is not meant to be secret from someone holding this source, which is why
//!   nothing keyed by slot is ever logged and profiles hold aggregates, never sequences.
//! - Buttons (`BTN_*`, mouse, joystick, digitizer ranges) have no slot: they never enter
//!   keystroke timing (field case F06: mice autorepeat their buttons).

/// An opaque per-key index the engine may use for per-key and per-digraph statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeySlot(pub u8);

/// Coarse key classes, enough for class-level features and for privacy-safe summaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyClass {
    /// Letter keys of the main block.
    Letter,
    /// The digit row.
    Digit,
    /// Punctuation keys of the main block.
    Punct,
    /// The space bar.
    Space,
    /// Enter and keypad Enter.
    Enter,
    /// Backspace and Delete: corrections.
    Edit,
    /// Shift, Ctrl, Alt, Meta, Caps Lock.
    Modifier,
    /// Tab, Escape, arrows and the navigation block.
    Navigation,
    /// The numeric keypad.
    Keypad,
    /// Function, media and every other key.
    Other,
}

/// The slot shared by every key without its own slot (function keys, media keys, …).
pub const OTHER_SLOT: KeySlot = KeySlot(0);

/// Key codes with their own slot. Codes from
/// `include/uapi/linux/input-event-codes.h`.
const SLOTTED: [(u16, KeyClass); 90] = {
    use KeyClass::*;
    [
        (1, Navigation), // ESC
        (2, Digit),
        (3, Digit),
        (4, Digit),
        (5, Digit),
        (6, Digit),
        (7, Digit),
        (8, Digit),
        (9, Digit),
        (10, Digit),
        (11, Digit),
        (12, Punct),
        (13, Punct),      // MINUS EQUAL
        (14, Edit),       // BACKSPACE
        (15, Navigation), // TAB
        (16, Letter),
        (17, Letter),
        (18, Letter),
        (19, Letter),
        (20, Letter),
        (21, Letter),
        (22, Letter),
        (23, Letter),
        (24, Letter),
        (25, Letter),
        (26, Punct),
        (27, Punct), // braces
        (28, Enter),
        (29, Modifier), // LEFTCTRL
        (30, Letter),
        (31, Letter),
        (32, Letter),
        (33, Letter),
        (34, Letter),
        (35, Letter),
        (36, Letter),
        (37, Letter),
        (38, Letter),
        (39, Punct),
        (40, Punct),
        (41, Punct),    // ; ' `
        (42, Modifier), // LEFTSHIFT
        (43, Punct),    // BACKSLASH
        (44, Letter),
        (45, Letter),
        (46, Letter),
        (47, Letter),
        (48, Letter),
        (49, Letter),
        (50, Letter),
        (51, Punct),
        (52, Punct),
        (53, Punct),    // , . /
        (54, Modifier), // RIGHTSHIFT
        (55, Keypad),   // KPASTERISK
        (56, Modifier), // LEFTALT
        (57, Space),
        (58, Modifier), // CAPSLOCK
        (71, Keypad),
        (72, Keypad),
        (73, Keypad),
        (74, Keypad),
        (75, Keypad),
        (76, Keypad),
        (77, Keypad),
        (78, Keypad),
        (79, Keypad),
        (80, Keypad),
        (81, Keypad),
        (82, Keypad),
        (83, Keypad),
        (86, Punct),     // 102ND
        (96, Enter),     // KPENTER
        (97, Modifier),  // RIGHTCTRL
        (98, Keypad),    // KPSLASH
        (100, Modifier), // RIGHTALT
        (102, Navigation),
        (103, Navigation),
        (104, Navigation),
        (105, Navigation),
        (106, Navigation),
        (107, Navigation),
        (108, Navigation),
        (109, Navigation),
        (110, Navigation), // INSERT
        (111, Edit),       // DELETE
        (125, Modifier),
        (126, Modifier), // META
        (127, Other),    // COMPOSE
        (119, Other),    // PAUSE
    ]
};

/// Number of distinct slots, [`OTHER_SLOT`] included.
pub const SLOT_COUNT: usize = SLOTTED.len() + 1;

const NONE: u8 = u8::MAX;

/// Slot of the `i`-th entry of [`SLOTTED`]: a fixed bijection onto `1..SLOT_COUNT` (7 is
/// coprime to the table length) so that slots do not follow key-code order.
const fn slot_of_index(i: usize) -> u8 {
    ((i * 7 + 1) % SLOTTED.len() + 1) as u8
}

/// code (< 128) → slot, built at compile time.
const TABLE: [u8; 128] = {
    let mut t = [NONE; 128];
    let mut i = 0;
    while i < SLOTTED.len() {
        t[SLOTTED[i].0 as usize] = slot_of_index(i);
        i += 1;
    }
    t
};

/// slot → class, built at compile time.
const CLASS_BY_SLOT: [KeyClass; SLOT_COUNT] = {
    let mut t = [KeyClass::Other; SLOT_COUNT];
    let mut i = 0;
    while i < SLOTTED.len() {
        t[slot_of_index(i) as usize] = SLOTTED[i].1;
        i += 1;
    }
    t
};

/// True for codes in the kernel's button ranges (`BTN_MISC`..`BTN_GEAR_UP`, `BTN_DPAD_*`,
/// `BTN_TRIGGER_HAPPY*`): buttons are never keystrokes.
const fn is_button(code: u16) -> bool {
    matches!(code, 0x100..=0x151 | 0x220..=0x223 | 0x2c0..=0x2e7)
}

/// Maps a key code to its slot; `None` for buttons and `KEY_RESERVED`, which never feed
/// keystroke timing.
#[inline]
pub fn slot_for_code(code: u16) -> Option<KeySlot> {
    if code == 0 || is_button(code) || code > 0x2ff {
        return None;
    }
    match TABLE.get(code as usize) {
        Some(&s) if s != NONE => Some(KeySlot(s)),
        _ => Some(OTHER_SLOT),
    }
}

impl KeySlot {
    /// The coarse class of this slot.
    pub fn class(self) -> KeyClass {
        CLASS_BY_SLOT
            .get(self.index())
            .copied()
            .unwrap_or(KeyClass::Other)
    }

    /// Dense index for array-backed tables: `0..SLOT_COUNT`.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// Ctrl, left Alt or Meta: a key pressed while one is down is a shortcut, not text (the
    /// injection detector's machine-hold rule, F19). Shift, Caps Lock and right Alt (AltGr,
    /// which types level-3 symbols on many layouts) are not.
    pub fn is_shortcut_modifier(self) -> bool {
        SHORTCUT_MODIFIERS
            .iter()
            .any(|&code| TABLE[code as usize] == self.0)
    }
}

/// KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_LEFTMETA, KEY_RIGHTMETA.
const SHORTCUT_MODIFIERS: [u16; 5] = [29, 97, 56, 125, 126];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_dense_unique_and_not_the_code() {
        let mut seen = std::collections::HashSet::new();
        for (code, _) in SLOTTED {
            let s = slot_for_code(code).expect("slotted");
            assert!(s.index() < SLOT_COUNT);
            assert!(seen.insert(s), "duplicate slot");
        }
        assert_eq!(seen.len(), SLOT_COUNT - 1);
        assert!(!seen.contains(&OTHER_SLOT));
        // Slots do not follow key codes, so a slot sequence is not a key-code sequence.
        let same = SLOTTED
            .iter()
            .filter(|(c, _)| slot_for_code(*c) == Some(KeySlot(*c as u8)))
            .count();
        assert_eq!(same, 0, "{same} slots equal their key code");
    }

    #[test]
    fn buttons_have_no_slot_and_unknown_keys_share_other() {
        assert_eq!(slot_for_code(0x110), None); // BTN_LEFT
        assert_eq!(slot_for_code(0x14a), None); // BTN_TOUCH
        assert_eq!(slot_for_code(0), None);
        assert_eq!(slot_for_code(88), Some(OTHER_SLOT)); // F12
        assert_eq!(slot_for_code(0x160), Some(OTHER_SLOT)); // KEY_OK
        assert_eq!(slot_for_code(57).map(KeySlot::class), Some(KeyClass::Space));
        assert_eq!(
            slot_for_code(30).map(KeySlot::class),
            Some(KeyClass::Letter)
        );
    }
}
