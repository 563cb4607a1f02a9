//! The canonical API (`community` dialect, seed 002), under `/api/v1/community`.
//!
//! Where the seed is silent, paths and fields follow the published mobile app written
//! against it (see docs/api.md).

pub(crate) mod blocks;
pub(crate) mod bulk;
pub mod envelope;
pub(crate) mod follows;
pub(crate) mod ids;
pub(crate) mod lists;
pub(crate) mod notifications;
pub(crate) mod profile_object;
pub(crate) mod profiles;
pub(crate) mod requests;
pub(crate) mod suggestions;

use actix_web::web;
use rookery_domain::SocialGraph;

use self::envelope::Community;

fn resource(path: &str) -> actix_web::Resource {
    crate::fallback::resource::<Community>(path)
}

/// Registers the dialect's routes; literal segments (`me`, `status`, `batch`) come before the
/// `{id}` routes they would otherwise be taken for.
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/follow").route(web::post().to(follows::follow::<G>)))
        .service(resource("/follow/batch").route(web::post().to(bulk::follow_batch::<G>)))
        .service(resource("/unfollow/batch").route(web::post().to(bulk::unfollow_batch::<G>)))
        .service(resource("/suggestions").route(web::get().to(suggestions::list::<G>)))
        .service(resource("/suggestions/{user_id}").route(web::delete().to(suggestions::dismiss::<G>)))
        .service(resource("/follow/status/{user_id}").route(web::get().to(follows::status::<G>)))
        .service(resource("/follow/{user_id}").route(web::delete().to(follows::unfollow::<G>)))
        .service(resource("/follow-requests/received").route(web::get().to(requests::received::<G>)))
        .service(resource("/follow-requests/sent").route(web::get().to(requests::sent::<G>)))
        .service(resource("/follow-requests/accept/{request_id}").route(web::post().to(requests::accept::<G>)))
        .service(resource("/follow-requests/decline/{request_id}").route(web::post().to(requests::decline::<G>)))
        .service(resource("/follow-requests/cancel/{user_id}").route(web::delete().to(requests::cancel::<G>)))
        .service(resource("/follow-requests/status/{user_id}").route(web::get().to(requests::status::<G>)))
        .service(
            resource("/profiles/me")
                .route(web::get().to(profiles::me::<G>))
                .route(web::patch().to(profiles::update::<G>))
                .route(web::put().to(profiles::update::<G>)),
        )
        .service(
            resource("/profiles")
                .route(web::post().to(profiles::create::<G>))
                .route(web::put().to(profiles::update::<G>))
                .route(web::patch().to(profiles::update::<G>)),
        )
        .service(resource("/profiles/{user_id}").route(web::get().to(profiles::show::<G>)))
        .service(resource("/users/{user_id}/followers").route(web::get().to(lists::followers::<G>)))
        .service(resource("/users/{user_id}/following").route(web::get().to(lists::following::<G>)))
        .service(resource("/relationships").route(web::get().to(lists::relationships::<G>)))
        .service(resource("/followers/{user_id}").route(web::delete().to(blocks::remove_follower::<G>)))
        .service(resource("/block").route(web::post().to(blocks::block::<G>)))
        .service(resource("/block/status/{user_id}").route(web::get().to(blocks::status::<G>)))
        .service(resource("/block/{user_id}").route(web::delete().to(blocks::unblock::<G>)))
        .service(resource("/blocks").route(web::get().to(blocks::list::<G>)))
        .service(resource("/notifications").route(web::get().to(notifications::list::<G>)))
        .service(resource("/notifications/stream").route(web::get().to(crate::sse::stream::<G>)))
        .service(resource("/notifications/unread-count").route(web::get().to(notifications::unread_count::<G>)))
        .service(resource("/notifications/mark-as-seen").route(web::post().to(notifications::mark_as_seen::<G>)))
        .service(resource("/devices").route(web::post().to(notifications::register_device::<G>)))
        .service(resource("/devices/{token}").route(web::delete().to(notifications::remove_device::<G>)));
}
