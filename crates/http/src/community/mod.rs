//! The canonical API (`community` dialect, seed 002), under `/api/v1/community`.
//!
//! Where the seed is silent, paths and fields follow the published mobile app written
//! against it (see docs/api.md).

pub mod answers;
pub(crate) mod blocks;
pub(crate) mod bulk;
pub mod errors;
pub(crate) mod follows;
pub(crate) mod input;
pub(crate) mod lists;
pub(crate) mod mutes;
pub(crate) mod notifications;
pub(crate) mod profile_object;
pub(crate) mod profiles;
pub(crate) mod requests;
pub(crate) mod search;
pub mod states;
pub(crate) mod suggestions;

use actix_web::web;
use rookery_domain::SocialGraph;

use self::errors::Community;

fn resource(path: &str) -> crate::fallback::Endpoint<Community> {
    crate::fallback::resource::<Community>(path)
}

/// Registers the dialect's routes; literal segments (`me`, `status`, `batch`) come before the
/// `{id}` routes they would otherwise be taken for.
pub fn routes<G: SocialGraph>(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/follow").post(follows::follow::<G>))
        .service(resource("/follow/batch").post(bulk::follow_batch::<G>))
        .service(resource("/unfollow/batch").post(bulk::unfollow_batch::<G>))
        .service(resource("/suggestions").get(suggestions::list::<G>))
        .service(resource("/suggestions/{user_id}").delete(suggestions::dismiss::<G>))
        .service(resource("/follow/status/{user_id}").get(follows::status::<G>))
        .service(resource("/follow/{user_id}").delete(follows::unfollow::<G>))
        .service(resource("/follow-requests/received").get(requests::received::<G>))
        .service(resource("/follow-requests/sent").get(requests::sent::<G>))
        .service(resource("/follow-requests/accept/{request_id}").post(requests::accept::<G>))
        .service(resource("/follow-requests/decline/{request_id}").post(requests::decline::<G>))
        .service(resource("/follow-requests/cancel/{user_id}").delete(requests::cancel::<G>))
        .service(resource("/follow-requests/status/{user_id}").get(requests::status::<G>))
        .service(
            resource("/profiles/me").get(profiles::me::<G>).patch(profiles::update::<G>).put(profiles::update::<G>),
        )
        .service(
            resource("/profiles").post(profiles::create::<G>).put(profiles::update::<G>).patch(profiles::update::<G>),
        )
        .service(resource("/profiles/{user_id}").get(profiles::show::<G>))
        .service(resource("/users/search").get(search::search::<G>))
        .service(resource("/users/{user_id}/followers").get(lists::followers::<G>))
        .service(resource("/users/{user_id}/following").get(lists::following::<G>))
        .service(resource("/relationships").get(lists::relationships::<G>))
        .service(resource("/followers/{user_id}").delete(blocks::remove_follower::<G>))
        .service(resource("/block").post(blocks::block::<G>))
        .service(resource("/block/status/{user_id}").get(blocks::status::<G>))
        .service(resource("/block/{user_id}").delete(blocks::unblock::<G>))
        .service(resource("/blocks").get(blocks::list::<G>))
        .service(resource("/mute").post(mutes::mute::<G>))
        .service(resource("/mute/{user_id}").delete(mutes::unmute::<G>))
        .service(resource("/mutes").get(mutes::list::<G>))
        .service(resource("/notifications").get(notifications::list::<G>))
        .service(resource("/notifications/stream").get(crate::sse::stream::<G>))
        .service(resource("/notifications/unread-count").get(notifications::unread_count::<G>))
        .service(resource("/notifications/mark-as-seen").post(notifications::mark_as_seen::<G>))
        .service(resource("/devices").post(notifications::register_device::<G>))
        .service(resource("/devices/{token}").delete(notifications::remove_device::<G>));
}
