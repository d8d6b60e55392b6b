//! The daemon's one event enum and the actions its decision core asks the shell to carry out
//! (system76-scheduler style: every adapter sends [`Event`]s to one loop that owns all state).

use crate::audit::AuditEvent;
use crate::input::InputEvent;
use crate::session::{LockOutcome, LockTarget, SessionEvent};
use crate::store::Identity;

use super::profile_file::StoredProfile;

/// Everything the decision loop reacts to.
#[derive(Debug)]
pub enum Event {
    /// From the input layer (devices and cleaned timing events).
    Input(InputEvent),
    /// From the logind tracker, with the identity the shell resolved for an active session.
    Session(SessionEvent, Option<Resolved>),
    /// A lock request finished (confirmed, or not and escalated).
    LockDone {
        /// The seat it was for.
        seat: String,
        /// What happened.
        outcome: LockOutcome,
    },
    /// Periodic: save profiles that changed.
    SaveTick,
}

/// What the shell found out about an active session's owner (I/O: identity file, groups).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Whose profile the typing belongs to.
    pub identity: Identity,
    /// Exempt from locking by configuration (`exempt_users`, `exempt_groups`).
    pub exempt: bool,
}

/// What the decision core asks the shell to do.
#[derive(Debug)]
pub enum Action {
    /// Write an audit record.
    Audit(AuditEvent),
    /// Call logind's `LockSession` and confirm it; answer with [`Event::LockDone`].
    Lock {
        /// The device's seat.
        seat: String,
        /// The session to lock.
        target: LockTarget,
    },
    /// Load this identity's profile and hand it to `Brain::install`.
    Load(Identity),
    /// Persist this profile.
    Save(Identity, Box<StoredProfile>),
}
