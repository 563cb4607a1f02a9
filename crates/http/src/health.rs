//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::Object;

use crate::community::answers::constant;

/// Whether the service can do its work (the database answers).
pub trait Readiness: Send + Sync + 'static {
    /// `Err` with a reason when not ready. May block briefly (well under a second: a
    /// probe that waits is no probe); the reason is shown to anyone, so it names no
    /// host, port or credential.
    ///
    /// # Errors
    /// The reason the service is not ready.
    fn check(&self) -> Result<(), String>;

    /// How the read replicas stand, when there are any (they never make the service
    /// unready: reads go to the primary without them).
    fn replicas(&self) -> Vec<ReplicaReport> {
        Vec::new()
    }
}

/// A read replica as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReplicaReport {
    /// Its place in `ROOKERY_READ_DATABASE_URL`, from 1 (never its host: anyone may
    /// read this).
    pub replica: usize,
    /// It answered the last probe (every 100 ms).
    pub up: bool,
    /// It serves list reads now: up, and lagging within `ROOKERY_REPLICA_MAX_LAG`.
    pub in_use: bool,
    /// Its replay lag in seconds: how long ago the primary had WAL it has not
    /// replayed (0 when caught up).
    pub lag_seconds: f64,
    /// List reads it served since the process started.
    pub reads: u64,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::community::errors::Community;
    use crate::fallback::resource;
    cfg.service(resource::<Community>("/healthz").get(healthz)).service(resource::<Community>("/readyz").get(readyz));
}

/// `GET /healthz`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Alive {
    /// Always `ok`.
    #[schema(schema_with = ok_tag)]
    status: &'static str,
}

fn ok_tag() -> Object {
    constant("ok")
}

/// `GET /readyz` when the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    #[schema(schema_with = ready_tag)]
    status: &'static str,
    /// The read replicas, when configured (absent otherwise).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    replicas: Vec<ReplicaReport>,
}

fn ready_tag() -> Object {
    constant("ready")
}

/// `GET /readyz` when it does not.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotReady {
    /// Always `unavailable`.
    #[schema(schema_with = unavailable_tag)]
    status: &'static str,
    /// Why, for operators.
    reason: String,
}

fn unavailable_tag() -> Object {
    constant("unavailable")
}

/// The process is up and serving HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "healthz",
    summary = "Liveness: the process is up and serving HTTP",
    responses(
        (status = 200, description = "Always, while the process serves.", body = Alive),
    ),
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Alive { status: "ok" })
}

/// The process can reach its database.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "readyz",
    summary = "Readiness: the process can reach its database",
    responses(
        (status = 200, description = "The database answers.", body = Ready),
        (status = 503, description = "It does not, or the server is shutting down.", body = NotReady),
    ),
)]
async fn readyz(readiness: web::Data<dyn Readiness>) -> HttpResponse {
    let readiness = readiness.into_inner();
    let reason = match web::block(move || readiness.check().map(|()| readiness.replicas())).await {
        Ok(Ok(replicas)) => return HttpResponse::Ok().json(Ready { status: "ready", replicas }),
        Ok(Err(reason)) => reason,
        Err(_) => "shutting down".to_owned(),
    };
    let mut response = HttpResponse::ServiceUnavailable().json(NotReady { status: "unavailable", reason });
    crate::dialect::add_refusal_headers(&mut response, None);
    response
}
