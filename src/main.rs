//! The `typewarden` binary: CLI front end and daemon entry point.
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use typewarden::config;

#[derive(Parser)]
#[command(
    name = "typewarden",
    version,
    about = "Continuous keystroke-dynamics authentication daemon"
)]
struct Cli {
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Daemon => ExitCode::SUCCESS,
        Command::CheckConfig { path } => {
            match config::check_config(path.as_deref(), Path::new(config::ETC_ROOT)) {
                Ok(summary) => {
                    print!("{summary}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
