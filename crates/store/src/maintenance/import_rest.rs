//! Import of the tables beside accounts and follows: blocks, follow requests,
//! notifications, devices, queued pushes, follow budgets, mutes, suggestion
//! dismissals, webhook endpoints and their deliveries. Each batch is one write
//! transaction: one lookup of the accounts (or endpoints) the batch names, then
//! multi-row INSERTs that leave rows already stored alone (`ON CONFLICT DO NOTHING`,
//! counted as present). A record naming an account or endpoint that is not there is
//! skipped, never stored half-linked.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use rookery_domain::ports::StoreError;
use rookery_domain::{AccountId, RequestStatus};

use crate::connection::DbConnection;
use crate::database::Database;
use crate::event_log::EventReads;
use crate::maintenance::import::{BatchOutcome, Skip, SkipReason, analyze_when_grown, sqlite_bulk};
use crate::maintenance::records::{DeliveryRecord, Record, RecordKind, WebhookRecord};
use crate::maintenance::tally;
use crate::schema::{
    accounts, blocks, devices, follow_quota, follow_requests, mutes, notifications, push_outbox, suggestion_dismissals,
    webhook_deliveries, webhooks,
};
use crate::sql_types::{DbUuid, db_time};

/// Rows per multi-row INSERT: at most 12 columns, under SQLite's 32766 variables.
const CHUNK: usize = 2_000;
/// Values per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 10_000;

/// Whether each account a batch names exists, and whether it is live.
struct Named(HashMap<DbUuid, bool>);

impl Named {
    fn live(&self, id: AccountId) -> bool {
        self.0.get(&DbUuid::from(id)).copied().unwrap_or(false)
    }

    fn exists(&self, id: AccountId) -> bool {
        self.0.contains_key(&DbUuid::from(id))
    }
}

/// The accounts a record names, and whether it needs them live (a graph row: block,
/// request, budget) or only existing (history: a notification, a device).
fn named(record: &Record) -> (Vec<AccountId>, bool) {
    match record {
        Record::Block(b) => (vec![b.blocker_id, b.blocked_id], true),
        Record::Request(r) => (vec![r.requester_id, r.target_id], true),
        Record::Notification(n) => (vec![n.recipient_id, n.actor_id], false),
        Record::Device(d) => (vec![d.account_id], false),
        Record::Quota(q) => (vec![q.account_id], true),
        Record::Mute(m) => (vec![m.muter_id, m.muted_id], true),
        Record::Dismissal(d) => (vec![d.viewer_id, d.dismissed_id], true),
        Record::Account(_) | Record::Follow(_) | Record::Push(_) | Record::Webhook(_) | Record::Delivery(_) => {
            (Vec::new(), false)
        }
    }
}

/// Batch imports of the other tables, written once for both backends; each runs
/// inside the caller's write transaction.
trait ImportRest {
    fn named_accounts(&mut self, batch: &[Record]) -> QueryResult<Named>;
    fn pending_pairs(&mut self, batch: &[Record]) -> QueryResult<HashSet<(DbUuid, DbUuid)>>;
    fn blocked_pairs(&mut self, batch: &[Record]) -> QueryResult<HashSet<(DbUuid, DbUuid)>>;
    fn known_requests(&mut self, batch: &[Record]) -> QueryResult<HashSet<DbUuid>>;
    fn known_webhooks(&mut self, batch: &[Record]) -> QueryResult<HashSet<DbUuid>>;
    fn insert_rows(&mut self, kind: RecordKind, rows: &[&Record]) -> QueryResult<usize>;
}

fn requests(batch: &[Record]) -> impl Iterator<Item = &rookery_domain::RequestId> {
    batch.iter().filter_map(|r| match r {
        Record::Request(r) => Some(&r.id),
        _ => None,
    })
}

fn pending_requesters(batch: &[Record]) -> Vec<DbUuid> {
    batch
        .iter()
        .filter_map(|r| match r {
            Record::Request(r) if r.status == RequestStatus::Pending => Some(DbUuid::from(r.requester_id)),
            _ => None,
        })
        .collect()
}

