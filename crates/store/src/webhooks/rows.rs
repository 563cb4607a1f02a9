//! The rows of `webhooks` and `webhook_deliveries`, and their domain types.

use diesel::prelude::*;
use rookery_domain::event::{EventCursor, StoredEvent};
use rookery_domain::{Delivery, DeliveryStatus, Webhook};

use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbTime, DbUuid};

/// A row of `webhooks`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub(crate) struct WebhookRow {
    pub(super) id: DbUuid,
    pub(super) url: String,
    pub(super) events: String,
    pub(super) description: Option<String>,
    pub(super) secret: String,
    pub(super) enabled: bool,
    pub(crate) consecutive_failures: i32,
    pub(super) cursor_tx: i64,
    pub(super) cursor_seq: i64,
    pub(super) created_at: DbTime,
    pub(super) updated_at: DbTime,
}

impl WebhookRow {
    /// How far the fan-out has queued this endpoint's deliveries.
    pub(crate) const fn cursor(&self) -> EventCursor {
        EventCursor { tx: self.cursor_tx, seq: self.cursor_seq }
    }

    pub(crate) fn into_domain(self) -> Webhook {
        Webhook {
            id: self.id.0,
            url: self.url,
            events: self.events.split(',').filter(|e| !e.is_empty()).map(str::to_owned).collect(),
            description: self.description,
            enabled: self.enabled,
            secret: self.secret,
            created_at: self.created_at.0,
            updated_at: self.updated_at.0,
        }
    }
}

/// A row of `webhook_deliveries`, without its payload.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub(crate) struct DeliveryRow {
    id: DbUuid,
    webhook_id: DbUuid,
    event_id: DbUuid,
    event_type: String,
    pub(crate) status: String,
    attempts: i32,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: Option<DbTime>,
    delivered_at: Option<DbTime>,
    created_at: DbTime,
}

impl DeliveryRow {
    pub(crate) fn into_domain(self) -> Delivery {
        Delivery {
            id: self.id.0,
            webhook_id: self.webhook_id.0,
            event_id: self.event_id.0,
            event_type: self.event_type,
            status: DeliveryStatus::parse(&self.status).unwrap_or(DeliveryStatus::Failed),
            attempts: self.attempts,
            last_status_code: self.last_status_code,
            last_error: self.last_error,
            next_attempt_at: self.next_attempt_at.map(|t| t.0),
            delivered_at: self.delivered_at.map(|t| t.0),
            created_at: self.created_at.0,
        }
    }
}

/// A new row of `webhook_deliveries`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub(super) struct NewDeliveryRow {
    pub(super) id: DbUuid,
    pub(super) webhook_id: DbUuid,
    pub(super) event_id: DbUuid,
    pub(super) event_type: String,
    pub(super) payload: String,
    pub(super) status: String,
    pub(super) attempts: i32,
    pub(super) next_attempt_at: Option<DbTime>,
    pub(super) leased_until: Option<DbTime>,
    pub(super) created_at: DbTime,
}

impl NewDeliveryRow {
    pub(super) fn of_event(webhook: DbUuid, event: &StoredEvent, now: DbTime, leased_until: Option<DbTime>) -> Self {
        Self {
            id: DbUuid(uuid::Uuid::now_v7()),
            webhook_id: webhook,
            event_id: DbUuid(event.id),
            event_type: event.kind.clone(),
            payload: event.envelope(),
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: Some(now),
            leased_until,
            created_at: now,
        }
    }
}
