//! `/api/v1/admin/webhooks`: endpoints, their test event, the delivery log.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use rookery_domain::service::{MAX_DELIVERIES_PAGE, NewWebhook};
use rookery_domain::{DeliveryStatus, WebhookPatch};
use serde::Deserialize;
use uuid::Uuid;

use super::objects::{CreatedWebhook, DeliveryObject, DeliveryPage, WebhookList, WebhookObject};
use rookery_domain::SocialGraph;

use super::{Events, offload};
use crate::admin::Admin;
use crate::community::errors::ApiError;

/// `POST /webhooks`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    /// An `http` or `https` URL.
    url: String,
    /// Event types, or `["*"]` for all.
    events: Vec<String>,
    /// What it is for (at most 500 characters).
    description: Option<String>,
}

/// `PATCH /webhooks/{id}`: every field optional.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// A new URL.
    url: Option<String>,
    /// New event types.
    events: Option<Vec<String>>,
    /// Enable (which also resets the count of failures in a row) or disable.
    enabled: Option<bool>,
}

/// The delivery log's query string.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogParams {
    /// `pending`, `delivered` or `failed`; every status when left out.
    status: Option<String>,
    /// A `next_cursor` of an earlier page.
    after: Option<String>,
    /// 1..=100; 50 when left out.
    limit: Option<String>,
}

fn webhook_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim()).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "Webhook not found"))
}

#[utoipa::path(
    post, path = "/api/v1/admin/webhooks", tag = "webhooks", operation_id = "admin_create_webhook",
    summary = "Register a webhook endpoint",
    description = "Answers the endpoint with its `secret` (`whsec_` + base64 of 32 random bytes), shown only here. It receives the events committed from now on.",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The endpoint, with its secret.", body = CreatedWebhook),
        (status = 400, description = "`url must be an http or https URL`, `unknown event type: ...`, `events must name at least one event type, or \"*\"`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn create<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    body: web::Json<CreateBody>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let new = NewWebhook { url: body.url, events: body.events, description: body.description };
    let hook = offload(&events, move |e| e.create_webhook(new)).await?;
    Ok(HttpResponse::Created().json(CreatedWebhook { webhook: WebhookObject::from(&hook), secret: hook.secret }))
}

