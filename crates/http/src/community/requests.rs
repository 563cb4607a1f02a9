//! `/follow-requests/*`: lists, answers, cancel, status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{Page, PageRequest, RequestListing, RequestStatus, SocialGraph};
use serde::{Deserialize, Serialize};

use super::answers::{self, ReceivedRequest, RequestAnswer, RequestPage, RequestStatusAnswer, SentRequest};
use super::errors::ApiError;
use super::errors::Community;
use super::input::{request_id, user_id};
use super::states::RequestOutcome;
use crate::blocking::run;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// The page, from 1.
    #[param(minimum = 1, maximum = 4294967295_i64, default = 1)]
    page: Option<i64>,
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    page_size: Option<i64>,
}

impl PageQuery {
    pub(super) fn parse(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.page, self.page_size).map_err(ApiError::from)
    }
}

fn list_answer<R>(message: &str, page: &Page<RequestListing>) -> HttpResponse
where
    R: Serialize + for<'a> From<&'a RequestListing>,
{
    let data = RequestPage {
        requests: page.items.iter().map(R::from).collect::<Vec<R>>(),
        total: page.total,
        page: page.request.page(),
        page_size: page.request.page_size(),
        has_more: page.has_more(),
    };
    answers::ok(StatusCode::OK, message, data)
}

#[utoipa::path(
    get,
    path = "/api/v1/community/follow-requests/received",
    tag = "follow-requests",
    operation_id = "received_follow_requests",
    summary = "Pending follow requests to the caller, newest first",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of requests, with the requesters' names (`requester_*`).", body = crate::community::answers::Envelope<crate::community::answers::RequestPage<crate::community::answers::ReceivedRequest>>),
        (status = 400, description = "`page must be 1 or more`, `page_size must be between 1 and 100`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn received<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.parse()?;
    let listing = run(&graph, &caller, move |g, me| g.received_requests(me, page)).await?;
    Ok(list_answer::<ReceivedRequest>("Received follow requests retrieved successfully", &listing))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/follow-requests/sent",
    tag = "follow-requests",
    operation_id = "sent_follow_requests",
    summary = "The caller's pending follow requests, newest first",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of requests, with the targets' names (`target_*`).", body = crate::community::answers::Envelope<crate::community::answers::RequestPage<crate::community::answers::SentRequest>>),
        (status = 400, description = "`page must be 1 or more`, `page_size must be between 1 and 100`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn sent<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.parse()?;
    let listing = run(&graph, &caller, move |g, me| g.sent_requests(me, Some(RequestStatus::Pending), page)).await?;
    Ok(list_answer::<SentRequest>("Sent follow requests retrieved successfully", &listing))
}

fn answer(message: &'static str, request_id: Option<String>, status: RequestOutcome) -> HttpResponse {
    answers::ok(StatusCode::OK, message, RequestAnswer { success: true, message, status, request_id })
}

/// Takes no body: whatever is sent (the app sends none, or an empty JSON one) is ignored.
#[utoipa::path(
    post,
    path = "/api/v1/community/follow-requests/accept/{request_id}",
    tag = "follow-requests",
    operation_id = "accept_follow_request",
    summary = "Accept a follow request made to the caller",
    description = "Only the request's target may answer it. The requester now follows the caller. Takes no body: whatever is sent is ignored.",
    params(("request_id" = uuid::Uuid, Path, description = "The follow request's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`Follow request accepted`; `data.status` is `accepted`.", body = crate::community::answers::Envelope<crate::community::answers::RequestAnswer>),
        (status = 400, description = "`Invalid request ID: must be a UUID`, `Follow request already accepted`, `Follow request already declined`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`Follow request not found or you are not authorized to access it`: no such request, or not the caller's to answer.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn accept<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = request_id(&path)?;
    let request = run(&graph, &caller, move |g, me| g.accept_request(me, id)).await?;
    Ok(answer("Follow request accepted", Some(request.id.to_string()), RequestOutcome::Accepted))
}

#[utoipa::path(
    post,
    path = "/api/v1/community/follow-requests/decline/{request_id}",
    tag = "follow-requests",
    operation_id = "decline_follow_request",
    summary = "Decline a follow request made to the caller",
    description = "Only the request's target may answer it. The requester may ask again later. Takes no body: whatever is sent is ignored.",
    params(("request_id" = uuid::Uuid, Path, description = "The follow request's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`Follow request declined`; `data.status` is `declined`.", body = crate::community::answers::Envelope<crate::community::answers::RequestAnswer>),
        (status = 400, description = "`Invalid request ID: must be a UUID`, `Follow request already accepted`, `Follow request already declined`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`Follow request not found or you are not authorized to access it`: no such request, or not the caller's to answer.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn decline<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = request_id(&path)?;
    let request = run(&graph, &caller, move |g, me| g.decline_request(me, id)).await?;
    Ok(answer("Follow request declined", Some(request.id.to_string()), RequestOutcome::Declined))
}

#[utoipa::path(
    delete,
    path = "/api/v1/community/follow-requests/cancel/{user_id}",
    tag = "follow-requests",
    operation_id = "cancel_follow_request",
    summary = "Withdraw the caller's pending request to an account",
    description = "Takes no body. `data` has no `request_id`.",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "`Follow request cancelled`; `data.status` is `cancelled`.", body = crate::community::answers::Envelope<crate::community::answers::RequestAnswer>),
        (status = 400, description = "`Invalid user ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 404, description = "`No pending follow request found for this user`.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn cancel<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    run(&graph, &caller, move |g, me| g.cancel_request(me, target)).await?;
    Ok(answer("Follow request cancelled", None, RequestOutcome::Cancelled))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/follow-requests/status/{user_id}",
    tag = "follow-requests",
    operation_id = "follow_request_status",
    summary = "The caller's latest follow request to an account",
    params(("user_id" = uuid::Uuid, Path, description = "The account's id; anything but a UUID is 400.")),
    responses(
        (status = 200, description = "Its state, or null.", body = crate::community::answers::Envelope<crate::community::answers::RequestStatusAnswer>),
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
    let status = run(&graph, &caller, move |g, me| g.request_status(me, target)).await?;
    let data = RequestStatusAnswer::of(status);
    Ok(answers::ok(StatusCode::OK, "Follow request status retrieved successfully", data))
}
