//! Carrying out the configured escalation when a lock is not confirmed (F33).
//!
//! Invariants: a command runs without a shell, with an empty environment except a fixed
//! `PATH`, stdin/stdout/stderr on /dev/null, and is killed at its deadline; D-Bus steps use
//! the call deadline; every failure becomes [`EscalationResult::Failed`], never a panic.

use super::config::{CommandSpec, Escalation};
use super::lock::{EscalationResult, LockTarget};
use super::model::SessionClass;
use super::proxies::{ManagerProxy, SessionProxy};
use super::{timed, SessionError};
use std::process::Stdio;
use std::time::Duration;
use zbus::proxy::CacheProperties;
use zbus::Connection;

/// The `PATH` a command escalation sees (so that a `#!/bin/sh` script works), fixed so the
/// daemon's environment cannot redirect it.
const COMMAND_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// Runs `escalation` for `target`. `conn` is `None` when the bus was unreachable.
pub(super) async fn escalate(
    escalation: &Escalation,
    conn: Option<&Connection>,
    target: &LockTarget,
    t: Duration,
) -> EscalationResult {
    let needs_bus = || conn.ok_or_else(|| "the system bus is unreachable".to_string());
    let result = match escalation {
        Escalation::LogOnly => Ok(EscalationResult::LoggedOnly),
        Escalation::Command(spec) => Ok(run_command(spec, target).await),
        Escalation::ActivateSession(which) => match needs_bus() {
            Ok(conn) => activate(conn, which, target, t).await,
            Err(e) => Err(e),
        },
        Escalation::Terminate => match needs_bus() {
            Ok(conn) => terminate(conn, target, t).await,
            Err(e) => Err(e),
        },
    };
    result.unwrap_or_else(EscalationResult::Failed)
}

async fn run_command(spec: &CommandSpec, target: &LockTarget) -> EscalationResult {
    let argv: Vec<String> = spec.argv.iter().map(|a| substitute(a, target)).collect();
    let Some((program, args)) = argv.split_first() else {
        return EscalationResult::Failed("empty command".to_string());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", COMMAND_PATH)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return EscalationResult::Failed(format!("{program}: {e}")),
    };
    let deadline = Duration::from_millis(spec.timeout_ms);
    match tokio::time::timeout(deadline, child.wait()).await {
        Ok(Ok(status)) => EscalationResult::CommandExited(status.code()),
        Ok(Err(e)) => EscalationResult::Failed(format!("{program}: {e}")),
        Err(_) => {
            // Kills by the child's own PID and reaps it.
            let _ = child.kill().await;
            EscalationResult::CommandTimedOut
        }
    }
}

/// Replaces `{session}`, `{seat}` and `{uid}`. The values come from logind; no shell ever
/// sees them.
fn substitute(arg: &str, target: &LockTarget) -> String {
    arg.replace("{session}", &target.session)
        .replace("{seat}", &target.seat)
        .replace("{uid}", &target.uid.to_string())
}

async fn manager(conn: &Connection, t: Duration) -> Result<ManagerProxy<'static>, SessionError> {
    let builder = ManagerProxy::builder(conn).cache_properties(CacheProperties::No);
    timed(t, "Manager proxy", builder.build()).await
}

async fn activate(
    conn: &Connection,
    which: &str,
    target: &LockTarget,
    t: Duration,
) -> Result<EscalationResult, String> {
    let m = manager(conn, t).await.map_err(|e| e.to_string())?;
    let id = match which {
        "greeter" => find_greeter(conn, &m, &target.seat, t)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no greeter session on {}", target.seat))?,
        id => id.to_string(),
    };
    let call = m.activate_session_on_seat(&id, &target.seat);
    timed(t, "ActivateSessionOnSeat", call)
        .await
        .map_err(|e| e.to_string())?;
    Ok(EscalationResult::Activated(id))
}

/// The first session of class `greeter` on `seat`.
async fn find_greeter(
    conn: &Connection,
    m: &ManagerProxy<'static>,
    seat: &str,
    t: Duration,
) -> Result<Option<String>, SessionError> {
    let sessions = timed(t, "ListSessions", m.list_sessions()).await?;
    for (id, _, _, _, path) in sessions.into_iter().filter(|s| s.3 == seat) {
        let builder = SessionProxy::builder(conn)
            .path(path)
            .map_err(|source| SessionError::Dbus {
                what: "session path",
                source,
            })?
            .cache_properties(CacheProperties::No);
        let proxy = timed(t, "Session proxy", builder.build()).await?;
        let class = timed(t, "Session.Class", proxy.class()).await?;
        if SessionClass::parse(&class) == SessionClass::Greeter {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

async fn terminate(
    conn: &Connection,
    target: &LockTarget,
    t: Duration,
) -> Result<EscalationResult, String> {
    let m = manager(conn, t).await.map_err(|e| e.to_string())?;
    timed(t, "TerminateSession", m.terminate_session(&target.session))
        .await
        .map_err(|e| e.to_string())?;
    Ok(EscalationResult::Terminated)
}
