//! Export: every table, one after the other in [`RecordKind::ALL`] order, streamed
//! page by page in primary-key order from one snapshot, so memory stays flat however
//! large the graph (but for the set of deleted account ids) and every row written
//! names only accounts written before it.
//!
//! After the stored deliveries come those the fan-out has not queued yet, one for each
//! event after an endpoint's place in the feed that it wants (`unsent.rs`): the feed
//! itself is not carried, so they are how those events still reach their receivers.
//!
//! Text keys (device tokens) are ordered by their bytes on both backends (`COLLATE
//! "C"` on PostgreSQL, SQLite's default), so an export reads the same whichever
//! backend it came from.

use std::collections::{BTreeMap, HashSet};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use rookery_domain::event::{EventCursor, StoredEvent};
use rookery_domain::ports::StoreError;
use rookery_domain::{
    AccountId, DeliveryStatus, NotificationId, NotificationKind, RequestFate, RequestId, RequestStatus, Username,
    Webhook,
};

use crate::database::Database;
use crate::maintenance::records::{
    AccountRecord, BlockRecord, DeliveryRecord, DeviceRecord, DismissalRecord, FollowRecord, MuteRecord,
    NotificationRecord, PushRecord, QuotaRecord, Record, RecordKind, RequestRecord, WebhookRecord,
};
use crate::maintenance::tally;
use crate::maintenance::unsent::unsent_delivery;
use crate::rows::EventRow;
use crate::schema::{
    accounts, blocks, devices, events, follow_quota, follow_requests, follows, mutes, notifications, push_outbox,
    suggestion_dismissals, webhook_deliveries, webhooks,
};
use crate::sql_types::{DbTime, DbUuid};
use crate::webhooks::{DeliveryRow, WebhookRow};

/// Where [`Database::export`] writes its pages, in [`RecordKind::ALL`] order.
pub trait ExportSink {
    /// Writes a page of records of one kind, in key order.
    ///
    /// # Errors
    /// The write failed; the export stops.
    fn records(&mut self, page: &[Record]) -> std::io::Result<()>;
}

/// How much [`Database::export`] wrote, per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Records written per kind (kinds with none are absent).
    pub written: BTreeMap<RecordKind, u64>,
}

impl ExportSummary {
    /// Records of `kind` written.
    #[must_use]
    pub fn of(&self, kind: RecordKind) -> u64 {
        self.written.get(&kind).copied().unwrap_or(0)
    }
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Reading the database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The sink refused a page.
    #[error("writing the export failed: {0}")]
    Sink(#[source] std::io::Error),
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = accounts)]
struct AccountExportRow {
    id: DbUuid,
    username: String,
    full_name: Option<String>,
    bio: Option<String>,
    profile_image_url: Option<String>,
    banner_image_url: Option<String>,
    is_private: bool,
    is_verified: bool,
    posts_count: i64,
    created_at: DbTime,
    updated_at: DbTime,
    deleted_at: Option<DbTime>,
    graph_privacy: i32,
}

impl From<AccountExportRow> for Record {
    fn from(row: AccountExportRow) -> Self {
        Self::Account(AccountRecord {
            id: AccountId::from_uuid(row.id.0),
            username: Username::from_trusted(row.username),
            full_name: row.full_name,
            bio: row.bio,
            profile_image_url: row.profile_image_url,
            banner_image_url: row.banner_image_url,
            is_private: row.is_private,
            is_verified: row.is_verified,
            privacy: crate::rows::unpack_privacy(row.graph_privacy),
            posts_count: row.posts_count,
            created_at: row.created_at.0,
            updated_at: row.updated_at.0,
            deleted_at: row.deleted_at.map(|at| at.0),
        })
    }
}

fn account(id: DbUuid) -> AccountId {
    AccountId::from_uuid(id.0)
}

/// A stored enum value the schema's CHECK constraint admits but this binary cannot
/// read: a failed read rather than a guess.
fn unreadable(what: &str, value: &str) -> diesel::result::Error {
    diesel::result::Error::DeserializationError(format!("unknown {what} {value:?}").into())
}

/// How each backend orders text keys by their bytes.
pub(crate) trait ByteOrder {
    /// Appended to a text column in ORDER BY and comparisons.
    const BYTES: &'static str;
}

impl ByteOrder for diesel::sqlite::SqliteConnection {
    const BYTES: &'static str = "";
}

impl ByteOrder for diesel::pg::PgConnection {
    const BYTES: &'static str = " COLLATE \"C\"";
}

type Page = QueryResult<Vec<Record>>;

