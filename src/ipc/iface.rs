//! The two D-Bus interfaces: each method validates its arguments, then hands the call to
//! the adapter's [`Ctx::call`] (authorization, forwarding, the loop's answer) with the
//! polkit action it needs. No state and no decisions live here.

use super::request::{Op, Reply};
use super::server::Ctx;
use super::types::{AdminStatus, ProfileView, Reloaded, Status};
use super::{ApiError, ACTION_ADMIN, ACTION_SELF, ACTION_SELF_DELETE, ACTION_STATUS};
use crate::config::Mode;
use std::collections::HashMap;
use std::sync::Arc;
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::Connection;

fn unexpected(r: Reply) -> ApiError {
    ApiError::Failed(format!("internal error: unexpected reply {r:?}"))
}

fn profile_arg(profile: &str) -> Result<crate::store::Identity, ApiError> {
    super::parse_identity(profile).ok_or_else(|| {
        ApiError::InvalidArgument(
            "a profile is named uid:<number> or id:<identity> (see `profile list`)".into(),
        )
    })
}

/// `io.github.typewarden1.Manager`: status and the caller's own profile.
pub struct ManagerIface {
    ctx: Arc<Ctx>,
}

impl ManagerIface {
    pub(super) fn new(ctx: Arc<Ctx>) -> Self {
        Self { ctx }
    }
}

#[zbus::interface(name = "io.github.typewarden1.Manager")]
impl ManagerIface {
    /// Version, mode and keyboard count (polkit `…status`).
    async fn get_status(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<Status, ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_STATUS, Op::Status, &[])
            .await?
        {
            Reply::Status(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// What is stored about the caller (polkit `…self`; no live trust).
    async fn get_my_profile(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<ProfileView, ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_SELF, Op::MyProfile, &[])
            .await?
        {
            Reply::Profile(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// Erases the caller's profile and its quarantined copies (polkit `…self-delete`).
    async fn delete_my_profile(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<(), ApiError> {
        let op = Op::DeleteMyProfile;
        match self
            .ctx
            .call(&hdr, conn, ACTION_SELF_DELETE, op, &[])
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// The public status changed (mode, keyboards).
    #[zbus(signal)]
    pub async fn status_changed(emitter: &SignalEmitter<'_>, status: Status) -> zbus::Result<()>;
}

/// `io.github.typewarden1.Admin`: other users' profiles, live trust, steering. Every
/// method needs polkit `…admin`; the bus policy gives its signals to root only.
pub struct AdminIface {
    ctx: Arc<Ctx>,
}

impl AdminIface {
    pub(super) fn new(ctx: Arc<Ctx>) -> Self {
        Self { ctx }
    }
}

#[zbus::interface(name = "io.github.typewarden1.Admin")]
impl AdminIface {
    /// Everything, live trust of each seat's session included.
    async fn get_status(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<AdminStatus, ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, Op::AdminStatus, &[])
            .await?
        {
            Reply::AdminStatus(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Every profile in the state directory or in memory.
    async fn list_profiles(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<Vec<ProfileView>, ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, Op::ListProfiles, &[])
            .await?
        {
            Reply::Profiles(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// One profile (`uid:N` or `id:NAME`).
    async fn get_profile(
        &self,
        profile: &str,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<ProfileView, ApiError> {
        let op = Op::ShowProfile(profile_arg(profile)?);
        let details = [("profile", profile.to_string())];
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, op, &details)
            .await?
        {
            Reply::Profile(p) => Ok(p),
            other => Err(unexpected(other)),
        }
    }

    /// Discards what a profile learned; its owner trains again from now on.
    async fn reset_profile(
        &self,
        profile: &str,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<(), ApiError> {
        let op = Op::ResetProfile(profile_arg(profile)?);
        let details = [("profile", profile.to_string())];
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, op, &details)
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Erases a profile and its quarantined copies; nothing is learned for its owner until
    /// their next session starts.
    async fn delete_profile(
        &self,
        profile: &str,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<(), ApiError> {
        let op = Op::DeleteProfile(profile_arg(profile)?);
        let details = [("profile", profile.to_string())];
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, op, &details)
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Pauses verification for `seconds` (1..=86400); returns when it resumes by itself.
    async fn pause(
        &self,
        seconds: u64,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<u64, ApiError> {
        if !(1..=super::MAX_PAUSE_S).contains(&seconds) {
            return Err(ApiError::InvalidArgument(format!(
                "a pause lasts 1 to {} seconds",
                super::MAX_PAUSE_S
            )));
        }
        let details = [("seconds", seconds.to_string())];
        let op = Op::Pause(seconds);
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, op, &details)
            .await?
        {
            Reply::Paused(s) => Ok(s),
            other => Err(unexpected(other)),
        }
    }

    /// Ends a pause now.
    async fn resume(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<(), ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, Op::Resume, &[])
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Reloads the configuration files, as SIGHUP does; a bad file is rejected (the error
    /// names `file:line: key`) and the running configuration stays.
    async fn reload_config(
        &self,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<Reloaded, ApiError> {
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, Op::Reload, &[])
            .await?
        {
            Reply::Reloaded(r) => Ok(r),
            other => Err(unexpected(other)),
        }
    }

    /// `enforce` or `monitor`, until the next reload or restart.
    async fn set_mode(
        &self,
        mode: &str,
        #[zbus(header)] hdr: Header<'_>,
        #[zbus(connection)] conn: &Connection,
    ) -> Result<(), ApiError> {
        let m = match mode {
            "enforce" => Mode::Enforce,
            "monitor" => Mode::Monitor,
            _ => {
                return Err(ApiError::InvalidArgument(
                    "mode is \"enforce\" or \"monitor\"".into(),
                ))
            }
        };
        let details = [("mode", mode.to_string())];
        match self
            .ctx
            .call(&hdr, conn, ACTION_ADMIN, Op::SetMode(m), &details)
            .await?
        {
            Reply::Done => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Every audit record as it is written (decisions, trust, admin actions).
    #[zbus(signal)]
    pub async fn audit_record(
        emitter: &SignalEmitter<'_>,
        event: &str,
        message_id: &str,
        message: &str,
        fields: HashMap<String, String>,
    ) -> zbus::Result<()>;
}
