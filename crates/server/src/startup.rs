//! Wiring: open and migrate the store, build the service over it, bind the HTTP
//! server. `main` and the tests both go through [`Application::build`].

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use rookery_domain::ports::{NoNotifier, SystemClock, UuidV7};
use rookery_domain::service::{EventService, GraphEvents};
use rookery_domain::{FollowQuota, GraphService};
use rookery_http::cors::CorsPolicy;
use rookery_http::health::ReplicaReport;
use rookery_http::in_flight::InFlight;
use rookery_http::observe::{Gauges, Metrics};
use rookery_http::sse::{Hub, HubEvent, HubNotifier, deliver};
use rookery_http::{Dialects, HttpState, JwtVerifier, Readiness};
use rookery_store::events::{Heard, StoreEvent, spawn_listener};
use rookery_store::{Backend, Database, DatabaseOptions, ReplicaStatus};

use crate::keys::{configured_key_source, verifier_config_with};
use crate::push::fcm::{FcmClient, FcmConfig};
use crate::settings::{DatabaseSettings, Settings};
use crate::shutdown::Signals;
use crate::sqlite_file::{ServeLock, SqliteFile};
use crate::webhooks::metrics::{WebhookGauges, WebhookMetrics};

/// Webhook signing secrets from the operating system's random source.
#[derive(Debug, Clone, Copy)]
struct RandomSecrets;

impl rookery_domain::ports::SecretSource for RandomSecrets {
    fn secret_bytes(&self) -> [u8; 32] {
        let mut bytes = [0_u8; 32];
        if let Err(error) = getrandom::fill(&mut bytes) {
            // No random source is no way to make a secret: refuse loudly rather than
            // hand out a guessable one.
            tracing::error!(%error, "the random source failed");
            std::process::abort();
        }
        bytes
    }
}

/// The service as the server wires it: notifications go to the live streams.
pub type Graph = GraphService<Database, Database, Database, SystemClock, UuidV7, HubNotifier>;

/// How long `/readyz` waits for a database connection before answering "unavailable":
/// a probe must answer at once, not after the pool's 5 s timeout.
const READINESS_WAIT: Duration = Duration::from_millis(500);

/// Opens the database named by the settings and runs its pending migrations,
/// creating a SQLite file if there is none (in a directory that must exist).
///
/// # Errors
/// Bad URL, missing directory, unreachable database, a database migrated by a newer
/// binary, failed migration.
pub fn open_database(settings: &DatabaseSettings) -> anyhow::Result<Database> {
    open_database_with(settings, false)
}

/// As [`open_database`]; `push_outbox` makes notifications fill the push outbox.
///
/// # Errors
/// As [`open_database`].
pub fn open_database_with(settings: &DatabaseSettings, push_outbox: bool) -> anyhow::Result<Database> {
    if let Some(file) = SqliteFile::from_url(&settings.url) {
        file.require_directory()?;
    }
    let db = connect(settings, push_outbox)?;
    let ran = db.migrate().context("migrating the database")?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    with_replica(db, settings)
}

/// Opens a database that must already exist and be at this binary's schema version,
/// for commands that only read (`check`, `export`, `token`): they never create a
/// database, nor migrate one (a newer binary's `check` must not migrate the database
/// under an older server).
///
/// # Errors
/// The SQLite file does not exist; the database was never migrated, is behind this
/// binary (run `rookery migrate`) or carries a migration it does not know.
pub fn open_existing(settings: &DatabaseSettings) -> anyhow::Result<Database> {
    if let Some(file) = SqliteFile::from_url(&settings.url) {
        file.require_existing()?;
    }
    let db = connect(settings, false)?;
    let status = db.schema_status().context("reading the schema version")?;
    if status.is_empty() {
        anyhow::bail!("{} holds no Rookery database (it was never migrated): check the URL", redacted(&settings.url));
    }
    let unknown = status.unknown();
    if !unknown.is_empty() {
        return Err(rookery_store::OpenError::UnknownMigrations(unknown).into());
    }
    let pending = status.pending();
    if !pending.is_empty() {
        anyhow::bail!(
            "the database lacks migration {} of this binary: run `rookery migrate` first",
            pending.join(", ")
        );
    }
    with_replica(db, settings)
}

