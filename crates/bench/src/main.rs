//! `rookery-bench`: Rookery's throughput and latency over HTTP, next to the ceiling of
//! the same use case called in-process on the `GraphService`.
//!
//! It seeds a fresh database (a SQLite file in a temporary directory, or a PostgreSQL
//! database created for the run and dropped after it), starts the server in-process on
//! an ephemeral port, drives it over keep-alive connections, then calls the same use
//! case directly from as many threads as there were connections, and prints one table.
//!
//! ```text
//! cargo build --release -p rookery-bench
//! target/release/rookery-bench --quick                      # SQLite, under two minutes
//! target/release/rookery-bench --quick --backend postgres   # PostgreSQL
//! target/release/rookery-bench                              # full: 1,000,000 followers
//! ```
#![allow(clippy::print_stdout)]

mod seed;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use hdrhistogram::Histogram;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings};
use rookery::{Application, Settings};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{Follows, Lists, Profiles};
use rookery_domain::{AccountId, Direction, GraphService, ListQuery, PageRequest, Paging};
use rookery_store::{Database, DatabaseOptions};
use serde_json::json;

/// The service as the ceiling calls it: no live notifications, no follow quota.
type Graph = GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>;

/// The pool size the server's settings default to (`ROOKERY_DB_MAX_CONNECTIONS`).
const POOL_SIZE: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
}

impl BackendArg {
    const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// Measures Rookery over HTTP against the in-process ceiling.
#[derive(Debug, Parser)]
#[command(name = "rookery-bench")]
struct Options {
    /// Which database to run on (a fresh one either way).
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendArg,
    /// A short run (under two minutes): 100,000 followers, 2 s per phase.
    #[arg(long)]
    quick: bool,
    /// The PostgreSQL server: a database is created on it for the run and dropped after.
    #[arg(long, env = "POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Keep-alive connections (and ceiling threads) for the write scenarios.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Keep-alive connections (and ceiling threads) for the read scenarios.
    #[arg(long, default_value_t = 8)]
    read_connections: usize,
    /// Seconds per phase (HTTP, then ceiling); default 2 with --quick, else 10.
    #[arg(long)]
    seconds: Option<u64>,
    /// Followers of the account whose list is paged; default 100,000 with --quick, else 1,000,000.
    #[arg(long)]
    followers: Option<usize>,
}

/// A database that exists for this run only.
enum Scratch {
    /// Removed with the directory when dropped.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Scratch {
    fn create(backend: BackendArg, admin_url: &str) -> anyhow::Result<(Self, String)> {
        match backend {
            BackendArg::Sqlite => {
                let dir = tempfile::Builder::new().prefix("rookery-bench-").tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
                Ok((Self::Sqlite { _dir: dir }, url))
            }
            BackendArg::Postgres => {
                let name = format!("rookery_bench_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(admin_url)
                    .with_context(|| format!("connecting to PostgreSQL at {admin_url}"))?;
                admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
                let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
                let url = format!("{base}/{name}");
                Ok((Self::Postgres { admin_url: admin_url.to_owned(), name }, url))
            }
        }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            match PgConnection::establish(admin_url) {
                Ok(mut admin) => {
                    if let Err(e) = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")) {
                        eprintln!("could not drop database {name}: {e}");
                    }
                }
                Err(e) => eprintln!("could not drop database {name}: {e}"),
            }
        }
    }
}

/// What one phase measured.
struct Stats {
    ops: u64,
    errors: u64,
    elapsed: Duration,
    latency: Histogram<u64>,
}

impl Stats {
    fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { to_f64(self.ops) / secs } else { 0.0 }
    }

    fn quantile_ms(&self, q: f64) -> f64 {
        to_f64(self.latency.value_at_quantile(q)) / 1000.0
    }
}

fn to_f64(n: u64) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

/// One row of the table.
struct Row {
    scenario: String,
    connections: usize,
    http: Stats,
    ceiling: Stats,
}

