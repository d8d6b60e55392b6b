//! The control commands of the CLI (`status`, `profile …`, `pause`, `resume`, `reload`,
//! `mode`): thin clients of the D-Bus API ([`crate::ipc::client`]).
//!
//! Invariants: every command ends with one of the documented exit codes
//! ([`crate::ipc::error::exit`]) and, on failure, one line on stderr saying why; `--json`
//! prints the reply dictionaries as they are on the bus (stable keys, see
//! [`crate::ipc::types`]); nothing prompts on the terminal itself: a password, when polkit
//! wants one, is asked by the user's polkit agent.

mod render;

use crate::ipc::client::{body, dict_json, dicts_json, Client, Iface};
use crate::ipc::error::exit;
use crate::ipc::types::{AdminStatus, ProfileView, Reloaded, Status};
use crate::ipc::{ApiError, MAX_PAUSE_S};
use crate::session::Bus;
use crate::store::Identity;

/// `typewarden profile …`.
#[derive(Debug, clap::Subcommand)]
pub enum ProfileCommand {
    /// List every stored profile (administrators).
    List {
        /// Print the reply as JSON.
        #[arg(long)]
        json: bool,
    },
    /// What is stored about USER (default: yourself): maturity, coverage, timing summary,
    /// file; never key content.
    Show {
        /// Login name, uid, `uid:N` or `id:NAME` (a kiosk identity).
        user: Option<String>,
        /// Print the reply as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Discard what USER's profile learned; they train again from now on (administrators).
    Reset {
        /// Login name, uid, `uid:N` or `id:NAME`.
        user: String,
    },
    /// Erase USER's profile (default: your own) and its quarantined copies.
    Delete {
        /// Login name, uid, `uid:N` or `id:NAME`.
        user: Option<String>,
    },
}

/// The mode argument of `typewarden mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Lock on impostors.
    Enforce,
    /// Audit only.
    Monitor,
}

/// A control command.
#[derive(Debug)]
pub enum Command {
    /// `status [--json] [--admin]`.
    Status {
        /// JSON.
        json: bool,
        /// Ask for the admin view even when not root.
        admin: bool,
    },
    /// `profile …`.
    Profile(ProfileCommand),
    /// `pause DURATION`.
    Pause(String),
    /// `resume`.
    Resume,
    /// `reload`.
    Reload {
        /// JSON.
        json: bool,
    },
    /// `mode enforce|monitor`.
    Mode(ModeArg),
}

/// Runs a control command against the daemon on `bus`; returns the exit code. `ask`: polkit
/// may ask for a password (only sensible on a terminal, as systemctl does).
pub fn run(cmd: Command, bus: &Bus, ask: bool) -> u8 {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("typewarden: cannot start the runtime: {e}");
            return exit::FAILURE;
        }
    };
    match rt.block_on(dispatch(cmd, bus, ask)) {
        Ok(()) => exit::OK,
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    }
}

fn report(e: &ApiError) {
    let text = e.text();
    let hint = match e.exit_code() {
        exit::NOT_RUNNING => " (is typewarden.service running?)",
        _ => "",
    };
    eprintln!("typewarden: {text}{hint}");
}

async fn dispatch(cmd: Command, bus: &Bus, ask: bool) -> Result<(), ApiError> {
    // Arguments are checked before connecting, so a bad one is exit 2 even with no daemon.
    let pause = match &cmd {
        Command::Pause(d) => Some(parse_duration(d)?),
        _ => None,
    };
    let who = match &cmd {
        Command::Profile(ProfileCommand::Show { user: Some(u), .. })
        | Command::Profile(ProfileCommand::Delete { user: Some(u) })
        | Command::Profile(ProfileCommand::Reset { user: u }) => Some(resolve_user(u)?),
        _ => None,
    };
    let me = Identity::Uid(nix::unistd::getuid().as_raw());
    // One's own profile goes through the self-service methods (polkit `…self`).
    let mine = who.as_ref().is_none_or(|w| *w == me);
    let c = Client::connect(bus, ask).await?;
    match cmd {
        Command::Status { json, admin } => {
            if admin || nix::unistd::getuid().is_root() {
                let m = c.call(Iface::Admin, "GetStatus", &()).await?;
                print(json, &m, |m| {
                    body::<AdminStatus>(m).map(|s| render::admin_status(&s))
                })
            } else {
                let m = c.call(Iface::Manager, "GetStatus", &()).await?;
                print(json, &m, |m| body::<Status>(m).map(|s| render::status(&s)))
            }
        }
        Command::Profile(ProfileCommand::List { json }) => {
            let m = c.call(Iface::Admin, "ListProfiles", &()).await?;
            if json {
                return out_json(&dicts_json(&m)?);
            }
            let list: Vec<ProfileView> = body(&m)?;
            out(&render::profile_list(&list));
            Ok(())
        }
        Command::Profile(ProfileCommand::Show { json, .. }) => {
            let m = match &who {
                Some(id) if !mine => c.call(Iface::Admin, "GetProfile", &id.to_string()).await?,
                _ => c.call(Iface::Manager, "GetMyProfile", &()).await?,
            };
            print(json, &m, |m| {
                body::<ProfileView>(m).map(|p| render::profile(&p))
            })
        }
        Command::Profile(ProfileCommand::Reset { .. }) => {
            let id = who.unwrap_or(me);
            c.call(Iface::Admin, "ResetProfile", &id.to_string())
                .await?;
            out(&format!("profile {id} reset: training starts again\n"));
            Ok(())
        }
        Command::Profile(ProfileCommand::Delete { .. }) => {
            match &who {
                Some(id) if !mine => {
                    c.call(Iface::Admin, "DeleteProfile", &id.to_string())
                        .await?
                }
                _ => c.call(Iface::Manager, "DeleteMyProfile", &()).await?,
            };
            let id = who.unwrap_or(me);
            out(&format!("profile {id} deleted\n"));
            Ok(())
        }
        Command::Pause(_) => {
            let seconds = pause.unwrap_or(1);
            let m = c.call(Iface::Admin, "Pause", &seconds).await?;
            let s: u64 = body(&m)?;
            out(&format!(
                "verification paused for {}; it resumes by itself (or: typewarden resume)\n",
                render::duration(s)
            ));
            Ok(())
        }
        Command::Resume => {
            c.call(Iface::Admin, "Resume", &()).await?;
            out("verification resumed\n");
            Ok(())
        }
        Command::Reload { json } => {
            let m = c.call(Iface::Admin, "ReloadConfig", &()).await?;
            print(json, &m, |m| {
                body::<Reloaded>(m).map(|r| render::reloaded(&r))
            })
        }
        Command::Mode(mode) => {
            let name = match mode {
                ModeArg::Enforce => "enforce",
                ModeArg::Monitor => "monitor",
            };
            c.call(Iface::Admin, "SetMode", &name).await?;
            out(&format!("mode {name} until the next reload or restart\n"));
            Ok(())
        }
    }
}

