//! The decision core's control half (issue 6): pausing, the mode, reconfiguration,
//! resetting or forgetting a profile, and the read-only snapshots the D-Bus API answers
//! from. Pure like the rest of [`Brain`]; a child module so it shares the core's state
//! without widening it.
//!
//! Invariants: a pause always has an end ([`Brain::pause`] takes a deadline, the loop calls
//! [`Brain::expire_pause`]) and is audited as degraded protection while it lasts; a
//! forgotten profile is never saved again (its engine is gone, so no `Save` can name it);
//! new engine parameters reach a user at their next unlock or session start, never mid-way
//! through a verification.

use super::{Brain, Now, Settings, User};
use crate::audit::fields::DegradedReason;
use crate::config::Mode;
use crate::daemon::event::Action;
use crate::engine::pointer::PointerProfile;
use crate::engine::{Engine, Profile};
use crate::session::Gate;
use crate::store::Identity;

/// A seat's active session as the core sees it (for the Admin status).
#[derive(Clone, Debug, PartialEq)]
pub struct SessionSnapshot {
    /// Seat id.
    pub seat: String,
    /// logind session id.
    pub session: String,
    /// Owner uid.
    pub uid: u32,
    /// Owner login name.
    pub user: String,
    /// Whose profile the typing belongs to; `None` when no identity resolved.
    pub identity: Option<Identity>,
    /// Exempt from locking.
    pub exempt: bool,
    /// The profile is in memory.
    pub loaded: bool,
    /// Either profile (typing or pointer) may decide (`Engine::deciding`).
    pub mature: bool,
    /// Keystrokes are scored right now.
    pub scoring: bool,
    /// Keystrokes scored since the last unlock or session start.
    pub scored: u64,
    /// Trust in percent, suspicion as a fraction of the lock level, the lock level.
    pub trust: Option<(f64, f64, f64)>,
}

/// A profile held in memory.
#[derive(Clone, Debug)]
pub struct UserSnapshot<'a> {
    /// The keystroke profile.
    pub profile: &'a Profile,
    /// The pointer profile.
    pub pointer: &'a PointerProfile,
    /// Learned since the last save.
    pub dirty: bool,
}

/// Rebuilds `user`'s engine on the settings' engine and pointer parameters if either
/// changed (a reload), keeping both profiles: a reload must never cost what was learned.
pub(super) fn renew(s: &Settings, user: &mut User) {
    if user.engine.params() != &s.engine || user.engine.pointer_params() != &s.pointer {
        user.engine = Engine::with_profiles(
            s.engine.clone(),
            user.engine.profile().clone(),
            s.pointer.clone(),
            user.engine.pointer_profile().clone(),
        );
    }
}

impl Brain {
    /// Stops scoring and learning until `until_ms` (or [`Brain::resume`]).
    pub fn pause(&mut self, until_ms: u64) -> Vec<Action> {
        let mut out = Vec::new();
        self.paused_until = Some(until_ms);
        self.degrade(DegradedReason::Paused, None, true, &mut out);
        out
    }

    /// Ends a pause; nothing if there is none.
    pub fn resume(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        if self.paused_until.take().is_some() {
            self.degrade(DegradedReason::Paused, None, false, &mut out);
        }
        out
    }

    /// When the pause ends, if paused.
    pub fn paused_until(&self) -> Option<u64> {
        self.paused_until
    }

    /// Ends the pause if its time has come.
    pub fn expire_pause(&mut self, now: Now) -> Vec<Action> {
        match self.paused_until {
            Some(until) if until <= now.ms => self.resume(),
            _ => Vec::new(),
        }
    }

    /// The mode in effect.
    pub fn mode(&self) -> Mode {
        self.s.mode
    }

    /// Changes the mode at once (a lock already requested still completes).
    pub fn set_mode(&mut self, mode: Mode) {
        self.s.mode = mode;
    }

    /// The settings in effect.
    pub fn settings(&self) -> &Settings {
        &self.s
    }

