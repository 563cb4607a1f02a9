//! The `anchor` dialect (seed 004): `POST /users/{id}/follow`,
//! `GET /users/{id}/follow/status`, `GET /users/{id}/follows`, mounted both at the
//! root and under `/api/v1` (the original server's router group): one set of
//! handlers, two mount points.

mod answers;
mod errors;
mod follows;

use actix_web::web;
use rookery_domain::SocialGraph;

pub use self::errors::Anchor;

const MOUNTS: [&str; 2] = ["", "/api/v1"];

/// Whether an unknown path belongs to this dialect (for its 404 envelope).
pub fn owns(path: &str) -> bool {
    MOUNTS.iter().any(|m| path.strip_prefix(m).is_some_and(|rest| rest.starts_with("/users/")))
}

/// Registers the dialect's routes at both mount points.
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    for mount in MOUNTS {
        let resource = |path: &str| crate::fallback::resource::<Anchor>(&format!("{mount}{path}"));
        cfg.service(resource("/users/{id}/follow").post(follows::act::<G>))
            .service(resource("/users/{id}/follow/status").get(follows::status::<G>))
            .service(resource("/users/{id}/follows").get(follows::list::<G>));
    }
}
