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
    /// Run a reproducible benchmark through the daemon's cleaning, engine and policy code.
    Evaluate(typewarden::eval::cli::EvaluateArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Daemon => ExitCode::SUCCESS,
        Command::Evaluate(args) => match typewarden::eval::cli::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {:#}", anyhow::Error::from(e));
                ExitCode::FAILURE
            }
        },
    }
}
