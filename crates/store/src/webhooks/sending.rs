//! The delivery worker's side of the store: fan-out, claims, records, and pruning.

use diesel::prelude::*;
use rookery_domain::Timestamp;
use rookery_domain::event::EventCursor;
use rookery_domain::ports::StoreError;

use super::outcome::{AttemptOutcome, DueDelivery, FanOut, Recorded};
use super::statements::{DeliveryStatements, WebhookQueries, due_query};
use crate::database::Database;
use crate::event_log::EventReads;
use crate::schema::{webhook_deliveries, webhooks};
use crate::sql_types::{DbUuid, db_time};

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
