//! Building audit records from the daemon's state: names are validated here (an invalid
//! name is left out, never forced in), so the decision core stays readable.

use crate::audit::fields::{
    DeviceName, EscalationAction, LockEvidence, LockFailure, Outcome, SaveFailure, SeatId,
    SessionId, SessionRef, Subject, Token, UserName,
};
use crate::audit::AuditEvent;
use crate::session::{
    Confirmation, Escalation, EscalationResult, LockOutcome, RequestError, SessionInfo,
};
use crate::store::{Identity, SaveStep, StoreError};
use std::path::PathBuf;

/// The audit subject of a session's owner.
pub fn subject(info: &SessionInfo) -> Subject {
    Subject {
        uid: info.uid,
        user: UserName::new(&info.user).ok(),
    }
}

/// The audit reference of a session; `None` if logind gave an id the journal cannot carry.
pub fn session_ref(info: &SessionInfo) -> Option<SessionRef> {
    Some(SessionRef {
        id: SessionId::new(&info.id).ok()?,
        seat: SeatId::new(&info.seat).ok(),
    })
}

/// A device name fit for the journal.
pub fn device(name: &str) -> DeviceName {
    DeviceName::sanitized(name)
}

/// The records that tell how a lock request ended.
pub fn lock_outcome(
    info: &SessionInfo,
    outcome: &LockOutcome,
    timeout_ms: u64,
    configured: &Escalation,
) -> Vec<AuditEvent> {
    let Some(session) = session_ref(info) else {
        return Vec::new();
    };
    let subject = subject(info);
    let elapsed_ms = u64::try_from(outcome.latency.as_millis()).unwrap_or(u64::MAX);
    if let Some(c) = outcome.confirmation {
        return vec![AuditEvent::LockConfirmed {
            subject,
            session,
            elapsed_ms,
            requests: outcome.requests,
            evidence: match c {
                Confirmation::LockedHint => LockEvidence::LockedHint,
                Confirmation::SessionSwitched => LockEvidence::SessionSwitched,
                Confirmation::SessionGone => LockEvidence::SessionGone,
            },
        }];
    }
    let (reason, dbus_error) = match &outcome.request {
        Ok(()) => (LockFailure::NoConfirmation, None),
        Err(RequestError::Refused { name, .. }) => (
            LockFailure::Refused,
            name.as_deref().and_then(|n| Token::new(n).ok()),
        ),
        Err(RequestError::NoReply(_)) => (LockFailure::NoReply, None),
        Err(RequestError::Unreachable(_)) => (LockFailure::Unreachable, None),
    };
    let mut out = vec![AuditEvent::LockNotConfirmed {
        subject: subject.clone(),
        session: session.clone(),
        timeout_ms,
        requests: outcome.requests,
        reason,
        dbus_error,
    }];
    if let Some(e) = &outcome.escalation {
        let (action, ok) = match e {
            EscalationResult::LoggedOnly => (EscalationAction::LogOnly, true),
            EscalationResult::CommandExited(code) => (EscalationAction::Command, *code == Some(0)),
            EscalationResult::CommandTimedOut => (EscalationAction::Command, false),
            EscalationResult::Activated(_) => (EscalationAction::ActivateSession, true),
            EscalationResult::Terminated => (EscalationAction::TerminateSession, true),
            EscalationResult::Failed(_) => (configured_action(configured), false),
        };
        out.push(AuditEvent::Escalation {
            subject,
            session,
            action,
            outcome: if ok { Outcome::Done } else { Outcome::Failed },
        });
    }
    out
}

fn configured_action(e: &Escalation) -> EscalationAction {
    match e {
        Escalation::LogOnly => EscalationAction::LogOnly,
        Escalation::Command(_) => EscalationAction::Command,
        Escalation::ActivateSession(_) => EscalationAction::ActivateSession,
        Escalation::Terminate => EscalationAction::TerminateSession,
    }
}

/// The record of a failed save, and whether the save is worth trying again (an I/O error
/// may pass; a profile too large or a newer file will not).
pub fn save_failed(profile: &Identity, path: PathBuf, e: &StoreError) -> (AuditEvent, bool) {
    let os = |source: &std::io::Error| {
        source
            .raw_os_error()
            .and_then(|n| Token::new(&format!("{:?}", nix::errno::Errno::from_raw(n))).ok())
    };
    let (failure, errno, retry) = match e {
        StoreError::Save { step, source, .. } => {
            let failure = match step {
                SaveStep::CreateTemp => SaveFailure::CreateTemp,
                SaveStep::Write => SaveFailure::Write,
                SaveStep::SyncFile => SaveFailure::SyncFile,
                SaveStep::Rename => SaveFailure::Rename,
                SaveStep::SyncDir => SaveFailure::SyncDir,
            };
            (failure, os(source), true)
        }
        StoreError::Io { source, .. } => (SaveFailure::Io, os(source), true),
        StoreError::NewerVersion { .. } => (SaveFailure::NewerVersion, None, false),
        StoreError::TooLarge { .. } => (SaveFailure::TooLarge, None, false),
        StoreError::Serialize { .. } => (SaveFailure::Serialize, None, false),
        StoreError::UnsafeStateDir { .. } | StoreError::Quarantine { .. } => {
            (SaveFailure::Io, None, true)
        }
    };
    let event = AuditEvent::ProfileSaveFailed {
        profile: profile.clone(),
        path,
        failure,
        errno,
    };
    (event, retry)
}

/// The record of a save the daemon could not wait for at shutdown.
pub fn save_unfinished(profile: &Identity, path: PathBuf) -> AuditEvent {
    AuditEvent::ProfileSaveFailed {
        profile: profile.clone(),
        path,
        failure: SaveFailure::Unfinished,
        errno: None,
    }
}
