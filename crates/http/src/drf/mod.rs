//! The `drf` dialect (seed 000): `POST /api/follows/` and
//! `DELETE /api/follows/{followed_user_id}/`, answered as Django REST framework would,
//! with or without the trailing slash.

mod answers;
mod errors;
mod follows;

use actix_web::web;
use rookery_domain::SocialGraph;

pub use self::errors::Drf;

/// Whether an unknown path belongs to this dialect (for its 404 envelope).
pub fn owns(path: &str) -> bool {
    path.starts_with("/api/follows")
}

/// Registers the dialect's routes.
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    for path in ["/api/follows", "/api/follows/"] {
        cfg.service(crate::fallback::resource::<Drf>(path).post(follows::follow::<G>));
    }
    for path in ["/api/follows/{followed_user_id}", "/api/follows/{followed_user_id}/"] {
        cfg.service(crate::fallback::resource::<Drf>(path).delete(follows::unfollow::<G>));
    }
}
