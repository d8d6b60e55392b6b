//! The loop's half of the control surface: answers the D-Bus adapter's requests and reloads
//! the configuration (D-Bus or SIGHUP). Runs inside the decision loop, so it sees one
//! consistent state; its I/O is the store's (stat, a bounded profile read, unlink) and the
//! configuration files, the same kind of I/O the loop already does for profile loads.
//!
//! Invariants: every request but the public status is audited with the caller's uid,
//! allowed or denied, before it has any effect; a denied request changes nothing; a bad new
//! configuration is rejected and audited and the running one stays; a reload never drops
//! sessions, profiles, trust or locks in flight (`Brain::reconfigure`).

use super::audit_sink::Auditor;
use super::brain::Brain;
use super::profile_file::StoredProfile;
use super::view::{profile_view, session_view, ProfileFacts};
use super::{settings, Now};
use crate::audit::fields::{Decision, Mode as AuditMode, Token};
use crate::audit::AuditEvent;
use crate::config::{self, Config, ConfigError, LoadOptions, Mode};
use crate::ipc::types::{AdminStatus, ProfileView, Reloaded, Status};
use crate::ipc::{ApiError, Op, Reply, Request};
use crate::session::IdentitySource;
use crate::store::{Identity, Inspection, SaveQueue, Store};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the loop keeps for the control surface: the configuration in force and where it
/// came from (for reloads).
pub struct Control {
    /// The configuration in force.
    pub config: Config,
    /// `--config PATH`, if given (else the `/etc` files).
    pub config_path: Option<PathBuf>,
    /// The public status last announced (`StatusChanged`).
    pub last_status: Option<Status>,
}

/// Where the daemon's state lives, for one request.
pub struct Ctx<'a> {
    /// The decision core.
    pub brain: &'a mut Brain,
    /// The profile store.
    pub store: &'a Store,
    /// The profile writer (a profile is deleted only once no save of it is pending).
    pub saves: &'a SaveQueue<StoredProfile>,
    /// The audit trail.
    pub audit: &'a Auditor,
    /// The time of the request.
    pub now: Now,
    /// Actions for the loop to carry out afterwards (the core's audit records).
    pub out: Vec<super::Action>,
}

impl Control {
    /// Answers one request (the reply goes to its oneshot; a caller that left is ignored).
    pub fn handle(&mut self, req: Request, cx: &mut Ctx<'_>) {
        let Request {
            caller_uid,
            authorized,
            op,
            reply,
        } = req;
        if let Some(action) = op.audit_action() {
            cx.audit.emit(&AuditEvent::AdminAction {
                caller_uid,
                action,
                decision: if authorized {
                    Decision::Allowed
                } else {
                    Decision::Denied
                },
                target: op.target(caller_uid),
                argument: op.audit_argument(),
            });
        }
        let answer = if authorized {
            self.act(op, caller_uid, cx)
        } else {
            Err(ApiError::NotAuthorized("not authorized".into()))
        };
        let _ = reply.send(answer);
    }

    fn act(&mut self, op: Op, caller_uid: u32, cx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        match op {
            Op::Status => Ok(Reply::Status(public_status(cx.brain))),
            Op::AdminStatus => Ok(Reply::AdminStatus(self.admin_status(cx))),
            Op::MyProfile => {
                let id = self.own_identity(caller_uid)?;
                self.view(&id, cx).map(Reply::Profile)
            }
            Op::ShowProfile(id) => self.view(&id, cx).map(Reply::Profile),
            Op::ListProfiles => {
                let mut ids = cx.store.list().map_err(failed)?;
                ids.extend(cx.brain.loaded());
                ids.sort();
                ids.dedup();
                let views = ids.iter().filter_map(|id| self.view(id, cx).ok()).collect();
                Ok(Reply::Profiles(views))
            }
            Op::ResetProfile(id) => {
                self.exists(&id, cx)?;
                no_save_pending(&id, cx)?;
                if let Err(e) = cx.store.delete(&id) {
                    // A waiting save may have been dropped above: keep the profile unsaved.
                    cx.brain.save_failed(&id);
                    return Err(failed(e));
                }
                let more = cx.brain.reset_profile(&id, cx.now);
                cx.out.extend(more);
                Ok(Reply::Done)
            }
            Op::DeleteMyProfile => {
                let id = self.own_identity(caller_uid)?;
                self.erase(&id, cx)
            }
            Op::DeleteProfile(id) => self.erase(&id, cx),
            Op::Pause(seconds) => {
                let until = cx.now.ms.saturating_add(seconds.saturating_mul(1000));
                let more = cx.brain.pause(until);
                cx.out.extend(more);
                Ok(Reply::Paused(seconds))
            }
            Op::Resume => {
                let more = cx.brain.resume();
                cx.out.extend(more);
                Ok(Reply::Done)
            }
            Op::Reload => self.reload(cx).map(Reply::Reloaded).map_err(|e| {
                ApiError::Failed(format!(
                    "configuration rejected, the previous one stays: {e}"
                ))
            }),
            Op::SetMode(mode) => {
                cx.brain.set_mode(mode);
                tracing::info!("mode set to {} until the next reload", mode.as_str());
                Ok(Reply::Done)
            }
        }
    }

