//! Issue 23's graph queries on a graph of their own: relationship filters (first pages
//! and cursor tails), known followers on a profile, suggestions (latency and recall of
//! the sampled answer against the exact one) and bulk follows against single ones.
//!
//! The graph, bulk-imported into a fresh database:
//!
//! - `star` has `followers` followers (default 1,000,000; edges a millisecond apart)
//!   and follows 5,000 accounts, 2,500 of them among its followers (mutual);
//! - `viewer` follows 5,000 accounts, 1,000 of whom follow `star`;
//! - `suggested` follows 1,000 hubs that follow 1,000 accounts each (a million two-hop
//!   edges), drawn from a pool of 20,000 with a skew (the pool's first accounts are
//!   followed by most hubs, as popular accounts are);
//! - writers and targets for the bulk follows.
//!
//! Each read is measured three ways, one call at a time after a warm-up: over HTTP,
//! in process on the `GraphService` (the ceiling), and as one plain SQL statement of
//! the same query (the raw ceiling; literals inlined, so it is planned on each call).

use std::collections::HashSet;
use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DurationRound, TimeDelta, Utc};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Binary, Text};
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, SqliteConnection, sql_query};
use rookery::Settings;
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{Discovery, Lists, Profiles};
use rookery_domain::{AccountId, Cursor, Direction, GraphService, ListFilter, ListQuery, Paging, Timestamp};
use rookery_store::maintenance::FollowRecord;
use rookery_store::{Database, DatabaseOptions};

use crate::in_process::InProcess;
use crate::limits::NEVER_TRIPS;
use crate::phase::{Call, Signer, Stats, http_phase};
use crate::scratch::Scratch;
use crate::seed::Importer;
use crate::{Backend, Config, Graph};

const STAR_FOLLOWS: usize = 5_000;
const MUTUALS: usize = 2_500;
const VIEWER_FOLLOWS: usize = 5_000;
const KNOWN: usize = 1_000;
const HUBS: usize = 1_000;
const HUB_FOLLOWS: usize = 1_000;
const POOL: usize = 20_000;
const PAGE: u32 = 20;
/// [`PAGE`] as a count of items.
const PAGE_ITEMS: usize = 20;
/// Accounts each bulk follow names.
const BULK: usize = 100;
/// Targets of the follow rows (each writer follows each at most once).
const FOLLOW_TARGETS: usize = 1_000;

/// p50 and p99 of a set of timings, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Quantiles {
    pub p50: f64,
    pub p99: f64,
}

fn quantiles(mut timings: Vec<Duration>) -> Quantiles {
    timings.sort_unstable();
    let at = |permille: usize| {
        let n = timings.len();
        if n == 0 {
            return 0.0;
        }
        let index = n.saturating_mul(permille).div_ceil(1000).clamp(1, n) - 1;
        timings.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Quantiles { p50: at(500), p99: at(990) }
}

/// One read measured three ways.
pub struct ReadRow {
    pub name: String,
    pub http: Quantiles,
    pub ceiling: Quantiles,
    pub raw: Option<Quantiles>,
}

/// What this part measured on one backend.
pub struct GraphReport {
    pub seeded: String,
    pub reads: Vec<ReadRow>,
    /// The known-followers read alone (the first page of `followed_by_me`, limit 3):
    /// what it adds to a profile.
    pub known_followers: Quantiles,
    /// Top-20 suggestions: the share of the exact top 20 the answer holds.
    pub recall: f64,
    /// Follows per second: single `POST /follow`, and `POST /follow/batch` of 100.
    pub single: Stats,
    pub bulk: Stats,
    pub connections: usize,
}

/// Who is who in the graph.
struct Seeded {
    star: AccountId,
    viewer: AccountId,
    suggested: AccountId,
    /// Cursors after which the last page of each filter starts.
    mutual_tail: Cursor,
    known_tail: Cursor,
    not_back_tail: Cursor,
    single: crate::seed::Pairs,
    bulk_writers: Vec<AccountId>,
    bulk_targets: Arc<Vec<AccountId>>,
    note: String,
}

/// A small deterministic generator (xorshift): the same graph on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A skewed index below `n`: `n * u^3` for a uniform `u` in [0, 1).
    fn skewed(&mut self, n: usize) -> usize {
        const SCALE: u128 = 1_000_000;
        let u = u128::from(self.next()) % SCALE;
        let scaled = u128::try_from(n).unwrap_or(0) * u * u * u / (SCALE * SCALE * SCALE);
        usize::try_from(scaled).unwrap_or(0).min(n.saturating_sub(1))
    }
}

