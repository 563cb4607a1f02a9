//! The answers of the event and webhook endpoints.

use rookery_domain::{Delivery, StoredEvent, Webhook};
use serde::Serialize;

use crate::time::rfc3339;

/// An event: `{"id", "type", "created_at", "data"}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventObject {
    /// The event's id (a UUID); the `webhook-id` of its deliveries.
    pub id: String,
    /// `follow.created`, `follow.deleted`, `follow_request.created|accepted|declined|cancelled`,
    /// `block.created|deleted`, `account.created|updated|deleted`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it was written (RFC 3339, UTC).
    pub created_at: String,
    /// The type's fields (docs/api.md, "Events").
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<StoredEvent> for EventObject {
    fn from(event: StoredEvent) -> Self {
        Self {
            id: event.id.to_string(),
            data: serde_json::from_str(&event.data).unwrap_or(serde_json::Value::Null),
            kind: event.kind,
            created_at: rfc3339(event.created_at),
        }
    }
}

/// A page of the feed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventPage {
    /// The events, in the feed's order.
    pub events: Vec<EventObject>,
    /// Pass as `after` for the next page (the same cursor when nothing new came).
    pub next_cursor: String,
}

/// An endpoint, without its secret.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookObject {
    /// Its id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it receives, or `["*"]`.
    pub events: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
    /// Whether deliveries are sent (false after a 410, or too many failures in a row).
    pub enabled: bool,
    /// When it was registered.
    pub created_at: String,
    /// When it last changed.
    pub updated_at: String,
}

impl From<&Webhook> for WebhookObject {
    fn from(hook: &Webhook) -> Self {
        Self {
            id: hook.id.to_string(),
            url: hook.url.clone(),
            events: hook.events.clone(),
            description: hook.description.clone(),
            enabled: hook.enabled,
            created_at: rfc3339(hook.created_at),
            updated_at: rfc3339(hook.updated_at),
        }
    }
}

/// A new endpoint, with its secret: shown only here.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    /// The endpoint.
    #[serde(flatten)]
    pub webhook: WebhookObject,
    /// `whsec_` and the base64 of 32 random bytes; the HMAC key is the decoded bytes.
    pub secret: String,
}

/// Every endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub webhooks: Vec<WebhookObject>,
}

/// A delivery of one event to one endpoint.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryObject {
    /// Its id.
    pub id: String,
    /// The endpoint.
    pub webhook_id: String,
    /// The event (`webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// The receiver's last status, if it answered.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<String>,
    /// When a 2xx answered it.
    pub delivered_at: Option<String>,
    /// When it was queued.
    pub created_at: String,
}

impl From<Delivery> for DeliveryObject {
    fn from(d: Delivery) -> Self {
        Self {
            id: d.id.to_string(),
            webhook_id: d.webhook_id.to_string(),
            event_id: d.event_id.to_string(),
            event_type: d.event_type,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at.map(rfc3339),
            delivered_at: d.delivered_at.map(rfc3339),
            created_at: rfc3339(d.created_at),
        }
    }
}

/// A page of the delivery log, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    /// The deliveries.
    pub deliveries: Vec<DeliveryObject>,
    /// Pass as `after` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}
