//! The `typewarden` binary: CLI front end and daemon entry point.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Daemon => ExitCode::SUCCESS,
    }
}
