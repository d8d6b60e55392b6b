//! Asking polkit (`org.freedesktop.PolicyKit1.Authority.CheckAuthorization`) whether a bus
//! peer may do an action.
//!
//! The subject is the caller's unique bus name (`system-bus-name`), never a pid: polkit
//! then resolves the peer's credentials itself, which avoids the pid-reuse race of
//! `unix-process` subjects (CVE-2013-4288). Invariants: every call has a deadline; when the
//! deadline passes the check is cancelled (`CancelCheckAuthorization`) and counts as denied;
//! any polkit failure (not running, error reply) is a denial: fail closed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use zbus::zvariant::Value;

/// `CheckAuthorization` flag: the caller may be asked to authenticate (an agent runs).
const ALLOW_USER_INTERACTION: u32 = 1;

#[zbus::proxy(
    interface = "org.freedesktop.PolicyKit1.Authority",
    default_service = "org.freedesktop.PolicyKit1",
    default_path = "/org/freedesktop/PolicyKit1/Authority",
    gen_blocking = false
)]
trait Authority {
    /// polkit's authorization check.
    fn check_authorization(
        &self,
        subject: &(&str, HashMap<&str, Value<'_>>),
        action_id: &str,
        details: &HashMap<&str, &str>,
        flags: u32,
        cancellation_id: &str,
    ) -> zbus::Result<(bool, bool, HashMap<String, String>)>;

    /// Cancels a pending check (the caller gets an error).
    fn cancel_check_authorization(&self, cancellation_id: &str) -> zbus::Result<()>;
}

/// Deadlines for polkit.
#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
    /// A check without user interaction.
    pub quick: Duration,
    /// A check during which an authentication agent may ask the user for a password.
    pub interactive: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            quick: Duration::from_secs(10),
            // Long enough to type a password into an agent's dialog.
            interactive: Duration::from_secs(120),
        }
    }
}

/// polkit's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Authorized.
    Allowed,
    /// Not authorized; `challenge`: authentication would have helped (no agent, or the
    /// caller did not allow interaction).
    Denied {
        /// polkit said `is_challenge`.
        challenge: bool,
    },
    /// polkit could not be asked or did not answer in time (counts as denied).
    Unavailable(String),
}

static NEXT_CANCEL: AtomicU64 = AtomicU64::new(0);

/// Checks `action` for the peer `sender` (a unique name such as `:1.42`).
pub async fn check(
    conn: &zbus::Connection,
    sender: &str,
    action: &str,
    details: &HashMap<&str, &str>,
    interactive: bool,
    timeouts: Timeouts,
) -> Verdict {
    let proxy = match AuthorityProxy::builder(conn)
        .cache_properties(zbus::proxy::CacheProperties::No)
        .build()
        .await
    {
        Ok(p) => p,
        Err(e) => return Verdict::Unavailable(format!("polkit proxy: {e}")),
    };
    let subject = (
        "system-bus-name",
        HashMap::from([("name", Value::from(sender))]),
    );
    let (flags, deadline) = if interactive {
        (ALLOW_USER_INTERACTION, timeouts.interactive)
    } else {
        (0, timeouts.quick)
    };
    let cancel = format!(
        "typewarden-{}-{}",
        std::process::id(),
        NEXT_CANCEL.fetch_add(1, Ordering::Relaxed)
    );
    let call = proxy.check_authorization(&subject, action, details, flags, &cancel);
    match tokio::time::timeout(deadline, call).await {
        Ok(Ok((true, _, _))) => Verdict::Allowed,
        Ok(Ok((false, challenge, _))) => Verdict::Denied { challenge },
        Ok(Err(e)) => Verdict::Unavailable(format!("polkit: {e}")),
        Err(_) => {
            // Bounded as well: a polkit that hangs on the check may hang on this too.
            let _ = tokio::time::timeout(timeouts.quick, proxy.cancel_check_authorization(&cancel))
                .await;
            Verdict::Unavailable(format!("polkit did not answer within {deadline:?}"))
        }
    }
}
