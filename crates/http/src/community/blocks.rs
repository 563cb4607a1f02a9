//! `POST /block`, `DELETE /block/{user_id}`, `GET /block/status/{user_id}`, `GET /blocks`,
//! and `DELETE /followers/{user_id}` (remove a follower).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::BlockOutcome;
use rookery_domain::{PageRequest, SocialGraph};
use serde::Deserialize;

use super::answers::{self, BlockAnswer, BlockStatus, BlockedPage, BlockedProfile, RemovedFollower};
use super::errors::ApiError;
use super::errors::Community;
use super::input::user_id;
use super::requests::PageQuery;
use crate::blocking::run;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BlockBody {
    /// The account to block.
    #[schema(format = Uuid)]
    user_id: String,
    /// Why, kept with the block.
    #[schema(max_length = 500)]
    reason: Option<String>,
}

fn block_answer(message: &'static str, is_blocked: bool) -> HttpResponse {
    answers::ok(StatusCode::OK, message, BlockAnswer { is_blocked, message })
}

#[utoipa::path(
    post,
    path = "/api/v1/community/block",
    tag = "blocks",
    operation_id = "block",
    summary = "Block an account",
    description = "Follow edges both ways and every request between the two go, and neither can follow the other until the block is lifted. Blocking again answers 200 `User already blocked`.",
    request_body = BlockBody,
    responses(
        (status = 200, description = "`User blocked` or `User already blocked`.", body = crate::community::answers::Envelope<crate::community::answers::BlockAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`, `Cannot block yourself`, `reason must be at most 500 characters`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`User not found`: no live account with that id.", body = crate::community::errors::ErrorEnvelope),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn block<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<BlockBody>,
) -> Result<HttpResponse, ApiError> {
    let BlockBody { user_id: raw, reason } = body.into_inner();
    let target = user_id(&raw)?;
    let outcome = run(&graph, &caller, move |g, me| g.block(me, target, reason)).await?;
    Ok(match outcome {
        BlockOutcome::Blocked => block_answer("User blocked", true),
        BlockOutcome::AlreadyBlocked => block_answer("User already blocked", true),
    })
}

#[utoipa::path(
    delete,
    path = "/api/v1/community/block/{user_id}",
    tag = "blocks",
    operation_id = "unblock",
    summary = "Lift the caller's block of an account",
    description = "Answers 200 whether or not there was a block. Takes no body.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`User unblocked` or `User was not blocked`; `is_blocked: false`.", body = crate::community::answers::Envelope<crate::community::answers::BlockAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn unblock<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let lifted = run(&graph, &caller, move |g, me| g.unblock(me, target)).await?;
    Ok(block_answer(if lifted { "User unblocked" } else { "User was not blocked" }, false))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/block/status/{user_id}",
    tag = "blocks",
    operation_id = "block_status",
    summary = "Blocks between the caller and an account",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "Who blocks whom.", body = crate::community::answers::Envelope<crate::community::answers::BlockStatus>),
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
    let data = BlockStatus { is_blocked: relation.is_blocking, is_blocked_by: relation.is_blocked_by };
    Ok(answers::ok(StatusCode::OK, "Block status retrieved successfully", data))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/blocks",
    tag = "blocks",
    operation_id = "blocked_accounts",
    summary = "The accounts the caller blocks, newest first",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of profile objects with `blocked_at`.", body = crate::community::answers::Envelope<crate::community::answers::BlockedPage>),
        (status = 400, description = "`page must be 1 or more`, `page_size must be between 1 and 100`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest = query.parse()?;
    let blocked = run(&graph, &caller, move |g, me| g.blocked_accounts(me, page)).await?;
    let data = BlockedPage {
        users: blocked.items.iter().map(BlockedProfile::from).collect(),
        total: blocked.total,
        page: page.page(),
        page_size: page.page_size(),
        has_more: blocked.has_more(),
    };
    Ok(answers::ok(StatusCode::OK, "Blocked users retrieved successfully", data))
}

/// Removing someone who does not follow answers 200 too: the end state is the one asked for.
#[utoipa::path(
    delete,
    path = "/api/v1/community/followers/{user_id}",
    tag = "blocks",
    operation_id = "remove_follower",
    summary = "Remove a follower, as if it had unfollowed",
    description = "Answers 200 whether or not the account followed the caller. Takes no body.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`Follower removed`, or `This user does not follow you` (`removed: false`).", body = crate::community::answers::Envelope<crate::community::answers::RemovedFollower>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn remove_follower<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let follower = user_id(&path)?;
    let removed = run(&graph, &caller, move |g, me| g.remove_follower(me, follower)).await?;
    let message = if removed { "Follower removed" } else { "This user does not follow you" };
    Ok(answers::ok(StatusCode::OK, message, RemovedFollower { removed, message }))
}
