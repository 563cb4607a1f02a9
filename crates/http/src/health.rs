//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde_json::json;

/// Whether the service can do its work (the database answers).
pub trait Readiness: Send + Sync + 'static {
    /// `Err` with a reason when not ready. May block briefly (well under a second: a
    /// probe that waits is no probe); the reason is shown to anyone, so it names no
    /// host, port or credential.
    ///
    /// # Errors
    /// The reason the service is not ready.
    fn check(&self) -> Result<(), String>;
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
        (status = 200, description = "The database answers.", body = crate::openapi::Ready),
        (status = 503, description = "It does not, or the server is shutting down.", body = crate::openapi::NotReady),
    ),
)]
async fn readyz(readiness: web::Data<dyn Readiness>) -> HttpResponse {
    let readiness = readiness.into_inner();
    let reason = match web::block(move || readiness.check()).await {
        Ok(Ok(())) => return HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(Err(reason)) => reason,
        Err(_) => "shutting down".to_owned(),
    };
    let mut response = HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": reason }));
    crate::dialect::add_retry_after(&mut response, None);
    response
}
