//! Operational logs: `tracing` to the journal, or to stderr when there is no journal.
//!
//! Audit records do not go through here: [`crate::audit`] sends them with checked delivery.
//! These logs are best effort (tracing-journald drops send errors, peers.md §2.5), carry
//! `SYSLOG_IDENTIFIER=typewarden` and user fields prefixed `F_`, and must never include key
//! content (brief rule 1). The journald layer probes the socket at construction and fails
//! when it is missing (containers, CI, F43): then a plain stderr formatter is used.
//! `TYPEWARDEN_LOG` (an `EnvFilter` directive such as `typewarden=debug`) overrides the
//! verbosity.

use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Environment variable with an `EnvFilter` directive overriding the verbosity.
pub const LOG_ENV: &str = "TYPEWARDEN_LOG";

/// Where operational logs go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogBackend {
    /// The journald native socket.
    Journald,
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

/// Install the global subscriber: journald if reachable, else stderr. Never fails.
pub fn init(verbosity: u8) -> LoggingGuard {
    let filter = || {
        EnvFilter::builder()
            .with_default_directive(level_for(verbosity).into())
            .with_env_var(LOG_ENV)
            .from_env_lossy()
    };
    let journald = tracing_journald::layer()
        .map(|l| l.with_syslog_identifier(crate::audit::SYSLOG_IDENTIFIER.to_owned()));
    let (installed, backend, journald_error) = match journald {
        Ok(layer) => (
            tracing_subscriber::registry()
                .with(filter())
                .with(layer)
                .try_init(),
            LogBackend::Journald,
            None,
        ),
        Err(e) => (
            tracing_subscriber::registry()
                .with(filter())
                .with(
                    tracing_subscriber::fmt::layer()
                        .with_writer(std::io::stderr)
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
        tracing::info!("journal socket unavailable ({e}); operational logs go to stderr");
    }
    LoggingGuard { backend }
}