/// An HTTP request a worker makes: method, path under the canonical API, bearer token.
struct Call {
    method: reqwest::Method,
    path: String,
    token: Arc<str>,
    body: Option<serde_json::Value>,
}

/// Runs `op(worker, iteration)` from `connections` tasks over one pooled keep-alive
/// client until `duration` has passed or every worker's `op` returns `None`.
async fn http_phase<F>(
    client: &reqwest::Client,
    base: &str,
    connections: usize,
    duration: Duration,
    op: F,
) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Option<Call> + Send + Sync + 'static,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(connections);
    for worker in 0..connections {
        let (client, base, op) = (client.clone(), base.to_owned(), Arc::clone(&op));
        tasks.push(tokio::spawn(async move {
            let mut latency = histogram()?;
            let (mut ops, mut errors) = (0u64, 0u64);
            let mut first_error = None;
            for i in 0.. {
                if start.elapsed() >= duration {
                    break;
                }
                let Some(call) = op(worker, i) else { break };
                let mut request = client.request(call.method, format!("{base}{}", call.path)).bearer_auth(&*call.token);
                if let Some(body) = &call.body {
                    request = request.json(body);
                }
                let t0 = Instant::now();
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        match body {
                            Ok(_) if status.is_success() => Ok(()),
                            Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                latency.saturating_record(micros(t0.elapsed()));
                ops += 1;
                if let Err(e) = outcome {
                    errors += 1;
                    first_error.get_or_insert(e);
                }
            }
            anyhow::Ok((ops, errors, latency, first_error))
        }));
    }
    let mut stats = Stats { ops: 0, errors: 0, elapsed: Duration::ZERO, latency: histogram()? };
    let mut first_error = None;
    for task in tasks {
        let (ops, errors, latency, error) = task.await??;
        stats.ops += ops;
        stats.errors += errors;
        stats.latency.add(&latency)?;
        if first_error.is_none() {
            first_error = error;
        }
    }
    stats.elapsed = start.elapsed();
    if let Some(e) = first_error {
        eprintln!("    first HTTP error: {e}");
    }
    Ok(stats)
}

