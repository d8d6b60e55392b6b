//! The evdev ioctls the reader needs, as safe functions over a borrowed fd.
//!
//! Owns: every `unsafe` block of the crate. Each wrapper passes a buffer or struct that the
//! kernel fills (or reads) with exactly the size encoded in the request number, so the
//! kernel can never write past it (`drivers/input/evdev.c`, `evdev_do_ioctl`).
//!
//! Deliberately absent: `EVIOCGRAB`. The daemon is passive and must never grab a device
//! (F09, F21, F22); leaving the request out of this module makes that a build-time fact.
#![allow(unsafe_code)]

use nix::libc::c_int;
use nix::{ioctl_read, ioctl_read_buf, ioctl_write_ptr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

/// `KEY_MAX + 1` bits, in bytes: the size of an `EVIOCGKEY`/`EVIOCGBIT(EV_KEY)` buffer.
pub const KEY_BYTES: usize = 0x300 / 8;

/// `struct input_id` as the kernel lays it out.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct RawInputId {
    pub bustype: u16,
    pub vendor: u16,
    pub product: u16,
    pub version: u16,
}

ioctl_read!(eviocgid, b'E', 0x02, RawInputId);
ioctl_read!(eviocgrep, b'E', 0x03, [u32; 2]);
ioctl_read_buf!(eviocgname, b'E', 0x06, u8);
ioctl_read_buf!(eviocgphys, b'E', 0x07, u8);
ioctl_read_buf!(eviocguniq, b'E', 0x08, u8);
ioctl_read_buf!(eviocgprop, b'E', 0x09, u8);
ioctl_read_buf!(eviocgkey, b'E', 0x18, u8);
ioctl_read_buf!(eviocgbit_types, b'E', 0x20, u8);
ioctl_read_buf!(eviocgbit_key, b'E', 0x21, u8);
ioctl_read_buf!(eviocgbit_rel, b'E', 0x22, u8);
ioctl_read_buf!(eviocgbit_abs, b'E', 0x23, u8);
// `_IOW('E', 0xa0, int)`: the kernel reads the clock id through the pointer.
ioctl_write_ptr!(eviocsclockid, b'E', 0xa0, c_int);

/// Which string `EVIOCG{NAME,PHYS,UNIQ}` to read.
#[derive(Clone, Copy, Debug)]
pub enum StrKind {
    /// Device name.
    Name,
    /// Physical topology path (empty for uinput unless set).
    Phys,
    /// Unique id (serial, BT address).
    Uniq,
}

/// Which capability bitmap to read.
#[derive(Clone, Copy, Debug)]
pub enum BitKind {
    /// `EV_*` types.
    Types,
    /// `EV_KEY` codes.
    Key,
    /// `EV_REL` codes.
    Rel,
    /// `EV_ABS` codes.
    Abs,
    /// `INPUT_PROP_*`.
    Props,
}

impl BitKind {
    fn bytes(self) -> usize {
        match self {
            BitKind::Types | BitKind::Props => 4, // EV_MAX, INPUT_PROP_MAX = 0x1f
            BitKind::Key => KEY_BYTES,
            BitKind::Rel => 2, // REL_MAX = 0x0f
            BitKind::Abs => 8, // ABS_MAX = 0x3f
        }
    }
}

/// `EVIOCGID`.
pub fn input_id(fd: BorrowedFd<'_>) -> nix::Result<RawInputId> {
    let mut id = RawInputId::default();
    // SAFETY: `id` is a live, correctly sized `struct input_id` the kernel fills.
    unsafe { eviocgid(fd.as_raw_fd(), &mut id) }?;
    Ok(id)
}

