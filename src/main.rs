//! The `typewarden` binary: CLI front end and daemon entry point. `anyhow` lives only here.
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use typewarden::config::{self, Config, LoadOptions};
use typewarden::{ctl, daemon, input, replay};

#[derive(Parser)]
#[command(
    name = "typewarden",
    version,
    about = "Continuous keystroke-dynamics authentication daemon"
)]
struct Cli {
    /// Use this configuration file instead of /etc/typewarden/typewarden.toml{,.d/*.toml}.
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Control commands: never let polkit ask for a password (the default when stdin is not
    /// a terminal); an action that needs one is then refused (exit 4).
    #[arg(long, global = true)]
    no_ask_password: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: read keyboards (or replay traces), verify the typist, lock on takeover.
    Daemon {
        /// Profile directory (default: the `state_dir` key, else $STATE_DIRECTORY, else
        /// /var/lib/typewarden).
        #[arg(long, value_name = "DIR")]
        state_dir: Option<PathBuf>,
        /// Read these recorded traces instead of /dev/input; exit when they end.
        #[arg(long, value_name = "FILE", num_args = 1..)]
        replay: Option<Vec<PathBuf>>,
        /// The seat of each replayed trace, in the order of --replay (the rest are on seat0),
        /// e.g. `--replay a.evemu b.evemu --replay-seat seat0 seat1`.
        #[arg(long, value_name = "SEAT", num_args = 1.., requires = "replay")]
        replay_seat: Vec<String>,
        /// Replay pacing: 1 = real time, 0 = as fast as possible.
        #[arg(long, default_value_t = 1.0, requires = "replay", value_parser = parse_speed)]
        speed: f64,
        /// The journald native socket audit records are sent to.
        #[arg(long, value_name = "PATH", default_value = typewarden::audit::JOURNAL_SOCKET)]
        journal_socket: PathBuf,
        /// The syslog socket audit records go to when the journal socket refuses them (then
        /// stderr).
        #[arg(long, value_name = "PATH", default_value = typewarden::audit::SYSLOG_SOCKET)]
        syslog_socket: PathBuf,
    },
    /// Validate the configuration (the /etc files, or PATH instead) and print the result.
    CheckConfig {
        /// Check this file instead of /etc/typewarden/typewarden.toml{,.d/*.toml}.
        path: Option<PathBuf>,
    },
    /// Run recorded traces through the cleaning core and summarise the cleaned stream.
    Replay {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
        /// evemu, libinput record, evtest or umockdev recordings.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List every /dev/input event node: class, seat, whether it is scored and why.
    Devices {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
    /// Run a reproducible benchmark through the daemon's cleaning, engine and policy code.
    Evaluate(typewarden::eval::cli::EvaluateArgs),
    /// Show what the running daemon does (as root or with --admin: sessions and live trust).
    Status {
        /// Print the reply as JSON (stable keys, see typewarden(8)).
        #[arg(long)]
        json: bool,
        /// Ask for the administrator's view even when not root (polkit asks for a password).
        #[arg(long)]
        admin: bool,
    },
    /// Show, list, reset or delete profiles (typing and pointer statistics).
    #[command(subcommand)]
    Profile(typewarden::ctl::ProfileCommand),
    /// Pause verification for DURATION (90s, 15m, 2h, 1h30m; at most 24h).
    Pause {
        /// How long.
        duration: String,
    },
    /// End a pause now.
    Resume,
    /// Reload the configuration files (as SIGHUP does); a bad file is rejected.
    Reload {
        /// Print the reply as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Switch between enforce and monitor until the next reload or restart.
    Mode {
        /// enforce or monitor.
        mode: typewarden::ctl::ModeArg,
    },
    /// Print a shell completion script (the packages install them; hidden from --help).
    #[command(hide = true)]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let control = match cli.command {
        Command::Status { json, admin } => ctl::Command::Status { json, admin },
        Command::Profile(p) => ctl::Command::Profile(p),
        Command::Pause { duration } => ctl::Command::Pause(duration),
        Command::Resume => ctl::Command::Resume,
        Command::Reload { json } => ctl::Command::Reload { json },
        Command::Mode { mode } => ctl::Command::Mode(mode),
        other => return run(other, cli.config),
    };
    // Exit codes of the control commands are documented in typewarden(8).
    use std::io::IsTerminal as _;
    let ask = !cli.no_ask_password && std::io::stdin().is_terminal();
    ExitCode::from(ctl::run(control, &typewarden::session::Bus::System, ask))
}

fn run(command: Command, config: Option<PathBuf>) -> ExitCode {
    let cli_config = config;
    let result = match command {
        Command::CheckConfig { path } => check_config(path.or(cli_config).as_deref()),
        Command::Replay { json, files } => {
            load_config(cli_config).and_then(|c| replay(&c, json, &files))
        }
        Command::Devices { json } => load_config(cli_config).and_then(|c| devices(&c, json)),
        Command::Daemon {
            state_dir,
            replay,
            replay_seat,
            speed,
            journal_socket,
            syslog_socket,
        } => {
            load_daemon_config(cli_config.clone(), &journal_socket, &syslog_socket).and_then(|c| {
                let state_dir = state_dir
                    .or_else(|| c.state_dir.clone())
                    .unwrap_or_else(typewarden::store::default_state_dir);
                let opts = daemon::Options {
                    state_dir,
                    journal_socket,
                    syslog_socket,
                    replay,
                    replay_seats: replay_seat,
                    speed,
                    config_path: cli_config,
                };
                run_daemon(c, opts)
            })
        }
        Command::Evaluate(args) => typewarden::eval::cli::run(args)
            .map(|()| ExitCode::SUCCESS)
            .map_err(anyhow::Error::from),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "typewarden", &mut out);
            write_stdout(&String::from_utf8_lossy(&out)).map(|()| ExitCode::SUCCESS)
        }
        // Handled by `main` before.
        Command::Status { .. }
        | Command::Profile(_)
        | Command::Pause { .. }
        | Command::Resume
        | Command::Reload { .. }
        | Command::Mode { .. } => Ok(ExitCode::FAILURE),
    };
    result.unwrap_or_else(|e| {
        eprintln!("{}", chain(&e));
        ExitCode::FAILURE
    })
}

/// The error and its causes, each said once: the adapters' errors already quote their
/// cause (`"state directory: {0}"` over a `#[from]` source), so anyhow's `{:#}` would
/// repeat it ("a: b: b: b"). A cause is left out only when the message so far already ends
/// with it.
fn chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let s = cause.to_string();
        if !out.ends_with(&s) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&s);
        }
    }
    out
}

