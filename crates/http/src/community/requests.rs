//! `/follow-requests/*`: lists, answers, cancel, status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::{Page, PageRequest, RequestListing, RequestStatus, SocialGraph};
use serde::Deserialize;
use serde_json::json;

use super::envelope::{self, ApiError};
use super::ids::{request_id, user_id};
use super::profile_object::{Counterpart, request_object};
use crate::auth::Caller;
use crate::blocking::run;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    page: Option<i64>,
    page_size: Option<i64>,
}

impl PageQuery {
    pub(super) fn parse(&self) -> Result<PageRequest, ApiError> {
        PageRequest::new(self.page, self.page_size).map_err(ApiError::from)
    }
}

fn list_answer(message: &str, page: &Page<RequestListing>, side: Counterpart) -> HttpResponse {
    let requests: Vec<_> = page.items.iter().map(|l| request_object(l, side)).collect();
    let data = json!({
        "requests": requests,
        "total": page.total,
        "page": page.request.page(),
        "page_size": page.request.page_size(),
        "has_more": page.has_more(),
    });
    envelope::ok(StatusCode::OK, message, data)
}

pub async fn received<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.parse()?;
    let listing = run(&graph, &caller, move |g, me| g.received_requests(me, page)).await?;
    Ok(list_answer("Received follow requests retrieved successfully", &listing, Counterpart::Requester))
}

pub async fn sent<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.parse()?;
    let listing = run(&graph, &caller, move |g, me| g.sent_requests(me, Some(RequestStatus::Pending), page)).await?;
    Ok(list_answer("Sent follow requests retrieved successfully", &listing, Counterpart::Target))
}

fn answer(message: &str, request: Option<String>, status: &str) -> HttpResponse {
    let mut data = json!({ "success": true, "message": message, "status": status });
    if let (Some(id), Some(map)) = (request, data.as_object_mut()) {
        map.insert("request_id".into(), id.into());
    }
    envelope::ok(StatusCode::OK, message, data)
}

/// Takes no body: whatever is sent (the app sends none, or an empty JSON one) is ignored.
pub async fn accept<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = request_id(&path)?;
    let request = run(&graph, &caller, move |g, me| g.accept_request(me, id)).await?;
    Ok(answer("Follow request accepted", Some(request.id.to_string()), request.status.as_str()))
}

pub async fn decline<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = request_id(&path)?;
    let request = run(&graph, &caller, move |g, me| g.decline_request(me, id)).await?;
    Ok(answer("Follow request declined", Some(request.id.to_string()), request.status.as_str()))
}

pub async fn cancel<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    run(&graph, &caller, move |g, me| g.cancel_request(me, target)).await?;
    Ok(answer("Follow request cancelled", None, "cancelled"))
}

pub async fn status<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let target = user_id(&path)?;
    let status = run(&graph, &caller, move |g, me| g.request_status(me, target)).await?;
    let data = json!({ "status": status.map(RequestStatus::as_str), "has_request": status.is_some() });
    Ok(envelope::ok(StatusCode::OK, "Follow request status retrieved successfully", data))
}
