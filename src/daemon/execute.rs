//! Carrying out the decision core's [`Action`]s: audit records, lock tasks, profile loads
//! and saves, and hearing back from the profile writer.
//!
//! Invariants: nothing here waits on a disk write or a D-Bus call: a save is handed to the
//! writer thread ([`SaveQueue`]) and a lock to a task; only a profile load reads the store
//! here (loads happen on session starts, never per keystroke). A failed save is audited and
//! the profile stays marked unsaved, so the next save point tries again.

use super::audit_sink::Auditor;
use super::audits;
use super::brain::Brain;
use super::event::{Action, Event};
use super::profile_file::StoredProfile;
use super::Now;
use crate::audit::AuditEvent;
use crate::session::{lock_session, Bus, SessionConfig};
use crate::store::{LoadOutcome, SaveQueue, Saved, Store};
use tokio::task::JoinSet;

/// The profile store and the writer thread in front of it.
pub struct Disk {
    /// Loads, listings and deletions (the loop's own I/O).
    pub store: std::sync::Arc<Store>,
    /// Saves.
    pub saves: SaveQueue<StoredProfile>,
}

/// Where the actions go.
pub struct Shell<'a> {
    /// Profiles.
    pub disk: &'a Disk,
    /// The audit trail.
    pub audit: &'a Auditor,
    /// Lock requests in flight.
    pub locks: &'a mut JoinSet<Event>,
    /// The `[session]` settings a lock uses.
    pub session: &'a SessionConfig,
}

impl Shell<'_> {
    /// Carries out `actions` (and whatever the core asks for in reply to a load).
    pub fn execute(&mut self, actions: Vec<Action>, brain: &mut Brain, now: Now) {
        for a in actions {
            match a {
                Action::Audit(e) => {
                    if let AuditEvent::DegradedProtection { reason, .. } = &e {
                        tracing::warn!("protection degraded: {}", reason.as_str());
                    }
                    self.audit.emit(&e);
                }
                Action::Lock { seat, target } => {
                    let cfg = self.session.clone();
                    self.locks.spawn(async move {
                        let outcome = lock_session(&Bus::System, &target, &cfg).await;
                        if let Err(e) = &outcome.request {
                            // F33: a refused or unanswered request is not a lock; the audit
                            // record says so too (lock_not_confirmed, reason).
                            tracing::error!(session = %target.session, seat = %target.seat, "LockSession {e}");
                        }
                        Event::LockDone { seat, outcome }
                    });
                }
                Action::Load(id) => {
                    if let Some(profile) = self.load(&id) {
                        let more = brain.install(id, profile, now);
                        self.execute(more, brain, now);
                    }
                }
                Action::Save(id, p) => self.disk.saves.submit(id, *p),
            }
        }
    }

    /// Loads `id`'s profile: `Some(None)` to start enrollment, `None` when this identity is
    /// not to be scored (a newer file, or a store failure).
    fn load(&self, id: &crate::store::Identity) -> Option<Option<StoredProfile>> {
        let store = &self.disk.store;
        match store.load::<StoredProfile>(id) {
            Ok(LoadOutcome::Loaded(p)) => Some(Some(p)),
            Ok(LoadOutcome::Migrated {
                profile,
                from_version,
            }) => {
                tracing::info!(from_version, "profile migrated");
                self.disk.saves.submit(id.clone(), profile.clone());
                Some(Some(profile))
            }
            Ok(LoadOutcome::Missing) => Some(None),
            Ok(LoadOutcome::Newer {
                format_version,
                payload_version,
            }) => {
                // A downgrade: the file is kept untouched and this identity is not scored
                // (an empty profile trained now could never be saved).
                self.audit.emit(&AuditEvent::ProfileNewerVersion {
                    profile: id.clone(),
                    format_version,
                    payload_version,
                    path: store.path_of(id),
                });
                None
            }
            Ok(LoadOutcome::Quarantined {
                reason,
                quarantined_path,
            }) => {
                self.audit.emit(&AuditEvent::ProfileQuarantined {
                    profile: id.clone(),
                    reason,
                    quarantined_path,
                });
                Some(None)
            }
            Err(e) => {
                // The store itself failed: starting afresh could later overwrite a good
                // profile, so this identity is not scored until the next switch.
                tracing::error!("loading a profile: {e}");
                None
            }
        }
    }

    /// The writer's report of one save.
    pub fn saved(&self, saved: Saved, brain: &mut Brain) {
        let Saved { identity, result } = saved;
        match result {
            Ok(()) => tracing::debug!("profile {identity} saved"),
            Err(e) => {
                tracing::error!("saving profile {identity}: {e}");
                let path = self.disk.store.path_of(&identity);
                let (event, retry) = audits::save_failed(&identity, path, &e);
                self.audit.emit(&event);
                if retry {
                    brain.save_failed(&identity);
                }
            }
        }
    }
}
