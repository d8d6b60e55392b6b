//! Operational logs: `tracing` to the journal, else to syslog's `/dev/log`, else to stderr
//! (F43: containers, initrd and minimal systems lack the journal socket, some have a syslog
//! daemon instead).
//!
//! Audit records do not go through here: [`crate::audit`] sends them with checked delivery.
//! These logs are best effort (tracing-journald drops send errors, peers.md §2.5), carry
//! `SYSLOG_IDENTIFIER=typewarden` and user fields prefixed `F_`, and must never include key
//! content (brief rule 1). The journald layer probes the socket at construction and fails
//! when it is missing: then, if the syslog socket is there, each event becomes one
//! syslog(3)-style datagram (facility daemon, the event's level as severity; a line the
//! socket refuses goes to stderr), else a plain stderr formatter is used.
//! `TYPEWARDEN_LOG` (an `EnvFilter` directive such as `typewarden=debug`) overrides the
//! verbosity.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Environment variable with an `EnvFilter` directive overriding the verbosity.
pub const LOG_ENV: &str = "TYPEWARDEN_LOG";

/// Where operational logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogBackend {
    /// The journald native socket.
    Journald,
    /// The syslog socket, because the journal socket is unavailable.
    Syslog,
    /// stderr, because the journal socket is unavailable.
    Stderr,
    /// A global subscriber was already installed (tests, embedding); nothing changed.
    AlreadyInitialized,
}

/// What [`init`] set up. Keep it for the life of the process; nothing needs flushing today,
/// but owning it keeps the call site right when a buffered writer is added.
#[derive(Debug)]
#[must_use = "keep the logging guard for the life of the process"]
pub struct LoggingGuard {
    backend: LogBackend,
}

impl LoggingGuard {
    /// The backend in use.
    pub fn backend(&self) -> LogBackend {
        self.backend
    }
}

/// Level for a `-v` count: 0 → info, 1 → debug, more → trace.
pub fn level_for(verbosity: u8) -> LevelFilter {
    match verbosity {
        0 => LevelFilter::INFO,
        1 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    }
}

/// Install the global subscriber: journald if reachable, else the syslog socket at
/// `syslog` (`None`: skip it) if it takes a datagram, else stderr. Never fails.
pub fn init(verbosity: u8, syslog: Option<&Path>) -> LoggingGuard {
    let filter = || {
        EnvFilter::builder()
            .with_default_directive(level_for(verbosity).into())
            .with_env_var(LOG_ENV)
            .from_env_lossy()
    };
    let journald = tracing_journald::layer()
        .map(|l| l.with_syslog_identifier(crate::audit::SYSLOG_IDENTIFIER.to_owned()));
    let syslog = syslog.and_then(|p| SyslogWriter::open(p).ok());
    let (installed, backend, journald_error) = match (journald, syslog) {
        (Ok(layer), _) => (
            tracing_subscriber::registry()
                .with(filter())
                .with(layer)
                .try_init(),
            LogBackend::Journald,
            None,
        ),
        (Err(e), Some(w)) => (
            tracing_subscriber::registry()
                .with(filter())
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(w)
                        .with_ansi(false)
                        .without_time()
                        .with_level(false)
                        .with_target(false),
                )
                .try_init(),
            LogBackend::Syslog,
            Some(e),
        ),
        (Err(e), None) => (
            tracing_subscriber::registry()
                .with(filter())
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
                        // Colour codes only for a person at a terminal, never into a
                        // file, a pipe or a log collector.
                        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                        .with_target(false),
                )
                .try_init(),
            LogBackend::Stderr,
            Some(e),
        ),
    };
    if installed.is_err() {
        return LoggingGuard {
            backend: LogBackend::AlreadyInitialized,
        };
    }
    if let Some(e) = journald_error {
        let to = if backend == LogBackend::Syslog {
            "the syslog socket"
        } else {
            "stderr"
        };
        tracing::info!("journal socket unavailable ({e}); operational logs go to {to}");
    }
    LoggingGuard { backend }
}

/// Writes each log event as one datagram to a syslog socket, in the format syslog(3) sends
/// to `/dev/log` (`<PRI>Mmm dd hh:mm:ss typewarden[PID]: text`, facility daemon, UTC time).
/// A datagram the socket refuses is written to stderr instead: nothing is dropped silently.
pub struct SyslogWriter {
    socket: UnixDatagram,
    path: PathBuf,
}

impl SyslogWriter {
    /// A writer for the socket at `path`; fails unless something listens there now (a
    /// connect, so no empty message reaches the syslog daemon).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        UnixDatagram::unbound()?.connect(path)?;
        let socket = UnixDatagram::unbound()?;
        socket.set_write_timeout(Some(std::time::Duration::from_millis(200)))?;
        Ok(Self {
            socket,
            path: path.to_owned(),
        })
    }
}

/// syslog facility `daemon` (3).
const FACILITY_DAEMON: u8 = 3;

impl<'a> MakeWriter<'a> for SyslogWriter {
    type Writer = SyslogLine<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        SyslogLine::new(self, 6)
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        let severity = match *meta.level() {
            tracing::Level::ERROR => 3,
            tracing::Level::WARN => 4,
            tracing::Level::INFO => 6,
            _ => 7,
        };
        SyslogLine::new(self, severity)
    }
}

/// One event's text, sent when the formatter is done with it (on drop).
pub struct SyslogLine<'a> {
    writer: &'a SyslogWriter,
    severity: u8,
    text: Vec<u8>,
}

impl<'a> SyslogLine<'a> {
    fn new(writer: &'a SyslogWriter, severity: u8) -> Self {
        Self {
            writer,
            severity,
            text: Vec::new(),
        }
    }
}

impl Write for SyslogLine<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for SyslogLine<'_> {
    fn drop(&mut self) {
        let text = String::from_utf8_lossy(&self.text);
        let text = text.trim_end();
        if text.is_empty() {
            return;
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let datagram = format!(
            "<{}>{} {}[{}]: {text}",
            FACILITY_DAEMON * 8 + self.severity,
            crate::audit::record::rfc3164_time(secs),
            crate::audit::SYSLOG_IDENTIFIER,
            std::process::id()
        );
        let w = self.writer;
        if w.socket.send_to(datagram.as_bytes(), &w.path).is_err() {
            let _ = writeln!(std::io::stderr(), "{text}");
        }
    }
}
