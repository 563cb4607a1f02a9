//! The event feed's table (issue 24): appended in the transaction of each change,
//! read back in one order that every pager agrees on.
//!
//! The order is `(tx, seq)`: on PostgreSQL `tx` is the writing transaction's `xid8`
//! (the column's default) and `seq` a sequence; on SQLite `tx` is 0 and `seq` is
//! assigned under the one write lock, so it is the commit order. A sequence alone is
//! not enough on PostgreSQL: numbers are taken before commit, so a transaction holding
//! a lower number can commit after a reader has already paged past a higher one. A
//! read therefore shows only events of transactions older than the oldest one still
//! running (`pg_snapshot_xmin` of the reader's snapshot, the "horizon"): those are all
//! finished, and every transaction that is not, or has not started, gets a `tx` at or
//! above the horizon, so it can only ever add events after everything shown.

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rookery_domain::event::{EventCursor, GraphEvent, StoredEvent};
use rookery_domain::ports::{EventStore, StoreError};
use serde_json::{Value, json};

use crate::connection::DbConnection;
use crate::database::Database;
use crate::planned::{Avoid, Avoiding};
use crate::rows::{EventRow, NewEventRow};
use crate::schema::{event_retention, events};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// Rows per multi-row INSERT on SQLite.
const INSERT_CHUNK: usize = 1000;

/// The `data` of an event, as JSON.
#[must_use]
pub(crate) fn event_data(event: &GraphEvent) -> Value {
    match event {
        GraphEvent::FollowCreated { follower, followee, at } => json!({
            "follower_id": follower.to_string(),
            "followee_id": followee.to_string(),
            "followed_at": at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        }),
        GraphEvent::FollowDeleted { follower, followee, reason } => json!({
            "follower_id": follower.to_string(),
            "followee_id": followee.to_string(),
            "reason": reason.as_str(),
        }),
        GraphEvent::RequestCreated { request, requester, target }
        | GraphEvent::RequestAccepted { request, requester, target }
        | GraphEvent::RequestDeclined { request, requester, target } => json!({
            "request_id": request.to_string(),
            "requester_id": requester.to_string(),
            "target_id": target.to_string(),
        }),
        GraphEvent::RequestCancelled { request, requester, target, reason } => json!({
            "request_id": request.to_string(),
            "requester_id": requester.to_string(),
            "target_id": target.to_string(),
            "reason": reason.as_str(),
        }),
        GraphEvent::BlockCreated { blocker, blocked } | GraphEvent::BlockDeleted { blocker, blocked } => json!({
            "blocker_id": blocker.to_string(),
            "blocked_id": blocked.to_string(),
        }),
        GraphEvent::MuteCreated { muter, muted, notifications, expires_at } => json!({
            "muter_id": muter.to_string(),
            "muted_id": muted.to_string(),
            "notifications": notifications,
            "expires_at": expires_at.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        }),
        GraphEvent::MuteDeleted { muter, muted } => json!({
            "muter_id": muter.to_string(),
            "muted_id": muted.to_string(),
        }),
        GraphEvent::AccountCreated { account, username, is_private } => json!({
            "account_id": account.to_string(),
            "username": username,
            "is_private": is_private,
        }),
        GraphEvent::AccountUpdated { account, fields, is_private } => json!({
            "account_id": account.to_string(),
            "fields": fields,
            "is_private": is_private,
        }),
        GraphEvent::AccountDeleted { account } => json!({ "account_id": account.to_string() }),
    }
}

/// A new event row's columns, in `InsertEvents`' order.
fn new_rows(events: &[GraphEvent]) -> (Vec<DbUuid>, Vec<String>, Vec<String>, Vec<DbTime>) {
    let now = db_time(chrono::Utc::now());
    let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for event in events {
        columns.0.push(DbUuid(uuid::Uuid::now_v7()));
        columns.1.push(event.kind().to_owned());
        columns.2.push(event_data(event).to_string());
        columns.3.push(now);
    }
    columns
}

