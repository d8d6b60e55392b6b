//! Dataset key identifiers → Linux evdev key codes (`input-event-codes.h`), on the input
//! side of the privacy boundary: these codes go only into `RawEvent`s, which the cleaning
//! core turns into opaque slots exactly as it does for a live keyboard.
//!
//! Unknown identifiers map to `KEY_UNKNOWN` (240), which keeps the timeline complete (the
//! keystroke still happened) and lands in the shared "other" slot.

/// `KEY_UNKNOWN`.
pub const KEY_UNKNOWN: u16 = 240;

/// Linux codes of `A`..`Z`.
const LETTERS: [u16; 26] = [
    30, 48, 46, 32, 18, 33, 34, 35, 23, 36, 37, 38, 50, 49, 24, 25, 16, 19, 31, 20, 22, 47, 17, 45,
    21, 44,
];

/// Linux code of the top-row digit `d` (0–9).
fn digit(d: u32) -> u16 {
    if d == 0 {
        11
    } else {
        (d + 1) as u16
    }
}

/// Codes shared by Windows virtual keys and JavaScript `keyCode`s.
fn common(k: u32) -> Option<u16> {
    Some(match k {
        65..=90 => LETTERS[(k - 65) as usize],
        48..=57 => digit(k - 48),
        8 => 14,                            // Backspace
        9 => 15,                            // Tab
        13 => 28,                           // Enter
        19 => 119,                          // Pause
        20 => 58,                           // Caps Lock
        27 => 1,                            // Escape
        32 => 57,                           // Space
        33 => 104,                          // Page Up
        34 => 109,                          // Page Down
        35 => 107,                          // End
        36 => 102,                          // Home
        37 => 105,                          // Left
        38 => 103,                          // Up
        39 => 106,                          // Right
        40 => 108,                          // Down
        44 => 99,                           // Print Screen
        45 => 110,                          // Insert
        46 => 111,                          // Delete
        91 => 125,                          // Left Meta
        92 => 126,                          // Right Meta
        93 => 127,                          // Menu/Compose
        106 => 55,                          // Keypad *
        107 => 78,                          // Keypad +
        109 => 74,                          // Keypad -
        110 => 83,                          // Keypad .
        111 => 98,                          // Keypad /
        112..=121 => (k - 112 + 59) as u16, // F1–F10
        122 => 87,                          // F11
        123 => 88,                          // F12
        144 => 69,                          // Num Lock
        145 => 70,                          // Scroll Lock
        186 => 39,                          // ;
        187 => 13,                          // =
        188 => 51,                          // ,
        189 => 12,                          // -
        190 => 52,                          // .
        191 => 53,                          // /
        192 => 41,                          // `
        219 => 26,                          // [
        220 => 43,                          // backslash
        221 => 27,                          // ]
        222 => 40,                          // '
        226 => 86,                          // 102nd key
        _ => return None,
    })
}

/// Windows virtual-key code (Buffalo digraph files) → Linux code.
///
/// Quirk of the Buffalo conversion (see its SOURCE.md): .NET `D0`–`D9` were written as
/// 0x60–0x69, the numpad codes, so 96–105 are top-row digits here.
pub fn vk_to_linux(vk: u32) -> u16 {
    match vk {
        96..=105 => digit(vk - 96),
        16 | 160 => 42, // Shift, Left Shift
        161 => 54,      // Right Shift
        17 | 162 => 29, // Ctrl, Left Ctrl
        163 => 97,      // Right Ctrl
        18 | 164 => 56, // Alt, Left Alt
        165 => 100,     // Right Alt
        _ => common(vk).unwrap_or(KEY_UNKNOWN),
    }
}

/// JavaScript `keyCode` (Aalto files) → Linux code. Browsers do not tell left from right
/// modifiers; Firefox uses 59/61/173 for `;`, `=` and `-`.
pub fn js_to_linux(code: u32) -> u16 {
    match code {
        16 => 42,
        17 => 29,
        18 => 56,
        59 => 39,
        61 => 13,
        173 => 12,
        _ => common(code).unwrap_or(KEY_UNKNOWN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::keyslot::{slot_for_code, KeyClass};

    #[test]
    fn dataset_keys_reach_the_right_key_classes() {
        let class = |c: u16| slot_for_code(c).map(|s| s.class());
        assert_eq!(vk_to_linux(65), 30); // A
        assert_eq!(vk_to_linux(90), 44); // Z
        assert_eq!(vk_to_linux(96), 11); // Buffalo quirk: "D0" is the top-row 0
        assert_eq!(vk_to_linux(97), 2);
        assert_eq!(class(vk_to_linux(32)), Some(KeyClass::Space));
        assert_eq!(class(vk_to_linux(160)), Some(KeyClass::Modifier));
        assert_eq!(class(vk_to_linux(8)), Some(KeyClass::Edit));
        assert_eq!(class(vk_to_linux(190)), Some(KeyClass::Punct));
        assert_eq!(js_to_linux(16), 42);
        assert_eq!(js_to_linux(49), 2);
        assert_eq!(js_to_linux(173), 12);
        assert_eq!(vk_to_linux(255), KEY_UNKNOWN);
        // Every letter maps to a distinct letter-class code.
        let mut seen = std::collections::HashSet::new();
        for k in 65..=90 {
            assert_eq!(class(js_to_linux(k)), Some(KeyClass::Letter));
            assert!(seen.insert(js_to_linux(k)));
        }
    }
}
