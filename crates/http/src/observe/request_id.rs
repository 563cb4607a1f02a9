//! The middleware that names each request and measures it.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, web};
use tracing::Instrument;

use super::metrics::Metrics;

/// The header carrying the request id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// A caller-supplied id is kept when it is short and plain (so a proxy's id follows the
/// request through), otherwise a fresh UUID v7 is used.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        })
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned)
}

/// Runs the request inside a `request` span carrying its id (so every log line of it
/// has the id, on the blocking pool too), logs one access line, counts it, and
/// returns the id in `X-Request-Id`.
///
/// # Errors
/// Whatever the wrapped service fails with.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let mut response = next.call(req).instrument(span.clone()).await?;
    let elapsed = started.elapsed();
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let method = response.request().method().clone();
    let status = response.status();
    span.in_scope(|| {
        tracing::info!(%route, status = status.as_u16(), elapsed_ms = elapsed.as_secs_f64() * 1000.0, "request");
    });
    if let Some(metrics) = metrics {
        metrics.record(method.as_str(), &route, status.as_u16(), elapsed);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(response)
}