fn seed(db: &Database, followers: usize, config: &Config) -> anyhow::Result<Seeded> {
    let t0 = Instant::now();
    let followers = followers.max(POOL).max(STAR_FOLLOWS * 2);
    let now = Utc::now().duration_trunc(TimeDelta::seconds(1))?;
    let start = now - TimeDelta::days(2) - TimeDelta::milliseconds(i64::try_from(followers)?);
    let mut importer = Importer::new(db, start - TimeDelta::days(1));
    let singles = importer.accounts(3)?;
    let [star, viewer, suggested] = singles.as_slice() else { bail!("three accounts were asked for") };
    let (star, viewer, suggested) = (*star, *viewer, *suggested);
    let at = |index: usize| -> anyhow::Result<Timestamp> { Ok(start + TimeDelta::milliseconds(i64::try_from(index)?)) };
    let later = |index: usize| -> anyhow::Result<Timestamp> {
        Ok(now - TimeDelta::days(1) + TimeDelta::milliseconds(i64::try_from(index)?))
    };

    // The star's followers; every (followers / 2,500)-th is followed back, and every
    // (followers / 1,000)-th (half a step on) is followed by the viewer.
    let mutual_every = followers / MUTUALS;
    let known_every = followers / KNOWN;
    let mut pool = Vec::with_capacity(POOL);
    let (mut mutual, mut known, mut not_back) = (Vec::new(), Vec::new(), Vec::new());
    let mut back = 0usize;
    let mut done = 0usize;
    while done < followers {
        let n = 5_000.min(followers - done);
        let ids = importer.accounts(n)?;
        let mut edges = Vec::with_capacity(n + 10);
        for (offset, id) in ids.into_iter().enumerate() {
            let index = done + offset;
            let created_at = at(index)?;
            edges.push(FollowRecord { follower_id: id, followee_id: star, created_at });
            if index % mutual_every == 0 && mutual.len() < MUTUALS {
                edges.push(FollowRecord { follower_id: star, followee_id: id, created_at: later(back)? });
                back += 1;
                mutual.push(Cursor { at: created_at, id });
            } else if not_back.len() < PAGE_ITEMS + 1 {
                not_back.push(Cursor { at: created_at, id });
            }
            if index % known_every == known_every / 2 && known.len() < KNOWN {
                edges.push(FollowRecord { follower_id: viewer, followee_id: id, created_at: later(index)? });
                known.push(Cursor { at: created_at, id });
            }
            if pool.len() < POOL {
                pool.push(id);
            }
        }
        importer.follows(&edges)?;
        done += n;
    }
    // The star's and the viewer's followings that do not follow the star.
    let others = importer.accounts(VIEWER_FOLLOWS.max(STAR_FOLLOWS - MUTUALS))?;
    let mut edges = Vec::new();
    for (i, id) in others.iter().enumerate() {
        if i < STAR_FOLLOWS - MUTUALS {
            edges.push(FollowRecord { follower_id: star, followee_id: *id, created_at: later(back + i)? });
        }
        if i < VIEWER_FOLLOWS - KNOWN {
            edges.push(FollowRecord { follower_id: viewer, followee_id: *id, created_at: later(followers + i)? });
        }
    }
    importer.follows(&edges)?;

    // Two hops for the suggestions.
    let hubs = importer.accounts(HUBS)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for (h, hub) in hubs.iter().enumerate() {
        let mut edges = vec![FollowRecord { follower_id: suggested, followee_id: *hub, created_at: later(h)? }];
        let mut chosen = HashSet::with_capacity(HUB_FOLLOWS);
        while chosen.len() < HUB_FOLLOWS {
            chosen.insert(rng.skewed(pool.len()));
        }
        for (k, index) in chosen.into_iter().enumerate() {
            let followee = *pool.get(index).context("pool index")?;
            edges.push(FollowRecord {
                follower_id: *hub,
                followee_id: followee,
                created_at: later(h * HUB_FOLLOWS + k)?,
            });
        }
        importer.follows(&edges)?;
    }

    // Follow writers: single follows (one account per 1,000 follows), and bulk ones.
    let targets = Arc::new(importer.accounts(FOLLOW_TARGETS)?);
    let millis = usize::try_from(config.duration.as_millis()).unwrap_or(usize::MAX);
    let budget = |rate: usize| rate.saturating_mul(millis) / 1000;
    let single = importer.pairs(&targets, config.read_connections, budget(3_000) / config.read_connections + 1)?;
    let bulk_writers = importer.accounts(budget(40_000) / FOLLOW_TARGETS + config.read_connections)?;
    db.recompute_counts().context("recomputing counts")?;

    // The last page of each filter starts after its 21st-oldest item.
    let oldest_first = |mut items: Vec<Cursor>| {
        items.sort_by_key(|c| (c.at, c.id.as_uuid()));
        items
    };
    let mutual = oldest_first(mutual);
    let known = oldest_first(known);
    let mutual_tail = *mutual.get(PAGE_ITEMS).context("mutuals")?;
    let known_tail = *known.get(PAGE_ITEMS).context("known followers")?;
    let not_back_tail = *not_back.get(PAGE_ITEMS).context("followers not followed back")?;
    let note = format!(
        "seeded {} accounts and {} edges in {:.1} s",
        crate::format::thousands(usize::try_from(importer.accounts).unwrap_or(0)),
        crate::format::thousands(usize::try_from(importer.edges).unwrap_or(0)),
        t0.elapsed().as_secs_f64()
    );
    Ok(Seeded {
        star,
        viewer,
        suggested,
        mutual_tail,
        known_tail,
        not_back_tail,
        single,
        bulk_writers,
        bulk_targets: targets,
        note,
    })
}

