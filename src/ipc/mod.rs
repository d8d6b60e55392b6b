//! The control surface: typewarden's D-Bus API on the system bus, and its client.
//!
//! Owns: the bus names ([`BUS_NAME`], [`OBJECT_PATH`], the two interfaces), the polkit
//! action ids, the reply dictionaries ([`types`]), the errors a caller can get ([`error`]),
//! the requests the adapter hands to the decision loop ([`request`]), the server adapter
//! ([`server`], its interfaces in `iface.rs`, with [`polkit`]) and the client proxies the CLI uses ([`client`]).
//!
//! Invariants (issue 6):
//! - the adapter owns no state: every method is authorized (caller uid from the bus, then
//!   polkit with the caller as a `system-bus-name` subject), forwarded to the one decision
//!   loop as a [`request::Request`] and answered from the loop's reply (a oneshot channel);
//! - every outgoing call (bus daemon, polkit, the loop) has a deadline, and requests in
//!   flight are bounded, so a hanging polkit or a flooding peer never stalls the loop;
//! - live trust, scores and decisions are only on the [`ADMIN_IFACE`]: its methods need the
//!   `admin` action, and its signals are denied to non-root receivers by the bus policy
//!   (`packaging/dbus/io.github.typewarden1.conf`). Nothing on either interface can carry
//!   key content: replies are numbers, fixed tokens, names and paths.

pub mod client;
pub mod error;
mod iface;
pub mod polkit;
pub mod request;
pub mod server;
pub mod types;

pub use error::ApiError;
pub use request::{Op, Reply, Request};

/// The well-known name the daemon owns (only root may own it: the bus policy).
pub const BUS_NAME: &str = "io.github.typewarden1";
/// The one object.
pub const OBJECT_PATH: &str = "/io/github/typewarden1";
/// Status and the caller's own profile.
pub const MANAGER_IFACE: &str = "io.github.typewarden1.Manager";
/// Everything about other users, live trust, and steering the daemon.
pub const ADMIN_IFACE: &str = "io.github.typewarden1.Admin";
/// Bumped when a method's meaning changes incompatibly; additive changes (new dictionary
/// keys, new methods) keep it. The interface names carry the major version (`…1`).
pub const API_VERSION: u32 = 1;

/// polkit action: daemon status (allowed to active local sessions without a password).
pub const ACTION_STATUS: &str = "io.github.typewarden1.status";
/// polkit action: view one's own profile (the user's own password, kept a few minutes).
pub const ACTION_SELF: &str = "io.github.typewarden1.self";
/// polkit action: delete one's own profile (the user's own password, every time: a deleted
/// profile cannot lock an impostor).
pub const ACTION_SELF_DELETE: &str = "io.github.typewarden1.self-delete";
/// polkit action: everything on the Admin interface (an administrator's password).
pub const ACTION_ADMIN: &str = "io.github.typewarden1.admin";

/// Longest pause an administrator can ask for: verification always comes back by itself.
pub const MAX_PAUSE_S: u64 = 24 * 3600;

/// Parses a profile name as the API writes it: `uid:1000` or `id:<kiosk identity>`.
pub fn parse_identity(s: &str) -> Option<crate::store::Identity> {
    use crate::store::Identity;
    if let Some(uid) = s.strip_prefix("uid:") {
        // Canonical decimal only, so one profile has one name.
        let n: u32 = uid.parse().ok()?;
        return (n.to_string() == uid).then_some(Identity::Uid(n));
    }
    Identity::named(s.strip_prefix("id:")?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Identity;

    #[test]
    fn identities_round_trip_through_their_api_names() {
        for id in [
            Identity::Uid(0),
            Identity::Uid(1000),
            Identity::named("kiosk 7").unwrap(),
        ] {
            assert_eq!(parse_identity(&id.to_string()), Some(id));
        }
        for bad in [
            "1000",
            "uid:",
            "uid:01",
            "uid:-1",
            "uid:4294967296",
            "id:",
            "x:1",
            "id:a\nb",
        ] {
            assert_eq!(parse_identity(bad), None, "{bad:?}");
        }
    }
}
