//! `rookery export [--output FILE]` and `rookery import FILE [--strict]`: every table
//! as JSON Lines (see [`jsonl`]). Export streams pages read in key order; import sends
//! batches of lines to the store, one transaction per kind of record per batch, and
//! recomputes the counts once at the end. A progress bar shows on stderr when it is a
//! terminal.

mod jsonl;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use rookery_store::Database;
use rookery_store::maintenance::{BatchOutcome, ExportError, ExportSink, Record, RecordKind};

use super::check::{Access, open_for_maintenance};
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
    /// Exit with status 1 when any line was skipped (what could be imported still is:
    /// each batch commits on its own).
    #[arg(long)]
    strict: bool,
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
    written: u64,
}

impl<W: Write> ExportSink for JsonlSink<W> {
    fn records(&mut self, page: &[Record]) -> std::io::Result<()> {
        for record in page {
            jsonl::write(&mut self.out, record)?;
        }
        self.written += u64::try_from(page.len()).unwrap_or(u64::MAX);
        if let Some(first) = page.first() {
            self.bar.set_message(format!("{} records ({})", self.written, first.kind().plural()));
        }
        Ok(())
    }
}

/// `5 accounts, 6 follows, 1 blocks`: the kinds with records, in export order.
fn per_kind(counts: impl Fn(RecordKind) -> u64) -> String {
    let parts: Vec<String> = RecordKind::ALL
        .iter()
        .map(|&kind| (kind, counts(kind)))
        .filter(|&(_, n)| n > 0)
        .map(|(kind, n)| format!("{n} {}", kind.plural()))
        .collect();
    if parts.is_empty() { "nothing".to_owned() } else { parts.join(", ") }
}

pub fn export(args: &ExportArgs) -> anyhow::Result<ExitCode> {
    let db = open_for_maintenance(&args.database, Access::Read)?;
    let started = Instant::now();
    let summary = match args.output.as_deref().filter(|path| !is_stdio(path)) {
        Some(path) => {
            let file = create_private(path).with_context(|| format!("creating {}", path.display()))?;
            export_to(&db, BufWriter::with_capacity(IO_BUFFER, file))
        }
        None => export_to(&db, BufWriter::with_capacity(IO_BUFFER, std::io::stdout().lock())),
    }?;
    // stdout may be the export itself: the summary goes to stderr.
    let mut err = std::io::stderr().lock();
    writeln!(err, "exported {} in {:.2}s", per_kind(|kind| summary.of(kind)), seconds(started.elapsed()))?;
    Ok(ExitCode::SUCCESS)
}

/// Creates (or truncates) the export file readable by its owner alone: it holds push
/// tokens and every webhook endpoint's signing secret.
fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        let file = options.open(path)?;
        // A file that already existed keeps its mode through `open`: narrow it too.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}

fn export_to<W: Write>(db: &Database, out: W) -> anyhow::Result<rookery_store::maintenance::ExportSummary> {
    let bar = progress(None);
    bar.enable_steady_tick(Duration::from_millis(200));
    let mut sink = JsonlSink { out, bar, written: 0 };
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
    per_kind: BTreeMap<RecordKind, BatchTally>,
    skipped: BTreeMap<&'static str, u64>,
    skipped_total: u64,
}

#[derive(Default, Clone, Copy)]
struct BatchTally {
    inserted: u64,
    present: u64,
}

impl Tally {
    fn of(&self, kind: RecordKind) -> BatchTally {
        self.per_kind.get(&kind).copied().unwrap_or_default()
    }