fn connect(settings: &DatabaseSettings, push_outbox: bool) -> anyhow::Result<Database> {
    let options = DatabaseOptions {
        max_connections: settings.max_connections,
        push_outbox,
        writers: settings.writers,
        ..DatabaseOptions::default()
    };
    Database::open(&settings.url, options).context("opening the database")
}

fn with_replica(db: Database, settings: &DatabaseSettings) -> anyhow::Result<Database> {
    let urls = settings.read_urls();
    if urls.is_empty() {
        return Ok(db);
    }
    let options = DatabaseOptions { max_connections: settings.max_connections, ..DatabaseOptions::default() };
    let db = db.with_read_replicas(&urls, options, settings.replica_max_lag).context("opening the read replicas")?;
    tracing::info!(replicas = urls.len(), max_lag = ?settings.replica_max_lag, "list reads go to the read replicas");
    Ok(db)
}

/// A database URL fit for an error message: a SQLite path as is, a PostgreSQL URL
/// without its password.
fn redacted(url: &str) -> String {
    rookery_store::connection::Target::parse(url).map_or_else(|_| url.to_owned(), |target| target.to_string())
}

/// The use cases over a database, for commands that serve no streams.
#[must_use]
pub fn graph(db: &Database) -> GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier> {
    GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier)
}

/// Feeds the hub: in-process on SQLite (through the notifier); on PostgreSQL from a
/// `LISTEN` connection, so a change committed by any instance reaches the streams of
/// every instance.
fn live_events(db: &Database, url: &str, hub: &Arc<Hub>) -> anyhow::Result<HubNotifier> {
    match db.backend() {
        Backend::Sqlite => Ok(HubNotifier::new(Arc::clone(hub), true)),
        Backend::Postgres => {
            let listening = Arc::clone(hub);
            spawn_listener(url.to_owned(), move |heard| match heard {
                Heard::Event(event) => listening.push(hub_event(event)),
                // Events committed while the listener was deaf never reach the hub, so
                // no stream open meanwhile may stay open as if nothing was missed: end
                // them when it goes deaf (their clients reconnect with `Last-Event-ID`
                // and replay from the notifications table), and again when it hears
                // again, for streams opened in between.
                Heard::Lost | Heard::Listening => {
                    let ended = listening.end_streams();
                    if ended > 0 {
                        tracing::info!(ended, ?heard, "ended notification streams that may have missed events");
                    }
                }
            })
            .context("starting the event listener")?;
            Ok(HubNotifier::new(Arc::clone(hub), false))
        }
    }
}

fn hub_event(event: StoreEvent) -> HubEvent {
    match event {
        StoreEvent::Notification { recipient, id } => HubEvent::Notification { recipient, id },
        StoreEvent::Unread { recipient, count } => HubEvent::Unread { recipient, count },
    }
}

/// `/readyz`: not shutting down, and the database answers.
struct DatabaseReadiness(Database, Arc<InFlight>);

impl Readiness for DatabaseReadiness {
    fn check(&self) -> Result<(), String> {
        if self.1.is_draining() {
            // A load balancer probing over a kept-alive connection takes us out.
            return Err("shutting down".to_owned());
        }
        self.0.ping_within(READINESS_WAIT).map_err(|error| {
            tracing::warn!(%error, "not ready");
            // Anyone may read the reason: the error's own words may name host and port.
            "the database is unavailable".to_owned()
        })
    }

    fn replicas(&self) -> Vec<ReplicaReport> {
        let Some((replicas, _)) = self.0.replica_status() else { return Vec::new() };
        replicas
            .into_iter()
            .enumerate()
            .map(|(i, r)| ReplicaReport {
                replica: i + 1,
                up: r.up,
                in_use: r.in_use,
                lag_seconds: r.lag_seconds,
                reads: r.reads,
            })
            .collect()
    }
}

/// What `/metrics` reads at scrape time: the pool, the streams, and the identity
/// provider's keys.
struct RuntimeGauges {
    db: Database,
    hub: Arc<Hub>,
    verifier: web::Data<JwtVerifier>,
}

