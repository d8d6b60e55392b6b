//! udev's device monitor, spoken directly over netlink (no libudev C dependency).
//!
//! Owns: the `NETLINK_KOBJECT_UEVENT` socket bound to multicast group 2 ("udev"), where
//! systemd-udevd re-broadcasts each uevent *after* its rules ran, so permissions, ACLs,
//! `ID_INPUT_*`, `ID_SEAT` and by-id/by-path links are in place when we open (F42). The
//! message format is libudev's `monitor_netlink_header` (`sd-device-monitor.c`): an 8-byte
//! "libudev" prefix, magic 0xfeedcafe in network order, header size, properties offset and
//! length, then `KEY=VALUE\0` properties.
//!
//! Invariants:
//! - only messages whose `SCM_CREDENTIALS` say uid 0 are accepted (anyone else could forge
//!   an "add" to steer us), as libudev does;
//! - the socket is drained to `EAGAIN` on every wakeup; `ENOBUFS` (the kernel dropped
//!   messages) is reported as [`Uevent::Overflow`] so the caller rescans.
//!
//! Needs `AF_NETLINK` in the unit's `RestrictAddressFamilies=`.

use nix::errno::Errno;
use nix::sys::socket::{
    bind, recvmsg, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, MsgFlags,
    NetlinkAddr, SockFlag, SockProtocol, SockType,
};
use std::collections::BTreeMap;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, OwnedFd};
use tokio::io::unix::AsyncFd;

/// Multicast group of udevd's processed events (1 is the raw kernel group).
pub const UDEV_GROUP: u32 = 2;
const PREFIX: &[u8; 8] = b"libudev\0";
const MAGIC: u32 = 0xfeed_cafe;
const HEADER_SIZE: usize = 40;

/// One monitor message, or the news that some were lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Uevent {
    /// A processed uevent's properties (`ACTION`, `SUBSYSTEM`, `DEVNAME`, …).
    Device(BTreeMap<String, String>),
    /// The receive buffer overflowed: state must be re-read from scratch.
    Overflow,
}

/// Socket errors (errno only).
#[derive(Debug, thiserror::Error)]
#[error("udev monitor: {what}: {errno}")]
pub struct UdevError {
    what: &'static str,
    errno: Errno,
}

/// Decodes one libudev monitor message; `None` for anything malformed or not from udevd.
pub fn parse_message(buf: &[u8]) -> Option<BTreeMap<String, String>> {
    if buf.len() < HEADER_SIZE || &buf[..8] != PREFIX {
        return None;
    }
    let word = |i: usize| [buf[i], buf[i + 1], buf[i + 2], buf[i + 3]];
    if u32::from_be_bytes(word(8)) != MAGIC {
        return None;
    }
    let off = u32::from_ne_bytes(word(16)) as usize;
    let len = u32::from_ne_bytes(word(20)) as usize;
    let body = buf.get(off..off.checked_add(len)?)?;
    let mut props = BTreeMap::new();
    for item in body.split(|&b| b == 0).filter(|s| !s.is_empty()) {
        let text = std::str::from_utf8(item).ok()?;
        let (k, v) = text.split_once('=')?;
        props.insert(k.to_string(), v.to_string());
    }
    Some(props)
}

/// Encodes properties the way systemd-udevd does (hashes and bloom left 0, which only
/// in-kernel BPF filters of libudev clients read). Used by tests that play udevd.
pub fn encode_message(props: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (k, v) in props {
        body.extend_from_slice(format!("{k}={v}").as_bytes());
        body.push(0);
    }
    let mut msg = Vec::with_capacity(HEADER_SIZE + body.len());
    msg.extend_from_slice(PREFIX);
    msg.extend_from_slice(&MAGIC.to_be_bytes());
    msg.extend_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
    msg.extend_from_slice(&(HEADER_SIZE as u32).to_ne_bytes());
    msg.extend_from_slice(&(body.len() as u32).to_ne_bytes());
    msg.extend_from_slice(&[0u8; 16]);
    msg.extend_from_slice(&body);
    msg
}