/// Appending events, per backend; inside the caller's write transaction.
pub(crate) trait EventWrites {
    /// Appends `events` in order.
    fn append_events(&mut self, events: &[GraphEvent]) -> QueryResult<()>;
    /// The feed's horizon: events with a `tx` below it are final.
    fn event_horizon(&mut self) -> QueryResult<i64>;
}

/// The horizon on PostgreSQL: the oldest transaction of this database still running
/// (by the statement's snapshot), else the first transaction id not yet assigned.
///
/// `pg_snapshot_xmin` alone would do, but it counts every database of the server: a
/// long write elsewhere (another application's, or a `CREATE DATABASE`) would hold
/// the feed back. So the snapshot's running transactions are narrowed to those whose
/// backend is connected to this database (`pg_stat_activity.backend_xid`, a 32-bit
/// xid, matched to the xid8 modulo 2^32). One running here but gone from
/// `pg_stat_activity` by the time it is read has ended, and the feed's next
/// statement sees it committed; one not yet given an id gets one at or above `xmax`.
const HORIZON: &str = "\
    WITH snap AS (SELECT pg_current_snapshot() AS s) \
    SELECT COALESCE( \
        (SELECT min(x::text::bigint) FROM snap, pg_snapshot_xip(snap.s) AS x \
          WHERE x::text::bigint % 4294967296 IN ( \
            SELECT backend_xid::text::bigint FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_xid IS NOT NULL)), \
        (SELECT pg_snapshot_xmax(s)::text::bigint FROM snap)) AS horizon";

#[derive(QueryableByName)]
struct Horizon {
    #[diesel(sql_type = BigInt)]
    horizon: i64,
}

impl EventWrites for diesel::sqlite::SqliteConnection {
    fn append_events(&mut self, events: &[GraphEvent]) -> QueryResult<()> {
        let (ids, kinds, data, created) = new_rows(events);
        let rows: Vec<NewEventRow> = ids
            .into_iter()
            .zip(kinds)
            .zip(data)
            .zip(created)
            .map(|(((id, kind), data), created_at)| NewEventRow { id, kind, data, created_at })
            .collect();
        for chunk in rows.chunks(INSERT_CHUNK) {
            diesel::insert_into(events::table).values(chunk).execute(self)?;
        }
        Ok(())
    }

    fn event_horizon(&mut self) -> QueryResult<i64> {
        // One writer: whatever a reader sees is committed, in sequence order.
        Ok(i64::MAX)
    }
}

impl EventWrites for diesel::pg::PgConnection {
    fn append_events(&mut self, events: &[GraphEvent]) -> QueryResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let (ids, kinds, data, created_at) = new_rows(events);
        crate::pg_arrays::InsertEvents { ids, kinds, data, created_at }.execute(self).map(|_| ())
    }

    fn event_horizon(&mut self) -> QueryResult<i64> {
        diesel::sql_query(HORIZON).get_result::<Horizon>(self).map(|row| row.horizon)
    }
}

/// Reading the feed, written once for both backends.
pub(crate) trait EventReads {
    fn read_events(&mut self, after: EventCursor, limit: usize, types: &[String]) -> QueryResult<Vec<StoredEvent>>;
    fn read_pruned_through(&mut self) -> QueryResult<EventCursor>;
    /// The position just before the first event not yet final: a new webhook starts
    /// here, and receives every event after it.
    fn feed_head(&mut self) -> QueryResult<EventCursor>;
    /// Deletes final events created before `before`, and remembers the newest deleted.
    fn prune_events(&mut self, before: DbTime) -> QueryResult<usize>;
}

