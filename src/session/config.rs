//! The `[session]` configuration section: D-Bus timeouts, lock confirmation, escalation,
//! settle window, false-lock window and the identity source.
//!
//! Invariant: [`SessionConfig::default`] is the documented default, and
//! [`SessionConfig::validate`] accepts it; every value the daemon uses has passed `validate`.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;

/// `[session]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Deadline for every single D-Bus call, in ms (default 2000; 100..=60000). A call that
    /// misses it is an error, never a hang.
    pub dbus_timeout_ms: u64,
    /// How long to wait after `LockSession` for `LockedHint=true` (or the active session
    /// changing) before escalating, in ms (default 2000, F34; 100..=60000).
    pub lock_confirm_timeout_ms: u64,
    /// What to do when a lock is not confirmed (default `"log-only"`).
    pub escalation: Escalation,
    /// Scoring pause after a switch of the active session, a resume or a logind restart, in
    /// ms (default 2000, F39; 0..=60000).
    pub settle_ms: u64,
    /// An unlock within this many seconds of typewarden's confirmed lock is audited as a
    /// probable false lock and makes the policy back off (default 60; 0..=3600).
    pub probable_false_lock_window_s: u64,
    /// Who is typing (default `"logind-uid"`).
    pub identity: IdentitySource,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            dbus_timeout_ms: 2000,
            lock_confirm_timeout_ms: 2000,
            escalation: Escalation::LogOnly,
            settle_ms: 2000,
            probable_false_lock_window_s: 60,
            identity: IdentitySource::LogindUid,
        }
    }
}

/// The fallback when no locker confirms a lock (F33: TTY sessions, bare window managers,
/// kiosks).
///
/// TOML: `escalation = "log-only"`, `"terminate"`,
/// `{ command = { argv = ["/usr/bin/vdi-disconnect", "{session}"], timeout_ms = 5000 } }` or
/// `{ activate-session = "greeter" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum Escalation {
    /// Audit only (the default).
    LogOnly,
    /// Run a program without a shell, with an empty environment and a deadline. In `argv`,
    /// `{session}`, `{seat}` and `{uid}` are replaced by the target's values.
    Command(CommandSpec),
    /// `ActivateSessionOnSeat(target, seat)`. `"greeter"` means the seat's session of class
    /// `greeter`; anything else is a session id.
    ActivateSession(String),
    /// `TerminateSession`: loses the user's unsaved work, so never a default.
    Terminate,
}

/// A command escalation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// Absolute program path, then its arguments.
    pub argv: Vec<String>,
    /// Kill the program when it runs longer than this, in ms (default 5000; 100..=60000).
    #[serde(default = "default_command_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_command_timeout_ms() -> u64 {
    5000
}

/// Where the identity of the typist comes from.
///
/// TOML: `identity = "logind-uid"` or `identity = { file = "/etc/typewarden/kiosk-user" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum IdentitySource {
    /// The active session's uid (the default).
    LogindUid,
    /// A root-owned file naming the person, for kiosk images where everyone shares one local
    /// account (VDI clients); written by a privileged launcher. See [`super::identity`].
    File(PathBuf),
}

/// A `[session]` value out of range: `key: what is wrong`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("session.{key}: {what}")]
pub struct SessionConfigError {
    /// The key below `[session]`.
    pub key: &'static str,
    /// What is wrong.
    pub what: String,
}

impl SessionConfig {
    /// Checks ranges and shapes; the first problem found is returned.
    pub fn validate(&self) -> Result<(), SessionConfigError> {
        range("dbus_timeout_ms", self.dbus_timeout_ms, 100, 60_000)?;
        range(
            "lock_confirm_timeout_ms",
            self.lock_confirm_timeout_ms,
            100,
            60_000,
        )?;
        range("settle_ms", self.settle_ms, 0, 60_000)?;
        range(
            "probable_false_lock_window_s",
            self.probable_false_lock_window_s,
            0,
            3600,
        )?;
        match &self.escalation {
            Escalation::Command(spec) => {
                let absolute = spec.argv.first().is_some_and(|p| p.starts_with('/'));
                if !absolute {
                    return Err(bad(
                        "escalation",
                        "command argv must start with an absolute program path",
                    ));
                }
                range(
                    "escalation.command.timeout_ms",
                    spec.timeout_ms,
                    100,
                    60_000,
                )?;
            }
            Escalation::ActivateSession(target) if target.is_empty() => {
                return Err(bad(
                    "escalation",
                    "activate-session needs a session id or \"greeter\"",
                ));
            }
            _ => {}
        }
        if let IdentitySource::File(path) = &self.identity {
            if !path.is_absolute() {
                return Err(bad("identity", "file must be an absolute path"));
            }
        }
        Ok(())
    }

    /// [`Self::dbus_timeout_ms`] as a duration.
    pub fn dbus_timeout(&self) -> Duration {
        Duration::from_millis(self.dbus_timeout_ms)
    }

    /// [`Self::lock_confirm_timeout_ms`] as a duration.
    pub fn lock_confirm_timeout(&self) -> Duration {
        Duration::from_millis(self.lock_confirm_timeout_ms)
    }
}

fn range(key: &'static str, v: u64, lo: u64, hi: u64) -> Result<(), SessionConfigError> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(bad(key, &format!("{v} is out of range {lo}..={hi}")))
    }
}

fn bad(key: &'static str, what: &str) -> SessionConfigError {
    SessionConfigError {
        key,
        what: what.to_string(),
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
