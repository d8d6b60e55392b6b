//! Notices changes of the kiosk identity file. A VDI launcher names the next employee by
//! rewriting it while the shared local session (and so logind) stays the same; without this
//! the new person's typing would go to the previous person's profile until the next session
//! event.
//!
//! Invariant: only a notification leaves here, never the file's content; the decision loop
//! re-reads the file through [`super::identity::read_identity_file`] (with its hygiene).

use crate::input::sys::{async_readable, InotifyFd};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};
use std::path::PathBuf;
use tokio::sync::mpsc;

/// Sends `()` on `tx` whenever `path` may have changed (written, replaced by a rename,
/// created, deleted, chmod/chown), until `tx`'s receiver is dropped. The parent directory is
/// watched, so an atomic replace (write a temp file, rename it over) is seen too. If inotify
/// is unavailable the watch ends with a warning: the file is then read on session events only.
pub async fn watch_identity_file(path: PathBuf, tx: mpsc::Sender<()>) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let mask = AddWatchFlags::IN_CLOSE_WRITE
        | AddWatchFlags::IN_MOVED_TO
        | AddWatchFlags::IN_MOVED_FROM
        | AddWatchFlags::IN_CREATE
        | AddWatchFlags::IN_DELETE
        | AddWatchFlags::IN_ATTRIB;
    let ino = match Inotify::init(InitFlags::IN_NONBLOCK | InitFlags::IN_CLOEXEC)
        .and_then(|i| i.add_watch(dir, mask).map(|_| i))
    {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "identity file watch: {e}; read on session events only");
            return;
        }
    };
    let fd = match async_readable(InotifyFd(ino)) {
        Ok(fd) => fd,
        Err(e) => {
            tracing::warn!("identity file watch: {e}; read on session events only");
            return;
        }
    };
    loop {
        let Ok(mut guard) = fd.readable().await else {
            return;
        };
        let mut changed = false;
        // Drain to EAGAIN: the fd is edge-triggered under tokio.
        loop {
            match fd.get_ref().0.read_events() {
                Ok(events) => {
                    changed |= events.iter().any(|e| {
                        e.mask.contains(AddWatchFlags::IN_Q_OVERFLOW)
                            || e.name.as_deref() == Some(name)
                    });
                }
                Err(nix::errno::Errno::EAGAIN) => {
                    guard.clear_ready();
                    break;
                }
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    tracing::warn!("identity file watch: {e}; read on session events only");
                    return;
                }
            }
        }
        if changed && tx.send(()).await.is_err() {
            return;
        }
    }
}
