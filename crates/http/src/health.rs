//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

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

/// `/readyz`'s answer when ready.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReadyAnswer {
    /// Always `ready`.
    pub status: &'static str,
    /// The read replicas, when configured.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<ReplicaReport>,
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::community::envelope::Community;
    use crate::fallback::resource;
    cfg.service(resource::<Community>("/healthz").route(web::get().to(healthz)))
        .service(resource::<Community>("/readyz").route(web::get().to(readyz)));
}

/// The process is up and serving HTTP.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    operation_id = "healthz",
    summary = "Liveness: the process is up and serving HTTP",
    responses(
        (status = 200, description = "Always, while the process serves.", body = crate::openapi::Alive),
    ),
)]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The process can reach its database.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    operation_id = "readyz",
    summary = "Readiness: the process can reach its database",
    responses(
        (status = 200, description = "The database answers.", body = ReadyAnswer),
        (status = 503, description = "It does not, or the server is shutting down.", body = crate::openapi::NotReady),
    ),
)]
async fn readyz(readiness: web::Data<dyn Readiness>) -> HttpResponse {
    let readiness = readiness.into_inner();
    let reason = match web::block(move || readiness.check().map(|()| readiness.replicas())).await {
        Ok(Ok(replicas)) => return HttpResponse::Ok().json(ReadyAnswer { status: "ready", replicas }),
        Ok(Err(reason)) => reason,
        Err(_) => "shutting down".to_owned(),
    };
    let mut response = HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": reason }));
    crate::dialect::add_retry_after(&mut response, None);
    response
}
