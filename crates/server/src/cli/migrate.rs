//! `rookery migrate [--to VERSION | --list]`: brings the schema to this binary's
//! version (the default), to a chosen version (a rollback before running an older
//! binary), or lists where it stands.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use crate::settings::DatabaseSettings;
use crate::sqlite_file::SqliteFile;
use crate::startup::open_database;

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Move the schema to this version: revert the newer migrations (their tables and
    /// data are dropped), apply the older pending ones. `--list` shows the versions.
    #[arg(long, value_name = "VERSION", conflicts_with = "list")]
    to: Option<String>,
    /// List the migrations this binary knows and whether each is applied, and any
    /// applied one it does not know; changes nothing.
    #[arg(long)]
    list: bool,
    #[command(flatten)]
    database: DatabaseSettings,
}

pub fn run(args: &MigrateArgs) -> anyhow::Result<ExitCode> {
    if args.list {
        return list(&args.database);
    }
    // Not under a running server: on SQLite, take the serve lock for the duration.
    let _lock = match SqliteFile::from_url(&args.database.url) {
        Some(file) => {
            file.require_directory()?;
            Some(file.lock_for_serving()?)
        }
        None => None,
    };
    let mut out = std::io::stdout().lock();
    match &args.to {
        None => {
            open_database(&args.database)?;
            writeln!(out, "migrations up to date")?;
        }
        Some(version) => {
            let db = open_existing_any_version(&args.database)?;
            let steps = db.migrate_to(version).with_context(|| format!("migrating to {version}"))?;
            for reverted in &steps.reverted {
                writeln!(out, "reverted {reverted}")?;
            }
            for applied in &steps.applied {
                writeln!(out, "applied {applied}")?;
            }
            writeln!(out, "at {version}")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn list(settings: &DatabaseSettings) -> anyhow::Result<ExitCode> {
    let db = open_existing_any_version(settings)?;
    let status = db.schema_status()?;
    let mut out = std::io::stdout().lock();
    for version in &status.known {
        let state = if status.applied.contains(version) { "applied" } else { "pending" };
        writeln!(out, "{version} {state}")?;
    }
    for version in status.unknown() {
        writeln!(out, "{version} applied, unknown to this binary")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// An existing database, whatever its schema version (a rollback starts from a newer
/// one; a listing reports any).
fn open_existing_any_version(settings: &DatabaseSettings) -> anyhow::Result<rookery_store::Database> {
    if let Some(file) = SqliteFile::from_url(&settings.url) {
        file.require_existing()?;
    }
    rookery_store::Database::open(
        &settings.url,
        rookery_store::DatabaseOptions {
            max_connections: 1,
            writers: Some(0),
            ..rookery_store::DatabaseOptions::default()
        },
    )
    .context("opening the database")
}