/// The daemon's configuration; a rejected one is audited before startup stops.
fn load_daemon_config(
    path: Option<PathBuf>,
    journal_socket: &Path,
    syslog_socket: &Path,
) -> anyhow::Result<Config> {
    let loaded = config::load(&LoadOptions {
        config: path.as_deref(),
        ..LoadOptions::default()
    });
    loaded.map_err(|e| {
        daemon::audit_rejected_config(&e, journal_socket, syslog_socket);
        anyhow::Error::from(e)
    })
}

fn check_config(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let summary = config::check_config(path, Path::new(config::ETC_ROOT))?;
    write_stdout(&summary)?;
    Ok(ExitCode::SUCCESS)
}

fn replay(config: &Config, json: bool, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let report = replay::replay_files(files, config.clean_params());
    if json {
        write_stdout(&(serde_json::to_string_pretty(&report).context("rendering JSON")? + "\n"))?;
    } else {
        write_stdout(&report.to_text())?;
    }
    for e in &report.errors {
        eprintln!("{e}");
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn devices(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let rows = input::list::list(&config.input.filter);
    let out = if json {
        serde_json::to_string_pretty(&rows).context("rendering JSON")? + "\n"
    } else {
        input::list::render_table(&rows)
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn run_daemon(config: Config, opts: daemon::Options) -> anyhow::Result<ExitCode> {
    let _logging = typewarden::logging::init(0, Some(&opts.syslog_socket));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(daemon::run(config, opts))?;
    Ok(ExitCode::SUCCESS)
}

/// `--speed`: a finite factor ≥ 0.
fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a speed (0 = as fast as possible, 1 = real time, 2 = twice as fast)"
        )),
    }
}

/// Writes to stdout; a closed pipe (`typewarden replay … | head`) is not an error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}

fn load_config(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let config = path.as_deref();
    Ok(config::load(&LoadOptions {
        config,
        ..LoadOptions::default()
    })?)
}

#[cfg(test)]
mod tests {
    use super::chain;

    #[derive(Debug, thiserror::Error)]
    #[error("state directory: {0}")]
    struct Outer(#[from] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("/x: permission denied")]
    struct Inner;

    #[test]
    fn each_cause_is_said_once_and_none_is_dropped() {
        let e = anyhow::Error::from(Outer(Inner));
        assert_eq!(chain(&e), "state directory: /x: permission denied");
        let e = anyhow::Error::from(Outer(Inner)).context("starting");
        assert_eq!(
            chain(&e),
            "starting: state directory: /x: permission denied"
        );
        // A cause that appears earlier but not at the end is kept.
        let e = anyhow::anyhow!("/x: permission denied").context("/x: permission denied, then");
        assert_eq!(
            chain(&e),
            "/x: permission denied, then: /x: permission denied"
        );
    }
}