/// `EVIOCGNAME`/`EVIOCGPHYS`/`EVIOCGUNIQ`; a missing string (`ENOENT`) reads as empty.
pub fn string(fd: BorrowedFd<'_>, kind: StrKind) -> nix::Result<String> {
    let mut buf = [0u8; 256];
    let f = match kind {
        StrKind::Name => eviocgname,
        StrKind::Phys => eviocgphys,
        StrKind::Uniq => eviocguniq,
    };
    // SAFETY: the request encodes `buf.len()`; the kernel copies at most that many bytes.
    match unsafe { f(fd.as_raw_fd(), &mut buf) } {
        Ok(_) => {}
        Err(nix::errno::Errno::ENOENT) => return Ok(String::new()),
        Err(e) => return Err(e),
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    Ok(String::from_utf8_lossy(&buf[..end]).into_owned())
}

/// `EVIOCGBIT`/`EVIOCGPROP`: a little-endian bitmap.
pub fn bits(fd: BorrowedFd<'_>, kind: BitKind) -> nix::Result<Vec<u8>> {
    let mut buf = vec![0u8; kind.bytes()];
    let f = match kind {
        BitKind::Types => eviocgbit_types,
        BitKind::Key => eviocgbit_key,
        BitKind::Rel => eviocgbit_rel,
        BitKind::Abs => eviocgbit_abs,
        BitKind::Props => eviocgprop,
    };
    // SAFETY: the request encodes `buf.len()`; the kernel copies at most that many bytes.
    unsafe { f(fd.as_raw_fd(), &mut buf) }?;
    Ok(buf)
}

/// `EVIOCGKEY`: the keys down right now. Side effect (kernel): the caller's queued `EV_KEY`
/// events are flushed, which is what a resync after `SYN_DROPPED` wants.
pub fn key_state(fd: BorrowedFd<'_>) -> nix::Result<[u8; KEY_BYTES]> {
    let mut buf = [0u8; KEY_BYTES];
    // SAFETY: the request encodes `buf.len()`; the kernel copies at most that many bytes.
    unsafe { eviocgkey(fd.as_raw_fd(), &mut buf) }?;
    Ok(buf)
}

/// `EVIOCGREP`: `[delay_ms, period_ms]` of the kernel's soft autorepeat.
pub fn repeat(fd: BorrowedFd<'_>) -> nix::Result<[u32; 2]> {
    let mut rep = [0u32; 2];
    // SAFETY: `rep` is the `unsigned int[2]` the request is sized for.
    unsafe { eviocgrep(fd.as_raw_fd(), &mut rep) }?;
    Ok(rep)
}

/// `EVIOCSCLOCKID(CLOCK_MONOTONIC)`: kernel stamps of this fd switch to the monotonic clock
/// (F27). If events were queued the kernel flushes them and queues `SYN_DROPPED`.
pub fn set_monotonic(fd: BorrowedFd<'_>) -> nix::Result<()> {
    let clock: c_int = nix::libc::CLOCK_MONOTONIC;
    // SAFETY: the kernel reads one `int` through the pointer, which outlives the call.
    unsafe { eviocsclockid(fd.as_raw_fd(), &clock) }?;
    Ok(())
}

/// An inotify instance usable with tokio's `AsyncFd` (nix's `Inotify` is not `AsRawFd`).
pub struct InotifyFd(pub nix::sys::inotify::Inotify);

impl AsRawFd for InotifyFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

mod sealed {
    /// Owns exactly one fd for its whole life and always reports that same fd.
    pub trait OwnsFd: std::os::fd::AsRawFd {}
    impl OwnsFd for std::os::fd::OwnedFd {}
    impl OwnsFd for super::InotifyFd {}
}

/// Registers an fd-owning value with tokio for read readiness.
pub fn async_readable<T: sealed::OwnsFd>(inner: T) -> std::io::Result<tokio::io::unix::AsyncFd<T>> {
    use tokio::io::{unix::AsyncFd, Interest};
    // SAFETY: `OwnsFd` is sealed to types that own their fd (OwnedFd, Inotify's OwnedFd), so it
    // stays open and unchanged until the AsyncFd, which owns `inner`, is dropped.
    unsafe { AsyncFd::register_with_interest(inner, Interest::READABLE) }
        .map_err(std::io::Error::from)
}
