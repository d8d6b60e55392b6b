//! Decoded kernel input events (`struct input_event`) and the constants the core uses.
//!
//! Owns: the in-memory form of one evdev event and its decoding from the 24-byte x86-64 /
//! LP64 wire layout (`drivers/input/evdev.c`, `include/uapi/linux/input.h`).
//!
//! Invariants:
//! - A [`RawEvent`] is the only type outside `core::keyslot` that carries a key code or a
//!   scancode. It never leaves the input layer: its `Debug` redacts the code of `EV_KEY`
//!   events and the value of `EV_MSC` events, so an accidental `{:?}` in a log line cannot
//!   leak what was typed. It deliberately has no `Display` and no `Serialize`.
//! - `time_us` is a single clock domain per device (CLOCK_MONOTONIC for live devices; for
//!   recorded traces whatever the recorder used). Only differences are meaningful.

use std::fmt;

/// `EV_SYN`: frame markers.
pub const EV_SYN: u16 = 0x00;
/// `EV_KEY`: keys and buttons.
pub const EV_KEY: u16 = 0x01;
/// `EV_REL`: relative axes (mice).
pub const EV_REL: u16 = 0x02;
/// `EV_ABS`: absolute axes (touchpads, tablets).
pub const EV_ABS: u16 = 0x03;
/// `EV_MSC`: miscellaneous, e.g. `MSC_SCAN` carrying the raw scancode.
pub const EV_MSC: u16 = 0x04;

/// `SYN_REPORT`: ends a frame. Value 1 marks a kernel soft-autorepeat frame.
pub const SYN_REPORT: u16 = 0;
/// `SYN_DROPPED`: the client's ring overflowed; everything up to the next `SYN_REPORT` is
/// unreliable and the key state must be re-read with `EVIOCGKEY`.
pub const SYN_DROPPED: u16 = 3;

/// `EV_KEY` value for a release.
pub const KEY_RELEASE: i32 = 0;
/// `EV_KEY` value for a press.
pub const KEY_PRESS: i32 = 1;
/// `EV_KEY` value for an autorepeat (kernel soft-repeat or device repeat).
pub const KEY_REPEAT: i32 = 2;

/// Size of one `struct input_event` on LP64 targets: `tv_sec` i64, `tv_usec` i64, `type`
/// u16, `code` u16, `value` i32.
pub const INPUT_EVENT_SIZE: usize = 24;

/// One decoded `struct input_event`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawEvent {
    /// Kernel timestamp in microseconds.
    pub time_us: i64,
    /// Event type (`EV_*`).
    pub kind: u16,
    /// Event code (`KEY_*`, `REL_*`, `SYN_*`, …). Private to the input layer.
    pub code: u16,
    /// Event value.
    pub value: i32,
}

impl RawEvent {
    /// Builds an event from its parts.
    pub const fn new(time_us: i64, kind: u16, code: u16, value: i32) -> Self {
        Self {
            time_us,
            kind,
            code,
            value,
        }
    }

    /// Decodes one little-endian LP64 `struct input_event`.
    #[inline]
    pub fn from_bytes(b: &[u8; INPUT_EVENT_SIZE]) -> Self {
        let sec = i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let usec = i64::from_le_bytes([b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]]);
        Self {
            time_us: sec.wrapping_mul(1_000_000).wrapping_add(usec),
            kind: u16::from_le_bytes([b[16], b[17]]),
            code: u16::from_le_bytes([b[18], b[19]]),
            value: i32::from_le_bytes([b[20], b[21], b[22], b[23]]),
        }
    }

    /// Encodes the event back to the LP64 wire layout (used by tests and benchmarks).
    pub fn to_bytes(&self) -> [u8; INPUT_EVENT_SIZE] {
        let mut b = [0u8; INPUT_EVENT_SIZE];
        b[0..8].copy_from_slice(&self.time_us.div_euclid(1_000_000).to_le_bytes());
        b[8..16].copy_from_slice(&self.time_us.rem_euclid(1_000_000).to_le_bytes());
        b[16..18].copy_from_slice(&self.kind.to_le_bytes());
        b[18..20].copy_from_slice(&self.code.to_le_bytes());
        b[20..24].copy_from_slice(&self.value.to_le_bytes());
        b
    }

    /// True for a `SYN_REPORT` that closes a frame.
    pub fn is_syn_report(&self) -> bool {
        self.kind == EV_SYN && self.code == SYN_REPORT
    }

    /// True for the kernel's overflow marker.
    pub fn is_syn_dropped(&self) -> bool {
        self.kind == EV_SYN && self.code == SYN_DROPPED
    }
}

impl fmt::Debug for RawEvent {
    /// Privacy: key codes and scancodes are never formatted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RawEvent");
        d.field("time_us", &self.time_us).field("kind", &self.kind);
        match self.kind {
            EV_KEY => d.field("code", &"<redacted>").field("value", &self.value),
            EV_MSC => d.field("code", &self.code).field("value", &"<redacted>"),
            _ => d.field("code", &self.code).field("value", &self.value),
        };
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_roundtrip_matches_kernel_layout() {
        // umockdev trace-formats example: sec 0x9361ae70, usec 0x0823ea, MSC_SCAN 0x1e.
        let mut b = [0u8; 24];
        b[0..4].copy_from_slice(&[0x70, 0xae, 0x61, 0x93]);
        b[8..11].copy_from_slice(&[0xea, 0x23, 0x08]);
        b[16..18].copy_from_slice(&[4, 0]);
        b[18..20].copy_from_slice(&[4, 0]);
        b[20] = 0x1e;
        let e = RawEvent::from_bytes(&b);
        assert_eq!(e.time_us, 0x9361ae70_i64 * 1_000_000 + 0x0823ea);
        assert_eq!((e.kind, e.code, e.value), (EV_MSC, 4, 0x1e));
        assert_eq!(e.to_bytes(), b);
        let neg = RawEvent::new(-1_500_001, EV_REL, 0, -3);
        assert_eq!(RawEvent::from_bytes(&neg.to_bytes()), neg);
    }

    #[test]
    fn debug_never_shows_key_codes_or_scancodes() {
        let key = format!("{:?}", RawEvent::new(5, EV_KEY, 4242, 1));
        assert!(!key.contains("4242"), "{key}");
        let scan = format!("{:?}", RawEvent::new(5, EV_MSC, 4, 458_756));
        assert!(!scan.contains("458756"), "{scan}");
    }
}
