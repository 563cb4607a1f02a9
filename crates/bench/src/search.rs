//! Account search at scale (`--search-only`): a fresh database with `--followers`
//! accounts (a million by default) named as the main seed names them (`benchN`,
//! "Bench Account N"), then the search use case's latency on one thread, in process
//! (the HTTP layer adds the same fixed cost as any other read row). Two queries:
//! a typical one (a username prefix with about ten matches) and a display-name word
//! with about ten matches.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::search::SearchQuery;
use rookery_domain::service::Profiles;
use rookery_domain::{AccountId, GraphService, Username};
use rookery_store::maintenance::AccountRecord;
use rookery_store::{Database, DatabaseOptions};

use crate::scratch::Scratch;
use crate::{Backend, Config};

const BATCH: usize = 5_000;

/// A tiny deterministic generator: the same queries on both backends.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// The `permille`th of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], permille: usize) -> f64 {
    let index = sorted.len().saturating_sub(1) * permille / 1000;
    sorted.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

/// Seeds, measures, and answers the report's lines.
pub fn run(backend: Backend, config: &Config) -> anyhow::Result<String> {
    let accounts = config.followers;
    let scratch = Scratch::create(backend, &config.postgres_url)?;
    let db =
        Database::open(&scratch.url, DatabaseOptions { max_connections: config.pool, ..DatabaseOptions::default() })
            .context("opening the database")?;
    db.migrate().context("migrating")?;
    let t0 = Instant::now();
    let created_at = Utc::now();
    let mut batch = Vec::with_capacity(BATCH);
    let mut viewer = None;
    for n in 1..=accounts {
        let id = AccountId::from_uuid(uuid::Uuid::now_v7());
        viewer.get_or_insert(id);
        batch.push(AccountRecord {
            id,
            username: Username::parse(&format!("bench{n}"))?,
            full_name: Some(format!("Bench Account {n}")),
            bio: None,
            profile_image_url: None,
            banner_image_url: None,
            is_private: false,
            is_verified: false,
            privacy: rookery_domain::GraphPrivacy::default(),
            posts_count: 0,
            created_at,
            updated_at: created_at,
            deleted_at: None,
        });
        if batch.len() == BATCH || n == accounts {
            db.import_accounts(&batch).context("importing accounts")?;
            batch.clear();
        }
    }
    if backend == Backend::Postgres {
        let mut conn = PgConnection::establish(&scratch.url)?;
        conn.batch_execute("VACUUM ANALYZE")?;
    }
    let seeded = t0.elapsed();
    let viewer = viewer.context("no accounts")?;
    let graph = GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier);
    let tenth = u64::try_from(accounts / 10).unwrap_or(1).max(1);
    let mut lines = vec![format!("{}: {} accounts seeded in {:.1} s", backend.name(), accounts, seeded.as_secs_f64())];
    for (name, prefix) in
        [("username prefix (`benchN`, ~11 matches)", "bench"), ("display-name word (`N`, ~11 matches)", "")]
    {
        let mut rng = Lcg(42);
        let mut times = Vec::new();
        let until = Instant::now() + config.duration;
        while Instant::now() < until {
            let q = format!("{prefix}{}", 1 + rng.below(tenth));
            let query = SearchQuery::parse(Some(&q), Some(20), None)?;
            let started = Instant::now();
            let page = graph.search_accounts(viewer, &query)?;
            times.push(started.elapsed());
            anyhow::ensure!(!page.items.is_empty(), "{q} found nothing");
        }
        times.sort_unstable();
        lines.push(format!(
            "  search, {name}: {} calls, p50 {:.2} ms, p99 {:.2} ms",
            times.len(),
            percentile(&times, 500),
            percentile(&times, 990)
        ));
    }
    Ok(lines.join("\n"))
}
