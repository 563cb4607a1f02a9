//! Rookery's HTTP adapter (actix-web): token authentication and the API dialects,
//! each a thin converter over the domain's [`SocialGraph`] service.
//!
//! Nothing here touches the database: handlers parse the request, run one use case
//! on the blocking pool ([`blocking::run`]), and render the result or the domain
//! error in their dialect's envelope.

mod admin;
mod anchor;
pub mod auth;
pub mod blocking;
pub mod community;
pub mod cors;
pub mod dialect;
mod dialects;
pub mod drain;
mod drf;
pub mod events;
mod fallback;
pub mod health;
pub mod idempotency;
pub mod in_flight;
pub mod observe;
pub mod openapi;
mod rgram;
pub mod sse;
mod time;

use std::sync::Arc;

use actix_web::web;
use rookery_domain::SocialGraph;

pub use auth::{Caller, JwtVerifier};
pub use dialects::{Dialects, UnknownDialect};
pub use health::Readiness;

/// Largest JSON body accepted; bigger ones answer 413.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What the handlers need, shared by every worker.
pub struct HttpState<G> {
    /// The use cases.
    pub graph: web::Data<G>,
    /// Verifies bearer tokens.
    pub verifier: web::Data<JwtVerifier>,
    /// Answers `/readyz`.
    pub readiness: Arc<dyn Readiness>,
    /// Which dialects to mount.
    pub dialects: Dialects,
    /// The open notification streams.
    pub hub: Arc<sse::Hub>,
    /// Which browser origins may call.
    pub cors: cors::CorsPolicy,
    /// Request counts and latencies, for `/metrics`.
    pub metrics: web::Data<observe::Metrics>,
    /// The event feed and webhooks.
    pub events: events::Events,
}

impl<G> Clone for HttpState<G> {
    fn clone(&self) -> Self {
        Self {
            graph: self.graph.clone(),
            verifier: self.verifier.clone(),
            readiness: Arc::clone(&self.readiness),
            dialects: self.dialects,
            hub: Arc::clone(&self.hub),
            cors: self.cors.clone(),
            metrics: self.metrics.clone(),
            events: self.events.clone(),
        }
    }
}

/// Mounts the health probes, the admin API and the chosen dialects on an `App`.
pub fn configure<G: SocialGraph>(state: HttpState<G>) -> impl FnOnce(&mut web::ServiceConfig) {
    let dialects = state.dialects;
    move |cfg| {
        cfg.app_data(state.graph)
            .app_data(state.verifier)
            .app_data(web::Data::from(state.readiness))
            .app_data(web::Data::from(state.hub))
            .app_data(web::Data::new(state.cors))
            .app_data(state.metrics)
            .app_data(state.events)
            .service(fallback::resource::<community::errors::Community>("/metrics").get(observe::metrics_endpoint))
            .configure(health::routes)
            .configure(openapi::routes(dialects))
            .service(web::scope("/api/v1/admin").configure(events::routes::<G>).configure(admin::routes::<G>));
        if dialects.community {
            cfg.service(
                web::scope("/api/v1/community")
                    .wrap(actix_web::middleware::from_fn(idempotency::keep_answers))
                    .configure(community::routes::<G>),
            );
        }
        if dialects.drf {
            drf::routes::<G>(cfg);
        }
        if dialects.rgram {
            rgram::routes::<G>(cfg);
        }
        if dialects.anchor {
            anchor::routes::<G>(cfg);
        }
        cfg.default_service(web::to(not_found));
    }
}

/// An unknown route answers in the envelope of the dialect its path belongs to.
async fn not_found(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let path = req.path();
    if drf::owns(path) {
        fallback::not_found::<drf::Drf>(req).await
    } else if rgram::owns(path) {
        fallback::not_found::<rgram::Rgram>(req).await
    } else if anchor::owns(path) {
        fallback::not_found::<anchor::Anchor>(req).await
    } else {
        fallback::not_found::<community::errors::Community>(req).await
    }
}
