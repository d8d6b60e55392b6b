//! Test-only uinput device creation (the daemon never creates devices). Written here rather
//! than with the `evdev` crate because its builder cannot set `EV_REP`, which the autorepeat
//! tests need. Also holds the one `EVIOCGRAB` in the repository: a test that plays *another*
//! program grabbing a device (F22). Never used by the daemon.
#![allow(dead_code)] // shared by two test crates, each using a subset

use nix::libc::{c_char, c_int};
use nix::{
    ioctl_none, ioctl_read_buf, ioctl_write_int, ioctl_write_ptr, ioctl_write_ptr_bad,
    request_code_write,
};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use typewarden::core::event::{RawEvent, EV_KEY, EV_REL, EV_SYN};

pub const EV_MSC: u16 = 0x04;
pub const EV_REP: u16 = 0x14;
pub const BTN_LEFT: u16 = 0x110;
pub const LETTERS: [u16; 26] = [
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 30, 31, 32, 33, 34, 35, 36, 37, 38, 44, 45, 46, 47, 48,
    49, 50,
];
pub const KEY_A: u16 = 30;
pub const KEY_B: u16 = 48;
pub const KEY_LEFTCTRL: u16 = 29;

#[repr(C)]
struct UinputSetup {
    bustype: u16,
    vendor: u16,
    product: u16,
    version: u16,
    name: [u8; 80],
    ff_effects_max: u32,
}

ioctl_none!(ui_dev_create, b'U', 1);
ioctl_none!(ui_dev_destroy, b'U', 2);
ioctl_write_ptr!(ui_dev_setup, b'U', 3, UinputSetup);
ioctl_write_int!(ui_set_evbit, b'U', 100);
ioctl_write_int!(ui_set_keybit, b'U', 101);
ioctl_write_int!(ui_set_relbit, b'U', 102);
ioctl_write_ptr_bad!(
    ui_set_phys,
    request_code_write!(b'U', 108, std::mem::size_of::<*const c_char>()),
    c_char
);
ioctl_read_buf!(ui_get_sysname, b'U', 44, u8);
ioctl_write_int!(eviocgrab, b'E', 0x90);

/// What to create.
#[derive(Clone, Default)]
pub struct Spec {
    pub name: String,
    pub vendor: u16,
    pub product: u16,
    pub letters: bool,
    pub extra_keys: Vec<u16>,
    pub pointer: bool,
    pub repeat: bool,
    pub phys: Option<String>,
}

impl Spec {
    pub fn keyboard(name: &str) -> Self {
        Spec {
            name: name.into(),
            vendor: 0x1234,
            product: 0x5678,
            letters: true,
            extra_keys: vec![KEY_LEFTCTRL],
            repeat: true,
            ..Default::default()
        }
    }
    pub fn pointer(name: &str) -> Self {
        Spec {
            name: name.into(),
            vendor: 0x1234,
            product: 0x9abc,
            pointer: true,
            ..Default::default()
        }
    }
}

/// A live uinput device; destroyed on drop.
pub struct Uinput {
    file: File,
    pub node: PathBuf,
}

fn check(r: nix::Result<c_int>) -> std::io::Result<()> {
    r.map(|_| ()).map_err(std::io::Error::from)
}

impl Uinput {
    pub fn create(spec: &Spec) -> std::io::Result<Self> {
        let file = OpenOptions::new().write(true).open("/dev/uinput")?;
        let fd = file.as_raw_fd();
        let mut setup = UinputSetup {
            bustype: 0x03,
            vendor: spec.vendor,
            product: spec.product,
            version: 1,
            name: [0; 80],
            ff_effects_max: 0,
        };
        setup.name[..spec.name.len()].copy_from_slice(spec.name.as_bytes());
        // SAFETY (all blocks): fd is an open /dev/uinput; int ioctls take values; pointers
        // point at live, correctly sized data for the duration of the call.
        unsafe {
            check(ui_set_evbit(fd, EV_KEY as _))?;
            check(ui_set_evbit(fd, EV_SYN as _))?;
            check(ui_set_evbit(fd, EV_MSC as _))?;
            if spec.repeat {
                check(ui_set_evbit(fd, EV_REP as _))?;
            }
            let mut keys = spec.extra_keys.clone();
            if spec.letters {
                keys.extend(LETTERS);
            }
            if spec.pointer {
                keys.push(BTN_LEFT);
                check(ui_set_evbit(fd, EV_REL as _))?;
                check(ui_set_relbit(fd, 0))?;
                check(ui_set_relbit(fd, 1))?;
            }
            for k in keys {
                check(ui_set_keybit(fd, k as _))?;
            }
            if let Some(p) = &spec.phys {
                let c = std::ffi::CString::new(p.as_str()).unwrap();
                check(ui_set_phys(fd, c.as_ptr()))?;
            }
            check(ui_dev_setup(fd, &setup))?;
            check(ui_dev_create(fd))?;
        }
        let mut buf = [0u8; 64];
        // SAFETY: the request encodes buf's length.
        unsafe { check(ui_get_sysname(fd, &mut buf))? };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let syspath = PathBuf::from("/sys/devices/virtual/input")
            .join(std::str::from_utf8(&buf[..end]).unwrap());
        // The event node appears once the evdev handler bound (devtmpfs creates it).
        for _ in 0..500 {
            let ev = std::fs::read_dir(&syspath)
                .ok()
                .into_iter()
                .flatten()
                .flatten()
                .find_map(|e| {
                    let n = e.file_name().to_string_lossy().to_string();
                    n.starts_with("event").then_some(n)
                });
            if let Some(ev) = ev {
                let node = PathBuf::from("/dev/input").join(ev);
                if node.exists() {
                    return Ok(Uinput { file, node });
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        Err(std::io::Error::other("event node did not appear"))
    }

    /// Writes raw events (the kernel stamps them).
    pub fn write(&mut self, events: &[(u16, u16, i32)]) {
        let mut bytes = Vec::with_capacity(events.len() * 24);
        for &(k, c, v) in events {
            bytes.extend_from_slice(&RawEvent::new(0, k, c, v).to_bytes());
        }
        self.file.write_all(&bytes).unwrap();
    }

    /// One key transition as a frame: MSC_SCAN, EV_KEY, SYN_REPORT.
    pub fn key(&mut self, code: u16, value: i32) {
        self.write(&[
            (EV_MSC, 4, 0x70000 + code as i32),
            (EV_KEY, code, value),
            (EV_SYN, 0, 0),
        ]);
    }

    /// Press and release.
    pub fn tap(&mut self, code: u16) {
        self.key(code, 1);
        self.key(code, 0);
    }

    pub fn destroy(self) {
        // SAFETY: fd is the open uinput fd.
        unsafe { ui_dev_destroy(self.file.as_raw_fd()) }.unwrap();
    }
}

/// Another program's exclusive grab of `node` (F22), released on drop.
pub struct Grab {
    _fd: File,
}

impl Grab {
    pub fn take(node: &std::path::Path) -> Self {
        let f = File::open(node).unwrap();
        // SAFETY: f is an open evdev fd; EVIOCGRAB takes an int value.
        unsafe { eviocgrab(f.as_raw_fd(), 1) }.unwrap();
        Grab { _fd: f }
    }
}
