//! Opening one event node passively and describing it: capabilities from ioctls, facts from
//! sysfs and the udev database.
//!
//! Owns: [`open_node`], [`probe`], [`RepeatInfo`], and the udev-database reader.
//!
//! Invariants:
//! - nodes are opened `O_RDONLY|O_NONBLOCK|O_CLOEXEC` by us, never read-write (works under
//!   `DeviceAllow=char-input r`, F41) and never grabbed (F22);
//! - the fd is switched to CLOCK_MONOTONIC right after open, before any read (F27);
//! - the autorepeat settings are sanity-checked, falling back to the kernel default 250/33 ms
//!   (F07).

use crate::core::caps::{Capabilities, CodeBits, InputId};
use crate::input::classify::DeviceFacts;
use crate::input::sys::{self, BitKind, StrKind};
use nix::sys::stat::{fstat, major, minor};
use serde::Serialize;
use std::collections::BTreeMap;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Where udev keeps its per-device database (`E:` properties, `S:` links). libudev reads the
/// same files; its layout has been stable since systemd 183.
pub const UDEV_DB: &str = "/run/udev/data";
/// Present while systemd-udevd runs (libudev's own "is udev running" test).
pub const UDEV_CONTROL: &str = "/run/udev/control";

/// Errors from opening or describing a node. They carry the node path and errno only.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// `open()` failed (EACCES/EPERM: permissions, ENOENT: gone, …).
    #[error("open {path}: {errno}")]
    Open {
        path: String,
        errno: nix::errno::Errno,
    },
    /// An ioctl failed; ENODEV means the device vanished meanwhile.
    #[error("{what} on {path}: {errno}")]
    Ioctl {
        path: String,
        what: &'static str,
        errno: nix::errno::Errno,
    },
}

impl DeviceError {
    /// The errno behind the error.
    pub fn errno(&self) -> nix::errno::Errno {
        match self {
            DeviceError::Open { errno, .. } | DeviceError::Ioctl { errno, .. } => *errno,
        }
    }
}

/// The kernel's soft-autorepeat settings of a device, as checked (F07).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RepeatInfo {
    /// Delay before the first repeat, ms.
    pub delay_ms: u32,
    /// Period between repeats, ms.
    pub period_ms: u32,
    /// False when the device reported nothing usable and the 250/33 default is assumed.
    pub reported: bool,
}

impl RepeatInfo {
    /// Sanity check: delay and period non-zero, delay longer than the period, both under 10 s
    /// (python-evdev once swapped them, F07). Anything else → kernel default 250/33.
    pub fn checked(raw: Option<[u32; 2]>) -> Self {
        match raw {
            Some([d, p]) if p > 0 && d > p && d < 10_000 => Self {
                delay_ms: d,
                period_ms: p,
                reported: true,
            },
            _ => Self {
                delay_ms: 250,
                period_ms: 33,
                reported: false,
            },
        }
    }
}

/// A described node.
#[derive(Clone, Debug)]
pub struct Probed {
    /// Identity and capability bitmaps.
    pub caps: Capabilities,
    /// sysfs/udev facts.
    pub facts: DeviceFacts,
    /// Autorepeat settings.
    pub repeat: RepeatInfo,
    /// `st_rdev` of the node: tells a re-created node from the old one at the same path.
    pub rdev: u64,
}

/// Opens a node passively and switches its clock to CLOCK_MONOTONIC.
pub fn open_node(path: &Path) -> Result<OwnedFd, DeviceError> {
    let p = || path.display().to_string();
    // std opens with O_CLOEXEC; read-only, never O_RDWR (F41).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)
        .map_err(|e| DeviceError::Open {
            path: p(),
            errno: nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)),
        })?;
    let fd = OwnedFd::from(file);
    sys::set_monotonic(fd.as_fd()).map_err(|errno| DeviceError::Ioctl {
        path: p(),
        what: "EVIOCSCLOCKID",
        errno,
    })?;
    Ok(fd)
}

/// Reads capabilities via ioctls, and facts from sysfs and (if `udev_props` is given) the
/// udev properties of the node.
pub fn probe(
    fd: &OwnedFd,
    path: &Path,
    udev_props: Option<&BTreeMap<String, String>>,
) -> Result<Probed, DeviceError> {
    let p = || path.display().to_string();
    let io = |what: &'static str| {
        move |errno| DeviceError::Ioctl {
            path: p(),
            what,
            errno,
        }
    };
    let fd = fd.as_fd();
    let raw_id = sys::input_id(fd).map_err(io("EVIOCGID"))?;
    let caps = Capabilities {
        name: sys::string(fd, StrKind::Name).map_err(io("EVIOCGNAME"))?,
        id: InputId {
            bus: raw_id.bustype,
            vendor: raw_id.vendor,
            product: raw_id.product,
            version: raw_id.version,
        },
        types: CodeBits::from_le_bytes(&sys::bits(fd, BitKind::Types).map_err(io("EVIOCGBIT"))?),
        keys: CodeBits::from_le_bytes(&sys::bits(fd, BitKind::Key).map_err(io("EVIOCGBIT"))?),
        rel: CodeBits::from_le_bytes(&sys::bits(fd, BitKind::Rel).map_err(io("EVIOCGBIT"))?),
        abs: CodeBits::from_le_bytes(&sys::bits(fd, BitKind::Abs).map_err(io("EVIOCGBIT"))?),
        props: CodeBits::from_le_bytes(&sys::bits(fd, BitKind::Props).map_err(io("EVIOCGPROP"))?),
    };
    // EV_REP = 0x14: only devices with autorepeat answer EVIOCGREP meaningfully.
    let repeat = RepeatInfo::checked(if caps.types.has(0x14) {
        sys::repeat(fd).ok()
    } else {
        None
    });
    let rdev = fstat(fd.as_raw_fd())
        .map(|s| s.st_rdev)
        .map_err(io("fstat"))?;
    let mut facts = DeviceFacts {
        devnode: Some(p()),
        syspath: sysfs_input_path(path),
        phys: sys::string(fd, StrKind::Phys).unwrap_or_default(),
        uniq: sys::string(fd, StrKind::Uniq).unwrap_or_default(),
        ..Default::default()
    };
    if let Some(props) = udev_props {
        apply_udev(&mut facts, props);
    }
    Ok(Probed {
        caps,
        facts,
        repeat,
        rdev,
    })
}

