//! `POST /follow/batch` and `POST /unfollow/batch`: up to 100 accounts in one call.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{BulkFollowOutcome, BulkItem, BulkResult, BulkUnfollowOutcome, RequestStatus, SocialGraph};
use serde::{Deserialize, Serialize};

use super::answers;
use super::errors::ApiError;
use super::input::user_id;
use crate::community::errors::Community;
use crate::dialect::Authed;

/// The accounts of a bulk call.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BulkBody {
    /// 1 to 100 distinct account ids; a repeated id is 400.
    // A set in the document (`uniqueItems`), a list here: the results keep its order.
    #[schema(value_type = std::collections::BTreeSet<uuid::Uuid>, min_items = 1, max_items = 100)]
    user_ids: Vec<String>,
}

/// One account of a bulk answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkResultItem {
    /// The account's id in canonical form (lower-case, hyphenated), whichever UUID
    /// form `user_ids` gave it in.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// What happened: `followed`, `requested`, `already_following`,
    /// `already_requested`, `not_found`, `blocked`, `self`, `rate_limited` (follow);
    /// `unfollowed`, `request_withdrawn`, `not_following`, `not_found` (unfollow).
    #[schema(value_type = BulkOutcomeName)]
    pub outcome: &'static str,
    /// Whether the caller now follows it.
    pub is_following: bool,
    /// `pending` while a request of the caller's to it waits, else null.
    #[schema(value_type = Option<crate::community::states::RequestState>, required = true)]
    pub follow_request_status: Option<&'static str>,
}

/// Every outcome a bulk item can have.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code, reason = "describes the outcome strings; never constructed")]
pub enum BulkOutcomeName {
    Followed,
    Requested,
    AlreadyFollowing,
    AlreadyRequested,
    NotFound,
    Blocked,
    #[schema(rename = "self")]
    SelfFollow,
    RateLimited,
    Unfollowed,
    RequestWithdrawn,
    NotFollowing,
}

/// `data` of a bulk answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkAnswer {
    /// One per id, in the order given.
    pub results: Vec<BulkResultItem>,
}

const fn follow_name(outcome: BulkFollowOutcome) -> &'static str {
    match outcome {
        BulkFollowOutcome::Followed => "followed",
        BulkFollowOutcome::Requested => "requested",
        BulkFollowOutcome::AlreadyFollowing => "already_following",
        BulkFollowOutcome::AlreadyRequested => "already_requested",
        BulkFollowOutcome::NotFound => "not_found",
        BulkFollowOutcome::Blocked => "blocked",
        BulkFollowOutcome::SelfFollow => "self",
        BulkFollowOutcome::RateLimited => "rate_limited",
    }
}

const fn unfollow_name(outcome: BulkUnfollowOutcome) -> &'static str {
    match outcome {
        BulkUnfollowOutcome::Unfollowed => "unfollowed",
        BulkUnfollowOutcome::RequestWithdrawn => "request_withdrawn",
        BulkUnfollowOutcome::NotFollowing => "not_following",
        BulkUnfollowOutcome::NotFound => "not_found",
    }
}

fn answer<O: Copy>(message: &str, result: &BulkResult<O>, name: fn(O) -> &'static str) -> HttpResponse {
    let results = result
        .items
        .iter()
        .map(|item: &BulkItem<O>| BulkResultItem {
            user_id: item.target.to_string(),
            outcome: name(item.outcome),
            is_following: item.is_following,
            follow_request_status: item.request_status.map(RequestStatus::as_str),
        })
        .collect();
    let mut response = answers::ok(StatusCode::OK, message, BulkAnswer { results });
    crate::dialect::add_refusal_headers(&mut response, result.retry_after_secs);
    response
}

fn ids(body: &BulkBody) -> Result<Vec<rookery_domain::AccountId>, ApiError> {
    body.user_ids.iter().map(|raw| user_id(raw)).collect()
}

#[utoipa::path(
    post,
    path = "/api/v1/community/follow/batch",
    tag = "follows",
    operation_id = "follow_batch",
    summary = "Follow up to 100 accounts at once",
    description = "Each account is followed (or asked, when private) exactly as `POST /follow` would: the same counts, notifications and budget, all committed together. Refusals are outcomes, not errors. Items past the caller's budget are `rate_limited`, and the answer then carries `Retry-After`.",
    request_body = BulkBody,
    responses(
        (status = 200, description = "One result per id, in the order given.", body = crate::community::answers::Envelope<crate::community::bulk::BulkAnswer>, headers(("Retry-After" = u64, description = "When an item is `rate_limited`: seconds until the budget renews."))),
        (status = 400, description = "`user_ids must name 1 to 100 accounts`, `user_ids must not repeat an id`, `Invalid user ID: must be a UUID`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn follow_batch<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<BulkBody>,
) -> Result<HttpResponse, ApiError> {
    let targets = ids(&body)?;
    let result = graph.follow_many(&caller.identity, &targets).await?;
    Ok(answer("Batch follow processed", &result, follow_name))
}

#[utoipa::path(
    post,
    path = "/api/v1/community/unfollow/batch",
    tag = "follows",
    operation_id = "unfollow_batch",
    summary = "Unfollow up to 100 accounts at once",
    description = "Each account is unfollowed (or the pending request to it withdrawn) exactly as `DELETE /follow/{user_id}` would, all committed together.",
    request_body = BulkBody,
    responses(
        (status = 200, description = "One result per id, in the order given.", body = crate::community::answers::Envelope<crate::community::bulk::BulkAnswer>),
        (status = 400, description = "`user_ids must name 1 to 100 accounts`, `user_ids must not repeat an id`, `Invalid user ID: must be a UUID`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn unfollow_batch<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<BulkBody>,
) -> Result<HttpResponse, ApiError> {
    let targets = ids(&body)?;
    let result = graph.unfollow_many(&caller.identity, &targets).await?;
    Ok(answer("Batch unfollow processed", &result, unfollow_name))
}
