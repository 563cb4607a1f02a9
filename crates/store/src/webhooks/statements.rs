//! The delivery statements: the few that differ per backend, and the fan-out and the
//! record of an attempt written once over them.

use diesel::prelude::*;
use rookery_domain::event::EventCursor;

use super::outcome::{AttemptOutcome, DueDelivery, FanOut, Recorded};
use super::rows::{NewDeliveryRow, WebhookRow};
use crate::event_log::EventReads;
use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// The statements that differ per backend. On PostgreSQL each is one statement over
/// arrays (a round trip, and a text prepared once); on SQLite, where a statement costs
/// no round trip, the plain ones, under the one write lock.
pub(super) trait DeliveryStatements {
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

pub(super) use due_query;

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

/// Endpoint and delivery statements, written once for both backends.
pub(super) trait WebhookQueries {
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