#[utoipa::path(
    get, path = "/api/v1/admin/webhooks", tag = "webhooks", operation_id = "admin_list_webhooks",
    summary = "List webhook endpoints",
    responses(
        (status = 200, description = "Every endpoint, without secrets.", body = WebhookList),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn list<G: SocialGraph>(events: Events, _admin: Admin<G>) -> Result<HttpResponse, ApiError> {
    let hooks = offload(&events, |e| e.webhooks()).await?;
    Ok(HttpResponse::Ok().json(WebhookList { webhooks: hooks.iter().map(WebhookObject::from).collect() }))
}

#[utoipa::path(
    get, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "admin_get_webhook",
    summary = "One webhook endpoint",
    params(("id" = uuid::Uuid, Path, description = "The endpoint's id.")),
    responses(
        (status = 200, description = "The endpoint, without its secret.", body = WebhookObject),
        (status = 404, description = "`Webhook not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn one<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let hook = offload(&events, move |e| e.webhook(id)).await?;
    Ok(HttpResponse::Ok().json(WebhookObject::from(&hook)))
}

#[utoipa::path(
    patch, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "admin_update_webhook",
    summary = "Change a webhook endpoint",
    params(("id" = uuid::Uuid, Path, description = "The endpoint's id.")),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The endpoint, without its secret.", body = WebhookObject),
        (status = 400, description = "As for creating one.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`Webhook not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn update<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<String>,
    body: web::Json<UpdateBody>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let body = body.into_inner();
    let patch = WebhookPatch { url: body.url, events: body.events, enabled: body.enabled };
    let hook = offload(&events, move |e| e.update_webhook(id, patch)).await?;
    Ok(HttpResponse::Ok().json(WebhookObject::from(&hook)))
}

#[utoipa::path(
    delete, path = "/api/v1/admin/webhooks/{id}", tag = "webhooks", operation_id = "admin_delete_webhook",
    summary = "Remove a webhook endpoint and its delivery log",
    params(("id" = uuid::Uuid, Path, description = "The endpoint's id.")),
    responses(
        (status = 204, description = "Removed."),
        (status = 404, description = "`Webhook not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn delete<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    offload(&events, move |e| e.delete_webhook(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(
    post, path = "/api/v1/admin/webhooks/{id}/test", tag = "webhooks", operation_id = "admin_test_webhook",
    summary = "Send a webhook.test event",
    description = "Queues a `webhook.test` event (`data`: `{\"webhook_id\"}`) for the endpoint, delivered like any other.",
    params(("id" = uuid::Uuid, Path, description = "The endpoint's id.")),
    responses(
        (status = 202, description = "The queued delivery.", body = DeliveryObject),
        (status = 404, description = "`Webhook not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn test<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let delivery = offload(&events, move |e| e.test_webhook(id)).await?;
    Ok(HttpResponse::Accepted().json(DeliveryObject::from(delivery)))
}

#[utoipa::path(
    get, path = "/api/v1/admin/webhooks/{id}/deliveries", tag = "webhooks", operation_id = "admin_webhook_deliveries",
    summary = "The endpoint's delivery log",
    description = "Newest first, cursor paged.",
    params(("id" = uuid::Uuid, Path, description = "The endpoint's id."), LogParams),
    responses(
        (status = 200, description = "A page of deliveries.", body = DeliveryPage),
        (status = 400, description = "`Invalid status`, `Invalid cursor`, `limit must be between 1 and 100`.", body = crate::community::errors::ErrorEnvelope),
        (status = 404, description = "`Webhook not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn deliveries<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<String>,
    params: web::Query<LogParams>,
) -> Result<HttpResponse, ApiError> {
    let id = webhook_id(&path)?;
    let status = params
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            DeliveryStatus::parse(s.trim())
                .ok_or_else(|| ApiError::bad_request("Invalid status: pending, delivered or failed"))
        })
        .transpose()?;
    let before = params
        .after
        .as_deref()
        .filter(|a| !a.is_empty())
        .map(|a| Uuid::parse_str(a.trim()).map_err(|_| ApiError::bad_request("Invalid cursor")))
        .transpose()?;
    let limit = match params.limit.as_deref() {
        None => 50,
        Some(raw) => raw
            .trim()
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("limit must be between 1 and {MAX_DELIVERIES_PAGE}")))?,
    };
    let page = offload(&events, move |e| e.deliveries(id, status, before, limit)).await?;
    let next_cursor = (page.len() == limit).then(|| page.last().map(|d| d.id.to_string())).flatten();
    Ok(HttpResponse::Ok()
        .json(DeliveryPage { deliveries: page.into_iter().map(DeliveryObject::from).collect(), next_cursor }))
}

#[utoipa::path(
    post, path = "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks", operation_id = "admin_retry_delivery",
    summary = "Send a delivery again now",
    description = "Makes the delivery pending and due at once, whatever its status (sent while the endpoint is enabled).",
    params(
        ("id" = uuid::Uuid, Path, description = "The endpoint's id."),
        ("delivery_id" = uuid::Uuid, Path, description = "The delivery's id."),
    ),
    responses(
        (status = 202, description = "The delivery, pending.", body = DeliveryObject),
        (status = 404, description = "`Webhook not found`, `Delivery not found`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn retry<G: SocialGraph>(
    events: Events,
    _admin: Admin<G>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let id = webhook_id(&id)?;
    let delivery =
        Uuid::parse_str(delivery.trim()).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "Delivery not found"))?;
    let delivery = offload(&events, move |e| e.retry_delivery(id, delivery)).await?;
    Ok(HttpResponse::Accepted().json(DeliveryObject::from(delivery)))
}
