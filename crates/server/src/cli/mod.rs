//! The command line: `serve`, `migrate`, `token`, `user add`, `check`, `export`, `import`.

mod check;
mod token;
mod transfer;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::{DatabaseSettings, Settings};
use crate::startup::{Application, open_database};

/// Rookery: a social-graph service.
#[derive(Debug, Parser)]
#[command(name = "rookery", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (migrates the database first).
    Serve(Settings),
    /// Run pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseSettings,
    },
    /// Print a signed access token for an account (HS256).
    Token(token::TokenArgs),
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
    /// Verify the graph's invariants (counts, deleted accounts, blocks); --repair fixes them.
    Check(check::CheckArgs),
    /// Write live accounts and follow edges as JSON Lines.
    Export(transfer::ExportArgs),
    /// Read accounts and follow edges from JSON Lines (idempotent), then recompute counts.
    Import(transfer::ImportArgs),
}

/// Logs to stderr, filtered by `ROOKERY_LOG` (default `info`); never blocks or stops
/// the process (see [`crate::logging`]).
pub fn init_tracing() {
    crate::logging::init();
}

/// Runs a parsed command.
///
/// # Errors
/// Whatever made the command fail, with context.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(settings) => serve(&settings),
        Command::Migrate { database } => {
            open_database(&database)?;
            tracing::info!("migrations up to date");
            Ok(ExitCode::SUCCESS)
        }
        Command::Token(args) => token::run(&args),
        Command::User { command } => user::run(command),
        Command::Check(args) => check::run(&args),
        Command::Export(args) => transfer::export(&args),
        Command::Import(args) => transfer::import(&args),
    }
}

fn serve(settings: &Settings) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async {
        let app = Application::build(settings)?;
        app.run_until_stopped().await?;
        tracing::info!("rookery stopped");
        Ok(ExitCode::SUCCESS)
    })
}
