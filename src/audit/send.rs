//! Sending one record: the journal socket with checked, bounded retries, else syslog's
//! `/dev/log`, else stderr (F43: containers, initrd and minimal systems may lack the
//! journal but have a syslog daemon, or have neither).
//!
//! Invariants: a journal send is retried only while the journal was last known reachable,
//! so a missing socket costs one failed `sendto` per record, not a back-off; syslog gets one
//! attempt per record; each transition between journal, syslog and stderr is announced once
//! on stderr. Sockets are opened lazily and reopened after errors.

use super::record::AuditRecord;
use super::writer::AuditConfig;
use std::io::{self, Write};
use std::os::unix::net::UnixDatagram;

/// Where a record ended up.
pub(super) enum Delivered {
    /// The journal accepted it.
    Journal,
    /// The syslog socket accepted it.
    Syslog,
    /// It went to stderr.
    Fallback,
    /// Nothing took it.
    Lost,
}

/// The result of one delivery.
pub(super) struct Outcome {
    pub result: Delivered,
    pub retries: u64,
}

/// The writer thread's sending state.
pub(super) struct Sender {
    config: AuditConfig,
    socket: Option<UnixDatagram>,
    journal_up: bool,
    /// Where records went last while the journal was down (for the one-time notes).
    down_to: Option<Delivered>,
    syslog: Option<UnixDatagram>,
    fallback: Box<dyn Write + Send>,
}

impl Sender {
    pub(super) fn new(config: AuditConfig, fallback: Box<dyn Write + Send>) -> Sender {
        Sender {
            config,
            socket: None,
            journal_up: true,
            down_to: None,
            syslog: None,
            fallback,
        }
    }

    /// Deliver one record; with `abandon` (shutdown out of time) go straight to stderr.
    pub(super) fn deliver(&mut self, record: &AuditRecord, abandon: bool) -> Outcome {
        let mut retries = 0;
        if !abandon {
            let payload = record.to_native();
            let attempts = if self.journal_up {
                1 + self.config.retries
            } else {
                1
            };
            let mut delay = self.config.retry_delay;
            for attempt in 0..attempts {
                if attempt > 0 {
                    std::thread::sleep(delay);
                    delay = delay.saturating_mul(2);
                    retries += 1;
                }
                match self.send(&payload) {
                    Ok(()) => {
                        if !self.journal_up {
                            self.journal_up = true;
                            self.down_to = None;
                            let note = format!(
                                "typewarden[audit]: journal socket {} reachable again; audit records go to the journal",
                                self.config.socket.display()
                            );
                            let _ = writeln!(self.fallback, "{note}");
                        }
                        return Outcome {
                            result: Delivered::Journal,
                            retries,
                        };
                    }
                    Err(e) => {
                        self.socket = None;
                        if self.journal_up && attempt + 1 == attempts {
                            self.journal_up = false;
                            let note = format!(
                                "typewarden[audit]: journal socket {} unavailable ({e})",
                                self.config.socket.display()
                            );
                            let _ = writeln!(self.fallback, "{note}");
                        }
                    }
                }
            }
            if let Some(path) = self.config.syslog_socket.clone() {
                match self.send_syslog(&path, &record.to_syslog(std::process::id())) {
                    Ok(()) => {
                        self.announce(
                            Delivered::Syslog,
                            &format!("syslog socket {}", path.display()),
                        );
                        return Outcome {
                            result: Delivered::Syslog,
                            retries,
                        };
                    }
                    Err(e) => {
                        self.syslog = None;
                        if matches!(self.down_to, Some(Delivered::Syslog) | None) {
                            let note = format!(
                                "typewarden[audit]: journal socket {} down and syslog socket {} unavailable ({e})",
                                self.config.socket.display(),
                                path.display()
                            );
                            let _ = writeln!(self.fallback, "{note}");
                        }
                    }
                }
            }
            self.announce(Delivered::Fallback, "stderr");
        }
        let written = writeln!(self.fallback, "{}", record.to_stderr_line())
            .and_then(|()| self.fallback.flush());
        let result = if written.is_ok() {
            Delivered::Fallback
        } else {
            Delivered::Lost
        };
        Outcome { result, retries }
    }

    /// Says once where records go while the journal is down.
    fn announce(&mut self, to: Delivered, name: &str) {
        let same = matches!(
            (&self.down_to, &to),
            (Some(Delivered::Syslog), Delivered::Syslog)
                | (Some(Delivered::Fallback), Delivered::Fallback)
        );
        if !same {
            self.down_to = Some(to);
            let note = format!(
                "typewarden[audit]: journal socket {} down: audit records go to {name} until it returns",
                self.config.socket.display()
            );
            let _ = writeln!(self.fallback, "{note}");
        }
    }

    fn send_syslog(&mut self, path: &std::path::Path, payload: &[u8]) -> io::Result<()> {
        let socket = match &self.syslog {
            Some(s) => s,
            None => {
                let s = UnixDatagram::unbound()?;
                s.set_write_timeout(Some(self.config.send_timeout))?;
                self.syslog.insert(s)
            }
        };
        let n = socket.send_to(payload, path)?;
        if n != payload.len() {
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short datagram"));
        }
        Ok(())
    }

    fn send(&mut self, payload: &[u8]) -> io::Result<()> {
        let socket = match &self.socket {
            Some(s) => s,
            None => {
                let s = UnixDatagram::unbound()?;
                s.set_write_timeout(Some(self.config.send_timeout))?;
                self.socket.insert(s)
            }
        };
        let n = socket.send_to(payload, &self.config.socket)?;
        if n != payload.len() {
            // Datagrams are all-or-nothing; a short count would mean a truncated record.
            return Err(io::Error::new(io::ErrorKind::WriteZero, "short datagram"));
        }
        Ok(())
    }
}
