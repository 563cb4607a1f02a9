//! `rookery-bench`: Rookery's throughput and latency over HTTP, next to the ceiling of
//! the same use case called in-process on the `GraphService`, and the raw database's
//! ceiling for follow writes; a connection sweep; idle notification streams and
//! delivery latency on a `rookery serve` process; and `rookery import` of a large graph.
//!
//! For each backend (SQLite, then PostgreSQL, unless `--backend` names one) it seeds a
//! fresh database (a SQLite file in a temporary directory, or a PostgreSQL database
//! created for the run and dropped after it), starts the server in-process on an
//! ephemeral port, drives it over keep-alive connections, then calls the same use case
//! directly from as many threads as there were connections. Then it starts
//! `target/release/rookery serve` over the same database for the memory and stream
//! figures, and imports a generated graph into another fresh database. It prints the
//! tables and the issue's targets, met or not.
//!
//! ```text
//! cargo build --release -p rookery -p rookery-bench
//! target/release/rookery-bench --quick                      # both backends, under two minutes
//! target/release/rookery-bench --backend postgres           # full, PostgreSQL only
//! target/release/rookery-bench --quick --skip streams,import
//! target/release/rookery-bench --replica-reads              # reads on streaming replicas
//! ```
#![allow(clippy::print_stdout)]

/// The server runs in this process too: the same allocator as `rookery`'s.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

mod format;
mod graph_queries;
mod import;
mod in_process;
mod limits;
mod phase;
mod raw;
mod replicas;
mod report;
mod scenarios;
mod scratch;
mod search;
mod seed;
mod server;
mod streams;
mod suite;
mod sweep;
mod webhooks;
mod wire;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use rookery_domain::GraphService;
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_store::Database;

/// The service as the ceiling calls it: no live notifications, no follow quota.
type Graph = GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>;

/// A database backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendArg {
    Sqlite,
    Postgres,
    /// SQLite, then PostgreSQL.
    All,
}

/// Parts of the run that `--skip` can leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The HTTP-vs-ceiling scenarios (follows, churn, hot account, pages, relationships, profiles).
    Scenarios,
    /// The raw SQL ceiling of follow writes.
    Raw,
    /// The connection sweep of follow writes.
    Sweep,
    /// `rookery serve` as a process: idle RSS, idle streams, delivery latency.
    Streams,
    /// `rookery import` of a generated graph.
    Import,
    /// Issue 24: follows with a `*` webhook against none, delivery latency at 1,000
    /// follows/s, a page of 1,000 events.
    Webhooks,
    /// Issue 23's graph queries (filters, known followers, suggestions, bulk follows),
    /// on a graph of their own.
    Graph,
}

/// Measures Rookery over HTTP against the in-process and raw-database ceilings.
#[derive(Debug, Parser)]
#[command(name = "rookery-bench")]
struct Options {
    /// Which database to run on (a fresh one either way).
    #[arg(long, value_enum, default_value = "all")]
    backend: BackendArg,
    /// A short run (under a minute per backend): 100,000 followers, 1 s per phase,
    /// 100,000 edges imported on PostgreSQL (still 1,000,000 on SQLite).
    #[arg(long)]
    quick: bool,
    /// The PostgreSQL server: databases are created on it for the run and dropped after.
    #[arg(long, env = "POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/postgres")]
    postgres_url: String,
    /// Keep-alive connections (and ceiling threads) for the write scenarios.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Keep-alive connections (and ceiling threads) for the read scenarios.
    #[arg(long, default_value_t = 8)]
    read_connections: usize,
    /// Seconds per phase (HTTP, ceiling, raw); default 1 with --quick, else 10.
    #[arg(long)]
    seconds: Option<f64>,
    /// Followers of the account whose list is paged; default 100,000 with --quick, else 1,000,000.
    #[arg(long)]
    followers: Option<usize>,
    /// The deep offset page of 20 followers.
    #[arg(long, default_value_t = 5_000)]
    deep_page: u32,
    /// Connection counts of the sweep.
    #[arg(long, value_delimiter = ',', default_value = "1,4,16,64,256")]
    sweep: Vec<usize>,
    /// Seconds per point of the sweep; default 1 with --quick, else 5.
    #[arg(long)]
    sweep_seconds: Option<f64>,
    /// Where the sweep's CSV goes; `{backend}` is replaced by the backend's name.
    #[arg(long, default_value = "target/bench/sweep-{backend}.csv")]
    sweep_csv: String,
    /// PostgreSQL connections of the raw SQL ceiling (SQLite's has one).
    #[arg(long, default_value_t = 16)]
    raw_threads_postgres: usize,
    /// Database connections of the pool, for the server and the ceiling alike (the
    /// server's default, `ROOKERY_DB_MAX_CONNECTIONS`, is 16).
    #[arg(long, default_value_t = 16)]
    pool: u32,
    /// Group-commit writer threads (`ROOKERY_DB_WRITERS`); default the backend's.
    #[arg(long)]
    writers: Option<usize>,
    /// Threads of the HTTP client (the load generator), as wrk's `-t`.
    #[arg(long, default_value_t = 1)]
    client_threads: usize,
    /// Idle notification streams to open.
    #[arg(long, default_value_t = 10_000)]
    streams: usize,
    /// Follows whose delivery to a stream is timed; default 50 with --quick, else 200.
    #[arg(long)]
    delivery_follows: Option<usize>,
    /// Edges of the imported graph (with a tenth as many accounts); default 1,000,000,
    /// and 100,000 on PostgreSQL with --quick.
    #[arg(long)]
    import_edges: Option<usize>,
    /// Followers of the star account of the graph queries; default as `--followers`.
    #[arg(long)]
    graph_followers: Option<usize>,
    /// The `rookery` binary; default: beside this one.
    #[arg(long)]
    rookery: Option<PathBuf>,
    /// Measure only account search (a fresh database of `--followers` accounts) and
    /// print its latencies.
    #[arg(long)]
    search_only: bool,
    /// Parts to leave out, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',')]
    skip: Vec<Part>,
    /// Instead of the suite: list reads per second on a private primary with no
    /// replica, one, then two (`scripts/pg-cluster.sh`; `--read-connections`,
    /// `--seconds`), as docs/operations.md reports them.
    #[arg(long)]
    replica_reads: bool,
}