    /// Reports skipped lines, in line order (the caller sorts a batch's), the first
    /// [`SHOWN_SKIPS`] one by one, the rest only in the tally.
    fn skip(&mut self, bar: &ProgressBar, line: u64, category: &'static str, why: &str) {
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
}

/// A skipped line waiting for its batch to be reported in line order.
struct Skipped {
    line: u64,
    category: &'static str,
    why: String,
}

/// Lines read but not yet sent, with their line numbers for reporting skips.
#[derive(Default)]
struct Pending {
    records: BTreeMap<RecordKind, (Vec<Record>, Vec<u64>)>,
    skipped: Vec<Skipped>,
    len: usize,
}

/// A bad line as the skip message quotes it: enough to find it, never a whole
/// megabyte of it.
fn excerpt(line: &[u8]) -> String {
    const SHOWN: usize = 120;
    let text = without_secret(&String::from_utf8_lossy(line));
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

/// `text` with the value of a `"secret"` field (a webhook's signing key) masked, so a
/// rejected line quoted on stderr does not show it.
fn without_secret(text: &str) -> String {
    let Some(at) = text.find("\"secret\"") else { return text.to_owned() };
    let (head, rest) = text.split_at(at + "\"secret\"".len());
    let Some(open) = rest.find('"') else { return text.to_owned() };
    let value = rest.get(open + 1..).unwrap_or_default();
    // The value's end: the first quote not escaped (or the line's end).
    let mut escaped = false;
    let end = value
        .char_indices()
        .find(|&(_, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes
        })
        .map_or(value.len(), |(i, _)| i);
    let tail = value.get(end..).unwrap_or_default();
    format!("{head}{}\"(not shown){tail}", rest.get(..open).unwrap_or_default())
}

impl Pending {
    fn push(&mut self, line: u64, record: Record) {
        let (records, lines) = self.records.entry(record.kind()).or_default();
        records.push(record);
        lines.push(line);
        self.len += 1;
    }

    /// Sends each kind in [`RecordKind::ALL`] order (accounts before what names them),
    /// then reports the batch's skipped lines in line order.
    fn flush(&mut self, db: &Database, tally: &mut Tally, bar: &ProgressBar) -> anyhow::Result<()> {
        for (kind, (records, lines)) in std::mem::take(&mut self.records) {
            let outcome = send(db, kind, &records).with_context(|| format!("importing {}", kind.plural()))?;
            let side = tally.per_kind.entry(kind).or_default();
            side.inserted += outcome.inserted;
            side.present += outcome.present;
            for skip in &outcome.skipped {
                let line = lines.get(skip.index).copied().unwrap_or(0);
                let what = records.get(skip.index).map(jsonl::describe).unwrap_or_default();
                let reason = skip.reason.describe();
                self.skipped.push(Skipped { line, category: reason, why: format!("{what}: {reason}") });
            }
        }
        self.skipped.sort_by_key(|skip| skip.line);
        for skip in std::mem::take(&mut self.skipped) {
            tally.skip(bar, skip.line, skip.category, &skip.why);
        }
        self.len = 0;
        bar.set_message(format!("{} records", tally.per_kind.values().map(|t| t.inserted + t.present).sum::<u64>()));
        Ok(())
    }
}

fn send(
    db: &Database,
    kind: RecordKind,
    records: &[Record],
) -> Result<BatchOutcome, rookery_domain::ports::StoreError> {
    match kind {
        RecordKind::Account => {
            let accounts: Vec<_> = records
                .iter()
                .filter_map(|r| if let Record::Account(a) = r { Some(a.clone()) } else { None })
                .collect();
            db.import_accounts(&accounts)
        }
        RecordKind::Follow => {
            let follows: Vec<_> =
                records.iter().filter_map(|r| if let Record::Follow(f) = r { Some(*f) } else { None }).collect();
            db.import_follows(&follows)
        }
        other => db.import_records(other, records),
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
    let db = open_for_maintenance(&args.database, Access::Write)?;
    let started = Instant::now();
    let bar = progress(total);
    let tally = read_batches(&db, input, usize::try_from(args.batch_size).unwrap_or(usize::MAX), &bar)?;
    bar.set_message("recomputing counts");
    let counts_started = Instant::now();
    let counts = db.recompute_counts().context("recomputing counts")?;
    bar.finish_and_clear();

    let mut out = std::io::stdout().lock();
    for kind in RecordKind::ALL {
        let t = tally.of(kind);
        // Accounts and follows always (scripts read them); other kinds when present.
        if t.inserted + t.present > 0 || matches!(kind, RecordKind::Account | RecordKind::Follow) {
            writeln!(out, "{}: {} imported, {} already present", kind.plural(), t.inserted, t.present)?;
        }
    }
    let mut reasons = String::new();
    for (why, n) in &tally.skipped {
        let sep = if reasons.is_empty() { "" } else { ", " };
        write!(reasons, "{sep}{n} {why}")?;
    }
    if reasons.is_empty() {
        writeln!(out, "skipped: 0 lines")?;
    } else {
        writeln!(out, "skipped: {} lines ({reasons})", tally.skipped_total)?;
    }
    writeln!(
        out,
        "counts recomputed in {:.2}s: {} accounts updated",
        seconds(counts_started.elapsed()),
        counts.accounts
    )?;
    writeln!(out, "done in {:.2}s", seconds(started.elapsed()))?;
    if args.strict && tally.skipped_total > 0 {
        writeln!(std::io::stderr().lock(), "--strict: {} lines were skipped", tally.skipped_total)?;
        return Ok(ExitCode::FAILURE);
    }
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
            Ok(record) => pending.push(line_no, record),
            Err(error) => pending.skipped.push(Skipped {
                line: line_no,
                category: error.category(),
                why: format!("{error}: {}", excerpt(line)),
            }),
        }
        if pending.len >= batch_size {
            pending.flush(db, &mut tally, bar)?;
        }
    }
    pending.flush(db, &mut tally, bar)?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quoted_line_never_shows_a_signing_secret() {
        let line = br#"{"type":"webhook","secret": "whsec_c2Vj\"cmV0","id":"x"}"#;
        let shown = excerpt(line);
        assert!(!shown.contains("c2Vj"), "{shown}");
        assert_eq!(shown, r#"{"type":"webhook","secret": "(not shown)","id":"x"}"#);
        assert_eq!(excerpt(br#"{"type":"follow"}"#), r#"{"type":"follow"}"#);
        assert_eq!(excerpt(br#"{"secret":"whsec_unterminated"#), r#"{"secret":"(not shown)"#);
    }

    #[cfg(unix)]
    #[test]
    fn the_export_file_is_its_owners_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("graph.jsonl");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        drop(create_private(&path).unwrap());
        let metadata = std::fs::metadata(&path).unwrap();
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
        assert_eq!(metadata.len(), 0, "truncated");
    }
}