for_each_backend! {
impl ImportRest {
    fn named_accounts(&mut self, batch: &[Record]) -> QueryResult<Named> {
        let ids: Vec<DbUuid> = batch.iter().flat_map(|r| named(r).0).map(DbUuid::from).collect::<HashSet<_>>().into_iter().collect();
        let mut found = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            found.extend(
                accounts::table
                    .filter(accounts::id.eq_any(chunk))
                    .select((accounts::id, accounts::deleted_at.is_null()))
                    .load::<(DbUuid, bool)>(self)?,
            );
        }
        Ok(Named(found))
    }

    fn pending_pairs(&mut self, batch: &[Record]) -> QueryResult<HashSet<(DbUuid, DbUuid)>> {
        let mut pairs = HashSet::new();
        for chunk in pending_requesters(batch).chunks(LOOKUP_CHUNK) {
            pairs.extend(
                follow_requests::table
                    .filter(follow_requests::status.eq(RequestStatus::Pending.as_str()).and(follow_requests::requester_id.eq_any(chunk)))
                    .select((follow_requests::requester_id, follow_requests::target_id))
                    .load::<(DbUuid, DbUuid)>(self)?,
            );
        }
        Ok(pairs)
    }

    fn blocked_pairs(&mut self, batch: &[Record]) -> QueryResult<HashSet<(DbUuid, DbUuid)>> {
        let mut pairs = HashSet::new();
        let requesters = pending_requesters(batch);
        for chunk in requesters.chunks(LOOKUP_CHUNK) {
            pairs.extend(blocks::table.filter(blocks::blocker_id.eq_any(chunk)).select((blocks::blocker_id, blocks::blocked_id)).load::<(DbUuid, DbUuid)>(self)?);
            pairs.extend(blocks::table.filter(blocks::blocked_id.eq_any(chunk)).select((blocks::blocker_id, blocks::blocked_id)).load::<(DbUuid, DbUuid)>(self)?);
        }
        Ok(pairs)
    }

    fn known_requests(&mut self, batch: &[Record]) -> QueryResult<HashSet<DbUuid>> {
        let ids: Vec<DbUuid> = requests(batch).map(|id| DbUuid::from(*id)).collect();
        let mut known = HashSet::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            known.extend(follow_requests::table.filter(follow_requests::id.eq_any(chunk)).select(follow_requests::id).load::<DbUuid>(self)?);
        }
        Ok(known)
    }

    fn known_webhooks(&mut self, batch: &[Record]) -> QueryResult<HashSet<DbUuid>> {
        let ids: Vec<DbUuid> = batch
            .iter()
            .filter_map(|r| match r {
                Record::Delivery(d) => Some(DbUuid(d.delivery.webhook_id)),
                _ => None,
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut known = HashSet::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            known.extend(webhooks::table.filter(webhooks::id.eq_any(chunk)).select(webhooks::id).load::<DbUuid>(self)?);
        }
        Ok(known)
    }

    fn insert_rows(&mut self, kind: RecordKind, rows: &[&Record]) -> QueryResult<usize> {
        // An endpoint starts at this database's feed head: the feed is not carried, so
        // it is delivered exactly the events committed from now on.
        let head = if kind == RecordKind::Webhook { self.feed_head()? } else { Default::default() };
        let mut inserted = 0;
        for chunk in rows.chunks(CHUNK) {
            inserted += match kind {
                RecordKind::Block => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Block(b) => Some((
                            blocks::blocker_id.eq(DbUuid::from(b.blocker_id)),
                            blocks::blocked_id.eq(DbUuid::from(b.blocked_id)),
                            blocks::reason.eq(b.reason.as_deref()),
                            blocks::created_at.eq(db_time(b.created_at)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(blocks::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Request => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Request(q) => Some((
                            follow_requests::id.eq(DbUuid::from(q.id)),
                            follow_requests::requester_id.eq(DbUuid::from(q.requester_id)),
                            follow_requests::target_id.eq(DbUuid::from(q.target_id)),
                            follow_requests::status.eq(q.status.as_str()),
                            follow_requests::created_at.eq(db_time(q.created_at)),
                            follow_requests::updated_at.eq(q.updated_at.map(db_time)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(follow_requests::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Notification => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Notification(n) => Some((
                            notifications::id.eq(DbUuid::from(n.id)),
                            notifications::recipient_id.eq(DbUuid::from(n.recipient_id)),
                            notifications::actor_id.eq(DbUuid::from(n.actor_id)),
                            notifications::kind.eq(n.kind.as_str()),
                            notifications::created_at.eq(db_time(n.created_at)),
                            notifications::read_at.eq(n.read_at.map(db_time)),
                            notifications::request_id.eq(n.request_id.map(DbUuid::from)),
                            notifications::request_status.eq(n.request_status.map(|fate| fate.as_str())),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(notifications::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Device => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Device(d) => Some((
                            devices::token.eq(d.token.as_str()),
                            devices::account_id.eq(DbUuid::from(d.account_id)),
                            devices::platform.eq(d.platform.as_str()),
                            devices::created_at.eq(db_time(d.created_at)),
                            devices::updated_at.eq(db_time(d.updated_at)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(devices::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Push => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Push(p) => Some((
                            push_outbox::notification_id.eq(DbUuid(p.notification_id)),
                            push_outbox::device_token.eq(p.device_token.as_str()),
                            push_outbox::attempts.eq(p.attempts),
                            push_outbox::next_attempt_at.eq(db_time(p.next_attempt_at)),
                            push_outbox::created_at.eq(db_time(p.created_at)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(push_outbox::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Quota => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Quota(q) => Some((
                            follow_quota::account_id.eq(DbUuid::from(q.account_id)),
                            follow_quota::window_start.eq(db_time(q.window_start)),
                            follow_quota::used.eq(q.used),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(follow_quota::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Mute => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Mute(m) => Some((
                            mutes::muter_id.eq(DbUuid::from(m.muter_id)),
                            mutes::muted_id.eq(DbUuid::from(m.muted_id)),
                            mutes::notifications.eq(m.notifications),
                            mutes::expires_at.eq(m.expires_at.map(db_time)),
                            mutes::created_at.eq(db_time(m.created_at)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(mutes::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Dismissal => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Dismissal(d) => Some((
                            suggestion_dismissals::viewer_id.eq(DbUuid::from(d.viewer_id)),
                            suggestion_dismissals::dismissed_id.eq(DbUuid::from(d.dismissed_id)),
                            suggestion_dismissals::created_at.eq(db_time(d.created_at)),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(suggestion_dismissals::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Webhook => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Webhook(WebhookRecord { webhook: w, consecutive_failures }) => Some((
                            (
                                webhooks::id.eq(DbUuid(w.id)),
                                webhooks::url.eq(w.url.as_str()),
                                webhooks::events.eq(w.events.join(",")),
                                webhooks::description.eq(w.description.as_deref()),
                                webhooks::secret.eq(w.secret.as_str()),
                                webhooks::enabled.eq(w.enabled),
                            ),
                            (
                                webhooks::consecutive_failures.eq(*consecutive_failures),
                                webhooks::cursor_tx.eq(head.tx),
                                webhooks::cursor_seq.eq(head.seq),
                                webhooks::created_at.eq(db_time(w.created_at)),
                                webhooks::updated_at.eq(db_time(w.updated_at)),
                            ),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(webhooks::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Delivery => {
                    let values: Vec<_> = chunk.iter().filter_map(|r| match r {
                        Record::Delivery(DeliveryRecord { delivery: d, payload }) => Some((
                            (
                                webhook_deliveries::id.eq(DbUuid(d.id)),
                                webhook_deliveries::webhook_id.eq(DbUuid(d.webhook_id)),
                                webhook_deliveries::event_id.eq(DbUuid(d.event_id)),
                                webhook_deliveries::event_type.eq(d.event_type.as_str()),
                                webhook_deliveries::payload.eq(payload.as_str()),
                                webhook_deliveries::status.eq(d.status.as_str()),
                            ),
                            (
                                webhook_deliveries::attempts.eq(d.attempts),
                                webhook_deliveries::last_status_code.eq(d.last_status_code),
                                webhook_deliveries::last_error.eq(d.last_error.as_deref()),
                                webhook_deliveries::next_attempt_at.eq(d.next_attempt_at.map(db_time)),
                                webhook_deliveries::delivered_at.eq(d.delivered_at.map(db_time)),
                                webhook_deliveries::created_at.eq(db_time(d.created_at)),
                            ),
                        )),
                        _ => None,
                    }).collect();
                    diesel::insert_into(webhook_deliveries::table).values(values).on_conflict_do_nothing().execute(self)?
                }
                RecordKind::Account | RecordKind::Follow => 0,
            };
        }
        Ok(inserted)
    }
}
}

/// Decides every record of the batch, then inserts those that may go in.
fn import_rest<C: ImportRest>(conn: &mut C, kind: RecordKind, batch: &[Record]) -> QueryResult<BatchOutcome> {
    let named_accounts = conn.named_accounts(batch)?;
    let (pending, blocked, known) = if kind == RecordKind::Request {
        (conn.pending_pairs(batch)?, conn.blocked_pairs(batch)?, conn.known_requests(batch)?)
    } else {
        (HashSet::new(), HashSet::new(), HashSet::new())
    };
    let endpoints = if kind == RecordKind::Delivery { conn.known_webhooks(batch)? } else { HashSet::new() };
    let mut outcome = BatchOutcome::default();
    let mut pending = pending;
    let mut rows = Vec::with_capacity(batch.len());
    for (index, record) in batch.iter().enumerate() {
        let (ids, must_be_live) = named(record);
        let missing =
            ids.iter().any(|id| if must_be_live { !named_accounts.live(*id) } else { !named_accounts.exists(*id) });
        let mut reason = missing.then_some(SkipReason::MissingAccount);
        if let Record::Delivery(d) = record {
            if !endpoints.contains(&DbUuid(d.delivery.webhook_id)) {
                reason = Some(SkipReason::MissingWebhook);
            }
        }
        if let (None, Record::Request(r)) = (reason, record) {
            let (a, b) = (DbUuid::from(r.requester_id), DbUuid::from(r.target_id));
            if known.contains(&DbUuid::from(r.id)) {
                outcome.present += 1;
                continue;
            }
            if r.status == RequestStatus::Pending {
                if blocked.contains(&(a, b)) || blocked.contains(&(b, a)) {
                    reason = Some(SkipReason::Blocked);
                } else if !pending.insert((a, b)) {
                    reason = Some(SkipReason::PendingExists);
                }
            }
        }
        match reason {
            Some(reason) => outcome.skipped.push(Skip { index, reason }),
            None => rows.push(record),
        }
    }
    let inserted = conn.insert_rows(kind, &rows)?;
    outcome.inserted = tally(inserted);
    outcome.present += tally(rows.len().saturating_sub(inserted));
    Ok(outcome)
}

impl Database {
    /// Imports a batch of records of one kind other than accounts and follows (see
    /// [`Database::import_accounts`] and [`Database::import_follows`]) in one
    /// transaction. A record already stored (same key) is counted as present; one
    /// naming an account that is missing (or deleted, for blocks, requests and
    /// budgets), a pending request across a block or beside another pending request
    /// of its pair, a delivery to an unknown endpoint, is skipped. A new webhook
    /// endpoint starts at this database's feed head.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`]; nothing of the batch is stored then.
    pub fn import_records(&self, kind: RecordKind, batch: &[Record]) -> Result<BatchOutcome, StoreError> {
        self.write(|conn| match conn {
            DbConnection::Sqlite(c) => sqlite_bulk(c, |c| import_rest(c, kind, batch)),
            DbConnection::Postgres(c) => c.transaction(|c| {
                analyze_when_grown(c, "accounts")?;
                import_rest(c, kind, batch)
            }),
        })
    }
}
