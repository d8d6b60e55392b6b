//! Shared pieces of the audit tests: one sample of every event (optional fields filled), a
//! parser for journald native datagrams, and an in-memory sink standing in for stderr.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use typewarden::audit::fields::*;
use typewarden::audit::AuditEvent;
use typewarden::store::{Identity, QuarantineReason};

fn alice() -> Subject {
    Subject {
        uid: 1000,
        user: Some(UserName::new("alice").unwrap()),
    }
}

fn session() -> SessionRef {
    SessionRef {
        id: SessionId::new("3").unwrap(),
        seat: Some(SessionId::new("seat0").unwrap()),
    }
}

fn kbd() -> DeviceName {
    DeviceName::sanitized("AT Translated Set 2 keyboard")
}

/// One event of every kind, each optional field present.
pub fn samples() -> Vec<AuditEvent> {
    let s = alice;
    let seat = || SessionId::new("seat0").unwrap();
    let class = || Token::new("laptop").unwrap();
    vec![
        AuditEvent::DaemonStarted {
            version: "0.1.0",
            mode: Mode::Enforce,
        },
        AuditEvent::DaemonStopping {
            reason: StopReason::Signal,
        },
        AuditEvent::EnrollmentProgress {
            subject: s(),
            profile: Identity::Uid(1000),
            keystrokes: 1200,
            percent: 40,
        },
        AuditEvent::EnrollmentComplete {
            subject: s(),
            profile: Identity::Uid(1000),
            keystrokes: 3000,
        },
        AuditEvent::ImpostorDetected {
            subject: s(),
            session: session(),
            score: -2.5,
            trust: 0.125,
            threshold: 0.3,
            keystrokes: 240,
            device_class: class(),
            input_lag_ms: 1250,
            mode: Mode::Monitor,
        },
        AuditEvent::LockRequested {
            subject: s(),
            session: session(),
        },
        AuditEvent::LockConfirmed {
            subject: s(),
            session: session(),
            elapsed_ms: 180,
            requests: 2,
            evidence: LockEvidence::LockedHint,
        },
        AuditEvent::LockNotConfirmed {
            subject: s(),
            session: session(),
            timeout_ms: 5000,
            requests: 1,
            reason: LockFailure::Refused,
            dbus_error: Some(Token::new("org.freedesktop.DBus.Error.AccessDenied").unwrap()),
        },
        AuditEvent::Escalation {
            subject: s(),
            session: session(),
            action: EscalationAction::Command,
            outcome: Outcome::Done,
        },
        AuditEvent::ProbableFalseLock {
            subject: s(),
            session: session(),
            elapsed_ms: 4000,
        },
        AuditEvent::InjectedTyping {
            device: DeviceName::sanitized("ydotoold virtual device"),
            subject: Some(s()),
            session: Some(session()),
        },
        AuditEvent::DeviceAdded {
            device: kbd(),
            device_class: class(),
            seat: seat(),
        },
        AuditEvent::DeviceRemoved {
            device: kbd(),
            seat: seat(),
        },
        AuditEvent::DeviceIgnored {
            device: DeviceName::sanitized("Power Button"),
            reason: IgnoreReason::NotKeyboard,
        },
        AuditEvent::ProfileQuarantined {
            profile: Identity::Uid(1000),
            reason: QuarantineReason::ChecksumMismatch,
            quarantined_path: PathBuf::from(
                "/var/lib/typewarden/uid-1000.profile.quarantined.1700000000",
            ),
        },
        AuditEvent::ProfileNewerVersion {
            profile: Identity::Uid(1000),
            format_version: 2,
            payload_version: 1,
            path: PathBuf::from("/var/lib/typewarden/uid-1000.profile"),
        },
        AuditEvent::ProfileSaveFailed {
            profile: Identity::Uid(1000),
            path: PathBuf::from("/var/lib/typewarden/uid-1000.profile"),
            failure: SaveFailure::SyncFile,
            errno: Some(Token::new("EIO").unwrap()),
        },
        AuditEvent::ConfigRejected {
            path: PathBuf::from("/etc/typewarden/typewarden.toml"),
            line: Some(12),
            config_key: Some(Token::new("policy.lock_timeout").unwrap()),
            at_startup: false,
        },
        AuditEvent::ConfigRejected {
            path: PathBuf::from("/etc/typewarden/typewarden.toml"),
            line: Some(3),
            config_key: Some(Token::new("engine.min_enrol_keystrokes").unwrap()),
            at_startup: true,
        },
        AuditEvent::ConfigReloaded {
            path: PathBuf::from("/etc/typewarden/typewarden.toml"),
            mode: Mode::Enforce,
        },
        AuditEvent::AdminAction {
            caller_uid: 0,
            action: AdminAction::ResetProfile,
            decision: Decision::Allowed,
            target: Some(Identity::Uid(1000)),
            // Reset has no argument; set so that every catalog field is exercised.
            argument: Some(Token::new("600").unwrap()),
        },
        AuditEvent::DegradedProtection {
            reason: DegradedReason::StateNotPersistent,
            subject: Some(s()),
        },
        AuditEvent::ProtectionRestored {
            reason: DegradedReason::Paused,
            subject: Some(s()),
        },
    ]
}

/// Parse a native-protocol datagram into (name, value) pairs, both field forms.
pub fn parse_datagram(d: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() {
        let nl = i + d[i..]
            .iter()
            .position(|&b| b == b'\n')
            .expect("unterminated field");
        let line = &d[i..nl];
        if let Some(eq) = line.iter().position(|&b| b == b'=') {
            out.push((
                String::from_utf8(line[..eq].to_vec()).unwrap(),
                line[eq + 1..].to_vec(),
            ));
            i = nl + 1;
        } else {
            let len = u64::from_le_bytes(d[nl + 1..nl + 9].try_into().unwrap()) as usize;
            let start = nl + 9;
            assert_eq!(d[start + len], b'\n', "binary field not newline-terminated");
            out.push((
                String::from_utf8(line.to_vec()).unwrap(),
                d[start..start + len].to_vec(),
            ));
            i = start + len + 1;
        }
    }
    out
}

/// Stands in for stderr so a test can read what the writer printed.
#[derive(Clone, Default)]
pub struct Sink(pub Arc<Mutex<Vec<u8>>>);

impl Sink {
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