/// A subscribed udev monitor socket.
pub struct UdevMonitor {
    fd: AsyncFd<OwnedFd>,
    buf: Vec<u8>,
}

impl UdevMonitor {
    /// Subscribes to udevd's multicast group. Call before enumerating (nothing is missed).
    pub fn subscribe() -> Result<Self, UdevError> {
        let err = |what| move |errno| UdevError { what, errno };
        let flags = SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK;
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            flags,
            SockProtocol::NetlinkKObjectUEvent,
        )
        .map_err(err("socket"))?;
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 1 << (UDEV_GROUP - 1))).map_err(err("bind"))?;
        setsockopt(&fd, sockopt::PassCred, &true).map_err(err("SO_PASSCRED"))?;
        // A burst of hotplug (dock, resume) must not overflow the default buffer; as root the
        // forced size works, else keep the default and rely on the Overflow rescan.
        let _ = setsockopt(&fd, sockopt::RcvBufForce, &(4 << 20));
        let fd = crate::input::sys::async_readable(fd).map_err(|e| UdevError {
            what: "register",
            errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
        })?;
        Ok(Self {
            fd,
            buf: vec![0u8; 16 * 1024],
        })
    }

    /// Waits for the next batch of messages and drains the socket to `EAGAIN`.
    pub async fn next_batch(&mut self) -> Result<Vec<Uevent>, UdevError> {
        loop {
            let mut guard = self.fd.readable().await.map_err(|e| UdevError {
                what: "poll",
                errno: Errno::from_raw(e.raw_os_error().unwrap_or(0)),
            })?;
            let mut out = Vec::new();
            loop {
                match recv_one(self.fd.get_ref(), &mut self.buf) {
                    Ok(Some(ev)) => out.push(ev),
                    Ok(None) => {}
                    Err(Errno::EAGAIN) => {
                        guard.clear_ready();
                        break;
                    }
                    Err(Errno::EINTR) => {}
                    Err(Errno::ENOBUFS) => out.push(Uevent::Overflow),
                    Err(errno) => {
                        return Err(UdevError {
                            what: "recvmsg",
                            errno,
                        })
                    }
                }
            }
            if !out.is_empty() {
                return Ok(out);
            }
        }
    }
}

/// Receives one datagram; `Ok(None)` if it was dropped (forged, malformed, truncated).
fn recv_one(fd: &OwnedFd, buf: &mut [u8]) -> Result<Option<Uevent>, Errno> {
    let mut cmsg = nix::cmsg_space!(nix::sys::socket::UnixCredentials);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<NetlinkAddr>(
        fd.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT,
    )?;
    let from_root = msg
        .cmsgs()
        .ok()
        .into_iter()
        .flatten()
        .any(|c| matches!(c, ControlMessageOwned::ScmCredentials(cr) if cr.uid() == 0));
    let len = msg.bytes;
    if !from_root || msg.flags.contains(MsgFlags::MSG_TRUNC) {
        return Ok(None);
    }
    Ok(parse_message(&buf[..len]).map(Uevent::Device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_roundtrip_and_rejects() {
        let m = encode_message(&[
            ("ACTION", "add"),
            ("DEVNAME", "/dev/input/event7"),
            ("ID_SEAT", "seat1"),
        ]);
        let p = parse_message(&m).unwrap();
        assert_eq!(
            p.get("DEVNAME").map(String::as_str),
            Some("/dev/input/event7")
        );
        assert_eq!(p.len(), 3);
        // A raw kernel uevent ("add@/devices/…") and truncated or corrupted headers are ignored.
        assert_eq!(
            parse_message(b"add@/devices/virtual/input/input3\0ACTION=add\0"),
            None
        );
        assert_eq!(parse_message(&m[..30]), None);
        let mut bad = m.clone();
        bad[8] ^= 1;
        assert_eq!(parse_message(&bad), None);
        let mut long = m.clone();
        long[20..24].copy_from_slice(&9999u32.to_ne_bytes());
        assert_eq!(parse_message(&long), None);
    }
}
