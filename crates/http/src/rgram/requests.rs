//! `/api/follow-request/*`: send, accept, reject, pending, sent, cancel.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::{FollowShown, RequestWithParties};
use rookery_domain::{AccountId, Page, RequestListing, SocialGraph};
use serde_json::Value;

use super::answers::{
    OneRequest, Pagination, PendingRequests, RequestDocument, SentRequests, Side, UserFields, done, ok,
};
use super::errors::{Rgram, RgramError};
use super::input::{CancelParams, PageParams, SentParams, follow_request_id, target_user_id};
use crate::blocking::run;
use crate::dialect::Authed;

/// `{"followRequest": {...}}` with both sides populated (without `bio`, as the seed
/// shows it for send, accept and reject).
pub fn populated(shown: &RequestWithParties) -> OneRequest {
    let follower = Side::populated(&shown.requester, UserFields::Brief);
    let following = Side::populated(&shown.target, UserFields::Brief);
    OneRequest { follow_request: RequestDocument::of(&shown.request, follower, following) }
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
    match graph.follow_showing_request(&caller.identity, target).await? {
        FollowShown::Requested(shown) => {
            Ok(ok(StatusCode::OK, "Follow request sent successfully", Some(populated(&shown))))
        }
        FollowShown::Followed => Ok(done("Successfully followed user")),
        FollowShown::AlreadyFollowing => Err(RgramError::bad_request("Already following this user")),
    }
}

/// `POST /api/follow-request/accept` `{"followRequestId"}`.
pub async fn accept<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    body: web::Json<Value>,
) -> Result<HttpResponse, RgramError> {
    let id = follow_request_id(&body)?;
    let shown = run(&graph, &caller, move |g, me| g.accept_request_showing_parties(me, id))
        .await
        .map_err(|e| RgramError::answering(e, "accept"))?;
    Ok(ok(StatusCode::OK, "Follow request accepted successfully", Some(populated(&shown))))
}

/// `POST /api/follow-request/reject` `{"followRequestId"}`.
pub async fn reject<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Rgram>,
    body: web::Json<Value>,
) -> Result<HttpResponse, RgramError> {
    let id = follow_request_id(&body)?;
    let shown = run(&graph, &caller, move |g, me| g.decline_request_showing_parties(me, id))
        .await
        .map_err(|e| RgramError::answering(e, "reject"))?;
    Ok(ok(StatusCode::OK, "Follow request rejected successfully", Some(populated(&shown))))
}

/// Which side of the listed requests is the caller (shown as a bare id).
#[derive(Clone, Copy)]
enum Mine {
    /// Requests to me: `following` is my id, `follower` populated.
    Received,
    /// Requests from me: `follower` is my id, `following` populated.
    Sent,
}

fn listed(page: &Page<RequestListing>, me: AccountId, mine: Mine) -> Vec<RequestDocument> {
    page.items
        .iter()
        .map(|listing| {
            let other = Side::populated(&listing.counterpart, UserFields::WithBio);
            match mine {
                Mine::Received => RequestDocument::of(&listing.request, other, Side::id(me)),
                Mine::Sent => RequestDocument::of(&listing.request, Side::id(me), other),
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
    let data = PendingRequests {
        pending_requests: listed(&listing, me, Mine::Received),
        pagination: Pagination::of(listing.request, listing.total),
    };
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
    let data = SentRequests {
        sent_requests: listed(&listing, me, Mine::Sent),
        pagination: Pagination::of(listing.request, listing.total),
    };
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
    Ok(done("Follow request cancelled successfully"))
}