/// Runs `op(worker, iteration)` on `threads` threads, directly on the service, until
/// `duration` has passed or every worker's `op` returns `None`.
fn ceiling_phase<F>(threads: usize, duration: Duration, op: F) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Option<anyhow::Result<()>> + Send + Sync,
{
    let start = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|worker| {
                let op = &op;
                scope.spawn(move || {
                    let mut latency = histogram()?;
                    let (mut ops, mut errors) = (0u64, 0u64);
                    let mut first_error = None;
                    for i in 0.. {
                        if start.elapsed() >= duration {
                            break;
                        }
                        let t0 = Instant::now();
                        let Some(outcome) = op(worker, i) else { break };
                        latency.saturating_record(micros(t0.elapsed()));
                        ops += 1;
                        if let Err(e) = outcome {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                    anyhow::Ok((ops, errors, latency, first_error))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let mut stats = Stats { ops: 0, errors: 0, elapsed: start.elapsed(), latency: histogram()? };
    let mut first_error = None;
    for result in results {
        let Ok(result) = result else { bail!("a ceiling thread panicked") };
        let (ops, errors, latency, error) = result?;
        stats.ops += ops;
        stats.errors += errors;
        stats.latency.add(&latency)?;
        if first_error.is_none() {
            first_error = error;
        }
    }
    if let Some(e) = first_error {
        eprintln!("    first ceiling error: {e:#}");
    }
    Ok(stats)
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    let quick = options.quick;
    let duration = Duration::from_secs(options.seconds.unwrap_or(if quick { 2 } else { 10 }));
    let followers = options.followers.unwrap_or(if quick { 100_000 } else { 1_000_000 });
    let (conns, read_conns) = (options.connections.max(1), options.read_connections.max(1));
    let backend = options.backend;

    let (scratch, url) = Scratch::create(backend, &options.postgres_url)?;
    let result = run(&options, &url, duration, followers, conns, read_conns);
    drop(scratch);
    let rows = result?;
    print_table(backend, &rows, duration, followers);
    Ok(())
}

fn run(
    options: &Options,
    url: &str,
    duration: Duration,
    followers: usize,
    conns: usize,
    read_conns: usize,
) -> anyhow::Result<Vec<Row>> {
    let backend = options.backend;
    let quick = options.quick;
    eprintln!(
        "rookery-bench: {} on {}, {} s per phase",
        if quick { "quick" } else { "full" },
        backend.name(),
        duration.as_secs()
    );

    let db_options = DatabaseOptions { max_connections: POOL_SIZE, ..DatabaseOptions::default() };
    let db = Database::open(url, db_options).context("opening the database")?;
    db.migrate().context("migrating")?;

    // Per-worker budgets: enough distinct pairs for the phase at well above the rates
    // this machine reaches; a worker that runs out stops early.
    let per_worker = if quick { 300 } else { 3_000 };
    let hot_per_worker = if quick { 150 } else { 1_500 };
    let t0 = Instant::now();
    let seeded = seed::seed(&db, conns, per_worker, hot_per_worker, followers)?;
    if backend == BackendArg::Postgres {
        // A bulk load leaves the planner without statistics until autovacuum comes by;
        // a database in service has them.
        PgConnection::establish(url)?.batch_execute("ANALYZE")?;
    }
    eprintln!(
        "  seeded {} accounts and {} edges in {:.1} s",
        seeded.accounts,
        seeded.edges,
        t0.elapsed().as_secs_f64()
    );

    let secret = format!("bench-secret-{}", uuid::Uuid::new_v4());
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        workers: 2,
        dialects: "community,drf,rgram,anchor".into(),
        cors_origins: None,
        follows_per_hour: 0,
        database: DatabaseSettings { url: url.to_owned(), read_url: None, max_connections: POOL_SIZE },
        jwt: JwtSettings { secret: Some(secret.clone()), ..JwtSettings::default() },
        streams: StreamSettings::default(),
        push: PushSettings::default(),
    };
    let graph: Arc<Graph> =
        Arc::new(GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier));
    let signer = Signer::new(&secret);

    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let base = runtime.block_on(async {
        let app = Application::build(&settings)?;
        let base = format!("http://127.0.0.1:{}/api/v1/community", app.port());
        tokio::spawn(app.run_until_stopped());
        anyhow::Ok(base)
    })?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(conns.max(read_conns)).tcp_nodelay(true).build()?;
    let seeded = Arc::new(seeded);
    let mut rows = Vec::new();

    // 1. Follow writes on distinct pairs: worker w's follower follows target i.
    {
        let tokens = signer.tokens(&seeded.follow_http)?;
        let s = Arc::clone(&seeded);
        let name = "follow, distinct pairs";
        eprintln!("  {name}");
        let http = runtime.block_on(http_phase(&client, &base, conns, duration, move |w, i| {
            Some(Call {
                method: reqwest::Method::POST,
                path: "/follow".into(),
                token: Arc::clone(tokens.get(w)?),
                body: Some(json!({ "user_id": s.targets.get(i)?.to_string() })),
            })
        }))?;
        let ceiling = ceiling_phase(conns, duration, |w, i| {
            let (actor, target) = (*seeded.follow_ceiling.get(w)?, *seeded.targets.get(i)?);
            Some(graph.follow(actor, target).map(drop).map_err(Into::into))
        })?;
        rows.push(Row { scenario: name.into(), connections: conns, http, ceiling });
    }

    // 2. Churn: each worker follows and unfollows the same pair, alternately.
    {
        let tokens = signer.tokens(&seeded.churn_http)?;
        let s = Arc::clone(&seeded);
        let name = "follow/unfollow churn, same pairs";
        eprintln!("  {name}");
        let http = runtime.block_on(http_phase(&client, &base, conns, duration, move |w, i| {
            let target = s.churn_targets.get(w)?;
            let token = Arc::clone(tokens.get(w)?);
            Some(if i % 2 == 0 {
                Call {
                    method: reqwest::Method::POST,
                    path: "/follow".into(),
                    token,
                    body: Some(json!({ "user_id": target.to_string() })),
                }
            } else {
                Call { method: reqwest::Method::DELETE, path: format!("/follow/{target}"), token, body: None }
            })
        }))?;
        let ceiling = ceiling_phase(conns, duration, |w, i| {
            let (actor, target) = (*seeded.churn_ceiling.get(w)?, *seeded.churn_targets.get(w)?);
            Some(if i % 2 == 0 {
                graph.follow(actor, target).map(drop).map_err(Into::into)
            } else {
                graph.unfollow(actor, target).map(drop).map_err(Into::into)
            })
        })?;
        rows.push(Row { scenario: name.into(), connections: conns, http, ceiling });
    }

    // 3. One hot account: distinct followers, all following the same account.
    {
        let tokens = signer.tokens(&seeded.hot_http)?;
        let s = Arc::clone(&seeded);
        let name = "follow, one hot account";
        eprintln!("  {name}");
        let http = runtime.block_on(http_phase(&client, &base, conns, duration, move |w, i| {
            let token = Arc::clone(tokens.get(i.checked_mul(s.connections)?.checked_add(w)?)?);
            Some(Call {
                method: reqwest::Method::POST,
                path: "/follow".into(),
                token,
                body: Some(json!({ "user_id": s.hot.to_string() })),
            })
        }))?;
        let ceiling = ceiling_phase(conns, duration, |w, i| {
            let actor = *seeded.hot_ceiling.get(i.checked_mul(seeded.connections)?.checked_add(w)?)?;
            Some(graph.follow(actor, seeded.hot).map(drop).map_err(Into::into))
        })?;
        rows.push(Row { scenario: name.into(), connections: conns, http, ceiling });
    }

    // 4. The followers list of the account with many followers, as the viewer sees it.
    let viewer_token: Arc<str> = Arc::clone(signer.tokens(&[seeded.viewer])?.first().context("a viewer token")?);
    let deep_page = u32::try_from(followers.div_ceil(20)).unwrap_or(u32::MAX).max(1);
    let pages: [(&str, String, Paging); 4] = [
        ("followers, cursor head", "limit=20".into(), Paging::Keyset { after: None, limit: 20 }),
        (
            "followers, cursor tail",
            format!("limit=20&cursor={}", seeded.tail_cursor.encode()),
            Paging::Keyset { after: Some(seeded.tail_cursor), limit: 20 },
        ),
        (
            "followers, offset page 1",
            "page=1&page_size=20".into(),
            Paging::Offset(PageRequest::new(Some(1), Some(20))?),
        ),
        (
            "followers, offset last page",
            format!("page={deep_page}&page_size=20"),
            Paging::Offset(PageRequest::new(Some(i64::from(deep_page)), Some(20))?),
        ),
    ];
    for (name, query, paging) in pages {
        eprintln!("  {name}");
        let list = ListQuery { paging, search: None };
        let page = graph.list(Some(seeded.viewer), seeded.big, Direction::Followers, &list)?;
        if page.items.is_empty() {
            eprintln!("    warning: {name} returns no items");
        }
        let path = format!("/users/{}/followers?{query}", seeded.big);
        let token = Arc::clone(&viewer_token);
        let http = runtime.block_on(http_phase(&client, &base, read_conns, duration, move |_, _| {
            Some(Call { method: reqwest::Method::GET, path: path.clone(), token: Arc::clone(&token), body: None })
        }))?;
        let ceiling = ceiling_phase(read_conns, duration, |_, _| {
            Some(graph.list(Some(seeded.viewer), seeded.big, Direction::Followers, &list).map(drop).map_err(Into::into))
        })?;
        let scenario = format!("{name} ({followers} followers)");
        rows.push(Row { scenario, connections: read_conns, http, ceiling });
    }

    // 5. Relationships with 100 accounts (the viewer follows half of them): at the read
    //    concurrency, then on one connection (latency without queueing).
    let ids = seeded.relationship_ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
    for connections in [read_conns, 1] {
        let name = "relationships, 100 ids";
        eprintln!("  {name}, {connections} connection(s)");
        let path = format!("/relationships?ids={ids}");
        let token = Arc::clone(&viewer_token);
        let http = runtime.block_on(http_phase(&client, &base, connections, duration, move |_, _| {
            Some(Call { method: reqwest::Method::GET, path: path.clone(), token: Arc::clone(&token), body: None })
        }))?;
        let ceiling = ceiling_phase(connections, duration, |_, _| {
            Some(graph.relationships(seeded.viewer, &seeded.relationship_ids).map(drop).map_err(Into::into))
        })?;
        rows.push(Row { scenario: name.into(), connections, http, ceiling });
    }

    // 6. Profile reads: the viewer reads the profiles of 100 accounts in turn.
    {
        let name = "profile reads";
        eprintln!("  {name}");
        let s = Arc::clone(&seeded);
        let token = Arc::clone(&viewer_token);
        let http = runtime.block_on(http_phase(&client, &base, read_conns, duration, move |w, i| {
            let target = s.relationship_ids.get((w + i) % s.relationship_ids.len().max(1))?;
            Some(Call {
                method: reqwest::Method::GET,
                path: format!("/profiles/{target}"),
                token: Arc::clone(&token),
                body: None,
            })
        }))?;
        let ceiling = ceiling_phase(read_conns, duration, |w, i| {
            let target = *seeded.relationship_ids.get((w + i) % seeded.relationship_ids.len().max(1))?;
            Some(graph.profile(seeded.viewer, target).map(drop).map_err(Into::into))
        })?;
        rows.push(Row { scenario: name.into(), connections: read_conns, http, ceiling });
    }

    runtime.shutdown_timeout(Duration::from_secs(1));
    Ok(rows)
}

/// Signs HS256 access tokens with the server's secret.
struct Signer {
    key: EncodingKey,
}

impl Signer {
    fn new(secret: &str) -> Self {
        Self { key: EncodingKey::from_secret(secret.as_bytes()) }
    }

    fn tokens(&self, ids: &[AccountId]) -> anyhow::Result<Arc<Vec<Arc<str>>>> {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        let header = Header::new(Algorithm::HS256);
        let tokens = ids
            .iter()
            .map(|id| {
                let claims = json!({ "sub": id.to_string(), "iat": now, "exp": now + 3600 });
                jsonwebtoken::encode(&header, &claims, &self.key).map(Arc::from)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Arc::new(tokens))
    }
}

fn print_table(backend: BackendArg, rows: &[Row], duration: Duration, followers: usize) {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{} s per phase; follower list of {followers}; p50/p99 are HTTP latencies; ceiling = the same use case on the GraphService from as many threads as connections\n",
        duration.as_secs()
    );
    let _ = writeln!(
        out,
        "| scenario | backend | conns | HTTP req/s | p50 ms | p99 ms | errors | ceiling req/s | ceiling p50 ms | HTTP/ceiling |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rows {
        let ratio = if row.ceiling.throughput() > 0.0 { row.http.throughput() / row.ceiling.throughput() } else { 0.0 };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.0} | {:.2} | {:.0}% |",
            row.scenario,
            backend.name(),
            row.connections,
            row.http.throughput(),
            row.http.quantile_ms(0.5),
            row.http.quantile_ms(0.99),
            row.http.errors + row.ceiling.errors,
            row.ceiling.throughput(),
            row.ceiling.quantile_ms(0.5),
            ratio * 100.0
        );
    }
    print!("{out}");
}
