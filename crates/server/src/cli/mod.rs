//! The command line: `serve`, `migrate`, `token`, `user add`, `check`, `export`, `import`,
//! `events tail`.

mod check;
mod events;
mod migrate;
mod token;
mod transfer;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::startup::Application;

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
    /// Run pending database migrations and exit (--to VERSION rolls back or forward).
    Migrate(migrate::MigrateArgs),
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
    /// Read the event feed.
    Events {
        #[command(subcommand)]
        command: events::EventsCommand,
    },
}

/// Logs to stderr, filtered by `ROOKERY_LOG` (default `info`), as text or JSON
/// (`ROOKERY_LOG_FORMAT`), coloured only on a terminal; never blocks or stops the
/// process (see [`crate::logging`]).
///
/// # Errors
/// `ROOKERY_LOG` is not a valid filter or `ROOKERY_LOG_FORMAT` is neither `text` nor
/// `json`: refused rather than silently replaced by the default.
pub fn init_tracing() -> anyhow::Result<()> {
    crate::logging::init()
}

/// An error and its causes on one line: `{:#}` joins the chain with `: `, and line
/// breaks inside a cause (libpq ends its messages with one) become spaces.
#[must_use]
pub fn one_line(error: &anyhow::Error) -> String {
    format!("{error:#}").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs a parsed command.
///
/// # Errors
/// Whatever made the command fail, with context.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(settings) => serve(&settings),
        Command::Migrate(args) => migrate::run(&args),
        Command::Token(args) => token::run(&args),
        Command::User { command } => user::run(command),
        Command::Check(args) => check::run(&args),
        Command::Export(args) => transfer::export(&args),
        Command::Import(args) => transfer::import(&args),
        Command::Events { command } => events::run(command),
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
