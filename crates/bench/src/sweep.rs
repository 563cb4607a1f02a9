//! Follow writes over HTTP at several connection counts, on distinct pairs: the
//! throughput and latency curve, also written as CSV for `scripts/plot-sweep.py`.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::phase::{Call, Signer, Stats, http_phase};
use crate::seed::Pairs;

/// One point of the curve.
pub struct Point {
    pub connections: usize,
    pub stats: Stats,
}

/// Runs one HTTP phase of `duration` per point.
pub async fn run(
    base: &str,
    signer: &Signer,
    points: &[(usize, Pairs)],
    duration: Duration,
) -> anyhow::Result<Vec<Point>> {
    let mut out = Vec::with_capacity(points.len());
    for (connections, pairs) in points {
        eprintln!("  sweep: follow, distinct pairs, {connections} connection(s)");
        let tokens = signer.tokens(pairs.followers())?;
        let pairs = pairs.clone();
        let stats = http_phase(base, *connections, duration, move |w, i| {
            let (index, _, target) = pairs.get(w, i)?;
            Some(Call::follow(Arc::clone(tokens.get(index)?), target))
        })
        .await?;
        out.push(Point { connections: *connections, stats });
    }
    Ok(out)
}

/// The CSV: one line per point.
pub fn csv(backend: &str, points: &[Point]) -> String {
    let mut out = String::from("backend,connections,requests_per_sec,p50_ms,p90_ms,p99_ms,max_ms,requests,errors\n");
    for p in points {
        let s = &p.stats;
        let _ = writeln!(
            out,
            "{backend},{},{:.1},{:.3},{:.3},{:.3},{:.3},{},{}",
            p.connections,
            s.throughput(),
            s.quantile_ms(0.5),
            s.quantile_ms(0.9),
            s.quantile_ms(0.99),
            s.quantile_ms(1.0),
            s.ops,
            s.errors
        );
    }
    out
}

pub fn write_csv(path: &Path, backend: &str, points: &[Point]) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    std::fs::write(path, csv(backend, points)).with_context(|| format!("writing {}", path.display()))
}