/// Paged reads in key order, written once for both backends. Each takes the last
/// record of the previous page (of its own kind) as the cursor.
pub(crate) trait ExportQueries {
    fn deleted_accounts(&mut self) -> QueryResult<HashSet<DbUuid>>;
    fn account_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn block_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn follow_page(&mut self, after: Option<&Record>, limit: i64) -> QueryResult<Vec<FollowRecord>>;
    fn request_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn notification_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn device_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn push_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn quota_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn mute_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn dismissal_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn webhook_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    fn delivery_page(&mut self, after: Option<&Record>, limit: i64) -> Page;
    /// Every endpoint, in id order, with how far its deliveries are queued.
    fn webhook_cursors(&mut self) -> QueryResult<Vec<(Webhook, EventCursor)>>;
    /// Up to `limit` events after `after` in feed order: every one the snapshot shows
    /// (no horizon, since nothing can commit into a snapshot).
    fn events_after(&mut self, after: EventCursor, limit: i64) -> QueryResult<Vec<StoredEvent>>;
}

for_each_backend! {
impl ExportQueries {
    fn deleted_accounts(&mut self) -> QueryResult<HashSet<DbUuid>> {
        Ok(accounts::table.filter(accounts::deleted_at.is_not_null()).select(accounts::id).load::<DbUuid>(self)?.into_iter().collect())
    }

    fn account_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = accounts::table.order(accounts::id).limit(limit).select(AccountExportRow::as_select()).into_boxed();
        if let Some(Record::Account(last)) = after {
            query = query.filter(accounts::id.gt(DbUuid::from(last.id)));
        }
        Ok(query.load(self)?.into_iter().map(Record::from).collect())
    }

    fn block_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = blocks::table
            .order((blocks::blocker_id, blocks::blocked_id))
            .limit(limit)
            .select((blocks::blocker_id, blocks::blocked_id, blocks::reason, blocks::created_at))
            .into_boxed();
        if let Some(Record::Block(last)) = after {
            let (a, b) = (DbUuid::from(last.blocker_id), DbUuid::from(last.blocked_id));
            query = query.filter(blocks::blocker_id.ge(a).and(blocks::blocker_id.gt(a).or(blocks::blocked_id.gt(b))));
        }
        Ok(query
            .load::<(DbUuid, DbUuid, Option<String>, DbTime)>(self)?
            .into_iter()
            .map(|(blocker, blocked, reason, at)| {
                Record::Block(BlockRecord { blocker_id: account(blocker), blocked_id: account(blocked), reason, created_at: at.0 })
            })
            .collect())
    }

    fn follow_page(&mut self, after: Option<&Record>, limit: i64) -> QueryResult<Vec<FollowRecord>> {
        let mut query = follows::table
            .order((follows::follower_id, follows::followee_id))
            .limit(limit)
            .select((follows::follower_id, follows::followee_id, follows::created_at))
            .into_boxed();
        if let Some(Record::Follow(last)) = after {
            let (a, b) = (DbUuid::from(last.follower_id), DbUuid::from(last.followee_id));
            // The range on the key's first column lets both backends start the scan
            // at the cursor; the OR only trims the rest of that follower's edges.
            query = query.filter(follows::follower_id.ge(a).and(follows::follower_id.gt(a).or(follows::followee_id.gt(b))));
        }
        Ok(query
            .load::<(DbUuid, DbUuid, DbTime)>(self)?
            .into_iter()
            .map(|(follower, followee, at)| FollowRecord { follower_id: account(follower), followee_id: account(followee), created_at: at.0 })
            .collect())
    }

    fn request_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = follow_requests::table
            .order(follow_requests::id)
            .limit(limit)
            .select((
                follow_requests::id,
                follow_requests::requester_id,
                follow_requests::target_id,
                follow_requests::status,
                follow_requests::created_at,
                follow_requests::updated_at,
            ))
            .into_boxed();
        if let Some(Record::Request(last)) = after {
            query = query.filter(follow_requests::id.gt(DbUuid::from(last.id)));
        }
        query
            .load::<(DbUuid, DbUuid, DbUuid, String, DbTime, Option<DbTime>)>(self)?
            .into_iter()
            .map(|(id, requester, target, status, created_at, updated_at)| {
                Ok(Record::Request(RequestRecord {
                    id: RequestId::from_uuid(id.0),
                    requester_id: account(requester),
                    target_id: account(target),
                    status: RequestStatus::parse(&status).ok_or_else(|| unreadable("request status", &status))?,
                    created_at: created_at.0,
                    updated_at: updated_at.map(|at| at.0),
                }))
            })
            .collect()
    }

    fn notification_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = notifications::table
            .order(notifications::id)
            .limit(limit)
            .select((
                notifications::id,
                notifications::recipient_id,
                notifications::actor_id,
                notifications::kind,
                notifications::created_at,
                notifications::read_at,
                notifications::request_id,
                notifications::request_status,
            ))
            .into_boxed();
        if let Some(Record::Notification(last)) = after {
            query = query.filter(notifications::id.gt(DbUuid::from(last.id)));
        }
        query
            .load::<(DbUuid, DbUuid, DbUuid, String, DbTime, Option<DbTime>, Option<DbUuid>, Option<String>)>(self)?
            .into_iter()
            .map(|(id, recipient, actor, kind, created_at, read_at, request_id, request_status)| {
                Ok(Record::Notification(NotificationRecord {
                    id: NotificationId::from_uuid(id.0),
                    recipient_id: account(recipient),
                    actor_id: account(actor),
                    kind: NotificationKind::parse(&kind).ok_or_else(|| unreadable("notification kind", &kind))?,
                    created_at: created_at.0,
                    read_at: read_at.map(|at| at.0),
                    request_id: request_id.map(|id| RequestId::from_uuid(id.0)),
                    request_status: request_status
                        .map(|fate| RequestFate::parse(&fate).ok_or_else(|| unreadable("request fate", &fate)))
                        .transpose()?,
                }))
            })
            .collect()
    }

    fn device_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = devices::table
            .order(sql::<Text>(&format!("token{}", Self::BYTES)))
            .limit(limit)
            .select((devices::token, devices::account_id, devices::platform, devices::created_at, devices::updated_at))
            .into_boxed();
        if let Some(Record::Device(last)) = after {
            query = query.filter(sql::<Bool>(&format!("token{} > ", Self::BYTES)).bind::<Text, _>(last.token.clone()));
        }
        Ok(query
            .load::<(String, DbUuid, String, DbTime, DbTime)>(self)?
            .into_iter()
            .map(|(token, owner, platform, created_at, updated_at)| {
                Record::Device(DeviceRecord { token, account_id: account(owner), platform, created_at: created_at.0, updated_at: updated_at.0 })
            })
            .collect())
    }

    fn push_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = push_outbox::table
            .order((push_outbox::notification_id, sql::<Text>(&format!("device_token{}", Self::BYTES))))
            .limit(limit)
            .select((
                push_outbox::notification_id,
                push_outbox::device_token,
                push_outbox::attempts,
                push_outbox::next_attempt_at,
                push_outbox::created_at,
            ))
            .into_boxed();
        if let Some(Record::Push(last)) = after {
            let id = DbUuid(last.notification_id);
            let later_token = sql::<Bool>(&format!("device_token{} > ", Self::BYTES)).bind::<Text, _>(last.device_token.clone());
            query = query.filter(push_outbox::notification_id.gt(id).or(push_outbox::notification_id.eq(id).and(later_token)));
        }
        Ok(query
            .load::<(DbUuid, String, i32, DbTime, DbTime)>(self)?
            .into_iter()
            .map(|(id, device_token, attempts, next_attempt_at, created_at)| {
                Record::Push(PushRecord { notification_id: id.0, device_token, attempts, next_attempt_at: next_attempt_at.0, created_at: created_at.0 })
            })
            .collect())
    }

    fn quota_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = follow_quota::table
            .order(follow_quota::account_id)
            .limit(limit)
            .select((follow_quota::account_id, follow_quota::window_start, follow_quota::used))
            .into_boxed();
        if let Some(Record::Quota(last)) = after {
            query = query.filter(follow_quota::account_id.gt(DbUuid::from(last.account_id)));
        }
        Ok(query
            .load::<(DbUuid, DbTime, i32)>(self)?
            .into_iter()
            .map(|(owner, window_start, used)| Record::Quota(QuotaRecord { account_id: account(owner), window_start: window_start.0, used }))
            .collect())
    }

    fn mute_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = mutes::table
            .order((mutes::muter_id, mutes::muted_id))
            .limit(limit)
            .select((mutes::muter_id, mutes::muted_id, mutes::notifications, mutes::expires_at, mutes::created_at))
            .into_boxed();
        if let Some(Record::Mute(last)) = after {
            let (muter, muted) = (DbUuid::from(last.muter_id), DbUuid::from(last.muted_id));
            query = query.filter(mutes::muter_id.gt(muter).or(mutes::muter_id.eq(muter).and(mutes::muted_id.gt(muted))));
        }
        Ok(query
            .load::<(DbUuid, DbUuid, bool, Option<DbTime>, DbTime)>(self)?
            .into_iter()
            .map(|(muter, muted, notifications, expires_at, created_at)| {
                Record::Mute(MuteRecord {
                    muter_id: account(muter),
                    muted_id: account(muted),
                    notifications,
                    expires_at: expires_at.map(|at| at.0),
                    created_at: created_at.0,
                })
            })
            .collect())
    }

    fn dismissal_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = suggestion_dismissals::table
            .order((suggestion_dismissals::viewer_id, suggestion_dismissals::dismissed_id))
            .limit(limit)
            .select((suggestion_dismissals::viewer_id, suggestion_dismissals::dismissed_id, suggestion_dismissals::created_at))
            .into_boxed();
        if let Some(Record::Dismissal(last)) = after {
            let (viewer, dismissed) = (DbUuid::from(last.viewer_id), DbUuid::from(last.dismissed_id));
            query = query.filter(
                suggestion_dismissals::viewer_id
                    .gt(viewer)
                    .or(suggestion_dismissals::viewer_id.eq(viewer).and(suggestion_dismissals::dismissed_id.gt(dismissed))),
            );
        }
        Ok(query
            .load::<(DbUuid, DbUuid, DbTime)>(self)?
            .into_iter()
            .map(|(viewer, dismissed, created_at)| {
                Record::Dismissal(DismissalRecord {
                    viewer_id: account(viewer),
                    dismissed_id: account(dismissed),
                    created_at: created_at.0,
                })
            })
            .collect())
    }

    fn webhook_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = webhooks::table.order(webhooks::id).limit(limit).select(WebhookRow::as_select()).into_boxed();
        if let Some(Record::Webhook(last)) = after {
            query = query.filter(webhooks::id.gt(DbUuid(last.webhook.id)));
        }
        Ok(query
            .load::<WebhookRow>(self)?
            .into_iter()
            .map(|row| {
                let consecutive_failures = row.consecutive_failures;
                Record::Webhook(WebhookRecord { webhook: row.into_domain(), consecutive_failures })
            })
            .collect())
    }

    fn delivery_page(&mut self, after: Option<&Record>, limit: i64) -> Page {
        let mut query = webhook_deliveries::table
            .order(webhook_deliveries::id)
            .limit(limit)
            .select((DeliveryRow::as_select(), webhook_deliveries::payload))
            .into_boxed();
        if let Some(Record::Delivery(last)) = after {
            query = query.filter(webhook_deliveries::id.gt(DbUuid(last.delivery.id)));
        }
        query
            .load::<(DeliveryRow, String)>(self)?
            .into_iter()
            .map(|(row, payload)| {
                if DeliveryStatus::parse(&row.status).is_none() {
                    return Err(unreadable("delivery status", &row.status));
                }
                Ok(Record::Delivery(DeliveryRecord { delivery: row.into_domain(), payload }))
            })
            .collect()
    }

    fn webhook_cursors(&mut self) -> QueryResult<Vec<(Webhook, EventCursor)>> {
        let rows = webhooks::table.order(webhooks::id).select(WebhookRow::as_select()).load::<WebhookRow>(self)?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let cursor = row.cursor();
                (row.into_domain(), cursor)
            })
            .collect())
    }

    fn events_after(&mut self, after: EventCursor, limit: i64) -> QueryResult<Vec<StoredEvent>> {
        // Two seeks, as the feed reads (`event_log.rs`): the rest of the cursor's
        // transaction, then the transactions after it.
        let in_order = |n: i64| events::table.order((events::tx, events::seq)).limit(n).select(EventRow::as_select());
        let mut rows = in_order(limit).filter(events::tx.eq(after.tx)).filter(events::seq.gt(after.seq)).load(self)?;
        let room = limit - i64::try_from(rows.len()).unwrap_or(i64::MAX);
        if room > 0 {
            rows.extend(in_order(room).filter(events::tx.gt(after.tx)).load(self)?);
        }
        Ok(rows.into_iter().map(EventRow::into_domain).collect())
    }
}
}

