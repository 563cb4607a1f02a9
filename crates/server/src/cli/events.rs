//! `rookery events tail [--after C] [--types a,b]`: prints the event feed as JSON
//! Lines (`{"cursor", "id", "type", "created_at", "data"}`), then follows it.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use rookery_domain::EventCursor;
use rookery_domain::ports::{SystemClock, UuidV7};
use rookery_domain::service::{EventService, FeedError, FeedQuery, GraphEvents};

use super::check::{Access, open_for_maintenance};
use crate::settings::DatabaseSettings;

/// How often a caught-up tail looks for new events.
const POLL: Duration = Duration::from_millis(250);
/// Events read per round.
const BATCH: usize = 1000;

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Print events as JSON Lines, then follow new ones as they commit.
    Tail(TailArgs),
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Start after this cursor (a `cursor` printed earlier, or a feed `next_cursor`);
    /// from the oldest event kept when left out.
    #[arg(long)]
    after: Option<String>,
    /// Only these event types (comma-separated).
    #[arg(long, value_delimiter = ',')]
    types: Vec<String>,
    /// Stop once caught up instead of following.
    #[arg(long)]
    no_follow: bool,
    #[command(flatten)]
    database: DatabaseSettings,
}

/// Secrets are never made here.
struct NoSecrets;

impl rookery_domain::ports::SecretSource for NoSecrets {
    fn secret_bytes(&self) -> [u8; 32] {
        [0; 32]
    }
}

/// Runs `rookery events ...`.
///
/// # Errors
/// The database cannot be opened or read, the cursor is not one, or it expired.
pub fn run(command: EventsCommand) -> anyhow::Result<ExitCode> {
    let EventsCommand::Tail(args) = command;
    let after = args
        .after
        .as_deref()
        .map(|c| c.parse::<EventCursor>().with_context(|| format!("--after {c:?} is not an event cursor")))
        .transpose()?;
    let db = open_for_maintenance(&args.database, Access::Read)?;
    let feed = EventService::new(db, SystemClock, UuidV7, NoSecrets);
    let mut query = FeedQuery { after, limit: BATCH, types: args.types.clone() };
    let stdout = std::io::stdout();
    loop {
        let page = feed.events(&query).map_err(|e| match e {
            FeedError::Expired => anyhow::anyhow!("{e} (pass no --after to start at the oldest event kept)"),
            other => anyhow::Error::new(other),
        })?;
        let caught_up = page.events.len() < BATCH;
        let mut out = stdout.lock();
        for event in &page.events {
            let envelope = event.envelope();
            // The cursor first, so a reader can resume with `--after`.
            let line = envelope
                .strip_prefix('{')
                .map_or_else(|| envelope.clone(), |rest| format!("{{\"cursor\":\"{}\",{rest}", event.cursor));
            if writeln!(out, "{line}").is_err() {
                // The reader went away (a closed pipe): done.
                return Ok(ExitCode::SUCCESS);
            }
        }
        if out.flush().is_err() {
            return Ok(ExitCode::SUCCESS);
        }
        drop(out);
        query.after = Some(page.next_cursor);
        if caught_up {
            if args.no_follow {
                return Ok(ExitCode::SUCCESS);
            }
            std::thread::sleep(POLL);
        }
    }
}