/// Calls `op` `warmup` times, then times it until `iterations` calls or `budget` passed.
fn timed(mut op: impl FnMut() -> anyhow::Result<()>, budget: Duration) -> anyhow::Result<Quantiles> {
    for _ in 0..3 {
        op()?;
    }
    let start = Instant::now();
    let mut timings = Vec::new();
    // At least 10 timings, however slow the call (the exact suggestions on SQLite take
    // seconds).
    while timings.len() < 2_000 && (start.elapsed() < budget || timings.len() < 10) {
        let t0 = Instant::now();
        op()?;
        timings.push(t0.elapsed());
    }
    Ok(quantiles(timings))
}

/// `GET path` over HTTP, one call at a time.
fn http_get(
    client: &tokio::runtime::Runtime,
    base: &str,
    token: &Arc<str>,
    path: &str,
    budget: Duration,
) -> anyhow::Result<Quantiles> {
    let http = reqwest::Client::new();
    timed(
        || {
            let call = Call::get(Arc::clone(token), path.to_owned());
            client.block_on(crate::phase::send(&http, base, call)).map_err(|e| anyhow::anyhow!("{path}: {e}"))
        },
        budget,
    )
}

/// A uuid as a literal of the backend's SQL.
fn literal(backend: Backend, id: AccountId) -> String {
    match backend {
        Backend::Sqlite => format!("X'{}'", id.as_uuid().simple()),
        Backend::Postgres => format!("'{id}'::uuid"),
    }
}

fn time_literal(backend: Backend, at: Timestamp) -> String {
    match backend {
        Backend::Sqlite => at.timestamp_micros().to_string(),
        Backend::Postgres => format!("'{}'::timestamptz", at.to_rfc3339()),
    }
}

/// A plain connection for the raw ceiling.
enum Raw {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

#[derive(QueryableByName)]
struct BytesId {
    #[diesel(sql_type = Binary)]
    id: Vec<u8>,
}

#[derive(QueryableByName)]
struct TextId {
    #[diesel(sql_type = Text)]
    id: String,
}

impl Raw {
    fn open(backend: Backend, scratch: &Scratch) -> anyhow::Result<Self> {
        Ok(match (backend, scratch.sqlite_path()) {
            (Backend::Sqlite, Some(path)) => {
                let mut conn = SqliteConnection::establish(path.to_str().context("path")?)?;
                conn.batch_execute("PRAGMA foreign_keys = ON; PRAGMA mmap_size = 1073741824;")?;
                Self::Sqlite(conn)
            }
            _ => Self::Postgres(PgConnection::establish(&scratch.url)?),
        })
    }

