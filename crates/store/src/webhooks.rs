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
//! leaves its deliveries to be taken again once the lease lapses; a fan-out can insert
//! the first of its deliveries already leased to its own sender
//! ([`Database::fan_out_leasing`]), which saves claiming them. On SQLite the write
//! lock does what the row locks do on PostgreSQL.

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
pub(crate) struct WebhookRow {
    id: DbUuid,
    url: String,
    events: String,
    description: Option<String>,
    secret: String,
    enabled: bool,
    pub(crate) consecutive_failures: i32,
    cursor_tx: i64,
    cursor_seq: i64,
    created_at: DbTime,
    updated_at: DbTime,
}

impl WebhookRow {
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
struct NewDeliveryRow {
    id: DbUuid,
    webhook_id: DbUuid,
    event_id: DbUuid,
    event_type: String,
    payload: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<DbTime>,
    leased_until: Option<DbTime>,
    created_at: DbTime,
}

impl NewDeliveryRow {
    fn of_event(webhook: DbUuid, event: &StoredEvent, now: DbTime, leased_until: Option<DbTime>) -> Self {
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

/// The statements that differ per backend. On PostgreSQL each is one statement over
/// arrays (a round trip, and a text prepared once); on SQLite, where a statement costs
/// no round trip, the plain ones, under the one write lock.
trait DeliveryStatements {
    /// Enabled endpoints, each locked for this transaction's fan-out (PostgreSQL skips
    /// those another instance is fanning out).
    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>>;
    /// Inserts one endpoint's `rows`, skipping twins; answers the ids inserted.
    fn insert_deliveries(&mut self, hook: DbUuid, rows: &[NewDeliveryRow]) -> QueryResult<Vec<DbUuid>>;
    /// Takes up to `limit` due deliveries and leases them until `until`.
    fn claim(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<DueDelivery>>;
    /// Marks deliveries that landed, each with its status code.
    fn record_delivered(&mut self, landed: &[(DbUuid, i32)], at: DbTime) -> QueryResult<()>;
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

type DueRow = (DbUuid, DbUuid, String, String, DbUuid, String, i32);

fn due_delivery((id, webhook_id, url, secret, event_id, payload, attempts): DueRow) -> DueDelivery {
    DueDelivery { id: id.0, webhook_id: webhook_id.0, url, secret, event_id: event_id.0, payload, attempts }
}

impl DeliveryStatements for diesel::sqlite::SqliteConnection {
    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>> {
        // The write lock is the lock: one fan-out at a time.
        webhooks::table.filter(webhooks::enabled.eq(true)).select(WebhookRow::as_select()).load(self)
    }

    fn insert_deliveries(&mut self, _hook: DbUuid, rows: &[NewDeliveryRow]) -> QueryResult<Vec<DbUuid>> {
        // A row at a time: in process, cheap, and each says whether it was a twin.
        let mut inserted = Vec::with_capacity(rows.len());
        for row in rows {
            if diesel::insert_into(webhook_deliveries::table).values(row).on_conflict_do_nothing().execute(self)? > 0 {
                inserted.push(row.id);
            }
        }
        Ok(inserted)
    }

    fn claim(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<DueDelivery>> {
        let ids: Vec<DbUuid> = due_query!(now, limit).load(self)?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set(webhook_deliveries::leased_until.eq(Some(until)))
            .execute(self)?;
        let rows: Vec<DueRow> = webhook_deliveries::table
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
        Ok(rows.into_iter().map(due_delivery).collect())
    }

    fn record_delivered(&mut self, landed: &[(DbUuid, i32)], at: DbTime) -> QueryResult<()> {
        // One statement per status code (almost always one code), then the endpoints.
        let mut by_code: std::collections::BTreeMap<i32, Vec<DbUuid>> = std::collections::BTreeMap::new();
        for (id, code) in landed {
            by_code.entry(*code).or_default().push(*id);
        }
        for (code, ids) in &by_code {
            diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)))
                .set((
                    webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                    webhook_deliveries::leased_until.eq(None::<DbTime>),
                    webhook_deliveries::status.eq("delivered"),
                    webhook_deliveries::last_status_code.eq(Some(*code)),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::next_attempt_at.eq(None::<DbTime>),
                    webhook_deliveries::delivered_at.eq(Some(at)),
                ))
                .execute(self)?;
        }
        let ids: Vec<DbUuid> = landed.iter().map(|(id, _)| *id).collect();
        diesel::update(webhooks::table.filter(webhooks::consecutive_failures.ne(0)).filter(webhooks::id.eq_any(
            webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(ids)).select(webhook_deliveries::webhook_id),
        )))
        .set(webhooks::consecutive_failures.eq(0))
        .execute(self)
        .map(|_| ())
    }
}

impl DeliveryStatements for diesel::pg::PgConnection {
    fn lockable_webhooks(&mut self) -> QueryResult<Vec<WebhookRow>> {
        webhooks::table
            .filter(webhooks::enabled.eq(true))
            .select(WebhookRow::as_select())
            .for_update()
            .skip_locked()
            .load(self)
    }