/// The run's settings, resolved.
pub struct Config {
    pub quick: bool,
    pub postgres_url: String,
    pub duration: Duration,
    pub followers: usize,
    pub connections: usize,
    pub read_connections: usize,
    pub deep_page: u32,
    pub sweep: Vec<usize>,
    pub sweep_duration: Duration,
    pub sweep_csv: String,
    pub raw_threads_postgres: usize,
    pub pool: u32,
    pub writers: Option<usize>,
    pub client_threads: usize,
    pub streams: usize,
    pub streams_per_account: usize,
    pub delivery_follows: usize,
    /// Edges to import, when given.
    pub import_edges: Option<usize>,
    pub rookery: Option<PathBuf>,
    pub skip: Vec<Part>,
    /// Followers of the graph queries' star account.
    pub graph_followers: usize,
}

impl Config {
    pub fn runs(&self, part: Part) -> bool {
        !self.skip.contains(&part)
    }

    /// Edges to import on `backend`.
    pub fn import_edges(&self, backend: Backend) -> usize {
        self.import_edges.unwrap_or(if self.quick && backend == Backend::Postgres { 100_000 } else { 1_000_000 })
    }
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.05)).unwrap_or(Duration::from_secs(1))
}

/// Raises this process's open-files limit to its hard limit (the `rookery serve` it
/// starts inherits it): each stream is a socket on both sides.
fn raise_open_files() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            eprintln!("could not raise the open-files limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    if options.replica_reads {
        let seconds = seconds(options.seconds.unwrap_or(10.0));
        let outcome = server::binary(options.rookery.as_deref())
            .and_then(|binary| replicas::run(&binary, options.read_connections.max(1), seconds));
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("rookery-bench --replica-reads: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let quick = options.quick;
    let mut config = Config {
        quick,
        postgres_url: options.postgres_url.clone(),
        duration: seconds(options.seconds.unwrap_or(if quick { 1.0 } else { 10.0 })),
        followers: options.followers.unwrap_or(if quick { 100_000 } else { 1_000_000 }).max(21),
        connections: options.connections.max(1),
        read_connections: options.read_connections.max(1),
        deep_page: options.deep_page.max(1),
        sweep: options.sweep.iter().copied().filter(|c| *c > 0).collect(),
        sweep_duration: seconds(options.sweep_seconds.unwrap_or(if quick { 1.0 } else { 5.0 })),
        sweep_csv: options.sweep_csv.clone(),
        raw_threads_postgres: options.raw_threads_postgres.max(1),
        pool: options.pool.max(1),
        writers: options.writers,
        client_threads: options.client_threads.max(1),
        streams: options.streams,
        streams_per_account: 8,
        delivery_follows: options.delivery_follows.unwrap_or(if quick { 50 } else { 200 }),
        import_edges: options.import_edges.map(|n| n.max(10)),
        rookery: options.rookery.clone(),
        skip: options.skip.clone(),
        graph_followers: 0,
    };
    config.graph_followers = options.graph_followers.unwrap_or(config.followers);
    if config.runs(Part::Streams) {
        // Both processes hold one socket per stream, besides their other files.
        let limit = usize::try_from(raise_open_files()).unwrap_or(usize::MAX);
        let room = limit.saturating_sub(1_024);
        if config.streams > room {
            eprintln!(
                "the open-files limit is {limit}: opening {room} streams instead of {} (raise `ulimit -Hn` for more)",
                config.streams
            );
            config.streams = room;
        }
    }
    let backends = match options.backend {
        BackendArg::Sqlite => vec![Backend::Sqlite],
        BackendArg::Postgres => vec![Backend::Postgres],
        BackendArg::All => vec![Backend::Sqlite, Backend::Postgres],
    };
    if options.search_only {
        let mut ok = true;
        for backend in backends {
            match search::run(backend, &config) {
                Ok(lines) => println!("{lines}"),
                Err(e) => {
                    eprintln!("rookery-bench: search on {} failed: {e:#}", backend.name());
                    ok = false;
                }
            }
        }
        return if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE };
    }
    let mut reports = Vec::new();
    let mut failed = Vec::new();
    for backend in backends {
        match suite::run(backend, &config) {
            Ok(report) => reports.push(report),
            Err(e) => {
                eprintln!("rookery-bench: {} failed: {e:#}", backend.name());
                failed.push(backend.name());
            }
        }
    }
    let setup = report::Setup {
        quick,
        seconds: config.duration.as_secs_f64(),
        sweep_seconds: config.sweep_duration.as_secs_f64(),
        followers: config.followers,
    };
    print!("{}", report::render(&setup, &reports));
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("rookery-bench: failed on {}", failed.join(", "));
        ExitCode::FAILURE
    }
}
