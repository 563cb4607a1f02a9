//! `rookery export [--output FILE]` and `rookery import FILE`: accounts and follow
//! edges as JSON Lines (see [`jsonl`]). Export streams pages read in key order;
//! import sends batches of lines to the store, one transaction each, and recomputes
//! the counts once at the end. A progress bar shows on stderr when it is a terminal.

mod jsonl;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rookery_store::Database;
use rookery_store::maintenance::{AccountRecord, BatchOutcome, ExportError, ExportSink, FollowRecord};

use super::check::open_for_maintenance;
use crate::settings::DatabaseSettings;

/// Rows per page read by export.
const EXPORT_PAGE: usize = 10_000;
/// Skipped lines described one by one on stderr; past that only the tally.
const SHOWN_SKIPS: u64 = 20;
const IO_BUFFER: usize = 1 << 20;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout (`-` is stdout).
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    database: DatabaseSettings,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A JSON Lines file as `rookery export` writes it; `-` reads stdin.
    file: PathBuf,
    /// Lines per transaction.
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: u32,
    #[command(flatten)]
    database: DatabaseSettings,
}

fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A bar over `total` bytes, or a spinner when the total is unknown; hidden unless
/// stderr is a terminal, so logs and pipes get no control characters.
fn progress(total: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    match total {
        Some(len) => ProgressBar::new(len).with_style(
            ProgressStyle::with_template("{bar:40.cyan/blue} {bytes}/{total_bytes} {msg} ({eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        ),
        None => ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{spinner} {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    }
}

fn seconds(took: Duration) -> f64 {
    took.as_secs_f64()
}

// ---------------------------------------------------------------------------- export

struct JsonlSink<W: Write> {
    out: W,
    bar: ProgressBar,
    accounts: u64,
    follows: u64,
}

impl<W: Write> JsonlSink<W> {
    fn tick(&self) {
        self.bar.set_message(format!("{} accounts, {} follows", self.accounts, self.follows));
    }
}

impl<W: Write> ExportSink for JsonlSink<W> {
    fn accounts(&mut self, page: &[AccountRecord]) -> std::io::Result<()> {
        for record in page {
            jsonl::write_account(&mut self.out, record)?;
        }
        self.accounts += u64::try_from(page.len()).unwrap_or(u64::MAX);
        self.tick();
        Ok(())
    }

    fn follows(&mut self, page: &[FollowRecord]) -> std::io::Result<()> {
        for record in page {
            jsonl::write_follow(&mut self.out, record)?;
        }
        self.follows += u64::try_from(page.len()).unwrap_or(u64::MAX);
        self.tick();
        Ok(())
    }
}

pub fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let db = open_for_maintenance(&args.database)?;
    let started = Instant::now();
    let summary = match args.output.as_deref().filter(|path| !is_stdio(path)) {
        Some(path) => {
            let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
            export_to(&db, BufWriter::with_capacity(IO_BUFFER, file))
        }
        None => export_to(&db, BufWriter::with_capacity(IO_BUFFER, std::io::stdout().lock())),
    }?;
    // stdout may be the export itself: the summary goes to stderr.
    let mut err = std::io::stderr().lock();
    writeln!(
        err,
        "exported {} accounts and {} follows in {:.2}s",
        summary.accounts,
        summary.follows,
        seconds(started.elapsed())
    )?;
    Ok(ExitCode::SUCCESS)
}

fn export_to<W: Write>(db: &Database, out: W) -> anyhow::Result<rookery_store::maintenance::ExportSummary> {
    let bar = progress(None);
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut sink = JsonlSink { out, bar, accounts: 0, follows: 0 };
    let summary = db.export(EXPORT_PAGE, &mut sink).map_err(|e| match e {
        ExportError::Store(e) => anyhow::Error::new(e).context("reading the database"),
        ExportError::Sink(e) => anyhow::Error::new(e).context("writing the export"),
    })?;
    sink.out.flush().context("writing the export")?;
    sink.bar.finish_and_clear();
    Ok(summary)
}

// ---------------------------------------------------------------------------- import

/// What an import did, line by line.
#[derive(Default)]
struct Tally {
    accounts: BatchTally,
    follows: BatchTally,
    skipped: BTreeMap<&'static str, u64>,
    skipped_total: u64,
}

#[derive(Default)]
struct BatchTally {
    inserted: u64,
    present: u64,
}

impl Tally {
    fn skip(&mut self, bar: &ProgressBar, line: u64, category: &'static str, why: &dyn std::fmt::Display) {
        *self.skipped.entry(category).or_default() += 1;
        self.skipped_total += 1;
        if self.skipped_total <= SHOWN_SKIPS {
            bar.suspend(|| {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "line {line}: skipped: {why}");
                if self.skipped_total == SHOWN_SKIPS {
                    let _ = writeln!(err, "(further skipped lines are only counted)");
                }
            });
        }
    }

    fn absorb(&mut self, bar: &ProgressBar, outcome: &BatchOutcome, lines: &[u64], follows: bool) {
        let side = if follows { &mut self.follows } else { &mut self.accounts };
        side.inserted += outcome.inserted;
        side.present += outcome.present;
        for skip in &outcome.skipped {
            let line = lines.get(skip.index).copied().unwrap_or(0);
            self.skip(bar, line, skip.reason.describe(), &skip.reason.describe());
        }
    }
}

/// Lines read but not yet sent, with their line numbers for reporting skips.
#[derive(Default)]
struct Pending {
    accounts: Vec<AccountRecord>,
    account_lines: Vec<u64>,
    follows: Vec<FollowRecord>,
    follow_lines: Vec<u64>,
}

impl Pending {
    fn len(&self) -> usize {
        self.accounts.len() + self.follows.len()
    }

    /// Sends accounts before edges: an edge may name an account of the same batch.
    fn flush(&mut self, db: &Database, tally: &mut Tally, bar: &ProgressBar) -> anyhow::Result<()> {
        if !self.accounts.is_empty() {
            let outcome = db.import_accounts(&self.accounts).context("importing accounts")?;
            tally.absorb(bar, &outcome, &self.account_lines, false);
            self.accounts.clear();
            self.account_lines.clear();
        }
        if !self.follows.is_empty() {
            let outcome = db.import_follows(&self.follows).context("importing follows")?;
            tally.absorb(bar, &outcome, &self.follow_lines, true);
            self.follows.clear();
            self.follow_lines.clear();
        }
        bar.set_message(format!(
            "{} accounts, {} follows",
            tally.accounts.inserted + tally.accounts.present,
            tally.follows.inserted + tally.follows.present
        ));
        Ok(())
    }
}

pub fn import(args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let (input, total): (Box<dyn BufRead>, Option<u64>) = if is_stdio(&args.file) {
        (Box::new(BufReader::with_capacity(IO_BUFFER, std::io::stdin().lock())), None)
    } else {
        let file = File::open(&args.file).with_context(|| format!("opening {}", args.file.display()))?;
        let len = file.metadata().ok().map(|m| m.len());
        (Box::new(BufReader::with_capacity(IO_BUFFER, file)), len)
    };
    let db = open_for_maintenance(&args.database)?;
    let started = Instant::now();
    let bar = progress(total);
    let tally = read_batches(&db, input, usize::try_from(args.batch_size).unwrap_or(usize::MAX), &bar)?;
    bar.set_message("recomputing counts");
    let counts_started = Instant::now();
    let counts = db.recompute_counts().context("recomputing counts")?;
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    writeln!(out, "accounts: {} imported, {} already present", tally.accounts.inserted, tally.accounts.present)?;
    writeln!(out, "follows: {} imported, {} already present", tally.follows.inserted, tally.follows.present)?;
    let reasons: Vec<String> = tally.skipped.iter().map(|(why, n)| format!("{n} {why}")).collect();
    if reasons.is_empty() {
        writeln!(out, "skipped: 0 lines")?;
    } else {
        writeln!(out, "skipped: {} lines ({})", tally.skipped_total, reasons.join(", "))?;
    }
    writeln!(
        out,
        "counts recomputed in {:.2}s: {} accounts updated",
        seconds(counts_started.elapsed()),
        counts.accounts
    )?;
    writeln!(out, "done in {:.2}s", seconds(started.elapsed()))?;
    Ok(ExitCode::SUCCESS)
}

fn read_batches(
    db: &Database,
    mut input: Box<dyn BufRead>,
    batch_size: usize,
    bar: &ProgressBar,
) -> anyhow::Result<Tally> {
    let mut tally = Tally::default();
    let mut pending = Pending::default();
    let mut buf = Vec::with_capacity(1024);
    let mut line_no: u64 = 0;
    let now = chrono::Utc::now();
    loop {
        buf.clear();
        let read = input.read_until(b'\n', &mut buf).context("reading the import")?;
        if read == 0 {
            break;
        }
        line_no += 1;
        bar.inc(u64::try_from(read).unwrap_or(0));
        let line = buf.trim_ascii();
        if line.is_empty() {
            continue;
        }
        match jsonl::parse(line, now) {
            Ok(jsonl::Line::Account(record)) => {
                pending.accounts.push(record);
                pending.account_lines.push(line_no);
            }
            Ok(jsonl::Line::Follow(record)) => {
                pending.follows.push(record);
                pending.follow_lines.push(line_no);
            }
            Err(error) => tally.skip(bar, line_no, error.category(), &error),
        }
        if pending.len() >= batch_size {
            pending.flush(db, &mut tally, bar)?;
        }
    }
    pending.flush(db, &mut tally, bar)?;
    Ok(tally)
}
