//! Polling a busy pointer node (issue 8): the reader's second mode.
//!
//! Why: an evdev node wakes its readers on every report (`evdev_pass_values` →
//! `wake_up_interruptible` per `SYN_REPORT`), and tokio's epoll registration turns each into
//! a wakeup of the runtime thread, even while the reader task sleeps. A 1–8 kHz mouse would
//! cost 1,000–8,000 wakeups a second. So once a node whose pointer is read has events, the
//! reader deregisters it and reads it every [`POLL`] until a read finds nothing, then goes
//! back to readiness. Reports queue in the kernel meanwhile: a mouse's client buffer holds at
//! least 128 events (`evdev_compute_buffer_size`: 8 packets of the device's estimated size,
//! rounded up to a power of two), 16 ms at 8,000 events/s, four times [`POLL`]; an overflow
//! would still be a clean `SYN_DROPPED` (F01). Timing comes from kernel stamps, so nothing is
//! measured later than it happened, and nothing waits on this passive reader, so no input
//! latency is added.
//!
//! A child module of `reader`, sharing its loop state and invariants.

use super::{monotonic_us, Loop, ReaderExit};
use crate::input::InputEvent;
use std::os::fd::OwnedFd;
use std::time::Duration;
use tokio::sync::mpsc::Sender;

/// Time between reads while a pointer is busy.
pub(super) const POLL: Duration = Duration::from_millis(4);

impl Loop {
    /// Reads `fd` every [`POLL`] until a read finds nothing; a pointer action that a pause
    /// closed meanwhile is flushed here.
    pub(super) async fn busy(
        &mut self,
        fd: &OwnedFd,
        tx: &Sender<InputEvent>,
    ) -> Result<(), ReaderExit> {
        loop {
            tokio::time::sleep(POLL).await;
            let before = self.stats.events;
            self.stats.wakeups += 1;
            self.drain(fd, tx).await?;
            let now = monotonic_us();
            if let Some(tap) = &mut self.pointer {
                if tap.deadline().is_some_and(|d| now >= d) {
                    tap.flush(now, &mut self.pout);
                }
            }
            if !self.send(tx).await {
                return Err(ReaderExit::Closed);
            }
            if self.stats.events == before {
                return Ok(());
            }
        }
    }
}
