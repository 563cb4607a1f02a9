//! `GET /notifications`, `GET /notifications/unread-count`,
//! `POST /notifications/mark-as-seen`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use rookery_domain::{KindFilter, NotificationId, SocialGraph};
use serde::Deserialize;

use super::answers::{self, Device, DeviceRemoved, NotificationItem, NotificationPage, UnreadCount};
use super::errors::ApiError;
use super::errors::Community;
use crate::blocking::run;
use crate::dialect::Authed;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Items per page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
    /// Items to skip.
    #[param(minimum = 0, default = 0)]
    offset: Option<i64>,
    /// `follow` (every follow-related kind), `follow_request` or `follow_request_accepted`;
    /// other types list nothing.
    #[serde(rename = "type")]
    #[param(rename = "type", example = "follow")]
    kind: Option<String>,
}

/// Newest first. `type=follow` lists every follow-related kind (the app's "Follows"
/// tab); types Rookery never produces (`like`, `reply`, `mention`) list nothing.
#[utoipa::path(
    get,
    path = "/api/v1/community/notifications",
    tag = "notifications",
    operation_id = "notifications",
    summary = "The caller's notifications, newest first",
    description = "`type=follow` lists every follow-related kind (the seed app's Follows tab); `follow_request` and `follow_request_accepted` list exactly that kind; any other type lists nothing.",
    params(InboxQuery),
    responses(
        (status = 200, description = "A page of notifications, with the counts.", body = crate::community::answers::Envelope<crate::community::answers::NotificationPage>),
        (status = 400, description = "`limit must be between 1 and 100`, `offset must not be negative`, `Invalid query string: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn list<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    query: web::Query<InboxQuery>,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = (query.limit.unwrap_or(20), query.offset.unwrap_or(0));
    let filter = KindFilter::parse(query.kind.as_deref());
    let page = run(&graph, &caller, move |g, me| g.inbox(me, filter, limit, offset)).await?;
    let data = NotificationPage {
        notifications: page.items.iter().map(NotificationItem::from).collect(),
        total_count: page.total,
        unread_count: page.unread,
        limit,
        offset,
        filter_type: query.into_inner().kind,
    };
    Ok(answers::ok(StatusCode::OK, "Notifications retrieved successfully", data))
}

#[utoipa::path(
    get,
    path = "/api/v1/community/notifications/unread-count",
    tag = "notifications",
    operation_id = "unread_count",
    summary = "How many of the caller's notifications are unread",
    responses(
        (status = 200, description = "The count.", body = crate::community::answers::Envelope<crate::community::answers::UnreadCount>),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn unread_count<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
) -> Result<HttpResponse, ApiError> {
    let unread = run(&graph, &caller, move |g, me| g.unread_count(me)).await?;
    Ok(answers::ok(StatusCode::OK, "Unread count retrieved successfully", UnreadCount { unread_count: unread }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct MarkBody {
    /// Only these notifications; null or left out marks all.
    #[schema(value_type = Option<Vec<uuid::Uuid>>)]
    ids: Option<Vec<String>>,
}

/// Marks everything read, or only `{"ids": [...]}` when given. The body is optional:
/// the app sends none (with a JSON content type), so it is read by hand rather than
/// through an extractor that would refuse an empty one.
#[utoipa::path(
    post,
    path = "/api/v1/community/notifications/mark-as-seen",
    tag = "notifications",
    operation_id = "mark_notifications_seen",
    summary = "Mark the caller's notifications read",
    description = "All of them, or only `ids` when given; ids that are not the caller's are ignored. The body is optional (none, or whitespace, marks all) and is read as JSON whatever its `Content-Type`. Every open stream of the caller is told the new count.",
    request_body(content = Option<MarkBody>, description = "Optional: `ids` marks only those notifications; without a body, all.", content_type = "application/json"),
    responses(
        (status = 200, description = "`Notifications marked as seen`: what stays unread.", body = crate::community::answers::Envelope<crate::community::answers::UnreadCount>),
        (status = 400, description = "`Invalid request body: ...`, `Invalid notification ID: must be a UUID`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn mark_as_seen<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: Bytes = match payload.to_bytes_limited(crate::BODY_LIMIT).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => return Err(ApiError::bad_request(format!("Invalid request body: {e}"))),
        Err(_) => return Err(crate::dialect::BadInput::TooLarge.into()),
    };
    let ids = if body.iter().all(u8::is_ascii_whitespace) {
        None
    } else {
        let parsed: MarkBody =
            serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("Invalid request body: {e}")))?;
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
    Ok(answers::ok(StatusCode::OK, "Notifications marked as seen", UnreadCount { unread_count: unread }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeviceBody {
    /// The push token the platform's SDK issued: trimmed, then 1 to 4096 bytes of UTF-8
    /// without white space.
    #[schema(min_length = 1, max_length = 4096, pattern = "^\\s*\\S+\\s*$")]
    token: String,
    /// `android`, `ios` or `web`, in any case.
    #[schema(value_type = crate::community::states::PlatformName)]
    platform: String,
}

/// `POST /devices`: registers (or re-registers) a push target for the caller.
#[utoipa::path(
    post,
    path = "/api/v1/community/devices",
    tag = "notifications",
    operation_id = "register_device",
    summary = "Register a push target for the caller",
    description = "A token registered before (by anyone) moves to the caller.",
    request_body = DeviceBody,
    responses(
        (status = 201, description = "`Device registered`.", body = crate::community::answers::Envelope<crate::community::answers::Device>),
        (status = 400, description = "`token must be 1 to 4096 characters without spaces`, `platform must be android, ios or web`, `Malformed JSON: ...`, `Invalid request body: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 413, response = crate::community::errors::TooLarge),
        (status = 415, response = crate::community::errors::NotJson),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn register_device<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    body: web::Json<DeviceBody>,
) -> Result<HttpResponse, ApiError> {
    let DeviceBody { token, platform } = body.into_inner();
    let device = run(&graph, &caller, move |g, me| g.register_device(me, &token, &platform)).await?;
    let data = Device { token: device.token.as_str().to_owned(), platform: device.platform.into() };
    Ok(answers::ok(StatusCode::CREATED, "Device registered", data))
}

/// `DELETE /devices/{token}`: removes one of the caller's push targets.
#[utoipa::path(
    delete,
    path = "/api/v1/community/devices/{token}",
    tag = "notifications",
    operation_id = "remove_device",
    summary = "Remove one of the caller's push targets",
    description = "Takes no body.",
    params(("token" = String, Path, description = "The push token, as registered.")),
    responses(
        (status = 200, description = "`Device removed`, or `No such device` (`removed: false`).", body = crate::community::answers::Envelope<crate::community::answers::DeviceRemoved>),
        (status = 400, description = "`token must be 1 to 4096 characters without spaces`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn remove_device<G: SocialGraph>(
    graph: web::Data<G>,
    caller: Authed<Community>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = path.into_inner();
    let removed = run(&graph, &caller, move |g, me| g.remove_device(me, &token)).await?;
    let message = if removed { "Device removed" } else { "No such device" };
    Ok(answers::ok(StatusCode::OK, message, DeviceRemoved { removed }))
}