/// One page of `kind` after `after`. Edges of deleted accounts are dropped here
/// (`rookery check --repair` removes them; a file must not carry them over):
/// joining every edge to both its accounts costs two index lookups per edge (20 s for
/// a million on PostgreSQL), the deleted ids one query.
fn page_of<C: ExportQueries>(
    conn: &mut C,
    kind: RecordKind,
    after: Option<&Record>,
    limit: i64,
    deleted: &HashSet<DbUuid>,
) -> QueryResult<(Vec<Record>, Option<Record>)> {
    if kind == RecordKind::Follow {
        let rows = conn.follow_page(after, limit)?;
        let last = rows.last().copied().map(Record::Follow);
        let live = rows
            .into_iter()
            .filter(|edge| {
                !deleted.contains(&DbUuid::from(edge.follower_id)) && !deleted.contains(&DbUuid::from(edge.followee_id))
            })
            .map(Record::Follow)
            .collect();
        return Ok((live, last));
    }
    let page = match kind {
        RecordKind::Account => conn.account_page(after, limit)?,
        RecordKind::Block => conn.block_page(after, limit)?,
        RecordKind::Follow => Vec::new(),
        RecordKind::Request => conn.request_page(after, limit)?,
        RecordKind::Notification => conn.notification_page(after, limit)?,
        RecordKind::Device => conn.device_page(after, limit)?,
        RecordKind::Push => conn.push_page(after, limit)?,
        RecordKind::Quota => conn.quota_page(after, limit)?,
        RecordKind::Mute => conn.mute_page(after, limit)?,
        RecordKind::Dismissal => conn.dismissal_page(after, limit)?,
        RecordKind::Webhook => conn.webhook_page(after, limit)?,
        RecordKind::Delivery => conn.delivery_page(after, limit)?,
    };
    let last = page.last().cloned();
    Ok((page, last))
}

