//! Everything measured on one backend, in order: seeding, the in-process scenarios
//! and sweep, the raw SQL ceiling, `rookery serve` with idle streams, and the import.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use rookery::Settings;
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings, WebhookSettings};
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::{FollowQuota, GraphService};
use rookery_store::{Database, DatabaseOptions};

use crate::in_process::InProcess;
use crate::phase::Signer;
use crate::report::{BackendReport, Raw};
use crate::scratch::Scratch;
use crate::seed::Plan;
use crate::server::Server;
use crate::{Backend, Config, Graph, Part, import, raw, scenarios, seed, server, streams, sweep};

use crate::limits::{DEFAULT_LIMIT, NEVER_TRIPS};

/// Operations a worker doing `rate_per_sec` makes in `duration`.
fn per_worker(rate_per_sec: usize, duration: Duration) -> usize {
    let n = u128::try_from(rate_per_sec).unwrap_or(u128::MAX).saturating_mul(duration.as_millis()) / 1000;
    usize::try_from(n).unwrap_or(usize::MAX).max(1)
}

/// Budgets per worker: well above the rates this machine reaches, so that a worker
/// runs out only if Rookery gets several times faster (the phase then ends early, and
/// says so).
fn plan(backend: Backend, config: &Config) -> Plan {
    let (d, sd) = (config.duration, config.sweep_duration);
    let raw_threads = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => config.raw_threads_postgres,
    };
    let raw_rate = match backend {
        Backend::Sqlite => 50_000,
        Backend::Postgres => 3_000,
    };
    let fans = config.delivery_follows.min(config.streams.div_ceil(config.streams_per_account.max(1)));
    Plan {
        connections: config.connections,
        targets: if config.quick { 1_000 } else { 3_000 },
        follow_per_worker: per_worker(600, d),
        // SQLite's hot-account ceiling (34,000-57,000 follows/s) outruns these 21,000/s:
        // after its first round in a full run, within it in a quick one. The bench notes
        // it, and rounds left without work stay out of the median (`phase::alternating`);
        // no target reads that ceiling. 12,000 per worker seeded 900,000 more accounts,
        // which made SQLite's list pages ~20% slower (cursor tail p99 3.26 -> 4.21 ms,
        // back to back; docs/benchmarks.md).
        hot_per_worker: per_worker(500, d),
        raw_threads,
        raw_per_worker: per_worker(raw_rate, d),
        sweep: config.sweep.iter().map(|&c| (c, per_worker((20_000 / c).max(300), sd))).collect(),
        stream_accounts: if config.runs(Part::Streams) {
            config.streams.div_ceil(config.streams_per_account.max(1))
        } else {
            0
        },
        fans: if config.runs(Part::Streams) { fans } else { 0 },
        followers: config.followers,
    }
}

/// The connection sweep against `base`, into `report`.
fn sweep_on(
    report: &mut BackendReport,
    client: &tokio::runtime::Runtime,
    base: &str,
    signer: &Signer,
    seeded: &seed::Seeded,
    config: &Config,
    name: &str,
) -> anyhow::Result<()> {
    report.sweep = client.block_on(sweep::run(base, signer, &seeded.sweep, config.sweep_duration))?;
    let path = std::path::PathBuf::from(config.sweep_csv.replace("{backend}", name));
    sweep::write_csv(&path, name, &report.sweep)?;
    report.sweep_csv = Some(path);
    Ok(())
}

