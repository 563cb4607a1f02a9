//! The two endpoints.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{AccountId, FollowOutcome, GraphError, SocialGraph, UnfollowScope};
use serde_json::Value;

use super::answers::answer;
use super::errors::{Drf, DrfError};
use crate::dialect::Authed;

/// The serializer's validation of `followed_id`.
fn followed_id(body: &Value) -> Result<AccountId, DrfError> {
    match body.get("followed_id") {
        None | Some(Value::Null) => Err(DrfError::field("followed_id", "This field is required.")),
        Some(Value::String(text)) => text.parse().map_err(|_| DrfError::field("followed_id", "Must be a valid UUID.")),
        Some(_) => Err(DrfError::field("followed_id", "Must be a valid UUID.")),
    }
}

/// 201 when the follow is new, 200 when it existed, 202 when a private account was
/// sent a request (or already had one pending from the caller).
pub async fn follow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Drf>,
    body: web::Json<Value>,
) -> Result<HttpResponse, DrfError> {
    let target = followed_id(&body)?;
    let outcome = match graph.follow(&caller.0.identity, target).await {
        Err(GraphError::RequestAlreadyPending) => None,
        other => Some(other?),
    };
    Ok(match outcome {
        Some(FollowOutcome::Followed) => answer(StatusCode::CREATED, "Followed user."),
        Some(FollowOutcome::AlreadyFollowing) => answer(StatusCode::OK, "Already following user."),
        Some(FollowOutcome::Requested(_)) => answer(StatusCode::ACCEPTED, "Follow request sent."),
        None => answer(StatusCode::ACCEPTED, "Follow request already sent."),
    })
}

/// 204 whether or not a follow existed, or even the user: the end state is the one
/// asked for. A path that is not a UUID is 404, as Django's `uuid` converter gives.
pub async fn unfollow<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Drf>,
    path: web::Path<String>,
) -> Result<HttpResponse, DrfError> {
    let target: AccountId = path.parse().map_err(|_| DrfError::detail(StatusCode::NOT_FOUND, "Not found."))?;
    match graph.unfollow(&caller.0.identity, target, UnfollowScope::FollowOrRequest).await {
        Ok(_) | Err(GraphError::UserNotFound) => {}
        Err(other) => return Err(other.into()),
    }
    Ok(HttpResponse::NoContent().finish())
}