/// Runs the paged scans. A sink error is parked in `failed` and turned into a
/// rollback, since the transaction's error type is Diesel's.
fn pages<C: ExportQueries>(
    conn: &mut C,
    page_size: i64,
    sink: &mut dyn ExportSink,
    failed: &mut Option<std::io::Error>,
) -> QueryResult<ExportSummary> {
    let mut summary = ExportSummary::default();
    let mut park = |e: std::io::Error| {
        *failed = Some(e);
        diesel::result::Error::RollbackTransaction
    };
    let mut emit = |kind: RecordKind, page: &[Record]| -> QueryResult<()> {
        if !page.is_empty() {
            sink.records(page).map_err(&mut park)?;
            *summary.written.entry(kind).or_default() += tally(page.len());
        }
        Ok(())
    };
    let deleted = conn.deleted_accounts()?;
    for kind in RecordKind::ALL {
        let mut after: Option<Record> = None;
        loop {
            let (page, last) = page_of(conn, kind, after.as_ref(), page_size, &deleted)?;
            let Some(last) = last else { break };
            after = Some(last);
            emit(kind, &page)?;
        }
        if kind == RecordKind::Delivery {
            let newest = match after {
                Some(Record::Delivery(last)) => last.delivery.id,
                _ => uuid::Uuid::nil(),
            };
            unsent_pages(conn, page_size, newest, &mut |page| emit(kind, page))?;
        }
    }
    Ok(summary)
}

