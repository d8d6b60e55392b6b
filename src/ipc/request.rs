//! What the D-Bus adapter asks the decision loop, and what the loop answers.
//!
//! Invariant: a request carries the caller's uid and polkit's decision; the loop audits
//! every request but `Status` (allowed or denied) and acts only on allowed ones. The reply
//! channel is a oneshot: the loop never waits for the adapter.

use super::types::{AdminStatus, ProfileView, Reloaded, Status};
use super::ApiError;
use crate::audit::fields::AdminAction;
use crate::config::Mode;
use crate::store::Identity;
use tokio::sync::oneshot;

/// One API call, authorized (or not) by the adapter.
#[derive(Debug)]
pub struct Request {
    /// The caller's uid, from the bus daemon.
    pub caller_uid: u32,
    /// polkit's decision (root is always allowed).
    pub authorized: bool,
    /// What is asked.
    pub op: Op,
    /// Where the answer goes.
    pub reply: oneshot::Sender<Result<Reply, ApiError>>,
}

/// The operations.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Public status.
    Status,
    /// Everything, live trust included.
    AdminStatus,
    /// The caller's own profile.
    MyProfile,
    /// Delete the caller's own profile.
    DeleteMyProfile,
    /// Every profile.
    ListProfiles,
    /// One profile.
    ShowProfile(Identity),
    /// Back to training.
    ResetProfile(Identity),
    /// Erase the profile and its quarantined copies.
    DeleteProfile(Identity),
    /// Pause verification for this many seconds (1..=[`super::MAX_PAUSE_S`]).
    Pause(u64),
    /// End a pause.
    Resume,
    /// Reload the configuration files.
    Reload,
    /// Change the mode until the next reload or restart.
    SetMode(Mode),
}

impl Op {
    /// The audit token, `None` for the unaudited public status.
    pub fn audit_action(&self) -> Option<AdminAction> {
        Some(match self {
            Op::Status => return None,
            Op::AdminStatus => AdminAction::ReadTrust,
            Op::MyProfile | Op::ShowProfile(_) => AdminAction::ShowProfile,
            Op::DeleteMyProfile | Op::DeleteProfile(_) => AdminAction::DeleteProfile,
            Op::ListProfiles => AdminAction::ListProfiles,
            Op::ResetProfile(_) => AdminAction::ResetProfile,
            Op::Pause(_) => AdminAction::Pause,
            Op::Resume => AdminAction::Resume,
            Op::Reload => AdminAction::ReloadConfig,
            Op::SetMode(_) => AdminAction::SetMode,
        })
    }

    /// The argument recorded in the audit trail, if any.
    pub fn audit_argument(&self) -> Option<crate::audit::fields::Token> {
        use crate::audit::fields::Token;
        match self {
            Op::Pause(s) => Token::new(&s.to_string()).ok(),
            Op::SetMode(m) => Token::new(m.as_str()).ok(),
            _ => None,
        }
    }

    /// The profile concerned, if any (`caller_uid` for self-service).
    pub fn target(&self, caller_uid: u32) -> Option<Identity> {
        match self {
            Op::MyProfile | Op::DeleteMyProfile => Some(Identity::Uid(caller_uid)),
            Op::ShowProfile(id) | Op::ResetProfile(id) | Op::DeleteProfile(id) => Some(id.clone()),
            _ => None,
        }
    }
}

/// The loop's answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// For [`Op::Status`].
    Status(Status),
    /// For [`Op::AdminStatus`].
    AdminStatus(AdminStatus),
    /// For [`Op::MyProfile`] and [`Op::ShowProfile`].
    Profile(ProfileView),
    /// For [`Op::ListProfiles`].
    Profiles(Vec<ProfileView>),
    /// For [`Op::Pause`]: seconds until verification resumes by itself.
    Paused(u64),
    /// For [`Op::Reload`].
    Reloaded(Reloaded),
    /// Done, nothing to report.
    Done,
}
