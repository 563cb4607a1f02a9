//! Webhook endpoints and their deliveries (issue 24).
//!
//! Deliveries are queued off the write path: a change writes only its events, and the
//! server's fan-out ([`Database::fan_out`]) later reads each enabled endpoint's events
//! after its `cursor_*` — the feed's own order and horizon, so nothing committed late
//! is skipped — and queues a delivery per wanted event, advancing the cursor in the
//! same transaction. On PostgreSQL each endpoint's row is locked `FOR UPDATE SKIP
//! LOCKED`, so two instances never fan out one endpoint at once, and the unique
//! `(webhook_id, event_id)` turns any twin into a no-op. Senders claim due deliveries
//! the same way and lease them (`leased_until`), so an instance that dies mid-send
//! leaves its deliveries to be taken again once the lease lapses.

use diesel::prelude::*;
use rookery_domain::event::{EventCursor, StoredEvent};
use rookery_domain::ports::{StoreError, WebhookStore};
use rookery_domain::{Delivery, DeliveryStatus, Timestamp, Webhook, WebhookPatch};

use crate::database::Database;
use crate::event_log::EventReads;
use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// A row of `webhooks`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
struct WebhookRow {
    id: DbUuid,
    url: String,
    events: String,
    description: Option<String>,
    secret: String,
    enabled: bool,
    consecutive_failures: i32,
    cursor_tx: i64,
    cursor_seq: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

impl WebhookRow {
    fn into_domain(self) -> Webhook {
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
struct DeliveryRow {
    id: DbUuid,
    webhook_id: DbUuid,
    event_id: DbUuid,
    event_type: String,
    status: String,
    attempts: i32,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    next_attempt_at: Option<DbTime>,
    delivered_at: Option<DbTime>,
    created_at: DbTime,
}

impl DeliveryRow {
    fn into_domain(self) -> Delivery {
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
struct NewDeliveryRow {
    id: DbUuid,
    webhook_id: DbUuid,
    event_id: DbUuid,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<DbTime>,
    created_at: DbTime,
}

impl NewDeliveryRow {
    fn of_event(webhook: DbUuid, event: &StoredEvent, now: DbTime) -> Self {
        Self {
            id: DbUuid(uuid::Uuid::now_v7()),
            webhook_id: webhook,
            event_id: DbUuid(event.id),
            event_type: event.kind.clone(),
            payload: event.envelope(),
            status: DeliveryStatus::Pending.as_str().to_owned(),
            attempts: 0,
            next_attempt_at: Some(now),
            created_at: now,
        }
    }
}

/// A delivery taken to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    /// The delivery.
    pub id: uuid::Uuid,
    /// The endpoint.
    pub webhook_id: uuid::Uuid,
    /// Where to send it.
    pub url: String,
    /// The endpoint's signing secret (`whsec_...`).
    pub secret: String,
    /// The event's id (`webhook-id`).
    pub event_id: uuid::Uuid,
    /// The body.
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx answered.
    Delivered {
        /// Its status.
        status_code: i32,
    },
    /// It failed; try again at `next_attempt_at`.
    Retry {
        /// The receiver's status, if it answered.
        status_code: Option<i32>,
        /// What went wrong.
        error: String,
        /// When to try again.
        next_attempt_at: Timestamp,
    },
    /// It failed for good: the schedule ran out, or the receiver answered 410.
    Failed {
        /// The receiver's status, if it answered.
        status_code: Option<i32>,
        /// What went wrong.
        error: String,
        /// The receiver asked to be forgotten (410): disable the endpoint now.
        gone: bool,
    },
}

/// What one attempt's record did to the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Recorded {
    /// The endpoint was disabled by it.
    pub disabled: bool,
}

/// Locking due rows per backend: `FOR UPDATE SKIP LOCKED` on PostgreSQL, nothing on
/// SQLite (its one writer holds the write lock).
trait DueLocks {
    fn due_deliveries(&mut self, now: DbTime, limit: i64) -> QueryResult<Vec<DbUuid>>;
    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>>;
}

macro_rules! due_query {
    ($now:expr, $limit:expr) => {
        webhook_deliveries::table
            .filter(webhook_deliveries::status.eq("pending"))
            .filter(webhook_deliveries::next_attempt_at.le($now))
            .filter(webhook_deliveries::leased_until.is_null().or(webhook_deliveries::leased_until.lt($now)))
            .filter(
                webhook_deliveries::webhook_id
                    .eq_any(webhooks::table.filter(webhooks::enabled.eq(true)).select(webhooks::id)),
            )
            .order(webhook_deliveries::next_attempt_at)
            .limit($limit)
            .select(webhook_deliveries::id)
    };
}

impl DueLocks for diesel::sqlite::SqliteConnection {
    fn due_deliveries(&mut self, now: DbTime, limit: i64) -> QueryResult<Vec<DbUuid>> {
        due_query!(now, limit).load(self)
    }

    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>> {
        webhooks::table.filter(webhooks::enabled.eq(true)).select(WebhookRow::as_select()).load(self)
    }
}

impl DueLocks for diesel::pg::PgConnection {
    fn due_deliveries(&mut self, now: DbTime, limit: i64) -> QueryResult<Vec<DbUuid>> {
        due_query!(now, limit).for_update().skip_locked().load(self)
    }

    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>> {
        webhooks::table
            .filter(webhooks::enabled.eq(true))
            .select(WebhookRow::as_select())
            .for_update()
            .skip_locked()
            .load(self)
    }
}

/// Endpoint and delivery statements, written once for both backends.
trait WebhookQueries {
    fn fan_out_all(&mut self, per_webhook: usize, now: DbTime) -> QueryResult<usize>;
    fn claim(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<DueDelivery>>;
    fn record(
        &mut self,
        id: DbUuid,
        outcome: &AttemptOutcome,
        now: DbTime,
        disable_after: i32,
    ) -> QueryResult<Recorded>;
}

for_each_backend! {
impl WebhookQueries {
    fn fan_out_all(&mut self, per_webhook: usize, now: DbTime) -> QueryResult<usize> {
        let mut queued = 0;
        for hook in self.lockable_webhooks()? {
            let cursor = EventCursor { tx: hook.cursor_tx, seq: hook.cursor_seq };
            let events = self.read_events(cursor, per_webhook, &[])?;
            let Some(last) = events.last().map(|e| e.cursor) else { continue };
            let wanted = hook.clone().into_domain();
            let rows: Vec<NewDeliveryRow> = events
                .iter()
                .filter(|e| wanted.wants(&e.kind))
                .map(|e| NewDeliveryRow::of_event(hook.id, e, now))
                .collect();
            // One row at a time: off the write path, and SQLite has no batch insert with
            // `ON CONFLICT`.
            for row in &rows {
                queued += diesel::insert_into(webhook_deliveries::table).values(row).on_conflict_do_nothing().execute(self)?;
            }
            diesel::update(webhooks::table.find(hook.id))
                .set((webhooks::cursor_tx.eq(last.tx), webhooks::cursor_seq.eq(last.seq)))
                .execute(self)?;
        }
        Ok(queued)
    }

    fn claim(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<DueDelivery>> {
        let ids = self.due_deliveries(now, limit)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::leased_until.eq(Some(until)))
            .execute(self)?;
        let rows: Vec<(DbUuid, DbUuid, String, String, DbUuid, String, i32)> = webhook_deliveries::table
            .inner_join(webhooks::table)
            .filter(webhook_deliveries::id.eq_any(&ids))
            .select((
                webhook_deliveries::id,
                webhook_deliveries::webhook_id,
                webhooks::url,
                webhooks::secret,
                webhook_deliveries::event_id,
                webhook_deliveries::payload,
                webhook_deliveries::attempts,
            ))
            .load(self)?;
        Ok(rows
            .into_iter()
            .map(|(id, webhook_id, url, secret, event_id, payload, attempts)| DueDelivery {
                id: id.0,
                webhook_id: webhook_id.0,
                url,
                secret,
                event_id: event_id.0,
                payload,
                attempts,
            })
            .collect())
    }

    fn record(&mut self, id: DbUuid, outcome: &AttemptOutcome, now: DbTime, disable_after: i32) -> QueryResult<Recorded> {
        let Some(webhook) = webhook_deliveries::table
            .find(id)
            .select(webhook_deliveries::webhook_id)
            .first::<DbUuid>(self)
            .optional()?
        else {
            return Ok(Recorded::default());
        };
        let target = webhook_deliveries::table.find(id);
        let attempts = webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1);
        let unleased = webhook_deliveries::leased_until.eq(None::<DbTime>);
        match outcome {
            AttemptOutcome::Delivered { status_code } => {
                diesel::update(target)
                    .set((
                        attempts,
                        unleased,
                        webhook_deliveries::status.eq("delivered"),
                        webhook_deliveries::last_status_code.eq(Some(*status_code)),
                        webhook_deliveries::last_error.eq(None::<String>),
                        webhook_deliveries::next_attempt_at.eq(None::<DbTime>),
                        webhook_deliveries::delivered_at.eq(Some(now)),
                    ))
                    .execute(self)?;
                diesel::update(webhooks::table.find(webhook))
                    .set(webhooks::consecutive_failures.eq(0))
                    .execute(self)?;
                Ok(Recorded::default())
            }
            AttemptOutcome::Retry { status_code, error, next_attempt_at } => {
                diesel::update(target)
                    .set((
                        attempts,
                        unleased,
                        webhook_deliveries::last_status_code.eq(*status_code),
                        webhook_deliveries::last_error.eq(Some(error.as_str())),
                        webhook_deliveries::next_attempt_at.eq(Some(db_time(*next_attempt_at))),
                    ))
                    .execute(self)?;
                Ok(Recorded::default())
            }
            AttemptOutcome::Failed { status_code, error, gone } => {
                diesel::update(target)
                    .set((
                        attempts,
                        unleased,
                        webhook_deliveries::status.eq("failed"),
                        webhook_deliveries::last_status_code.eq(*status_code),
                        webhook_deliveries::last_error.eq(Some(error.as_str())),
                        webhook_deliveries::next_attempt_at.eq(None::<DbTime>),
                    ))
                    .execute(self)?;
                diesel::update(webhooks::table.find(webhook))
                    .set(webhooks::consecutive_failures.eq(webhooks::consecutive_failures + 1))
                    .execute(self)?;
                let failures: i32 = webhooks::table.find(webhook).select(webhooks::consecutive_failures).first(self)?;
                let disable = *gone || failures >= disable_after;
                if disable {
                    diesel::update(webhooks::table.find(webhook).filter(webhooks::enabled.eq(true)))
                        .set((webhooks::enabled.eq(false), webhooks::updated_at.eq(now)))
                        .execute(self)?;
                }
                Ok(Recorded { disabled: disable })
            }
        }
    }
}
}

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

impl Database {
    /// Queues deliveries for the events committed since each enabled endpoint's last
    /// fan-out, up to `per_webhook` events each; answers how many were queued.
    ///
    /// # Errors
    /// Store errors.
    pub fn fan_out(&self, per_webhook: usize, now: Timestamp) -> Result<usize, StoreError> {
        // Looked at with a read first: an idle worker never takes the write lock (on
        // SQLite it would wait behind every writer, and hold up a shutdown).
        let behind = self.read(|conn| {
            with_conn!(conn, |c| {
                let cursors: Vec<(i64, i64)> = webhooks::table
                    .filter(webhooks::enabled.eq(true))
                    .select((webhooks::cursor_tx, webhooks::cursor_seq))
                    .load(c)?;
                let Some((tx, seq)) = cursors.into_iter().min() else { return Ok(false) };
                Ok(!c.read_events(EventCursor { tx, seq }, 1, &[])?.is_empty())
            })
        })?;
        if !behind {
            return Ok(0);
        }
        self.write(|conn| write_tx!(conn, |c| c.fan_out_all(per_webhook, db_time(now))))
    }

    /// Takes up to `limit` due deliveries of enabled endpoints and hides them from
    /// other senders until `now + lease`.
    ///
    /// # Errors
    /// Store errors.
    pub fn claim_deliveries(
        &self,
        now: Timestamp,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let (at, until) = (db_time(now), db_time(now + lease));
        let due = self.read(|conn| with_conn!(conn, |c| due_query!(at, 1).load::<DbUuid>(c)))?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|conn| write_tx!(conn, |c| c.claim(at, until, limit)))
    }

    /// Records how an attempt went; a final failure counts against the endpoint,
    /// which is disabled after `disable_after` in a row (or at once when gone).
    ///
    /// # Errors
    /// Store errors.
    pub fn record_attempt(
        &self,
        delivery: uuid::Uuid,
        outcome: &AttemptOutcome,
        now: Timestamp,
        disable_after: i32,
    ) -> Result<Recorded, StoreError> {
        let outcomes = [(delivery, outcome.clone())];
        Ok(self.record_attempts(&outcomes, now, disable_after)?.pop().unwrap_or_default())
    }

    /// As [`Database::record_attempt`] for several attempts, in one transaction.
    ///
    /// # Errors
    /// Store errors: nothing was recorded.
    pub fn record_attempts(
        &self,
        outcomes: &[(uuid::Uuid, AttemptOutcome)],
        now: Timestamp,
        disable_after: i32,
    ) -> Result<Vec<Recorded>, StoreError> {
        let at = db_time(now);
        // Deliveries that landed, the common case, are marked with one statement per
        // status code and endpoint: a batch of them costs a few statements, not three each.
        let mut delivered: std::collections::BTreeMap<(uuid::Uuid, i32), Vec<DbUuid>> =
            std::collections::BTreeMap::new();
        self.write(|conn| {
            write_tx!(conn, |c| {
                delivered.clear();
                let mut recorded = Vec::with_capacity(outcomes.len());
                let ids: Vec<DbUuid> = outcomes
                    .iter()
                    .filter(|(_, o)| matches!(o, AttemptOutcome::Delivered { .. }))
                    .map(|(id, _)| DbUuid(*id))
                    .collect();
                let owners: std::collections::HashMap<DbUuid, DbUuid> = webhook_deliveries::table
                    .filter(webhook_deliveries::id.eq_any(&ids))
                    .select((webhook_deliveries::id, webhook_deliveries::webhook_id))
                    .load::<(DbUuid, DbUuid)>(c)?
                    .into_iter()
                    .collect();
                for (id, outcome) in outcomes {
                    match outcome {
                        AttemptOutcome::Delivered { status_code } => {
                            if let Some(owner) = owners.get(&DbUuid(*id)) {
                                delivered.entry((owner.0, *status_code)).or_default().push(DbUuid(*id));
                            }
                            recorded.push(Recorded::default());
                        }
                        other => recorded.push(c.record(DbUuid(*id), other, at, disable_after)?),
                    }
                }
                for ((webhook, status_code), ids) in &delivered {
                    diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
                        .set((
                            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                            webhook_deliveries::leased_until.eq(None::<DbTime>),
                            webhook_deliveries::status.eq("delivered"),
                            webhook_deliveries::last_status_code.eq(Some(*status_code)),
                            webhook_deliveries::last_error.eq(None::<String>),
                            webhook_deliveries::next_attempt_at.eq(None::<DbTime>),
                            webhook_deliveries::delivered_at.eq(Some(at)),
                        ))
                        .execute(c)?;
                    diesel::update(webhooks::table.find(DbUuid(*webhook)).filter(webhooks::consecutive_failures.ne(0)))
                        .set(webhooks::consecutive_failures.eq(0))
                        .execute(c)?;
                }
                Ok(recorded)
            })
        })
    }

    /// Deliveries waiting to be sent (pending), for `/metrics`.
    ///
    /// # Errors
    /// Store errors.
    pub fn pending_deliveries(&self) -> Result<i64, StoreError> {
        self.read(|conn| {
            with_conn!(conn, |c| webhook_deliveries::table
                .filter(webhook_deliveries::status.eq("pending"))
                .count()
                .get_result(c))
        })
    }

    /// Deletes finished deliveries (delivered or failed) created before `before`.
    ///
    /// # Errors
    /// Store errors.
    pub fn prune_deliveries(&self, before: Timestamp) -> Result<usize, StoreError> {
        let before = db_time(before);
        let finished_old = webhook_deliveries::status.ne("pending").and(webhook_deliveries::created_at.lt(before));
        let any = self.read(|conn| {
            with_conn!(conn, |c| webhook_deliveries::table
                .filter(finished_old)
                .select(webhook_deliveries::id)
                .first::<DbUuid>(c)
                .optional())
        })?;
        if any.is_none() {
            return Ok(0);
        }
        self.write(|conn| {
            write_tx!(conn, |c| diesel::delete(
                webhook_deliveries::table
                    .filter(webhook_deliveries::status.ne("pending"))
                    .filter(webhook_deliveries::created_at.lt(before))
            )
            .execute(c))
        })
    }
}
