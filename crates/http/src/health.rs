//! Liveness and readiness probes.

use actix_web::{HttpResponse, web};
use serde_json::json;

/// Whether the service can do its work (the database answers).
pub trait Readiness: Send + Sync + 'static {
    /// `Err` with a reason when not ready. May block briefly.
    ///
    /// # Errors
    /// The reason the service is not ready.
    fn check(&self) -> Result<(), String>;
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz)).route("/readyz", web::get().to(readyz));
}

/// The process is up and serving HTTP.
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// The process can reach its database.
async fn readyz(readiness: web::Data<dyn Readiness>) -> HttpResponse {
    let readiness = readiness.into_inner();
    match web::block(move || readiness.check()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready" })),
        Ok(Err(reason)) => {
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": reason }))
        }
        Err(_) => {
            HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "reason": "shutting down" }))
        }
    }
}