impl Gauges for RuntimeGauges {
    fn read(&self) -> Vec<(&'static str, &'static str, f64)> {
        let (open, idle) = self.db.pool_state();
        let mut gauges = vec![
            ("rookery_db_pool_connections", "Database connections open.", f64::from(open)),
            ("rookery_db_pool_idle_connections", "Database connections idle.", f64::from(idle)),
            ("rookery_db_pool_in_use", "Database connections in use.", f64::from(open.saturating_sub(idle))),
            ("rookery_db_pool_max", "Database connections the pool may open.", f64::from(self.db.pool_size())),
            (
                "rookery_sse_open_streams",
                "Notification streams open.",
                f64::from(u32::try_from(self.hub.open_streams()).unwrap_or(u32::MAX)),
            ),
            (
                "rookery_log_lines_dropped",
                "Log lines dropped because stderr was closed, full or failing (counted since start).",
                f64::from(u32::try_from(crate::logging::dropped_lines()).unwrap_or(u32::MAX)),
            ),
        ];
        if let Some((replicas, primary_reads)) = self.db.replica_status() {
            gauges.extend(replica_gauges(&replicas, primary_reads));
        }
        if let Some(provider) = self.verifier.provider_status() {
            gauges.push((
                "rookery_jwt_provider_keys",
                "Keys of the identity provider's JWK Set trusted now.",
                f64::from(u32::try_from(provider.keys).unwrap_or(u32::MAX)),
            ));
            // -1 until the first fetch succeeds: alert on it, or on a large value.
            gauges.push((
                "rookery_jwt_provider_key_age_seconds",
                "Seconds since the identity provider's JWK Set was last fetched successfully (-1: never).",
                provider.seconds_since_fetch.unwrap_or(-1.0),
            ));
        }
        gauges
    }
}

/// The read replicas in `/metrics`: how many there are and serve, the worst lag among
/// those up, and where list reads went.
fn replica_gauges(replicas: &[ReplicaStatus], primary_reads: u64) -> Vec<(&'static str, &'static str, f64)> {
    let count = |n: usize| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    let up: Vec<&ReplicaStatus> = replicas.iter().filter(|r| r.up).collect();
    let reads = |n: u64| f64::from(u32::try_from(n).unwrap_or(u32::MAX));
    vec![
        ("rookery_db_replicas", "Read replicas configured.", count(replicas.len())),
        ("rookery_db_replicas_up", "Read replicas that answered their last probe.", count(up.len())),
        (
            "rookery_db_replicas_in_use",
            "Read replicas serving list reads now (up, lagging within ROOKERY_REPLICA_MAX_LAG).",
            count(replicas.iter().filter(|r| r.in_use).count()),
        ),
        (
            "rookery_db_replica_lag_seconds",
            "The largest replay lag among the read replicas that are up, in seconds.",
            up.iter().map(|r| r.lag_seconds).fold(0.0, f64::max),
        ),
        (
            "rookery_db_replica_reads",
            "List reads served by read replicas (counted since start).",
            reads(replicas.iter().map(|r| r.reads).sum()),
        ),
        (
            "rookery_db_replica_primary_reads",
            "List reads that went to the primary although replicas are configured: none usable, or none had replayed the caller's last change (counted since start).",
            reads(primary_reads),
        ),
    ]
}

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
    /// The webhook worker, stopped after the last request is answered.
    deliveries: crate::webhooks::worker::Running,
    /// How long a shutdown waits for what is in flight.
    grace: Duration,
    /// The SQLite file's serve lock, held until the server stops.
    _lock: Option<ServeLock>,
}