    /// The ids a query (selecting `id`) answers.
    fn ids(&mut self, query: &str) -> anyhow::Result<Vec<uuid::Uuid>> {
        Ok(match self {
            Self::Sqlite(c) => sql_query(query)
                .load::<BytesId>(c)?
                .into_iter()
                .filter_map(|row| uuid::Uuid::from_slice(&row.id).ok())
                .collect(),
            Self::Postgres(c) => sql_query(query.replace("SELECT a.id AS id", "SELECT a.id::text AS id"))
                .load::<TextId>(c)?
                .into_iter()
                .filter_map(|row| uuid::Uuid::parse_str(&row.id).ok())
                .collect(),
        })
    }
}

/// The plain SQL of a filtered followers page: the followers of `owner` that pass
/// `probe` (an EXISTS or NOT EXISTS on the follows table), newest first.
fn filtered_sql(backend: Backend, owner: AccountId, probe: &str, after: Option<Cursor>) -> String {
    let o = literal(backend, owner);
    let keyset = after.map_or(String::new(), |c| {
        format!(" AND (f.created_at, f.follower_id) < ({}, {})", time_literal(backend, c.at), literal(backend, c.id))
    });
    format!(
        "SELECT a.id AS id, a.username, a.full_name, a.followers_count, f.created_at FROM follows f \
         JOIN accounts a ON a.id = f.follower_id WHERE f.followee_id = {o} AND a.deleted_at IS NULL AND {probe}{keyset} \
         ORDER BY f.created_at DESC, f.follower_id DESC LIMIT {}",
        PAGE + 1
    )
}

/// The exact top 20 suggestions in plain SQL.
fn exact_suggestions_sql(backend: Backend, viewer: AccountId) -> String {
    let v = literal(backend, viewer);
    format!(
        "SELECT a.id AS id FROM follows f1 JOIN follows f2 ON f2.follower_id = f1.followee_id \
         JOIN accounts a ON a.id = f2.followee_id \
         WHERE f1.follower_id = {v} AND a.id <> {v} AND a.deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM follows x WHERE x.follower_id = {v} AND x.followee_id = a.id) \
         AND NOT EXISTS (SELECT 1 FROM follow_requests r WHERE r.requester_id = {v} AND r.target_id = a.id AND r.status = 'pending') \
         AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = {v} AND b.blocked_id = a.id) OR (b.blocker_id = a.id AND b.blocked_id = {v})) \
         AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d WHERE d.viewer_id = {v} AND d.dismissed_id = a.id) \
         GROUP BY a.id ORDER BY COUNT(*) DESC, a.followers_count DESC, a.id ASC LIMIT 20"
    )
}

fn keyset(after: Option<Cursor>, filter: ListFilter) -> ListQuery {
    ListQuery { filter: Some(filter), ..ListQuery::paged(Paging::Keyset { after, limit: PAGE }) }
}

pub fn run(backend: Backend, config: &Config, followers: usize) -> anyhow::Result<GraphReport> {
    let scratch = Scratch::create(backend, &config.postgres_url)?;
    let db_options =
        DatabaseOptions { max_connections: config.pool, writers: config.writers, ..DatabaseOptions::default() };
    let db = Database::open(&scratch.url, db_options).context("opening the database")?;
    db.migrate().context("migrating")?;
    let seeded = seed(&db, followers, config)?;
    eprintln!("  graph queries: {}", seeded.note);
    // For looking at plans by hand afterwards: the database outlives the run.
    let keep = std::env::var_os("ROOKERY_BENCH_KEEP_GRAPH").is_some();
    if keep {
        eprintln!(
            "  kept: {} (star {}, viewer {}, suggested {})",
            scratch.url, seeded.star, seeded.viewer, seeded.suggested
        );
    }
    if backend == Backend::Postgres {
        let mut conn = PgConnection::establish(&scratch.url)?;
        conn.batch_execute("VACUUM ANALYZE")?;
        conn.batch_execute("CHECKPOINT")?;
    }
    let graph: Graph = GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier);
    let secret = format!("bench-secret-{}", uuid::Uuid::new_v4());
    let signer = Signer::new(&secret);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let client = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        workers: 2,
        dialects: "community".into(),
        cors_origins: None,
        follows_per_hour: NEVER_TRIPS,
        database: DatabaseSettings {
            url: scratch.url.clone(),
            read_url: None,
            max_connections: config.pool,
            writers: config.writers,
            replica_max_lag: Duration::from_secs(5),
        },
        jwt: JwtSettings { secret: Some(secret.clone()), ..JwtSettings::default() },
        streams: StreamSettings::default(),
        shutdown_grace_secs: 10,
        push: PushSettings::default(),
        webhooks: rookery::settings::WebhookSettings::default(),
    };
    let server = InProcess::start(&runtime, &settings)?;
    let base = server.base.clone();
    let budget = config.duration.min(Duration::from_secs(3));
    let mut raw = Raw::open(backend, &scratch)?;
    let (star, viewer) = (seeded.star, seeded.viewer);
    let viewer_token = signer.token(viewer)?;
    let star_token = signer.token(star)?;
    let s = literal(backend, star);
    let v = literal(backend, viewer);
    let mutual_probe =
        format!("EXISTS (SELECT 1 FROM follows r WHERE r.follower_id = {s} AND r.followee_id = f.follower_id)");
    let not_back_probe = format!("NOT {mutual_probe}");
    let known_probe =
        format!("EXISTS (SELECT 1 FROM follows r WHERE r.follower_id = {v} AND r.followee_id = f.follower_id)");
    let cases = [
        ("mutual", ListFilter::Mutual, &mutual_probe, seeded.mutual_tail, &star_token, star),
        ("followed_by_me", ListFilter::FollowedBy(viewer), &known_probe, seeded.known_tail, &viewer_token, viewer),
        ("not_followed_back", ListFilter::NotFollowedBack, &not_back_probe, seeded.not_back_tail, &star_token, star),
    ];
    let mut reads = Vec::new();
    for (name, filter, probe, tail, token, caller) in cases {
        for (part, after) in [("first page", None), ("cursor tail", Some(tail))] {
            eprintln!("  followers?filter={name}, {part}");
            let cursor = after.map_or(String::new(), |c| format!("&cursor={}", c.encode()));
            let path = format!("/users/{star}/followers?filter={name}&limit={PAGE}{cursor}");
            let http = http_get(&client, &base, token, &path, budget)?;
            let query = keyset(after, filter);
            let ceiling = timed(
                || graph.list(Some(caller), star, Direction::Followers, &query).map(|_| ()).map_err(Into::into),
                budget,
            )?;
            let sql = filtered_sql(backend, star, probe, after);
            let raw_q = timed(|| raw.ids(&sql).map(|_| ()), budget)?;
            reads.push(ReadRow { name: format!("followers?filter={name}, {part}"), http, ceiling, raw: Some(raw_q) });
        }
    }
    eprintln!("  profile with known_followers");
    let http = http_get(&client, &base, &viewer_token, &format!("/profiles/{star}"), budget)?;
    let ceiling = timed(|| graph.profile(viewer, star).map(|_| ()).map_err(Into::into), budget)?;
    reads.push(ReadRow { name: "profile (with known_followers)".into(), http, ceiling, raw: None });
    let known_query = ListQuery {
        filter: Some(ListFilter::FollowedBy(viewer)),
        ..ListQuery::paged(Paging::Keyset { after: None, limit: 3 })
    };
    let known_followers = timed(
        || graph.list(Some(viewer), star, Direction::Followers, &known_query).map(|_| ()).map_err(Into::into),
        budget,
    )?;

    eprintln!("  suggestions");
    let suggested = seeded.suggested;
    let suggested_token = signer.token(suggested)?;
    let http = http_get(&client, &base, &suggested_token, "/suggestions?limit=20", budget)?;
    let ceiling = timed(|| graph.suggestions(suggested, Some(20)).map(|_| ()).map_err(Into::into), budget)?;
    let exact_sql = exact_suggestions_sql(backend, suggested);
    let raw_q = timed(|| raw.ids(&exact_sql).map(|_| ()), budget)?;
    reads.push(ReadRow { name: "suggestions (1,000 x 1,000 two-hop edges)".into(), http, ceiling, raw: Some(raw_q) });
    let exact: HashSet<uuid::Uuid> = raw.ids(&exact_sql)?.into_iter().collect();
    let answered: HashSet<uuid::Uuid> =
        graph.suggestions(suggested, Some(20))?.into_iter().map(|s| s.item.account.id.as_uuid()).collect();
    let recall =
        crate::phase::usize_f64(exact.intersection(&answered).count()) / crate::phase::usize_f64(exact.len().max(1));

    // Follows per second at the same concurrency: single follows, then batches of 100.
    let connections = config.read_connections;
    eprintln!("  follows: single, then batches of {BULK}, {connections} connections");
    let single_pairs = seeded.single.clone();
    let single_tokens = signer.tokens(single_pairs.followers())?;
    let single = client.block_on(http_phase(&base, connections, config.duration, move |w, i| {
        let (index, _, target) = single_pairs.get(w, i)?;
        Some(Call::follow(Arc::clone(single_tokens.get(index)?), target))
    }))?;
    let writers = seeded.bulk_writers.clone();
    let bulk_tokens = signer.tokens(&writers)?;
    let targets = Arc::clone(&seeded.bulk_targets);
    let per_writer = FOLLOW_TARGETS / BULK;
    let writers_per_worker = writers.len() / connections.max(1);
    let bulk = client.block_on(http_phase(&base, connections, config.duration, move |w, i| {
        let writer = w * writers_per_worker + i / per_writer;
        if i / per_writer >= writers_per_worker {
            return None;
        }
        // Each worker starts from a chunk of its own, as the single follows walk the
        // targets from an offset of their own: in lockstep, every batch would lock the
        // same 100 accounts, and the batches would wait on each other's locks.
        let chunk = (i + w * per_writer / connections.max(1)) % per_writer;
        let ids: Vec<String> =
            targets.get(chunk * BULK..(chunk + 1) * BULK)?.iter().map(|t| format!("\"{t}\"")).collect();
        let mut call = Call::follow(Arc::clone(bulk_tokens.get(writer)?), AccountId::from_uuid(uuid::Uuid::nil()));
        call.path = "/follow/batch".into();
        call.body = Some(format!(r#"{{"user_ids":[{}]}}"#, ids.join(",")).into_bytes());
        Some(call)
    }))?;
    server.stop(&runtime)?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop(raw);
    drop(graph);
    drop(db);
    if keep {
        std::mem::forget(scratch);
    } else {
        drop(scratch);
    }
    let report = GraphReport { seeded: seeded.note, reads, known_followers, recall, single, bulk, connections };
    // Printed as soon as measured too: a later backend's failure loses nothing.
    let mut section = String::new();
    render(&mut section, backend.name(), &report);
    eprintln!("{section}");
    Ok(report)
}

fn ms(q: Quantiles) -> String {
    format!("{:.2} / {:.2}", q.p50, q.p99)
}

/// The part's table for one backend.
pub fn render(out: &mut String, backend: &str, report: &GraphReport) {
    let _ = writeln!(out, "\n### Graph queries on {backend} ({})\n", report.seeded);
    let _ = writeln!(out, "| read | HTTP p50 / p99 ms | ceiling p50 / p99 ms | raw SQL p50 / p99 ms |");
    let _ = writeln!(out, "|---|---|---|---|");
    for row in &report.reads {
        let raw = row.raw.map_or_else(|| "-".to_owned(), ms);
        let _ = writeln!(out, "| {} | {} | {} | {raw} |", row.name, ms(row.http), ms(row.ceiling));
    }
    let _ = writeln!(
        out,
        "\nknown_followers alone (in process): p50 {:.2} ms, p99 {:.2} ms. Suggestions recall of the exact top 20: {:.2}.",
        report.known_followers.p50, report.known_followers.p99, report.recall
    );
    let single = report.single.throughput();
    let bulk = report.bulk.throughput() * crate::phase::usize_f64(BULK);
    let _ = writeln!(
        out,
        "Follows per second, {} connections: single {:.0} (errors {}), batches of {BULK} {:.0} (errors {}): {:.1}x.",
        report.connections,
        single,
        report.single.errors,
        bulk,
        report.bulk.errors,
        if single > 0.0 { bulk / single } else { 0.0 }
    );
}
