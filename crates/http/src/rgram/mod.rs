//! The `rgram` dialect (seed 003): follow requests under `/api/follow-request/*`,
//! `POST|DELETE /api/follow/{user_id}`, `GET /api/followers/{user_id}` and
//! `GET /api/following/{user_id}`.
//!
//! Every route is a [`crate::fallback::resource`], so wrong methods, bodies and query
//! strings are refused in this dialect's envelope too.

mod answers;
mod errors;
mod follows;
mod input;
mod requests;

use actix_web::web;
use rookery_domain::SocialGraph;

pub use self::errors::Rgram;

/// Whether an unknown path belongs to this dialect (for its 404 envelope).
pub fn owns(path: &str) -> bool {
    path == "/api/follow"
        || ["/api/follow-request", "/api/follow/", "/api/followers", "/api/following"]
            .iter()
            .any(|p| path.starts_with(p))
}

fn resource(path: &str) -> crate::fallback::Endpoint<Rgram> {
    crate::fallback::resource::<Rgram>(path)
}

/// Registers the dialect's routes.
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/api/follow-request/send").post(requests::send::<G>))
        .service(resource("/api/follow-request/accept").post(requests::accept::<G>))
        .service(resource("/api/follow-request/reject").post(requests::reject::<G>))
        .service(resource("/api/follow-request/pending").get(requests::pending::<G>))
        .service(resource("/api/follow-request/sent").get(requests::sent::<G>))
        .service(resource("/api/follow-request/cancel").delete(requests::cancel::<G>))
        .service(resource("/api/follow/{user_id}").post(follows::follow::<G>).delete(follows::unfollow::<G>))
        .service(resource("/api/followers/{user_id}").get(follows::followers::<G>))
        .service(resource("/api/following/{user_id}").get(follows::following::<G>));
}

#[cfg(test)]
mod tests {
    use super::owns;

    #[test]
    fn owns_its_prefixes_only() {
        for path in
            ["/api/follow", "/api/follow/x/y", "/api/follow-request/nope", "/api/followers", "/api/following/a/b"]
        {
            assert!(owns(path), "{path}");
        }
        for path in ["/api/v1/community/follow", "/users/x/follow", "/api/nothing"] {
            assert!(!owns(path), "{path}");
        }
    }
}
