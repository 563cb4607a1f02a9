//! The admin API's side of the store: endpoints, and the delivery log.

use diesel::prelude::*;
use rookery_domain::ports::{StoreError, WebhookStore};
use rookery_domain::{Delivery, DeliveryStatus, Timestamp, Webhook, WebhookPatch};

use super::rows::{DeliveryRow, NewDeliveryRow, WebhookRow};
use crate::database::Database;
use crate::event_log::EventReads;
use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbTime, DbUuid, db_time};

impl WebhookStore for Database {
    fn insert_webhook(&self, hook: &Webhook) -> Result<(), StoreError> {
        self.write(|conn| {
            write_tx!(conn, |c| {
                let head = c.feed_head()?;
                let row = WebhookRow {
                    id: DbUuid(hook.id),
                    url: hook.url.clone(),
                    events: hook.events.join(","),
                    description: hook.description.clone(),
                    secret: hook.secret.clone(),
                    enabled: hook.enabled,
                    consecutive_failures: 0,
                    cursor_tx: head.tx,
                    cursor_seq: head.seq,
                    created_at: db_time(hook.created_at),
                    updated_at: db_time(hook.updated_at),
                };
                diesel::insert_into(webhooks::table).values(&row).execute(c).map(|_| ())
            })
        })
    }

    fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        self.read(|conn| {
            with_conn!(conn, |c| webhooks::table
                .order((webhooks::created_at, webhooks::id))
                .select(WebhookRow::as_select())
                .load(c)
                .map(|rows| rows.into_iter().map(WebhookRow::into_domain).collect()))
        })
    }

    fn webhook(&self, id: uuid::Uuid) -> Result<Option<Webhook>, StoreError> {
        self.read(|conn| {
            with_conn!(conn, |c| webhooks::table
                .find(DbUuid(id))
                .select(WebhookRow::as_select())
                .first(c)
                .optional()
                .map(|row| row.map(WebhookRow::into_domain)))
        })
    }

    fn update_webhook(
        &self,
        id: uuid::Uuid,
        patch: &WebhookPatch,
        at: Timestamp,
    ) -> Result<Option<Webhook>, StoreError> {
        let id = DbUuid(id);
        self.write(|conn| {
            write_tx!(conn, |c| {
                let found =
                    diesel::update(webhooks::table.find(id)).set(webhooks::updated_at.eq(db_time(at))).execute(c)?;
                if found == 0 {
                    return Ok(None);
                }
                if let Some(url) = &patch.url {
                    diesel::update(webhooks::table.find(id)).set(webhooks::url.eq(url)).execute(c)?;
                }
                if let Some(events) = &patch.events {
                    diesel::update(webhooks::table.find(id)).set(webhooks::events.eq(events.join(","))).execute(c)?;
                }
                if let Some(enabled) = patch.enabled {
                    // Enabling again starts the count of failures in a row afresh.
                    diesel::update(webhooks::table.find(id))
                        .set((webhooks::enabled.eq(enabled), webhooks::consecutive_failures.eq(0)))
                        .execute(c)?;
                }
                webhooks::table
                    .find(id)
                    .select(WebhookRow::as_select())
                    .first(c)
                    .optional()
                    .map(|r| r.map(WebhookRow::into_domain))
            })
        })
    }

    fn delete_webhook(&self, id: uuid::Uuid) -> Result<bool, StoreError> {
        let id = DbUuid(id);
        self.write(|conn| {
            write_tx!(conn, |c| {
                diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id))).execute(c)?;
                diesel::delete(webhooks::table.find(id)).execute(c).map(|n| n > 0)
            })
        })
    }

    fn queue_delivery(&self, delivery: &Delivery, payload: &str) -> Result<(), StoreError> {
        let row = NewDeliveryRow {
            id: DbUuid(delivery.id),
            webhook_id: DbUuid(delivery.webhook_id),
            event_id: DbUuid(delivery.event_id),
            event_type: delivery.event_type.clone(),
            payload: payload.to_owned(),
            status: delivery.status.as_str().to_owned(),
            attempts: delivery.attempts,
            next_attempt_at: delivery.next_attempt_at.map(db_time),
            leased_until: None,
            created_at: db_time(delivery.created_at),
        };
        self.write(|conn| {
            write_tx!(conn, |c| diesel::insert_into(webhook_deliveries::table).values(&row).execute(c).map(|_| ()))
        })
    }

    fn deliveries(
        &self,
        webhook: uuid::Uuid,
        status: Option<DeliveryStatus>,
        before: Option<uuid::Uuid>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            with_conn!(conn, |c| {
                let mut query = webhook_deliveries::table
                    .filter(webhook_deliveries::webhook_id.eq(DbUuid(webhook)))
                    .order(webhook_deliveries::id.desc())
                    .limit(limit)
                    .select(DeliveryRow::as_select())
                    .into_boxed();
                if let Some(status) = status {
                    query = query.filter(webhook_deliveries::status.eq(status.as_str()));
                }
                if let Some(before) = before {
                    query = query.filter(webhook_deliveries::id.lt(DbUuid(before)));
                }
                query.load(c).map(|rows| rows.into_iter().map(DeliveryRow::into_domain).collect())
            })
        })
    }

    fn retry_delivery(
        &self,
        webhook: uuid::Uuid,
        delivery: uuid::Uuid,
        at: Timestamp,
    ) -> Result<Option<Delivery>, StoreError> {
        let (webhook, delivery) = (DbUuid(webhook), DbUuid(delivery));
        self.write(|conn| {
            write_tx!(conn, |c| {
                let target = webhook_deliveries::table
                    .filter(webhook_deliveries::id.eq(delivery).and(webhook_deliveries::webhook_id.eq(webhook)));
                let found = diesel::update(target)
                    .set((
                        webhook_deliveries::status.eq("pending"),
                        webhook_deliveries::next_attempt_at.eq(Some(db_time(at))),
                        webhook_deliveries::leased_until.eq(None::<DbTime>),
                    ))
                    .execute(c)?;
                if found == 0 {
                    return Ok(None);
                }
                target.select(DeliveryRow::as_select()).first(c).optional().map(|r| r.map(DeliveryRow::into_domain))
            })
        })
    }
}