/// `/sys/class/input/eventN/device` resolved: the input device's sysfs path, whose prefix
/// tells a uinput device (`/sys/devices/virtual/input/…`) from hardware, whatever bus it claims.
pub fn sysfs_input_path(devnode: &Path) -> Option<String> {
    let name = devnode.file_name()?.to_str()?;
    let p = std::fs::canonicalize(format!("/sys/class/input/{name}/device")).ok()?;
    Some(p.display().to_string())
}

/// Copies the udev properties the classifier uses into `facts`.
pub fn apply_udev(facts: &mut DeviceFacts, props: &BTreeMap<String, String>) {
    facts.seat = props.get("ID_SEAT").filter(|s| !s.is_empty()).cloned();
    facts.udev_group = props.get("LIBINPUT_DEVICE_GROUP").cloned();
    // udev sets ID_INPUT=1 on every input node it processed; only then is a missing
    // ID_INPUT_KEYBOARD a statement rather than ignorance.
    facts.udev_keyboard = props
        .contains_key("ID_INPUT")
        .then(|| props.get("ID_INPUT_KEYBOARD").is_some_and(|v| v == "1"));
    if let Some(links) = props.get("DEVLINKS") {
        facts.links = links.split_whitespace().map(str::to_string).collect();
    }
}

/// Reads udev's database entry of a character device (`c<major>:<minor>`): `E:` lines are
/// properties, `S:` lines links relative to /dev (joined into `DEVLINKS`). `None` if udev has
/// not (yet) processed the node.
pub fn udev_db_props(rdev: u64) -> Option<BTreeMap<String, String>> {
    let text =
        std::fs::read_to_string(format!("{UDEV_DB}/c{}:{}", major(rdev), minor(rdev))).ok()?;
    let mut props = BTreeMap::new();
    let mut links = Vec::new();
    for line in text.lines() {
        if let Some(kv) = line.strip_prefix("E:") {
            if let Some((k, v)) = kv.split_once('=') {
                props.insert(k.to_string(), v.to_string());
            }
        } else if let Some(l) = line.strip_prefix("S:") {
            links.push(format!("/dev/{l}"));
        }
    }
    if !links.is_empty() {
        props.insert("DEVLINKS".into(), links.join(" "));
    }
    Some(props)
}

/// Decodes an `EVIOCGKEY` bitmap into the codes that are down (for `Cleaner::resync`).
pub fn down_codes(state: &[u8]) -> impl Iterator<Item = u16> + '_ {
    state.iter().enumerate().flat_map(|(i, &b)| {
        (0..8)
            .filter(move |bit| b & (1 << bit) != 0)
            .map(move |bit| (i * 8 + bit) as u16)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeat_sanity_check() {
        assert_eq!(
            RepeatInfo::checked(Some([250, 33])),
            RepeatInfo {
                delay_ms: 250,
                period_ms: 33,
                reported: true
            }
        );
        for absurd in [
            Some([33, 250]),
            Some([0, 0]),
            Some([250, 0]),
            Some([60_000, 33]),
            None,
        ] {
            assert_eq!(
                RepeatInfo::checked(absurd),
                RepeatInfo {
                    delay_ms: 250,
                    period_ms: 33,
                    reported: false
                }
            );
        }
    }

    #[test]
    fn key_state_bits_to_codes() {
        let mut s = [0u8; 96];
        s[3] = 0x10; // code 28
        s[0x110 / 8] = 1; // BTN_LEFT
        assert_eq!(down_codes(&s).collect::<Vec<_>>(), vec![28, 0x110]);
    }

    #[test]
    fn udev_props_fill_facts() {
        let mut f = DeviceFacts::default();
        let props: BTreeMap<String, String> = [
            ("ID_INPUT", "1"),
            ("ID_SEAT", "seat1"),
            ("DEVLINKS", "/dev/input/by-id/a /dev/input/by-path/b"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        apply_udev(&mut f, &props);
        assert_eq!(f.seat.as_deref(), Some("seat1"));
        assert_eq!(f.udev_keyboard, Some(false));
        assert_eq!(f.links.len(), 2);
    }
}
