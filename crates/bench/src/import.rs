//! `rookery import` of a generated graph into a fresh database, timed from the
//! command's start to its exit (migrating the empty database, reading, the batches,
//! and recomputing the counts).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{SecondsFormat, TimeDelta, TimeZone, Utc};

/// What the import did.
pub struct ImportReport {
    pub accounts: usize,
    pub edges: usize,
    /// Bytes of JSON Lines read.
    pub bytes: u64,
    /// The whole command, start to exit.
    pub elapsed: Duration,
    /// Follows the command says it imported.
    pub imported: Option<u64>,
}

impl ImportReport {
    pub fn edges_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { crate::phase::usize_f64(self.edges) / secs } else { 0.0 }
    }
}

/// Writes `accounts` accounts (UUID v7 ids, in creation order) and `edges` distinct
/// follow edges as `rookery export` writes them: edge `e` goes from a scattered
/// follower to another account `1 + round * step` places after it, so every account
/// follows and is followed about `edges / accounts` times, with no self-follow.
pub fn generate(path: &Path, accounts: usize, edges: usize) -> anyhow::Result<u64> {
    let accounts = accounts.max(2);
    let rounds = edges.div_ceil(accounts);
    if rounds >= accounts {
        bail!("{edges} edges need more than {accounts} accounts");
    }
    let step = (accounts - 1) / rounds.max(1);
    // A multiplier coprime with the account count scatters followers over the ids.
    let scatter = [1_000_003usize, 999_983, 15_485_863].into_iter().find(|p| accounts % p != 0).unwrap_or(1);
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().context("a start date")?;
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).with_context(|| format!("{}", path.display()))?);
    let mut ids = Vec::with_capacity(accounts);
    for i in 0..accounts {
        let id = uuid::Uuid::now_v7();
        ids.push(id);
        let created = start + TimeDelta::seconds(i64::try_from(i)?);
        writeln!(
            out,
            r#"{{"type":"account","id":"{id}","username":"imp{i:07}","full_name":"Imported {i}","bio":null,"profile_image_url":null,"banner_image_url":null,"is_private":false,"is_verified":false,"posts_count":0,"created_at":"{}"}}"#,
            created.to_rfc3339_opts(SecondsFormat::Secs, true)
        )?;
    }
    let edge_start = start + TimeDelta::seconds(i64::try_from(accounts)?);
    for e in 0..edges {
        let (round, i) = (e / accounts, e % accounts);
        let follower = i.checked_mul(scatter).context("overflow")? % accounts;
        let followee = (follower + 1 + round * step) % accounts;
        let (Some(a), Some(b)) = (ids.get(follower), ids.get(followee)) else { bail!("an id out of range") };
        let created = edge_start + TimeDelta::milliseconds(i64::try_from(e)?);
        writeln!(
            out,
            r#"{{"type":"follow","follower_id":"{a}","followee_id":"{b}","created_at":"{}"}}"#,
            created.to_rfc3339_opts(SecondsFormat::Millis, true)
        )?;
    }
    out.flush()?;
    drop(out);
    Ok(std::fs::metadata(path)?.len())
}

/// Runs `rookery import FILE` against `database_url` and times it.
pub fn run(
    binary: &Path,
    database_url: &str,
    file: &Path,
    accounts: usize,
    edges: usize,
) -> anyhow::Result<ImportReport> {
    let bytes = std::fs::metadata(file)?.len();
    let started = Instant::now();
    let output = Command::new(binary)
        .arg("import")
        .arg(file)
        .env("DATABASE_URL", database_url)
        .env("ROOKERY_LOG", "warn")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running {} import", binary.display()))?;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!("rookery import failed ({}): {stdout}", output.status);
    }
    let imported = stdout
        .lines()
        .find_map(|line| line.strip_prefix("follows: "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok());
    Ok(ImportReport { accounts, edges, bytes, elapsed, imported })
}
