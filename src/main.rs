//! The `typewarden` binary: CLI front end and daemon entry point. `anyhow` lives only here.
use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use typewarden::config::{self, Config, LoadOptions};
use typewarden::replay;

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
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon.
    Daemon,
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
    /// Print a shell completion script (the packages install them; hidden from --help).
    #[command(hide = true)]
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::CheckConfig { path } => check_config(path.or(cli.config).as_deref()),
        Command::Replay { json, files } => {
            load_config(cli.config).and_then(|c| replay(&c, json, &files))
        }
        Command::Daemon => load_config(cli.config).map(|_| ExitCode::SUCCESS),
        Command::Completions { shell } => {
            use clap::CommandFactory as _;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "typewarden", &mut out);
            write_stdout(&String::from_utf8_lossy(&out)).map(|()| ExitCode::SUCCESS)
        }
    };
    result.unwrap_or_else(|e| {
        eprintln!("{e:#}");
        ExitCode::FAILURE
    })
}

fn load_config(path: Option<PathBuf>) -> anyhow::Result<Config> {
    let config = path.as_deref();
    Ok(config::load(&LoadOptions {
        config,
        ..LoadOptions::default()
    })?)
}

fn check_config(path: Option<&Path>) -> anyhow::Result<ExitCode> {
    let summary = config::check_config(path, Path::new(config::ETC_ROOT))?;
    write_stdout(&summary)?;
    Ok(ExitCode::SUCCESS)
}

fn replay(config: &Config, json: bool, files: &[PathBuf]) -> anyhow::Result<ExitCode> {
    let report = replay::replay_files(files, config.clean_params());
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).context("rendering JSON")?
        );
    } else {
        print!("{}", report.to_text());
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

/// Writes to stdout; a closed pipe (`typewarden replay … | head`) is not an error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e).context("writing to stdout"),
        _ => Ok(()),
    }
}
