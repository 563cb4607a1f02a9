//! `/api/follow-request/*`: send, accept, reject, pending, sent, cancel.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{AccountId, FollowOutcome, FollowRequest, GraphError, Page, RequestListing, SocialGraph};
use serde_json::{Value, json};

use super::envelope::{Rgram, RgramError, ok};
use super::input::{CancelParams, PageParams, SentParams, follow_request_id, target_user_id};
use super::objects::{Side, UserFields, pagination, request as render};
use crate::blocking::run;
use crate::dialect::Authed;

/// `{"followRequest": {...}}` with both sides populated (without `bio`, as the seed
/// shows it for send, accept and reject). Runs inside the use case's closure, so the
/// two accounts are read on the blocking pool right after the change.
pub fn populated<G: SocialGraph>(graph: &G, request: FollowRequest) -> Result<Value, GraphError> {
    let (follower, following) = (graph.account(request.requester)?, graph.account(request.target)?);
    let follower = Side::Populated(&follower, UserFields::Brief);
    let following = Side::Populated(&following, UserFields::Brief);
    Ok(json!({ "followRequest": render(&request, &follower, &following) }))
}

/// What a send did.
enum Sent {
    /// The target is public: followed at once, no request exists.
    Followed,
    /// A pending request: `data` with it populated.
    Requested(Value),
    /// Nothing changed: the caller already follows the target.
    AlreadyFollowing,
}

/// `POST /api/follow-request/send` `{"targetUserId"}`: a private target gets a
/// pending request; a public one is followed at once (no request is created, so the
/// answer has no `data`). Following already, or a request already pending, is 400.
pub async fn send<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    body: web::Json<Value>,
) -> Result<HttpResponse, RgramError> {
    let target = target_user_id(&body)?;
    let sent = match graph.follow(&caller.0.identity, target).await? {
        FollowOutcome::Followed => Sent::Followed,
        FollowOutcome::AlreadyFollowing => Sent::AlreadyFollowing,
        FollowOutcome::Requested(pending) => {
            Sent::Requested(run(&graph, &caller.0, move |g, _| populated(g, pending)).await?)
        }
    };
    match sent {
        Sent::Requested(data) => Ok(ok(StatusCode::OK, "Follow request sent successfully", Some(data))),
        Sent::Followed => Ok(ok::<Value>(StatusCode::OK, "Successfully followed user", None)),
        Sent::AlreadyFollowing => Err(RgramError::bad_request("Already following this user")),
    }
}

/// `POST /api/follow-request/accept` `{"followRequestId"}`.
pub async fn accept<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    body: web::Json<Value>,
) -> Result<HttpResponse, RgramError> {
    let id = follow_request_id(&body)?;
    let data = run(&graph, &caller.0, move |g, me| populated(g, g.accept_request(me, id)?))
        .await
        .map_err(|e| RgramError::answering(e, "accept"))?;
    Ok(ok(StatusCode::OK, "Follow request accepted successfully", Some(data)))
}

/// `POST /api/follow-request/reject` `{"followRequestId"}`.
pub async fn reject<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    body: web::Json<Value>,
) -> Result<HttpResponse, RgramError> {
    let id = follow_request_id(&body)?;
    let data = run(&graph, &caller.0, move |g, me| populated(g, g.decline_request(me, id)?))
        .await
        .map_err(|e| RgramError::answering(e, "reject"))?;
    Ok(ok(StatusCode::OK, "Follow request rejected successfully", Some(data)))
}

/// Which side of the listed requests is the caller (shown as a bare id).
#[derive(Clone, Copy)]
enum Mine {
    /// Requests to me: `following` is my id, `follower` populated.
    Received,
    /// Requests from me: `follower` is my id, `following` populated.
    Sent,
}

fn listed(page: &Page<RequestListing>, me: AccountId, mine: Mine) -> Vec<Value> {
    page.items
        .iter()
        .map(|listing| {
            let other = Side::Populated(&listing.counterpart, UserFields::WithBio);
            match mine {
                Mine::Received => render(&listing.request, &other, &Side::Id(me)),
                Mine::Sent => render(&listing.request, &Side::Id(me), &other),
            }
        })
        .collect()
}

/// `GET /api/follow-request/pending?page&limit`: requests waiting for my answer,
/// newest first.
pub async fn pending<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    params: web::Query<PageParams>,
) -> Result<HttpResponse, RgramError> {
    let page = params.parse()?;
    let me = caller.0.identity.id;
    let listing = run(&graph, &caller.0, move |g, me| g.received_requests(me, page)).await?;
    let data = json!({
        "pendingRequests": listed(&listing, me, Mine::Received),
        "pagination": pagination(listing.request, listing.total),
    });
    Ok(ok(StatusCode::OK, "Pending follow requests retrieved successfully", Some(data)))
}

/// `GET /api/follow-request/sent?page&limit&status`: my requests (all, or with one
/// status), newest first.
pub async fn sent<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    params: web::Query<SentParams>,
) -> Result<HttpResponse, RgramError> {
    let page = params.page()?;
    let status = params.status()?;
    let me = caller.0.identity.id;
    let listing = run(&graph, &caller.0, move |g, me| g.sent_requests(me, status, page)).await?;
    let data = json!({
        "sentRequests": listed(&listing, me, Mine::Sent),
        "pagination": pagination(listing.request, listing.total),
    });
    Ok(ok(StatusCode::OK, "Sent follow requests retrieved successfully", Some(data)))
}

/// `DELETE /api/follow-request/cancel?followRequestId=<id>`: the requester withdraws a
/// pending request. Any body is ignored.
pub async fn cancel<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    params: web::Query<CancelParams>,
) -> Result<HttpResponse, RgramError> {
    let id = params.id()?;
    run(&graph, &caller.0, move |g, me| g.cancel_request_by_id(me, id)).await.map_err(RgramError::cancelling)?;
    Ok(ok::<Value>(StatusCode::OK, "Follow request cancelled successfully", None))
}
