//! `POST /block`, `DELETE /block/{user_id}`, `GET /block/status/{user_id}`, `GET /blocks`,
//! and `DELETE /followers/{user_id}` (remove a follower).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::BlockOutcome;
use rookery_domain::{PageRequest, SocialGraph};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{self, ApiError};
use super::ids::user_id;
use super::profile_object::listed_object;
use super::requests::PageQuery;
use crate::auth::Caller;
use crate::blocking::run;

#[derive(Debug, Deserialize)]
pub struct BlockBody {
    user_id: String,
    reason: Option<String>,
}

fn block_answer(message: &str, is_blocked: bool) -> HttpResponse {
    envelope::ok(StatusCode::OK, message, json!({ "is_blocked": is_blocked, "message": message }))
}

pub async fn block<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
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

pub async fn unblock<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let lifted = run(&graph, &caller, move |g, me| g.unblock(me, target)).await?;
    Ok(block_answer(if lifted { "User unblocked" } else { "User was not blocked" }, false))
}

pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let relation = run(&graph, &caller, move |g, me| g.relation(me, target)).await?;
    let data = json!({ "is_blocked": relation.is_blocking, "is_blocked_by": relation.is_blocked_by });
    Ok(envelope::ok(StatusCode::OK, "Block status retrieved successfully", data))
}

pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page: PageRequest = query.parse()?;
    let blocked = run(&graph, &caller, move |g, me| g.blocked_accounts(me, page)).await?;
    let users: Vec<_> = blocked.items.iter().map(|l| listed_object(l, "blocked_at")).collect();
    let data = json!({
        "users": users,
        "total": blocked.total,
        "page": page.page(),
        "page_size": page.page_size(),
        "has_more": blocked.has_more(),
    });
    Ok(envelope::ok(StatusCode::OK, "Blocked users retrieved successfully", data))
}

/// Removing someone who does not follow answers 200 too: the end state is the one asked for.
pub async fn remove_follower<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let follower = user_id(&path)?;
    let removed = run(&graph, &caller, move |g, me| g.remove_follower(me, follower)).await?;
    let message = if removed { "Follower removed" } else { "This user does not follow you" };
    Ok(envelope::ok(StatusCode::OK, message, json!({ "removed": removed, "message": message })))
}