    /// Takes new settings without losing state: sessions, profiles, trust, locks in flight
    /// and the degraded ledger stay. Engine parameters apply per user at the next unlock or
    /// session start (see [`renew`]).
    pub fn reconfigure(&mut self, s: Settings) {
        self.gate.set_settle_ms(s.settle_ms);
        self.false_locks.set_window_ms(s.false_lock_window_ms);
        self.s = s;
    }

    /// Discards what `id`'s profile learned: if it is in memory its engine starts over in
    /// training (and is saved once it learns); if it is not (a file this version could not
    /// use) but its owner is at a seat, it is loaded afresh, so training starts now. The
    /// shell deletes the file first.
    pub fn reset_profile(&mut self, id: &Identity, now: Now) -> Vec<Action> {
        let mut out = Vec::new();
        let Some(user) = self.users.get_mut(id) else {
            if self.owners.values().any(|o| &o.resolved.identity == id) {
                out.push(Action::Load(id.clone()));
            }
            return out;
        };
        // The configured pointer settings, not the built-in ones (`Engine::new`).
        user.engine = Engine::with_profiles(
            self.s.engine.clone(),
            Profile::new(),
            self.s.pointer.clone(),
            PointerProfile::new(),
        );
        user.engine.on_unlock(now.us);
        user.dirty = false;
        user.quarters = 0;
        user.scored = 0;
        let uid = self
            .owners
            .values()
            .find(|o| &o.resolved.identity == id)
            .map(|o| o.info.uid);
        if let Some(uid) = uid {
            self.degrade(DegradedReason::InTraining, Some(uid), true, &mut out);
        }
        out
    }

    /// Drops `id`'s profile from memory, so it is never saved again; its owner trains anew
    /// from their next session on. Returns whether it was loaded.
    pub fn forget_profile(&mut self, id: &Identity) -> bool {
        self.users.remove(id).is_some()
    }

    /// A profile in memory.
    pub fn user(&self, id: &Identity) -> Option<UserSnapshot<'_>> {
        self.users.get(id).map(|u| UserSnapshot {
            profile: u.engine.profile(),
            pointer: u.engine.pointer_profile(),
            dirty: u.dirty,
        })
    }

    /// The identities whose profiles are in memory.
    pub fn loaded(&self) -> Vec<Identity> {
        let mut ids: Vec<Identity> = self.users.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Keyboards whose typing is fed to the engines.
    pub fn keyboards(&self) -> usize {
        self.devices.values().filter(|d| d.source.is_some()).count()
    }

    /// The degraded-protection reasons in force (each once).
    pub fn degraded_reasons(&self) -> Vec<DegradedReason> {
        let mut out: Vec<DegradedReason> = Vec::new();
        for (r, _) in &self.degraded {
            if !out.contains(r) {
                out.push(*r);
            }
        }
        out.sort_by_key(|r| r.as_str());
        out
    }

    /// Each seat's active session, sorted by seat.
    pub fn sessions(&self, now: Now) -> Vec<SessionSnapshot> {
        let mut out: Vec<SessionSnapshot> = self
            .owners
            .iter()
            .map(|(seat, o)| {
                let user = self.users.get(&o.resolved.identity);
                let mature = user.is_some_and(|u| u.engine.deciding());
                let trust = user.filter(|_| mature).map(|u| {
                    let p = u.engine.policy();
                    (p.trust(), p.level(), p.lock_level())
                });
                SessionSnapshot {
                    seat: seat.clone(),
                    session: o.info.id.clone(),
                    uid: o.info.uid,
                    user: o.info.user.clone(),
                    identity: Some(o.resolved.identity.clone()),
                    exempt: o.resolved.exempt,
                    loaded: user.is_some(),
                    mature,
                    scoring: user.is_some()
                        && !o.resolved.exempt
                        && self.paused_until.is_none()
                        && self.gate.gate(seat, now.ms) == Gate::Allowed,
                    scored: user.map_or(0, |u| u.scored),
                    trust,
                }
            })
            .collect();
        out.sort_by(|a, b| a.seat.cmp(&b.seat));
        out
    }
}