pub fn run(backend: Backend, config: &Config) -> anyhow::Result<BackendReport> {
    let name = backend.name();
    eprintln!(
        "rookery-bench: {} on {name}, {:.1} s per phase",
        if config.quick { "quick" } else { "full" },
        config.duration.as_secs_f64()
    );
    let graph_report = if config.runs(Part::Graph) {
        eprintln!("  graph queries: a star with {} followers", config.graph_followers);
        Some(crate::graph_queries::run(backend, config, config.graph_followers)?)
    } else {
        None
    };
    let others = [Part::Scenarios, Part::Raw, Part::Sweep, Part::Streams, Part::Import];
    if !others.iter().any(|part| config.runs(*part)) {
        // Only issue 23's and 24's rows: they seed databases of their own, so skip the
        // big seed.
        let mut report = BackendReport {
            backend,
            seeded: "nothing seeded beyond the graph-query and webhook rows' own data".into(),
            rows: Vec::new(),
            raw: None,
            sweep: Vec::new(),
            sweep_csv: None,
            streams: None,
            import: None,
            webhooks: None,
            graph: graph_report,
        };
        if config.runs(Part::Webhooks) {
            report.webhooks = Some(crate::webhooks::run(backend, config)?);
        }
        return Ok(report);
    }
    let binary = if config.runs(Part::Streams) || config.runs(Part::Import) {
        Some(server::binary(config.rookery.as_deref())?)
    } else {
        None
    };
    let scratch = Scratch::create(backend, &config.postgres_url)?;
    let url = scratch.url.clone();
    let db_options =
        DatabaseOptions { max_connections: config.pool, writers: config.writers, ..DatabaseOptions::default() };
    let db = Database::open(&url, db_options).context("opening the database")?;
    db.migrate().context("migrating")?;

    let t0 = Instant::now();
    let seeded = Arc::new(seed::seed(&db, &plan(backend, config))?);
    if backend == Backend::Postgres {
        // A bulk load leaves the planner without statistics until autovacuum comes by,
        // every row's hint bits for its first reader to set, and its dirty pages for a
        // checkpoint in the middle of the first scenario; a database in service has
        // none of that (and pgbench vacuums before it measures too).
        let mut conn = PgConnection::establish(&url)?;
        // Two statements: VACUUM refuses to run inside the block a multi-statement
        // query makes.
        conn.batch_execute("VACUUM ANALYZE")?;
        conn.batch_execute("CHECKPOINT")?;
    }
    let seeded_note = format!(
        "seeded {} accounts and {} edges in {:.1} s",
        crate::format::thousands(usize::try_from(seeded.accounts).unwrap_or(0)),
        crate::format::thousands(usize::try_from(seeded.edges).unwrap_or(0)),
        t0.elapsed().as_secs_f64()
    );
    eprintln!("  {seeded_note}");

    let secret = format!("bench-secret-{}", uuid::Uuid::new_v4());
    let signer = Signer::new(&secret);
    let service = || GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier);
    let graph: Arc<Graph> = Arc::new(service().with_follow_quota(FollowQuota::per_hour(NEVER_TRIPS)));
    let graph_no_limit: Arc<Graph> = Arc::new(service());
    let graph_default_limit: Arc<Graph> = Arc::new(service().with_follow_quota(FollowQuota::per_hour(DEFAULT_LIMIT)));
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // The load generator's threads, one by default (`--client-threads`), as `wrk -t1`:
    // its connections' tasks all run on the thread that waits for the phase. On two
    // threads PostgreSQL's HTTP/ceiling measured 6-8 points lower: a second runnable
    // client thread takes turns on the two cores with the writers and the database
    // (docs/benchmarks.md, step 21).
    let client = match config.client_threads {
        1 => tokio::runtime::Builder::new_current_thread().enable_all().build()?,
        n => tokio::runtime::Builder::new_multi_thread().worker_threads(n).enable_all().build()?,
    };
    let mut report = BackendReport {
        backend,
        seeded: seeded_note,
        rows: Vec::new(),
        raw: None,
        sweep: Vec::new(),
        sweep_csv: None,
        streams: None,
        import: None,
        webhooks: None,
        graph: graph_report,
    };

    if config.runs(Part::Scenarios) || config.runs(Part::Sweep) {
        let settings = |follows_per_hour: u32| Settings {
            bind: "127.0.0.1:0".into(),
            workers: 2,
            dialects: "community,drf,rgram,anchor".into(),
            cors_origins: None,
            follows_per_hour,
            database: DatabaseSettings {
                url: url.clone(),
                read_url: None,
                replica_max_lag: std::time::Duration::from_secs(5),
                max_connections: config.pool,
                writers: config.writers,
            },
            jwt: JwtSettings { secret: Some(secret.clone()), ..JwtSettings::default() },
            streams: StreamSettings::default(),
            shutdown_grace_secs: 10,
            push: PushSettings::default(),
            webhooks: WebhookSettings::default(),
        };
        // The server users run: the limit on, never tripping here. Stopped once
        // measured: on SQLite it holds the file's serve lock, which the servers of the
        // limit variants and `rookery serve` below need in turn.
        let server = InProcess::start(&runtime, &settings(NEVER_TRIPS))?;
        let base = server.base.clone();
        let serve = |limit: u32| InProcess::start(&runtime, &settings(limit));
        if config.runs(Part::Scenarios) {
            let env = scenarios::Env {
                runtime: &runtime,
                client: &client,
                base: &base,
                serve: &serve,
                graph: &graph,
                graph_no_limit: &graph_no_limit,
                graph_default_limit: &graph_default_limit,
                signer: &signer,
                seeded: &seeded,
                duration: config.duration,
                connections: config.connections,
                read_connections: config.read_connections,
                followers: config.followers,
                deep_page: config.deep_page,
                last_page: !config.quick,
            };
            let (rows, follow_progress) = scenarios::run(&env)?;
            report.rows = rows;
            if config.runs(Part::Sweep) && !seeded.sweep.is_empty() {
                sweep_on(&mut report, &client, &base, &signer, &seeded, config, name)?;
            }
            server.stop(&runtime)?;
            report.rows.extend(scenarios::limit_variants(&env, &follow_progress)?);
        } else {
            if config.runs(Part::Sweep) && !seeded.sweep.is_empty() {
                sweep_on(&mut report, &client, &base, &signer, &seeded, config, name)?;
            }
            server.stop(&runtime)?;
        }
    }

    if config.runs(Part::Raw) {
        let threads = seeded.raw.workers();
        eprintln!("  follow, raw SQL ceiling, {threads} connection(s)");
        let stats = match (backend, scratch.sqlite_path()) {
            (Backend::Sqlite, Some(path)) => raw::sqlite(&path, &seeded.raw, threads, config.duration)?,
            _ => raw::postgres(&url, &seeded.raw, threads, config.duration)?,
        };
        report.raw = Some(Raw { threads, stats });
    }

    if let (true, Some(binary)) = (config.runs(Part::Streams), &binary) {
        eprintln!(
            "  rookery serve: idle RSS, {} idle streams, delivery of {} follows",
            config.streams,
            seeded.fans.len()
        );
        let settle = if config.quick { Duration::from_secs(1) } else { Duration::from_secs(2) };
        let measured = runtime.block_on(async {
            let server = Server::start(binary, &url, &secret, &[]).await?;
            let measured = streams::run(
                &server,
                &signer,
                &seeded.stream_accounts,
                &seeded.fans,
                config.streams,
                config.streams_per_account,
                settle,
            )
            .await;
            server.stop(Duration::from_secs(10))?;
            measured
        })?;
        report.streams = Some(measured);
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop((graph, graph_no_limit, graph_default_limit));
    drop(db);
    drop(scratch);

    if config.runs(Part::Webhooks) {
        report.webhooks = Some(crate::webhooks::run(backend, config)?);
    }

    if let (true, Some(binary)) = (config.runs(Part::Import), &binary) {
        let edges = config.import_edges(backend);
        let accounts = (edges / 10).max(100);
        let scratch = Scratch::create(backend, &config.postgres_url)?;
        let file = scratch.dir().join("graph.jsonl");
        let t0 = Instant::now();
        let bytes = import::generate(&file, accounts, edges)?;
        eprintln!(
            "  rookery import: {} edges, {} accounts ({:.0} MB, generated in {:.1} s)",
            edges,
            accounts,
            crate::phase::to_f64(bytes) / 1e6,
            t0.elapsed().as_secs_f64()
        );
        report.import = Some(import::run(binary, &scratch.url, &file, accounts, edges)?);
        drop(scratch);
    }
    Ok(report)
}