/// The events each endpoint has not been given yet, as pending deliveries written
/// after every stored one (`unsent.rs`), a page of events at a time.
fn unsent_pages<C: ExportQueries>(
    conn: &mut C,
    page_size: i64,
    newest: uuid::Uuid,
    emit: &mut dyn FnMut(&[Record]) -> QueryResult<()>,
) -> QueryResult<()> {
    let mut index = 0_u64;
    for (hook, mut cursor) in conn.webhook_cursors()? {
        loop {
            let events = conn.events_after(cursor, page_size)?;
            let Some(last) = events.last() else { break };
            cursor = last.cursor;
            let page: Vec<Record> = events
                .iter()
                .filter(|event| hook.wants(&event.kind))
                .map(|event| {
                    let record = unsent_delivery(index, newest, hook.id, event);
                    index += 1;
                    Record::Delivery(record)
                })
                .collect();
            emit(&page)?;
        }
    }
    Ok(())
}

impl Database {
    /// Streams every table to `sink` in [`RecordKind::ALL`] order, in pages of
    /// `page_size` rows read in primary-key order, all from one snapshot.
    ///
    /// # Errors
    /// [`ExportError::Store`] when reading fails, [`ExportError::Sink`] when the sink
    /// does.
    pub fn export(&self, page_size: usize, sink: &mut dyn ExportSink) -> Result<ExportSummary, ExportError> {
        let limit = i64::try_from(page_size.max(1)).unwrap_or(i64::MAX);
        let mut failed = None;
        let result = self.read_once(|conn| snapshot!(conn, |c| pages(c, limit, sink, &mut failed)));
        match (result, failed) {
            (_, Some(e)) => Err(ExportError::Sink(e)),
            (Ok(summary), None) => Ok(summary),
            (Err(e), None) => Err(ExportError::Store(e)),
        }
    }
}
