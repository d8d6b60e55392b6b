//! The `typewarden` binary: CLI front end and daemon entry point.
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use typewarden::input;

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
    /// List every /dev/input event node: class, seat, whether it is scored and why.
    Devices {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Daemon => match daemon() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("typewarden: {e:#}");
                ExitCode::FAILURE
            }
        },
        Command::Devices { json } => {
            let rows = input::list::list(&input::filter::DeviceFilter::default());
            if json {
                match serde_json::to_string_pretty(&rows) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("typewarden: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            } else {
                print!("{}", input::list::render_table(&rows));
            }
            ExitCode::SUCCESS
        }
    }
}

fn daemon() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(input::tally::run(input::manager::ManagerConfig::default()))?;
    Ok(())
}