    /// Self-service works on uid profiles; a kiosk identity is not the caller's uid.
    fn own_identity(&self, uid: u32) -> Result<Identity, ApiError> {
        match self.config.session.identity {
            IdentitySource::LogindUid => Ok(Identity::Uid(uid)),
            IdentitySource::File(_) => Err(ApiError::NoSuchProfile(
                "profiles here belong to kiosk identities, not accounts; ask an administrator"
                    .into(),
            )),
        }
    }

    fn exists(&self, id: &Identity, cx: &Ctx<'_>) -> Result<(), ApiError> {
        let on_disk = cx.store.file_facts(id).is_some();
        let quarantined = !cx.store.quarantined(id).map_err(failed)?.is_empty();
        if on_disk || quarantined || cx.brain.user(id).is_some() {
            Ok(())
        } else {
            Err(ApiError::NoSuchProfile(format!("no profile {id}")))
        }
    }

    fn erase(&mut self, id: &Identity, cx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
        self.exists(id, cx)?;
        no_save_pending(id, cx)?;
        // Memory next: from here on no save can bring the file back.
        cx.brain.forget_profile(id);
        let files = cx.store.erase(id).map_err(failed)?;
        tracing::info!(files, "profile {id} erased");
        Ok(Reply::Done)
    }

    fn view(&self, id: &Identity, cx: &Ctx<'_>) -> Result<ProfileView, ApiError> {
        let mem = cx.brain.user(id);
        let facts = cx.store.file_facts(id);
        let quarantined = cx.store.quarantined(id).map_err(failed)?.len();
        if mem.is_none() && facts.is_none() && quarantined == 0 {
            return Err(ApiError::NoSuchProfile(format!("no profile {id}")));
        }
        let disk = match (&mem, facts) {
            (None, Some(_)) => Some(cx.store.inspect::<StoredProfile>(id).map_err(failed)?),
            _ => None,
        };
        let (profile, state_override) = match (&mem, &disk) {
            (Some(m), _) => (Some((m.profile, m.pointer)), None),
            (None, Some(Inspection::Valid(p))) => (Some((&p.keys, &p.pointer)), None),
            (None, Some(Inspection::Corrupt(_))) => (None, Some("unreadable")),
            (None, Some(Inspection::Newer { .. })) => (None, Some("newer_version")),
            // Only quarantined copies are left.
            (None, _) => (None, Some("quarantined")),
        };
        let path = cx.store.path_of(id);
        let facts = ProfileFacts {
            id,
            user: user_name(id),
            profile,
            state_override,
            path: &path,
            file: facts,
            quarantined,
            loaded: mem.is_some(),
            unsaved: mem.as_ref().is_some_and(|m| m.dirty),
        };
        let s = cx.brain.settings();
        Ok(profile_view(&facts, &s.engine, &s.pointer))
    }

    fn admin_status(&self, cx: &Ctx<'_>) -> AdminStatus {
        let brain = &*cx.brain;
        let public = public_status(brain);
        AdminStatus {
            version: public.version,
            api_version: public.api_version,
            mode: public.mode,
            configured_mode: self.config.mode.as_str().into(),
            keyboards: public.keyboards,
            paused: brain.paused_until().is_some(),
            pause_remaining_s: brain
                .paused_until()
                .map(|until| until.saturating_sub(cx.now.ms).div_ceil(1000)),
            degraded: brain
                .degraded_reasons()
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            config_hash: self.config.hash().to_string(),
            profiles_loaded: u32::try_from(brain.loaded().len()).unwrap_or(u32::MAX),
            sessions: brain.sessions(cx.now).iter().map(session_view).collect(),
        }
    }