impl Application {
    /// Opens and migrates the database, resolves the token key, and binds.
    ///
    /// # Errors
    /// Anything that keeps the service from starting, with context.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        // Every setting first: nothing is created, locked or migrated for settings
        // that cannot start.
        let dialects = Dialects::parse(&settings.dialects).context("ROOKERY_DIALECTS")?;
        let cors = CorsPolicy::parse(settings.cors_origins.as_deref().unwrap_or_default())?;
        let key_source = configured_key_source(&settings.jwt)?;
        let webhook_config = settings.webhooks.config()?;
        let fcm_config = match &settings.push.service_account {
            Some(path) => Some(FcmConfig::load(path, settings.push.token_url.clone(), settings.push.send_url.clone())?),
            None => None,
        };
        // Bound before the database is touched: a bad or busy address fails first.
        let listener =
            TcpListener::bind(&settings.bind).with_context(|| format!("ROOKERY_BIND: binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let lock = match SqliteFile::from_url(&settings.database.url) {
            Some(file) => {
                file.require_directory()?;
                Some(file.lock_for_serving()?)
            }
            None => None,
        };
        let fcm = fcm_config.map(FcmClient::new).transpose()?.map(Arc::new);
        let db = open_database_with(&settings.database, fcm.is_some())?;
        if let Some(fcm) = fcm {
            tokio::spawn(crate::push::dispatcher::run(db.clone(), fcm));
            tracing::info!("push delivery through FCM is on");
        }
        // The generated secret, if that is the key, only now that the database is known.
        let verifier = JwtVerifier::new(verifier_config_with(key_source, &settings.jwt, &settings.database.url)?)
            .context("loading the JWT keys")?;
        let (hub, events) = Hub::new(settings.streams.hub_config());
        let notifier = live_events(&db, &settings.database.url, &hub)?;
        let mut service = GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, notifier);
        if settings.follows_per_hour > 0 {
            service = service.with_follow_quota(FollowQuota::per_hour(settings.follows_per_hour));
        }
        let graph = web::Data::new(service);
        let event_service: Arc<dyn GraphEvents> =
            Arc::new(EventService::new(db.clone(), SystemClock, UuidV7, RandomSecrets));
        let webhook_metrics = Arc::new(WebhookMetrics::default());
        let deliveries =
            crate::webhooks::worker::Running::spawn(db.clone(), webhook_config, Arc::clone(&webhook_metrics));
        tokio::spawn(deliver(Arc::clone(&hub), graph.clone(), events));
        tokio::spawn(crate::housekeeping::run(db.clone()));
        let in_flight = InFlight::new();
        let verifier = web::Data::new(verifier);
        let state = HttpState {
            graph,
            verifier: verifier.clone(),
            readiness: Arc::new(DatabaseReadiness(db.clone(), Arc::clone(&in_flight))),
            dialects,
            hub: Arc::clone(&hub),
            cors,
            metrics: web::Data::new(Metrics::new(vec![
                Arc::new(RuntimeGauges { db: db.clone(), hub: Arc::clone(&hub), verifier }),
                Arc::new(WebhookGauges { metrics: webhook_metrics, db: db.clone() }),
            ])),
            events: web::Data::from(event_service),
        };
        let counted = web::Data::from(Arc::clone(&in_flight));
        // The community dialect's kept answers for Idempotency-Key.
        let replays = rookery_http::idempotency::replays(Arc::new(db.clone()));
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(counted.clone())
                .app_data(replays.clone())
                .wrap(from_fn(rookery_http::cors::cors))
                .wrap(from_fn(rookery_http::observe::observe))
                .wrap(from_fn(rookery_http::drain::drain_unread_body))
                .wrap(from_fn(rookery_http::in_flight::track))
                .configure(rookery_http::configure(state.clone()))
        })
        .shutdown_timeout(settings.shutdown_grace_secs)
        // A client that closed its end is gone: end its connection (and a stream's
        // slot with it) as soon as its FIN arrives, not when a heartbeat write fails.
        .h1_allow_half_closed(false)
        .disable_signals();
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.listen(listener)?.run();
        let grace = Duration::from_secs(settings.shutdown_grace_secs);
        tokio::spawn(crate::shutdown::stop_on_signal(Signals::new(), server.handle(), hub, in_flight, grace));
        tracing::info!(port, %dialects, "rookery listening");
        Ok(Self { port, server, deliveries, grace, _lock: lock })
    }

    /// A handle that stops the server (as SIGTERM would, without closing the
    /// streams first); the SQLite serve lock is released when
    /// [`Application::run_until_stopped`] returns.
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The port actually bound (useful with port 0).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then closes the streams and lets in-flight
    /// requests finish, then lets the webhook deliveries in flight land and be recorded
    /// (each step within the grace).
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self { server, deliveries, grace, _lock: lock, .. } = self;
        let outcome = server.await;
        // After the last answer, whose change may have queued deliveries: the ones in
        // flight land and are recorded, so a restart sends none of them twice.
        deliveries.stop(grace).await;
        drop(lock);
        outcome
    }
}
