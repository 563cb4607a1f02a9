//! `POST /follow`, `DELETE /follow/{user_id}`, `GET /follow/status/{user_id}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{FollowOutcome, RequestStatus, SocialGraph, UnfollowOutcome};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{self, ApiError};
use super::ids::user_id;
use crate::auth::Caller;
use crate::blocking::run;

#[derive(Debug, Deserialize)]
pub struct FollowBody {
    user_id: String,
}

/// Seed 002's `FollowResponseWithStatus`.
fn follow_answer(message: &str, is_following: bool, request: Option<RequestStatus>) -> HttpResponse {
    let data = json!({
        "is_following": is_following,
        "follow_request_status": request.map(RequestStatus::as_str),
        "message": message,
    });
    envelope::ok(StatusCode::OK, message, data)
}

pub async fn follow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    body: web::Json<FollowBody>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&body.user_id)?;
    let outcome = run(&graph, &caller, move |g, me| g.follow(me, target)).await?;
    Ok(match outcome {
        FollowOutcome::Followed => follow_answer("Successfully followed user", true, None),
        FollowOutcome::Requested(_) => follow_answer("Follow request sent", false, Some(RequestStatus::Pending)),
        FollowOutcome::AlreadyFollowing => follow_answer("Already following this user", true, None),
    })
}

/// Unfollowing someone one does not follow answers 200: the app reverts its button on
/// anything else, and the end state is what the caller asked for.
pub async fn unfollow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let outcome = run(&graph, &caller, move |g, me| g.unfollow(me, target)).await?;
    let message = match outcome {
        UnfollowOutcome::Unfollowed => "Successfully unfollowed user",
        UnfollowOutcome::RequestWithdrawn => "Follow request cancelled",
        UnfollowOutcome::NotFollowing => "Not following this user",
    };
    Ok(follow_answer(message, false, None))
}

pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let relation = run(&graph, &caller, move |g, me| g.relation(me, target)).await?;
    let data = json!({
        "is_following": relation.is_following,
        "is_followed_by": relation.follows_viewer,
        "is_mutual": relation.is_mutual(),
        "follow_request_status": relation.request_status.map(RequestStatus::as_str),
    });
    Ok(envelope::ok(StatusCode::OK, "Follow status retrieved successfully", data))
}