    fn insert_deliveries(&mut self, hook: DbUuid, rows: &[NewDeliveryRow]) -> QueryResult<Vec<DbUuid>> {
        let Some(first) = rows.first() else { return Ok(Vec::new()) };
        crate::pg_arrays::InsertDeliveries {
            webhook: hook,
            now: first.created_at,
            created_at: first.created_at,
            ids: rows.iter().map(|r| r.id).collect(),
            event_ids: rows.iter().map(|r| r.event_id).collect(),
            kinds: rows.iter().map(|r| r.event_type.clone()).collect(),
            payloads: rows.iter().map(|r| r.payload.clone()).collect(),
            leased_until: rows.iter().map(|r| r.leased_until).collect(),
        }
        .get_results(self)
    }

    fn claim(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<DueDelivery>> {
        let rows: Vec<DueRow> =
            crate::pg_arrays::ClaimDeliveries { now, now_again: now, limit, until }.get_results(self)?;
        Ok(rows.into_iter().map(due_delivery).collect())
    }

    fn record_delivered(&mut self, landed: &[(DbUuid, i32)], at: DbTime) -> QueryResult<()> {
        crate::pg_arrays::RecordDelivered {
            at,
            ids: landed.iter().map(|(id, _)| *id).collect(),
            codes: landed.iter().map(|(_, code)| *code).collect(),
        }
        .execute(self)
        .map(|_| ())
    }
}

/// What a fan-out did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FanOut {
    /// Deliveries queued.
    pub queued: usize,
    /// The first of them, already leased to the caller: it sends these without claiming
    /// them (see [`Database::fan_out_leasing`]).
    pub leased: Vec<DueDelivery>,
}

/// Endpoint and delivery statements, written once for both backends.
trait WebhookQueries {
    fn fan_out_all(&mut self, per_webhook: usize, now: DbTime, until: DbTime, leasable: usize) -> QueryResult<FanOut>;
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
    fn fan_out_all(&mut self, per_webhook: usize, now: DbTime, until: DbTime, leasable: usize) -> QueryResult<FanOut> {
        let mut done = FanOut::default();
        for hook in self.lockable_webhooks()? {
            let cursor = EventCursor { tx: hook.cursor_tx, seq: hook.cursor_seq };
            let events = self.read_events(cursor, per_webhook, &[])?;
            let Some(last) = events.last().map(|e| e.cursor) else { continue };
            let wanted = hook.clone().into_domain();
            let room = leasable.saturating_sub(done.leased.len());
            let rows: Vec<NewDeliveryRow> = events
                .iter()
                .filter(|e| wanted.wants(&e.kind))
                .enumerate()
                .map(|(i, e)| NewDeliveryRow::of_event(hook.id, e, now, (i < room).then_some(until)))
                .collect();
            let inserted: std::collections::HashSet<DbUuid> = self.insert_deliveries(hook.id, &rows)?.into_iter().collect();
            done.queued += inserted.len();
            for row in rows.into_iter().filter(|r| r.leased_until.is_some() && inserted.contains(&r.id)) {
                done.leased.push(DueDelivery {
                    id: row.id.0,
                    webhook_id: hook.id.0,
                    url: hook.url.clone(),
                    secret: hook.secret.clone(),
                    event_id: row.event_id.0,
                    payload: row.payload,
                    attempts: 0,
                });
            }
            diesel::update(webhooks::table.find(hook.id))
                .set((webhooks::cursor_tx.eq(last.tx), webhooks::cursor_seq.eq(last.seq)))
                .execute(self)?;
        }
        Ok(done)
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
                self.record_delivered(&[(id, *status_code)], now)?;
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

impl Database {
    /// Queues deliveries for the events committed since each enabled endpoint's last
    /// fan-out, up to `per_webhook` events each; answers how many were queued.
    ///
    /// # Errors
    /// Store errors.
    pub fn fan_out(&self, per_webhook: usize, now: Timestamp) -> Result<usize, StoreError> {
        Ok(self.fan_out_leasing(per_webhook, now, chrono::Duration::zero(), 0)?.queued)
    }

    /// As [`Database::fan_out`], and the first `leasable` deliveries queued are leased
    /// to the caller until `now + lease` in the same statement and handed back: a
    /// sender with room takes the new deliveries without claiming them (an update of
    /// each row, and a read of them back). Like claimed ones, they are taken again by
    /// any sender once the lease lapses.
    ///
    /// # Errors
    /// Store errors: nothing was queued.
    pub fn fan_out_leasing(
        &self,
        per_webhook: usize,
        now: Timestamp,
        lease: chrono::Duration,
        leasable: usize,
    ) -> Result<FanOut, StoreError> {
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
            return Ok(FanOut::default());
        }
        let (at, until) = (db_time(now), db_time(now + lease));
        self.write(|conn| write_tx!(conn, |c| c.fan_out_all(per_webhook, at, until, leasable)))
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
        match self.backend() {
            // One statement, its own transaction.
            crate::Backend::Postgres => self.write(|conn| with_conn!(conn, |c| c.claim(at, until, limit))),
            crate::Backend::Sqlite => {
                // A read first: nothing due takes no write lock.
                let due = self.read(|conn| with_conn!(conn, |c| due_query!(at, 1).load::<DbUuid>(c)))?;
                if due.is_empty() {
                    return Ok(Vec::new());
                }
                self.write(|conn| write_tx!(conn, |c| c.claim(at, until, limit)))
            }
        }
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
        // Deliveries that landed, the common case, are marked together: a batch of them
        // costs one statement on PostgreSQL, a few on SQLite, not three each.
        let landed: Vec<(DbUuid, i32)> = outcomes
            .iter()
            .filter_map(|(id, outcome)| match outcome {
                AttemptOutcome::Delivered { status_code } => Some((DbUuid(*id), *status_code)),
                _ => None,
            })
            .collect();
        let all_landed = landed.len() == outcomes.len();
        if all_landed && self.backend() == crate::Backend::Postgres {
            // One statement is a transaction of its own: no BEGIN and COMMIT round trips.
            if !landed.is_empty() {
                self.write(|conn| with_conn!(conn, |c| c.record_delivered(&landed, at)))?;
            }
            return Ok(vec![Recorded::default(); outcomes.len()]);
        }
        self.write(|conn| {
            write_tx!(conn, |c| {
                let mut recorded = Vec::with_capacity(outcomes.len());
                for (id, outcome) in outcomes {
                    recorded.push(match outcome {
                        AttemptOutcome::Delivered { .. } => Recorded::default(),
                        other => c.record(DbUuid(*id), other, at, disable_after)?,
                    });
                }
                // Last, as before: a landed delivery ends its endpoint's run of failures.
                if !landed.is_empty() {
                    c.record_delivered(&landed, at)?;
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
