//! `GET /notifications`, `GET /notifications/unread-count`,
//! `POST /notifications/mark-as-seen`.

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::HttpResponse;
use rookery_domain::{KindFilter, NotificationId, SocialGraph};
use serde::Deserialize;
use serde_json::{Value, json};

use super::envelope::{self, ApiError};
use crate::auth::Caller;
use crate::blocking::run;
use crate::time::rfc3339;

#[derive(Debug, Deserialize)]
pub struct InboxQuery {
    limit: Option<i64>,
    offset: Option<i64>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// Newest first. `type=follow` lists every follow-related kind (the app's "Follows"
/// tab); types Rookery never produces (`like`, `reply`, `mention`) list nothing.
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = (query.limit.unwrap_or(20), query.offset.unwrap_or(0));
    let filter = KindFilter::parse(query.kind.as_deref());
    let page = run(&graph, &caller, move |g, me| g.inbox(me, filter, limit, offset)).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|view| {
            let n = &view.notification;
            json!({
                "id": n.id.to_string(),
                "notification_id": n.id.to_string(),
                "type": n.kind.as_str(),
                "message": view.message(),
                "actor": {
                    "id": view.actor.id.to_string(),
                    "username": view.actor.username.as_str(),
                    "full_name": view.actor.full_name,
                    "profile_image_url": view.actor.profile_image_url,
                    "profile_picture_url": view.actor.profile_image_url,
                },
                "post_id": null,
                "created_at": rfc3339(n.created_at),
                "is_read": view.is_read,
            })
        })
        .collect();
    let data = json!({
        "notifications": items,
        "total_count": page.total,
        "unread_count": page.unread,
        "limit": limit,
        "offset": offset,
        "filter_type": query.kind,
    });
    Ok(envelope::ok(StatusCode::OK, "Notifications retrieved successfully", data))
}

pub async fn unread_count<G: SocialGraph>(graph: web::Data<G>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let unread = run(&graph, &caller, move |g, me| g.unread_count(me)).await?;
    Ok(envelope::ok(StatusCode::OK, "Unread count retrieved successfully", json!({ "unread_count": unread })))
}

#[derive(Debug, Deserialize)]
struct MarkBody {
    ids: Option<Vec<String>>,
}

/// Marks everything read, or only `{"ids": [...]}` when given. The body is optional:
/// the app sends none (with a JSON content type), so it is read by hand rather than
/// through an extractor that would refuse an empty one.
pub async fn mark_as_seen<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let ids = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: MarkBody = serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))?;
        parsed
            .ids
            .map(|ids| {
                ids.iter()
                    .map(|id| id.parse::<NotificationId>())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| ApiError::bad_request("Invalid notification ID: must be a UUID"))
            })
            .transpose()?
    };
    let unread = run(&graph, &caller, move |g, me| g.mark_seen(me, ids)).await?;
    Ok(envelope::ok(StatusCode::OK, "Notifications marked as seen", json!({ "unread_count": unread })))
}

#[derive(Debug, Deserialize)]
pub struct DeviceBody {
    token: String,
    platform: String,
}

/// `POST /devices`: registers (or re-registers) a push target for the caller.
pub async fn register_device<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    body: web::Json<DeviceBody>,
) -> Result<HttpResponse, ApiError> {
    let DeviceBody { token, platform } = body.into_inner();
    let device = run(&graph, &caller, move |g, me| g.register_device(me, &token, &platform)).await?;
    let data = json!({ "token": device.token.as_str(), "platform": device.platform.as_str() });
    Ok(envelope::ok(StatusCode::CREATED, "Device registered", data))
}

/// `DELETE /devices/{token}`: removes one of the caller's push targets.
pub async fn remove_device<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let removed = run(&graph, &caller, move |g, me| g.remove_device(me, &token)).await?;
    let message = if removed { "Device removed" } else { "No such device" };
    Ok(envelope::ok(StatusCode::OK, message, json!({ "removed": removed })))
}
