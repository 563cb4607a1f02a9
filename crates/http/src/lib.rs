//! Rookery's HTTP adapter (actix-web): token authentication and the API dialects,
//! each a thin converter over the domain's [`SocialGraph`] service.
//!
//! Nothing here touches the database: handlers parse the request, run one use case
//! on the blocking pool ([`blocking::run`]), and render the result or the domain
//! error in their dialect's envelope.

mod admin;
pub mod auth;
pub mod blocking;
pub mod community;
mod fallback;
mod health;
mod time;

use std::sync::Arc;

use actix_web::web;
use rookery_domain::SocialGraph;

pub use auth::{Caller, JwtVerifier};
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
}

impl<G> Clone for HttpState<G> {
    fn clone(&self) -> Self {
        Self { graph: self.graph.clone(), verifier: self.verifier.clone(), readiness: Arc::clone(&self.readiness) }
    }
}

/// Mounts every route, the JSON error handlers and the JSON fallbacks on an `App`.
pub fn configure<G: SocialGraph>(state: HttpState<G>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(state.graph)
            .app_data(state.verifier)
            .app_data(web::Data::from(state.readiness))
            .app_data(fallback::json_config())
            .app_data(fallback::path_config())
            .app_data(fallback::query_config())
            .configure(health::routes)
            .service(web::scope("/api/v1/community").configure(community::routes::<G>))
            .service(web::scope("/api/v1/admin").configure(admin::routes::<G>))
            .default_service(web::to(fallback::not_found));
    }
}
