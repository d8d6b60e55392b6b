//! Rendering an [`AuditEvent`] into a journal record: a human sentence and typed fields
//! (pure).
//!
//! Invariant: every value comes from a number, a validated name or a fixed token
//! ([`super::fields`]), so no record can carry key content.

use super::event::AuditEvent;
use super::fields::*;
use super::record::AuditRecord;
use std::fmt::Write as _;

/// Accumulates typed fields.
struct Fields(Vec<(&'static str, String)>);

impl Fields {
    fn add(&mut self, name: &'static str, value: impl ToString) -> &mut Fields {
        self.0.push((name, value.to_string()));
        self
    }
    fn subject(&mut self, s: &Subject) -> &mut Fields {
        self.add("TYPEWARDEN_UID", s.uid);
        if let Some(user) = &s.user {
            self.add("TYPEWARDEN_USER", user);
        }
        self
    }
    fn session(&mut self, s: &SessionRef) -> &mut Fields {
        self.add("TYPEWARDEN_SESSION", &s.id);
        if let Some(seat) = &s.seat {
            self.add("TYPEWARDEN_SEAT", seat);
        }
        self
    }
    fn path(&mut self, p: &std::path::Path) -> &mut Fields {
        self.add("TYPEWARDEN_PATH", display_path(p))
    }
}

/// Paths come from root's configuration or the store, yet a control character would still
/// break a stderr line: replace them.
fn display_path(p: &std::path::Path) -> String {
    p.to_string_lossy()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

fn who(s: &Subject) -> String {
    match &s.user {
        Some(user) => format!("{user} (uid {})", s.uid),
        None => format!("uid {}", s.uid),
    }
}

fn who_opt(s: &Option<Subject>) -> String {
    s.as_ref()
        .map_or(String::new(), |s| format!(" for {}", who(s)))
}

impl AuditEvent {
    /// Render the event: a human sentence for `MESSAGE` and its structured fields.
    pub fn to_record(&self) -> AuditRecord {
        use AuditEvent as E;
        let mut f = Fields(Vec::new());
        let message = match self {
            E::DaemonStarted { version, mode } => {
                f.add("TYPEWARDEN_VERSION", version)
                    .add("TYPEWARDEN_MODE", mode.as_str());
                format!("typewarden {version} started in {} mode", mode.as_str())
            }
            E::DaemonStopping { reason } => {
                f.add("TYPEWARDEN_REASON", reason.as_str());
                format!("typewarden stopping ({})", reason.as_str())
            }
            E::EnrollmentProgress {
                subject,
                profile,
                keystrokes,
                percent,
            } => {
                f.subject(subject).add("TYPEWARDEN_PROFILE", profile);
                f.add("TYPEWARDEN_KEYSTROKES", keystrokes)
                    .add("TYPEWARDEN_PERCENT", percent);
                format!(
                    "Enrollment of {} at {percent}% after {keystrokes} keystrokes",
                    who(subject)
                )
            }
            E::EnrollmentComplete {
                subject,
                profile,
                keystrokes,
            } => {
                f.subject(subject).add("TYPEWARDEN_PROFILE", profile);
                f.add("TYPEWARDEN_KEYSTROKES", keystrokes);
                format!("Enrollment of {} complete after {keystrokes} keystrokes; typing is now verified", who(subject))
            }
            E::ImpostorDetected {
                subject,
                session,
                score,
                trust,
                threshold,
                keystrokes,
                device_class,
                input_lag_ms,
                mode,
            } => {
                f.subject(subject).session(session);
                f.add("TYPEWARDEN_SCORE", format!("{score:.3}"))
                    .add("TYPEWARDEN_TRUST", format!("{trust:.3}"));
                f.add("TYPEWARDEN_THRESHOLD", format!("{threshold:.3}"));
                f.add("TYPEWARDEN_KEYSTROKES", keystrokes)
                    .add("TYPEWARDEN_DEVICE_CLASS", device_class);
                f.add("TYPEWARDEN_INPUT_LAG_MS", input_lag_ms);
                f.add("TYPEWARDEN_MODE", mode.as_str());
                let late = if *input_lag_ms >= 100 {
                    format!(", decided {input_lag_ms} ms after the input")
                } else {
                    String::new()
                };
                format!(
                    "Typing in session {} does not match {}: trust {trust:.3} below threshold {threshold:.3} after {keystrokes} keystrokes ({} mode{late})",
                    session.id, who(subject), mode.as_str()
                )
            }
            E::LockRequested { subject, session } => {
                f.subject(subject).session(session);
                format!("Locking session {} of {}", session.id, who(subject))
            }
            E::LockConfirmed {
                subject,
                session,
                elapsed_ms,
                requests,
                evidence,
            } => {
                f.subject(subject)
                    .session(session)
                    .add("TYPEWARDEN_ELAPSED_MS", elapsed_ms);
                f.add("TYPEWARDEN_REQUESTS", requests)
                    .add("TYPEWARDEN_EVIDENCE", evidence.as_str());
                format!(
                    "Session {} of {} locked {elapsed_ms} ms after the request ({}, {requests} request{})",
                    session.id,
                    who(subject),
                    evidence.as_str(),
                    if *requests == 1 { "" } else { "s" }
                )
            }
            E::LockNotConfirmed {
                subject,
                session,
                timeout_ms,
                requests,
                reason,
                dbus_error,
            } => {
                f.subject(subject)
                    .session(session)
                    .add("TYPEWARDEN_TIMEOUT_MS", timeout_ms);
                f.add("TYPEWARDEN_REQUESTS", requests)
                    .add("TYPEWARDEN_REASON", reason.as_str());
                let why = match reason {
                    LockFailure::NoConfirmation => {
                        format!("did not confirm the lock within {timeout_ms} ms")
                    }
                    LockFailure::Refused => {
                        "was not locked: logind refused the lock request".into()
                    }
                    LockFailure::NoReply => {
                        "was not locked: logind did not answer the lock request".into()
                    }
                    LockFailure::Unreachable => {
                        "was not locked: logind could not be reached".into()
                    }
                };
                let mut m = format!("Session {} of {} {why}", session.id, who(subject));
                if let Some(e) = dbus_error {
                    f.add("TYPEWARDEN_DBUS_ERROR", e);
                    let _ = write!(m, " ({e})");
                }
                m
            }
            E::Escalation {
                subject,
                session,
                action,
                outcome,
            } => {
                f.subject(subject).session(session);
                f.add("TYPEWARDEN_ACTION", action.as_str())
                    .add("TYPEWARDEN_OUTCOME", outcome.as_str());
                format!(
                    "Escalation {} for session {} of {}: {}",
                    action.as_str(),
                    session.id,
                    who(subject),
                    outcome.as_str()
                )
            }
            E::ProbableFalseLock {
                subject,
                session,
                elapsed_ms,
            } => {
                f.subject(subject)
                    .session(session)
                    .add("TYPEWARDEN_ELAPSED_MS", elapsed_ms);
                format!("Session {} of {} was unlocked {elapsed_ms} ms after a lock: probable false lock, backing off", session.id, who(subject))
            }
            E::InjectedTyping {
                device,
                subject,
                session,
            } => {
                f.add("TYPEWARDEN_DEVICE", device);
                let mut m = format!("Typing injected by virtual device \"{device}\"");
                if let Some(session) = session {
                    f.session(session);
                    let _ = write!(m, " into session {}", session.id);
                }
                if let Some(subject) = subject {
                    f.subject(subject);
                }
                m + &who_opt(subject)
            }
            E::DeviceAdded {
                device,
                device_class,
                seat,
            } => {
                f.add("TYPEWARDEN_DEVICE", device)
                    .add("TYPEWARDEN_DEVICE_CLASS", device_class);
                f.add("TYPEWARDEN_SEAT", seat);
                format!("Monitoring input device \"{device}\" ({device_class}) on {seat}")
            }
            E::DeviceRemoved { device, seat } => {
                f.add("TYPEWARDEN_DEVICE", device)
                    .add("TYPEWARDEN_SEAT", seat);
                format!("Input device \"{device}\" on {seat} removed")
            }
            E::DeviceIgnored { device, reason } => {
                f.add("TYPEWARDEN_DEVICE", device)
                    .add("TYPEWARDEN_REASON", reason.as_str());
                format!("Ignoring input device \"{device}\": {}", reason.as_str())
            }
            E::ProfileQuarantined {
                profile,
                reason,
                quarantined_path,
            } => {
                f.add("TYPEWARDEN_PROFILE", profile)
                    .add("TYPEWARDEN_REASON", reason.as_str());
                f.path(quarantined_path);
                format!(
                    "Profile {profile} quarantined ({reason}) as {}; enrollment restarts",
                    display_path(quarantined_path)
                )
            }
            E::ProfileNewerVersion {
                profile,
                format_version,
                payload_version,
                path,
            } => {
                f.add("TYPEWARDEN_PROFILE", profile)
                    .add("TYPEWARDEN_FORMAT_VERSION", format_version)
                    .add("TYPEWARDEN_PAYLOAD_VERSION", payload_version);
                f.path(path);
                format!(
                    "Profile {profile} at {} was written by a newer typewarden (format {format_version}, payload {payload_version}); kept untouched, its owner is not verified by this version",
                    display_path(path)
                )
            }
            E::ProfileSaveFailed {
                profile,
                path,
                failure,
                errno,
            } => {
                f.add("TYPEWARDEN_PROFILE", profile)
                    .add("TYPEWARDEN_REASON", failure.as_str());
                f.path(path);
                let mut m = format!(
                    "Profile {profile} could not be saved to {} ({}",
                    display_path(path),
                    failure.as_str()
                );
                if let Some(e) = errno {
                    f.add("TYPEWARDEN_ERRNO", e);
                    let _ = write!(m, ", {e}");
                }
                m + "); the previous file is kept"
            }
            E::ConfigRejected {
                path,
                line,
                config_key,
                at_startup,
            } => {
                f.path(path).add(
                    "TYPEWARDEN_EFFECT",
                    if *at_startup {
                        "not_started"
                    } else {
                        "previous_kept"
                    },
                );
                let mut m = format!("Configuration {} rejected", display_path(path));
                if let Some(line) = line {
                    f.add("TYPEWARDEN_LINE", line);
                    let _ = write!(m, " at line {line}");
                }
                if let Some(key) = config_key {
                    f.add("TYPEWARDEN_CONFIG_KEY", key);
                    let _ = write!(m, " (key {key})");
                }
                m + if *at_startup {
                    "; typewarden does not start"
                } else {
                    "; the previous configuration stays"
                }
            }
            E::ConfigReloaded { path, mode } => {
                f.path(path).add("TYPEWARDEN_MODE", mode.as_str());
                format!(
                    "Configuration {} loaded ({} mode)",
                    display_path(path),
                    mode.as_str()
                )
            }
            E::AdminAction {
                caller_uid,
                action,
                decision,
                target,
                argument,
            } => {
                f.add("TYPEWARDEN_CALLER_UID", caller_uid)
                    .add("TYPEWARDEN_ACTION", action.as_str());
                f.add("TYPEWARDEN_DECISION", decision.as_str());
                let on = target.as_ref().map_or(String::new(), |t| {
                    f.add("TYPEWARDEN_PROFILE", t);
                    format!(" on profile {t}")
                });
                let with = argument.as_ref().map_or(String::new(), |a| {
                    f.add("TYPEWARDEN_ARGUMENT", a);
                    format!(" ({a})")
                });
                format!(
                    "Action {}{with} by uid {caller_uid}{on} {}",
                    action.as_str(),
                    decision.as_str()
                )
            }
            E::DegradedProtection { reason, subject }
            | E::ProtectionRestored { reason, subject } => {
                f.add("TYPEWARDEN_REASON", reason.as_str());
                if let Some(s) = subject {
                    f.subject(s);
                }
                let verb = if matches!(self, E::DegradedProtection { .. }) {
                    "degraded"
                } else {
                    "restored"
                };
                format!("Protection {verb}: {}{}", reason.as_str(), who_opt(subject))
            }
        };
        AuditRecord::new(self.kind(), message, f.0)
    }
}