fn print(
    json: bool,
    m: &zbus::Message,
    text: impl FnOnce(&zbus::Message) -> Result<String, ApiError>,
) -> Result<(), ApiError> {
    if json {
        return out_json(&dict_json(m)?);
    }
    out(&text(m)?);
    Ok(())
}

fn out_json(v: &serde_json::Value) -> Result<(), ApiError> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| ApiError::Failed(format!("rendering JSON: {e}")))?;
    out(&(text + "\n"));
    Ok(())
}

/// Writes to stdout; a closed pipe is not an error.
fn out(text: &str) {
    use std::io::Write as _;
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes()).and_then(|()| o.flush());
}

/// `uid:N` / `id:NAME` as written, a number as a uid, else a login name.
pub fn resolve_user(s: &str) -> Result<Identity, ApiError> {
    if s.starts_with("uid:") || s.starts_with("id:") {
        return crate::ipc::parse_identity(s)
            .ok_or_else(|| ApiError::InvalidArgument(format!("{s:?} is not a profile name")));
    }
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse()
            .map(Identity::Uid)
            .map_err(|_| ApiError::InvalidArgument(format!("{s} is not a uid")));
    }
    match nix::unistd::User::from_name(s) {
        Ok(Some(u)) => Ok(Identity::Uid(u.uid.as_raw())),
        _ => Err(ApiError::NoSuchProfile(format!(
            "no user {s:?} (a kiosk identity is written id:NAME)"
        ))),
    }
}

/// `90`, `90s`, `15m`, `2h`, `1h30m` → seconds, 1 s to 24 h.
pub fn parse_duration(s: &str) -> Result<u64, ApiError> {
    let bad = || {
        ApiError::InvalidArgument(format!(
            "{s:?} is not a duration (e.g. 90s, 15m, 2h, 1h30m; at most 24h)"
        ))
    };
    let (mut total, mut digits, mut any) = (0u64, String::new(), false);
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
        any = true;
    }
    if !digits.is_empty() {
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = total.checked_add(n).ok_or_else(bad)?;
        any = true;
    }
    if !any || !(1..=MAX_PAUSE_S).contains(&total) {
        return Err(bad());
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_are_bounded() {
        for (s, n) in [
            ("90", 90),
            ("90s", 90),
            ("15m", 900),
            ("2h", 7200),
            ("1h30m", 5400),
            ("24h", 86400),
        ] {
            assert_eq!(parse_duration(s).unwrap(), n, "{s}");
        }
        for s in [
            "",
            "0",
            "0s",
            "25h",
            "1d",
            "m",
            "1.5h",
            "-5m",
            "99999999999999999999",
        ] {
            assert!(parse_duration(s).is_err(), "{s:?}");
        }
    }

    #[test]
    fn users_resolve_to_identities() {
        assert_eq!(resolve_user("0").unwrap(), Identity::Uid(0));
        assert_eq!(resolve_user("root").unwrap(), Identity::Uid(0));
        assert_eq!(resolve_user("uid:1000").unwrap(), Identity::Uid(1000));
        assert_eq!(
            resolve_user("id:kiosk-7").unwrap(),
            Identity::named("kiosk-7").unwrap()
        );
        assert_eq!(resolve_user("uid:x").unwrap_err().exit_code(), exit::USAGE);
        let missing = resolve_user("no-such-user-typewarden").unwrap_err();
        assert_eq!(missing.exit_code(), exit::NO_SUCH_PROFILE);
    }
}
