//! Building audit records from the daemon's state: names are validated here (an invalid
//! name is left out, never forced in), so the decision core stays readable.

use crate::audit::fields::{
    DeviceName, EscalationAction, LockEvidence, LockFailure, Outcome, SeatId, SessionId,
    SessionRef, Subject, Token, UserName,
};
use crate::audit::AuditEvent;
use crate::session::{
    Confirmation, Escalation, EscalationResult, LockOutcome, RequestError, SessionInfo,
};

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

