//! What a device says it can do: its identity and capability bitmaps, as read from the
//! kernel (`EVIOCGBIT`, `EVIOCGID`, `EVIOCGNAME`) or from a recorded description (evemu
//! `N:/I:/B:` lines, libinput record `evdev:` blocks, evtest headers).
//!
//! Owns: [`Capabilities`] and [`InputId`]. Pure data shared by the live input layer and the
//! trace parsers, so that startup enumeration, hotplug and recorded descriptions are all
//! classified by one function (field case F13).
//!
//! Invariant: capability bits say which codes a device *may* emit; they are not typed
//! content and may be shown (e.g. "has letter keys"), but individual codes are never logged.

use serde::Serialize;

/// `struct input_id`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct InputId {
    /// `BUS_*` (0x03 USB, 0x05 Bluetooth, 0x11 i8042, 0x06 virtual, …).
    pub bus: u16,
    /// USB/BT vendor id.
    pub vendor: u16,
    /// USB/BT product id.
    pub product: u16,
    /// Version.
    pub version: u16,
}

/// A fixed-size bitmap of event codes.
#[derive(Clone, PartialEq, Eq)]
pub struct CodeBits {
    words: Vec<u64>,
}

impl CodeBits {
    /// An empty bitmap able to hold codes `0..n`.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            words: vec![0; n.div_ceil(64)],
        }
    }

    /// Sets `code`; codes beyond the capacity grow the map.
    pub fn set(&mut self, code: u16) {
        let (w, b) = (code as usize / 64, code % 64);
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        self.words[w] |= 1 << b;
    }

    /// True if `code` is set.
    pub fn has(&self, code: u16) -> bool {
        self.words
            .get(code as usize / 64)
            .is_some_and(|w| w & (1 << (code % 64)) != 0)
    }

    /// Number of set codes.
    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Number of set codes within `range`.
    pub fn count_in(&self, range: std::ops::RangeInclusive<u16>) -> usize {
        range.filter(|&c| self.has(c)).count()
    }

    /// Loads a kernel-style little-endian byte bitmap (as `EVIOCGBIT` fills it and as evemu
    /// `B:` lines list it, 8 bytes per line).
    pub fn from_le_bytes(bytes: &[u8]) -> Self {
        let mut bits = Self::with_capacity(bytes.len() * 8);
        for (i, byte) in bytes.iter().enumerate() {
            for b in 0..8 {
                if byte & (1 << b) != 0 {
                    bits.set((i * 8 + b) as u16);
                }
            }
        }
        bits
    }
}

impl Default for CodeBits {
    fn default() -> Self {
        Self::with_capacity(0)
    }
}

impl std::fmt::Debug for CodeBits {
    /// Counts only: the exact key set is not needed in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CodeBits({} set)", self.count())
    }
}

/// Identity and capabilities of one event node.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Device name (`EVIOCGNAME`, evemu `N:`).
    pub name: String,
    /// Bus, vendor, product, version.
    pub id: InputId,
    /// Supported event types (`EV_*`).
    pub types: CodeBits,
    /// Supported `EV_KEY` codes (keys and buttons).
    pub keys: CodeBits,
    /// Supported `EV_REL` codes.
    pub rel: CodeBits,
    /// Supported `EV_ABS` codes.
    pub abs: CodeBits,
    /// `INPUT_PROP_*` bits.
    pub props: CodeBits,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_from_kernel_bytes() {
        // KEY_ESC (1) .. KEY_7 (8) → byte 0 = 0xfe, byte 1 bit 0 = code 8.
        let b = CodeBits::from_le_bytes(&[0xfe, 0x01]);
        assert!(b.has(1) && b.has(8) && !b.has(0) && !b.has(9));
        assert_eq!(b.count(), 8);
        assert_eq!(b.count_in(2..=8), 7);
        assert!(!b.has(4000));
    }
}
