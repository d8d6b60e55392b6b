//! The audit events: one enum, each variant an [`EventKind`]. Rendering is in `render`.
//!
//! Invariant: every value in a record comes from a number, a validated name or a fixed
//! token ([`super::fields`]), so no event can carry key content. Field names are
//! `TYPEWARDEN_*` plus the journal's own (`MESSAGE`, `MESSAGE_ID`, `PRIORITY`, …).

use super::fields::*;
use super::kind::EventKind;
use crate::store::{Identity, QuarantineReason};
use std::path::PathBuf;

/// An audit event. See `packaging/typewarden.catalog` for what each means to an admin.
/// Field names say what they hold; each variant is the [`EventKind`] of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum AuditEvent {
    /// The daemon started.
    DaemonStarted { version: &'static str, mode: Mode },
    /// The daemon is stopping.
    DaemonStopping { reason: StopReason },
    /// Enrollment advanced (`percent` of the required keystrokes).
    EnrollmentProgress {
        subject: Subject,
        profile: Identity,
        keystrokes: u64,
        percent: u8,
    },
    /// Enrollment finished.
    EnrollmentComplete {
        subject: Subject,
        profile: Identity,
        keystrokes: u64,
    },
    /// The typing does not match the session owner.
    ImpostorDetected {
        subject: Subject,
        session: SessionRef,
        score: f64,
        trust: f64,
        threshold: f64,
        keystrokes: u64,
        device_class: Token,
        /// Decided this long after the decisive event's kernel stamp (F29).
        input_lag_ms: u64,
        mode: Mode,
    },
    /// LockSession was called.
    LockRequested {
        subject: Subject,
        session: SessionRef,
    },
    /// `evidence` confirmed the lock `elapsed_ms` after the first of `requests` LockSession
    /// calls (the time-to-lock, F34).
    LockConfirmed {
        subject: Subject,
        session: SessionRef,
        elapsed_ms: u64,
        requests: u32,
        evidence: LockEvidence,
    },
    /// No evidence of a lock within `timeout_ms`, for `reason`; `dbus_error` is the error
    /// name logind answered with, when it refused.
    LockNotConfirmed {
        subject: Subject,
        session: SessionRef,
        timeout_ms: u64,
        requests: u32,
        reason: LockFailure,
        dbus_error: Option<Token>,
    },
    /// The configured escalation ran.
    Escalation {
        subject: Subject,
        session: SessionRef,
        action: EscalationAction,
        outcome: Outcome,
    },
    /// The lock was undone `elapsed_ms` after it took effect.
    ProbableFalseLock {
        subject: Subject,
        session: SessionRef,
        elapsed_ms: u64,
    },
    /// Typing from a virtual device.
    InjectedTyping {
        device: DeviceName,
        subject: Option<Subject>,
        session: Option<SessionRef>,
    },
    /// A keyboard or pointer is now monitored.
    DeviceAdded {
        device: DeviceName,
        device_class: Token,
        seat: SeatId,
    },
    /// A monitored keyboard or pointer went away.
    DeviceRemoved { device: DeviceName, seat: SeatId },
    /// An input device is not monitored.
    DeviceIgnored {
        device: DeviceName,
        reason: IgnoreReason,
    },
    /// A profile file was moved aside.
    ProfileQuarantined {
        profile: Identity,
        reason: QuarantineReason,
        quarantined_path: PathBuf,
    },
    /// A profile file of a newer version is kept; its owner is not verified meanwhile.
    ProfileNewerVersion {
        profile: Identity,
        format_version: u16,
        payload_version: u16,
        path: PathBuf,
    },
    /// A profile could not be saved; the previous file (if any) is intact, and the save is
    /// tried again at the next save point.
    ProfileSaveFailed {
        profile: Identity,
        path: PathBuf,
        failure: SaveFailure,
        /// The OS error's name (`ENOSPC`, `EROFS`, …) when there was one.
        errno: Option<Token>,
    },
    /// A configuration was rejected: at startup the daemon does not start, on a reload the
    /// previous configuration stays.
    ConfigRejected {
        path: PathBuf,
        line: Option<u32>,
        config_key: Option<Token>,
        /// Rejected at startup (else on a reload).
        at_startup: bool,
    },
    /// A configuration was loaded.
    ConfigReloaded { path: PathBuf, mode: Mode },
    /// An admin or self-service action by `caller_uid`.
    AdminAction {
        caller_uid: u32,
        action: AdminAction,
        decision: Decision,
        target: Option<Identity>,
        /// The action's argument when it has one: the mode set, the pause in seconds.
        argument: Option<Token>,
    },
    /// Protection is degraded.
    DegradedProtection {
        reason: DegradedReason,
        subject: Option<Subject>,
    },
    /// A degradation ended.
    ProtectionRestored {
        reason: DegradedReason,
        subject: Option<Subject>,
    },
}

impl AuditEvent {
    /// The event's type.
    pub fn kind(&self) -> EventKind {
        use AuditEvent as E;
        match self {
            E::DaemonStarted { .. } => EventKind::DaemonStarted,
            E::DaemonStopping { .. } => EventKind::DaemonStopping,
            E::EnrollmentProgress { .. } => EventKind::EnrollmentProgress,
            E::EnrollmentComplete { .. } => EventKind::EnrollmentComplete,
            E::ImpostorDetected { .. } => EventKind::ImpostorDetected,
            E::LockRequested { .. } => EventKind::LockRequested,
            E::LockConfirmed { .. } => EventKind::LockConfirmed,
            E::LockNotConfirmed { .. } => EventKind::LockNotConfirmed,
            E::Escalation { .. } => EventKind::Escalation,
            E::ProbableFalseLock { .. } => EventKind::ProbableFalseLock,
            E::InjectedTyping { .. } => EventKind::InjectedTyping,
            E::DeviceAdded { .. } => EventKind::DeviceAdded,
            E::DeviceRemoved { .. } => EventKind::DeviceRemoved,
            E::DeviceIgnored { .. } => EventKind::DeviceIgnored,
            E::ProfileQuarantined { .. } => EventKind::ProfileQuarantined,
            E::ProfileNewerVersion { .. } => EventKind::ProfileNewerVersion,
            E::ProfileSaveFailed { .. } => EventKind::ProfileSaveFailed,
            E::ConfigRejected { .. } => EventKind::ConfigRejected,
            E::ConfigReloaded { .. } => EventKind::ConfigReloaded,
            E::AdminAction { .. } => EventKind::AdminActionTaken,
            E::DegradedProtection { .. } => EventKind::DegradedProtection,
            E::ProtectionRestored { .. } => EventKind::ProtectionRestored,
        }
    }
}
