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
use rookery_domain::{FollowQuota, GraphService};
use rookery_http::cors::CorsPolicy;
use rookery_http::observe::{Gauges, Metrics};
use rookery_http::sse::{Hub, HubEvent, HubNotifier, deliver};
use rookery_http::{Dialects, HttpState, JwtVerifier, Readiness};
use rookery_store::events::{StoreEvent, spawn_listener};
use rookery_store::{Backend, Database, DatabaseOptions};

use crate::keys::verifier_config;
use crate::push::fcm::{FcmClient, FcmConfig};
use crate::settings::{DatabaseSettings, Settings};

/// The service as the server wires it: notifications go to the live streams.
pub type Graph = GraphService<Database, Database, Database, SystemClock, UuidV7, HubNotifier>;

/// How long in-flight requests get to finish after SIGTERM/SIGINT.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Opens the database named by the settings and runs its pending migrations.
///
/// # Errors
/// Bad URL, unreachable database, failed migration.
pub fn open_database(settings: &DatabaseSettings) -> anyhow::Result<Database> {
    open_database_with(settings, false)
}

/// As [`open_database`]; `push_outbox` makes notifications fill the push outbox.
///
/// # Errors
/// As [`open_database`].
pub fn open_database_with(settings: &DatabaseSettings, push_outbox: bool) -> anyhow::Result<Database> {
    let options = DatabaseOptions {
        max_connections: settings.max_connections,
        push_outbox,
        writers: settings.writers,
        ..DatabaseOptions::default()
    };
    let mut db = Database::open(&settings.url, options).context("opening the database")?;
    let ran = db.migrate().context("migrating the database")?;
    if ran > 0 {
        tracing::info!(migrations = ran, "database migrated");
    }
    if let Some(replica) = &settings.read_url {
        db = db.with_read_replica(replica, options).context("opening the read replica")?;
        tracing::info!("list reads go to the read replica");
    }
    Ok(db)
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
            spawn_listener(url.to_owned(), move |event| listening.push(hub_event(event)))
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

/// `/readyz`: the database answers.
struct DatabaseReadiness(Database);

impl Readiness for DatabaseReadiness {
    fn check(&self) -> Result<(), String> {
        self.0.ping().map_err(|e| e.to_string())
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
        ];
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

/// A bound, not yet running, HTTP server.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens and migrates the database, resolves the token key, and binds.
    ///
    /// # Errors
    /// Anything that keeps the service from starting, with context.
    pub fn build(settings: &Settings) -> anyhow::Result<Self> {
        let fcm = match &settings.push.service_account {
            Some(path) => {
                let config = FcmConfig::load(path, settings.push.token_url.clone(), settings.push.send_url.clone())?;
                Some(Arc::new(FcmClient::new(config)?))
            }
            None => None,
        };
        let db = open_database_with(&settings.database, fcm.is_some())?;
        if let Some(fcm) = fcm {
            tokio::spawn(crate::push::dispatcher::run(db.clone(), fcm));
            tracing::info!("push delivery through FCM is on");
        }
        let verifier = JwtVerifier::new(verifier_config(&settings.jwt, &settings.database.url)?)
            .context("loading the JWT keys")?;
        let dialects = Dialects::parse(&settings.dialects).context("reading ROOKERY_DIALECTS")?;
        let (hub, events) = Hub::new(settings.streams.hub_config());
        let notifier = live_events(&db, &settings.database.url, &hub)?;
        let mut service = GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, notifier);
        if settings.follows_per_hour > 0 {
            service = service.with_follow_quota(FollowQuota::per_hour(settings.follows_per_hour));
        }
        let graph = web::Data::new(service);
        tokio::spawn(deliver(Arc::clone(&hub), graph.clone(), events));
        let verifier = web::Data::new(verifier);
        let state = HttpState {
            graph,
            verifier: verifier.clone(),
            readiness: Arc::new(DatabaseReadiness(db.clone())),
            dialects,
            hub: Arc::clone(&hub),
            cors: CorsPolicy::parse(settings.cors_origins.as_deref().unwrap_or_default()),
            metrics: web::Data::new(Metrics::new(vec![Arc::new(RuntimeGauges {
                db: db.clone(),
                hub: Arc::clone(&hub),
                verifier,
            })])),
        };
        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(rookery_http::cors::cors))
                .wrap(from_fn(rookery_http::observe::observe))
                .configure(rookery_http::configure(state.clone()))
        })
        .shutdown_timeout(SHUTDOWN_GRACE.as_secs())
        .disable_signals();
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let server = server.listen(listener)?.run();
        tokio::spawn(stop_on_signal(server.handle(), hub));
        tracing::info!(port, %dialects, "rookery listening");
        Ok(Self { port, server })
    }

    /// The port actually bound (useful with port 0).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM, then closes the streams and lets in-flight
    /// requests finish.
    ///
    /// # Errors
    /// The server failed.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// On SIGTERM or SIGINT: end every stream (they would otherwise hold the server open
/// until the grace period runs out), then stop gracefully.
async fn stop_on_signal(server: ServerHandle, hub: Arc<Hub>) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!(open_streams = hub.open_streams(), "shutting down");
    hub.close_all();
    server.stop(true).await;
}
