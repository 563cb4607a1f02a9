//! `POST /follow`, `DELETE /follow/{user_id}`, `GET /follow/status/{user_id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{FollowOutcome, RequestStatus, SocialGraph, UnfollowOutcome, UnfollowScope};
use serde::Deserialize;

use super::answers::{self, FollowAnswer, FollowStatus};
use super::errors::ApiError;
use super::errors::Community;
use super::input::user_id;
use super::states::RequestState;
use crate::blocking::run;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct FollowBody {
    /// The account to follow.
    #[schema(format = Uuid)]
    user_id: String,
}

fn follow_answer(message: &'static str, is_following: bool, request: Option<RequestStatus>) -> HttpResponse {
    let data = FollowAnswer { is_following, follow_request_status: request.map(RequestState::from), message };
    answers::ok(StatusCode::OK, message, data)
}

#[utoipa::path(
    post,
    path = "/api/v1/community/follow",
    tag = "follows",
    operation_id = "follow",
    summary = "Follow an account, or ask to follow a private one",
    description = "A public account is followed at once (`Successfully followed user`); a private one gets a follow request instead (`Follow request sent`, `follow_request_status: pending`). Following again answers 200 `Already following this user`. New follows and requests count against the caller's budget (`ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR`, default 100 an hour).",
    request_body = FollowBody,
    responses(
        (status = 200, description = "Followed, requested, or already following.", body = crate::community::answers::Envelope<crate::community::answers::FollowAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `Cannot follow yourself`, `Follow request already pending`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, description = "`You cannot follow this user`: one of the two blocks the other. `This account has been deleted`: the caller's account was deleted.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 429, description = "The caller used up its budget of new follows and requests; `Retry-After` says when to try again.", body = crate::community::errors::ErrorEnvelope, headers(("Retry-After" = u64, description = "Seconds until the budget renews."))),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn follow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<FollowBody>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&body.user_id)?;
    let outcome = graph.follow(&caller.identity, target).await?;
    Ok(match outcome {
        FollowOutcome::Followed => follow_answer("Successfully followed user", true, None),
        FollowOutcome::Requested(_) => follow_answer("Follow request sent", false, Some(RequestStatus::Pending)),
        FollowOutcome::AlreadyFollowing => follow_answer("Already following this user", true, None),
    })
}

/// Unfollowing someone one does not follow answers 200: the app reverts its button on
/// anything else, and the end state is what the caller asked for.
#[utoipa::path(
    delete,
    path = "/api/v1/community/follow/{user_id}",
    tag = "follows",
    operation_id = "unfollow",
    summary = "Unfollow an account, or withdraw a pending request to it",
    description = "Answers 200 whether or not the caller followed: `Successfully unfollowed user`, `Follow request cancelled` (a pending request was withdrawn), or `Not following this user`. Takes no body.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "The caller does not follow the account (any more).", body = crate::community::answers::Envelope<crate::community::answers::FollowAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn unfollow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let outcome = graph.unfollow(&caller.identity, target, UnfollowScope::FollowOrRequest).await?;
    let message = match outcome {
        UnfollowOutcome::Unfollowed => "Successfully unfollowed user",
        UnfollowOutcome::RequestWithdrawn => "Follow request cancelled",
        UnfollowOutcome::NotFollowing => "Not following this user",
    };
    Ok(follow_answer(message, false, None))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/follow/status/{user_id}",
    tag = "follows",
    operation_id = "follow_status",
    summary = "How the caller stands towards an account",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "The relation.", body = crate::community::answers::Envelope<crate::community::answers::FollowStatus>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let relation = run(&graph, &caller, move |g, me| g.relation(me, target)).await?;
    Ok(answers::ok(StatusCode::OK, "Follow status retrieved successfully", FollowStatus::from(&relation)))
}