    /// Loads the configuration files again. On success the new one is in force (mode back
    /// to the configured one) and audited; on failure it is audited as rejected and the
    /// running one stays.
    pub fn reload(&mut self, cx: &mut Ctx<'_>) -> Result<Reloaded, ConfigError> {
        let loaded = config::load(&LoadOptions {
            config: self.config_path.as_deref(),
            ..LoadOptions::default()
        });
        let new = match loaded {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("configuration reload rejected: {e}");
                cx.audit.emit(&rejected(&e, self.main_path()));
                return Err(e);
            }
        };
        let restart_needed = restart_needed(&self.config, &new);
        if !restart_needed.is_empty() {
            tracing::warn!("changed, and applied only after a restart: {restart_needed:?}");
        }
        let changed = new.hash() != self.config.hash();
        cx.brain.reconfigure(settings(&new));
        let mode = match new.mode {
            Mode::Enforce => AuditMode::Enforce,
            Mode::Monitor => AuditMode::Monitor,
        };
        let path = new
            .sources()
            .last()
            .map_or_else(|| self.main_path(), |s| PathBuf::from(s.to_string()));
        cx.audit.emit(&AuditEvent::ConfigReloaded { path, mode });
        let reloaded = Reloaded {
            config_hash: new.hash().to_string(),
            changed,
            restart_needed: restart_needed.iter().map(|s| s.to_string()).collect(),
        };
        self.config = new;
        Ok(reloaded)
    }

    fn main_path(&self) -> PathBuf {
        self.config_path
            .clone()
            .unwrap_or_else(|| Path::new(config::ETC_ROOT).join("typewarden/typewarden.toml"))
    }
}

/// What anyone at an active local session may see.
pub fn public_status(brain: &Brain) -> Status {
    Status {
        version: env!("CARGO_PKG_VERSION").into(),
        api_version: crate::ipc::API_VERSION,
        mode: brain.mode().as_str().into(),
        keyboards: u32::try_from(brain.keyboards()).unwrap_or(u32::MAX),
    }
}

/// Settings read once at startup by other tasks (the input manager, the logind tracker, the
/// store), so a change waits for a restart.
fn restart_needed(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut out = Vec::new();
    if old.input != new.input {
        out.push("input");
    }
    if old.state_dir != new.state_dir {
        out.push("state_dir");
    }
    if old.session.dbus_timeout_ms != new.session.dbus_timeout_ms {
        out.push("session.dbus_timeout_ms");
    }
    out
}

/// The audit record of a rejected configuration: file, line and key when the error has them.
fn rejected(e: &ConfigError, main: PathBuf) -> AuditEvent {
    let (path, line, key) = match e {
        ConfigError::Invalid {
            file, line, key, ..
        } => (PathBuf::from(file), Some(*line), Token::new(key).ok()),
        ConfigError::Syntax { file, line, .. } => (PathBuf::from(file), Some(*line), None),
        ConfigError::File { file, .. } => (PathBuf::from(file), None, None),
        ConfigError::Unset { key } => (main, None, Token::new(key).ok()),
        _ => (main, None, None),
    };
    AuditEvent::ConfigRejected {
        path,
        line: line.and_then(|l| u32::try_from(l).ok()),
        config_key: key,
        at_startup: false,
    }
}

fn user_name(id: &Identity) -> Option<String> {
    match id {
        Identity::Uid(uid) => nix::unistd::User::from_uid((*uid).into())
            .ok()
            .flatten()
            .map(|u| u.name),
        Identity::Named(_) => None,
    }
}

/// How long a reset or deletion waits for a save of the same profile that is being written.
const SAVE_WAIT: Duration = Duration::from_secs(2);

/// Drops `id`'s waiting save and waits (bounded) for one being written, so the deletion
/// that follows cannot be undone by it. The wait is on an admin path, never per keystroke.
fn no_save_pending(id: &Identity, cx: &Ctx<'_>) -> Result<(), ApiError> {
    if cx.saves.forget(id, SAVE_WAIT) {
        Ok(())
    } else {
        Err(ApiError::Failed(format!(
            "a save of profile {id} is still being written (slow disk?); nothing was changed, try again"
        )))
    }
}

fn failed(e: crate::store::StoreError) -> ApiError {
    ApiError::Failed(e.to_string())
}
