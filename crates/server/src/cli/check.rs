//! `rookery check [--repair]`: verifies every invariant of the graph, reports drift,
//! and with `--repair` restores the invariants and checks again.
//!
//! Exit status: 0 when the database is clean (or everything found was repaired), 1
//! when drift was found and left as it is.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use rookery_store::Database;
use rookery_store::maintenance::{IntegrityReport, RepairSummary};

use crate::settings::DatabaseSettings;
use crate::startup::{open_database, open_existing};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Remove edges, requests and blocks that break an invariant and recompute every
    /// account's counts, then check again.
    #[arg(long)]
    repair: bool,
    #[command(flatten)]
    database: DatabaseSettings,
}

/// Opens the database for a maintenance command with a pool of one connection. These
/// commands work on one connection in turn anyway (SQLite's import settings live on
/// it), and a larger pool refills itself in the background the moment that connection
/// is taken: on PostgreSQL a refill still connecting when the process exits crashes
/// it in libpq's teardown.
///
/// `check` and `export` only read: they open an existing database at this binary's
/// schema version and never create or migrate one; `import` writes, and migrates.
pub(super) fn open_for_maintenance(settings: &DatabaseSettings, access: Access) -> anyhow::Result<Database> {
    let settings = DatabaseSettings { max_connections: 1, ..settings.clone() };
    match access {
        Access::Read => open_existing(&settings),
        Access::Write => open_database(&settings),
    }
}

/// What a maintenance command does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Access {
    /// Reads only.
    Read,
    /// Writes (and so may create and migrate it).
    Write,
}

pub fn run(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    // Even with --repair: a repair mends an existing database, it never creates one.
    let db = open_for_maintenance(&args.database, Access::Read)?;
    let mut out = std::io::stdout().lock();

    let started = Instant::now();
    let report = db.check().context("checking the database")?;
    write_report(&mut out, &report, started.elapsed())?;
    if report.is_clean() {
        writeln!(out, "clean: every invariant holds")?;
        return Ok(ExitCode::SUCCESS);
    }
    if !args.repair {
        writeln!(out, "drift found: run `rookery check --repair` to fix it")?;
        return Ok(ExitCode::FAILURE);
    }

    let started = Instant::now();
    let summary = db.repair().context("repairing the database")?;
    write_repair(&mut out, &summary, started.elapsed())?;
    // Check again rather than trust the repair: a concurrent writer or a violation the
    // repair does not know would show here, and the exit status must say so.
    let started = Instant::now();
    let after = db.check().context("checking the repaired database")?;
    if after.is_clean() {
        writeln!(out, "clean after repair: every invariant holds")?;
        Ok(ExitCode::SUCCESS)
    } else {
        write_report(&mut out, &after, started.elapsed())?;
        writeln!(out, "drift remains after repair")?;
        Ok(ExitCode::FAILURE)
    }
}

fn write_report(out: &mut impl Write, report: &IntegrityReport, took: Duration) -> std::io::Result<()> {
    writeln!(
        out,
        "checked {} live accounts and {} follow edges in {:.2}s",
        report.live_accounts,
        report.edges,
        took.as_secs_f64()
    )?;
    for drift in &report.count_drift {
        writeln!(
            out,
            "count drift: account {} ({}): followers_count {} (actual {}), following_count {} (actual {})",
            drift.id,
            drift.username,
            drift.followers_stored,
            drift.followers_actual,
            drift.following_stored,
            drift.following_actual
        )?;
    }
    let mut other = 0;
    for (what, n) in report.violations() {
        if n > 0 {
            writeln!(out, "violation: {n} {what}")?;
            other += n;
        }
    }
    writeln!(out, "summary: {} accounts with drifted counts, {other} other violations", report.count_drift.len())
}

fn write_repair(out: &mut impl Write, summary: &RepairSummary, took: Duration) -> std::io::Result<()> {
    writeln!(
        out,
        "repaired in {:.2}s: removed {} edges, {} requests, {} blocks; corrected the counts of {} accounts",
        took.as_secs_f64(),
        summary.edges_removed,
        summary.requests_removed,
        summary.blocks_removed,
        summary.counts.accounts
    )
}
