//! Export: live accounts, then the edges between them, streamed page by page in
//! primary-key order from one snapshot, so memory stays flat however large the graph
//! (but for the set of deleted account ids) and the edges written always name
//! accounts written before them.

use std::collections::HashSet;

use diesel::prelude::*;
use rookery_domain::ports::StoreError;
use rookery_domain::{AccountId, Username};

use crate::database::Database;
use crate::maintenance::records::{AccountRecord, FollowRecord};
use crate::maintenance::tally;
use crate::schema::{accounts, follows};
use crate::sql_types::{DbTime, DbUuid};

/// Where [`Database::export`] writes its pages, in order: every account page, then
/// every edge page.
pub trait ExportSink {
    /// Writes a page of live accounts, in id order.
    ///
    /// # Errors
    /// The write failed; the export stops.
    fn accounts(&mut self, page: &[AccountRecord]) -> std::io::Result<()>;

    /// Writes a page of edges between live accounts, in (follower, followee) order.
    ///
    /// # Errors
    /// The write failed; the export stops.
    fn follows(&mut self, page: &[FollowRecord]) -> std::io::Result<()>;
}

/// How much [`Database::export`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExportSummary {
    /// Accounts written.
    pub accounts: u64,
    /// Edges written.
    pub follows: u64,
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
}

impl From<AccountExportRow> for AccountRecord {
    fn from(row: AccountExportRow) -> Self {
        Self {
            id: AccountId::from_uuid(row.id.0),
            username: Username::from_trusted(row.username),
            full_name: row.full_name,
            bio: row.bio,
            profile_image_url: row.profile_image_url,
            banner_image_url: row.banner_image_url,
            is_private: row.is_private,
            is_verified: row.is_verified,
            posts_count: row.posts_count,
            created_at: row.created_at.0,
        }
    }
}

fn follow_record((follower, followee, created_at): (DbUuid, DbUuid, DbTime)) -> FollowRecord {
    FollowRecord {
        follower_id: AccountId::from_uuid(follower.0),
        followee_id: AccountId::from_uuid(followee.0),
        created_at: created_at.0,
    }
}

/// Paged reads in key order, written once for both backends.
pub(crate) trait ExportQueries {
    fn account_page(&mut self, after: Option<DbUuid>, limit: i64) -> QueryResult<Vec<AccountRecord>>;
    fn deleted_accounts(&mut self) -> QueryResult<HashSet<DbUuid>>;
    fn follow_page(
        &mut self,
        after: Option<(DbUuid, DbUuid)>,
        limit: i64,
    ) -> QueryResult<Vec<(DbUuid, DbUuid, DbTime)>>;
}

for_each_backend! {
impl ExportQueries {
    fn account_page(&mut self, after: Option<DbUuid>, limit: i64) -> QueryResult<Vec<AccountRecord>> {
        let mut query = accounts::table
            .filter(accounts::deleted_at.is_null())
            .order(accounts::id)
            .limit(limit)
            .select(AccountExportRow::as_select())
            .into_boxed();
        if let Some(after) = after {
            query = query.filter(accounts::id.gt(after));
        }
        Ok(query.load(self)?.into_iter().map(AccountRecord::from).collect())
    }

    fn deleted_accounts(&mut self) -> QueryResult<HashSet<DbUuid>> {
        Ok(accounts::table.filter(accounts::deleted_at.is_not_null()).select(accounts::id).load::<DbUuid>(self)?.into_iter().collect())
    }

    fn follow_page(&mut self, after: Option<(DbUuid, DbUuid)>, limit: i64) -> QueryResult<Vec<(DbUuid, DbUuid, DbTime)>> {
        let mut query = follows::table
            .order((follows::follower_id, follows::followee_id))
            .limit(limit)
            .select((follows::follower_id, follows::followee_id, follows::created_at))
            .into_boxed();
        if let Some((a, b)) = after {
            // The range on the key's first column lets both backends start the scan
            // at the cursor; the OR only trims the rest of that follower's edges.
            query = query.filter(follows::follower_id.ge(a).and(follows::follower_id.gt(a).or(follows::followee_id.gt(b))));
        }
        query.load(self)
    }
}
}

/// Runs the two paged scans. A sink error is parked in `failed` and turned into a
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
    let mut after = None;
    loop {
        let page = conn.account_page(after, page_size)?;
        let Some(last) = page.last() else { break };
        after = Some(DbUuid::from(last.id));
        sink.accounts(&page).map_err(&mut park)?;
        summary.accounts += tally(page.len());
    }
    // Edges are read alone, in key order, and those of deleted accounts dropped here:
    // joining every edge to both its accounts costs two index lookups per edge
    // (20 s for a million on PostgreSQL), the deleted ids one query.
    let deleted = conn.deleted_accounts()?;
    let mut after = None;
    loop {
        let rows = conn.follow_page(after, page_size)?;
        let Some(&(follower, followee, _)) = rows.last() else { break };
        after = Some((follower, followee));
        let page: Vec<FollowRecord> = rows
            .into_iter()
            .filter(|(follower, followee, _)| !deleted.contains(follower) && !deleted.contains(followee))
            .map(follow_record)
            .collect();
        if !page.is_empty() {
            sink.follows(&page).map_err(&mut park)?;
            summary.follows += tally(page.len());
        }
    }
    Ok(summary)
}

impl Database {
    /// Streams every live account, then every edge between live accounts, to `sink`
    /// in pages of `page_size` rows read in primary-key order, all from one snapshot.
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
