//! Who an active session's typing belongs to, and whether that person is exempt: the I/O
//! half of session handling (the identity file, the group database), done in the shell so
//! the decision core stays pure.

use super::event::Resolved;
use crate::config::Config;
use crate::session::{resolve_identity, Identity as SessionIdentity, SessionConfig, SessionEvent};
use crate::store::Identity;
use nix::unistd::{getgrouplist, Gid, Group, User};
use std::ffi::CString;

/// For an `Active` event, the owner's identity and exemption; `None` for other events, and
/// when no identity can be resolved (the session is then not scored; the reason is logged).
pub fn resolve(e: &SessionEvent, session: &SessionConfig, config: &Config) -> Option<Resolved> {
    let SessionEvent::Active(info) = e else {
        return None;
    };
    let identity = match resolve_identity(&session.identity, info) {
        Ok(SessionIdentity::Uid(uid)) => Identity::Uid(uid),
        Ok(SessionIdentity::Named(name)) => match Identity::named(&name) {
            Ok(id) => id,
            Err(err) => {
                tracing::warn!("identity file: {err}; typing is not scored");
                return None;
            }
        },
        Err(err) => {
            tracing::warn!("identity: {err}; typing is not scored");
            return None;
        }
    };
    let exempt = config.policy.exempt_users.contains(&info.user)
        || (!config.policy.exempt_groups.is_empty()
            && groups_of(info.uid)
                .iter()
                .any(|g| config.policy.exempt_groups.contains(g)));
    Some(Resolved { identity, exempt })
}

/// Names of the groups `uid` belongs to (primary and supplementary); empty if unknown.
fn groups_of(uid: u32) -> Vec<String> {
    let Ok(Some(user)) = User::from_uid(uid.into()) else {
        return Vec::new();
    };
    let Ok(name) = CString::new(user.name.as_bytes()) else {
        return Vec::new();
    };
    getgrouplist(&name, user.gid)
        .unwrap_or_else(|_| vec![user.gid])
        .into_iter()
        .filter_map(|g: Gid| Group::from_gid(g).ok().flatten().map(|g| g.name))
        .collect()
}