for_each_backend! {
impl EventReads {
    fn read_events(&mut self, after: EventCursor, limit: usize, types: &[String]) -> QueryResult<Vec<StoredEvent>> {
        let horizon = self.event_horizon()?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        // Two seeks of `events_position`, not one filter `tx > a OR (tx = a AND seq >
        // b)`: neither planner turns that OR into a seek, so it walked the index from
        // the feed's start, a cost that grew with the table (on SQLite, where `tx` is
        // always 0, every read of the feed). First the rest of the cursor's own
        // transaction, then the transactions after it.
        // The final events of the wanted types in feed order, at most `n` of them.
        let final_events = |n: i64| {
            let mut query = events::table
                .filter(events::tx.lt(horizon))
                .order((events::tx, events::seq))
                .limit(n)
                .select(EventRow::as_select())
                .into_boxed();
            if !types.is_empty() {
                query = query.filter(events::kind.eq_any(types));
            }
            query
        };
        let mut rows = final_events(limit).filter(events::tx.eq(after.tx)).filter(events::seq.gt(after.seq)).load(self)?;
        let room = limit - i64::try_from(rows.len()).unwrap_or(i64::MAX);
        if room > 0 {
            rows.extend(final_events(room).filter(events::tx.gt(after.tx)).load(self)?);
        }
        Ok(rows.into_iter().map(EventRow::into_domain).collect())
    }

    fn read_pruned_through(&mut self) -> QueryResult<EventCursor> {
        let (tx, seq) = event_retention::table
            .select((event_retention::pruned_tx, event_retention::pruned_seq))
            .first::<(i64, i64)>(self)
            .optional()?
            .unwrap_or_default();
        Ok(EventCursor { tx, seq })
    }

    fn feed_head(&mut self) -> QueryResult<EventCursor> {
        let horizon = self.event_horizon()?;
        let last: Option<(i64, i64)> = events::table
            .filter(events::tx.lt(horizon))
            .order((events::tx.desc(), events::seq.desc()))
            .select((events::tx, events::seq))
            .first(self)
            .optional()?;
        Ok(last.map(|(tx, seq)| EventCursor { tx, seq }).unwrap_or_default())
    }

    fn prune_events(&mut self, before: DbTime) -> QueryResult<usize> {
        let horizon = self.event_horizon()?;
        let old = events::created_at.lt(before).and(events::tx.lt(horizon));
        let newest: Option<(i64, i64)> = events::table
            .filter(old)
            .order((events::tx.desc(), events::seq.desc()))
            .select((events::tx, events::seq))
            .first(self)
            .optional()?;
        let Some((tx, seq)) = newest else { return Ok(0) };
        // Everything up to the newest old event goes, so the feed keeps no gap.
        let deleted = diesel::delete(
            events::table.filter(events::tx.lt(tx).or(events::tx.eq(tx).and(events::seq.le(seq)))),
        )
        .execute(self)?;
        diesel::update(event_retention::table)
            .set((event_retention::pruned_tx.eq(tx), event_retention::pruned_seq.eq(seq)))
            .execute(self)?;
        Ok(deleted)
    }
}
}

impl EventStore for Database {
    fn events_after(&self, after: EventCursor, limit: usize, types: &[String]) -> Result<Vec<StoredEvent>, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.avoiding(Avoid::BitmapScans, |c| c.read_events(after, limit, types))))
    }

    fn pruned_through(&self) -> Result<EventCursor, StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.read_pruned_through()))
    }

    fn feed_end(&self) -> Result<EventCursor, StoreError> {
        self.read(|conn| with_conn!(conn, |c| Ok(c.feed_head()?.max(c.read_pruned_through()?))))
    }
}

impl Database {
    /// Deletes events created before `before` (the retention), keeping the feed free
    /// of gaps; answers how many went.
    ///
    /// # Errors
    /// Store errors.
    pub fn prune_events(&self, before: rookery_domain::Timestamp) -> Result<usize, StoreError> {
        let before = db_time(before);
        // A read first: nothing to prune takes no write lock.
        let any = self.read(|conn| {
            with_conn!(conn, |c| events::table
                .filter(events::created_at.lt(before))
                .select(events::seq)
                .first::<i64>(c)
                .optional())
        })?;
        if any.is_none() {
            return Ok(0);
        }
        self.write(|conn| write_tx!(conn, |c| c.prune_events(before)))
    }
}

/// The events `conn` holds, for tests: every row, final or not, in feed order.
#[doc(hidden)]
pub fn all_events(conn: &mut DbConnection) -> QueryResult<Vec<StoredEvent>> {
    with_conn!(conn, |c| events::table
        .order((events::tx, events::seq))
        .select(EventRow::as_select())
        .load(c)
        .map(|rows| rows.into_iter().map(EventRow::into_domain).collect()))
}
