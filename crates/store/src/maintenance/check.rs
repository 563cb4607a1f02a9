//! `rookery check`: every invariant of the graph verified with one set-based query
//! each, and the repair that restores them.
//!
//! The queries are plain SQL shared by both backends (row values, `EXISTS`, `GROUP
//! BY`); they carry no bind parameters, so placeholder syntax never differs.

use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Text};
use rookery_domain::AccountId;
use rookery_domain::ports::StoreError;

use crate::database::Database;
use crate::maintenance::counts::{CountWrites, CountsFixed};
use crate::maintenance::{Count, tally};
use crate::sql_types::DbUuid;

/// A live account whose stored counts differ from its edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountDrift {
    /// The account.
    pub id: AccountId,
    /// Its username, for the report.
    pub username: String,
    /// `followers_count` as stored.
    pub followers_stored: i64,
    /// Edges into the account.
    pub followers_actual: i64,
    /// `following_count` as stored.
    pub following_stored: i64,
    /// Edges out of the account.
    pub following_actual: i64,
}

/// What [`Database::check`] found, read from one snapshot of the database.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IntegrityReport {
    /// Live accounts checked.
    pub live_accounts: u64,
    /// Follow edges stored.
    pub edges: u64,
    /// Live accounts whose counts drifted, by username.
    pub count_drift: Vec<CountDrift>,
    /// Accounts with a negative count.
    pub negative_counts: u64,
    /// Edges from an account to itself.
    pub self_follows: u64,
    /// Edges with a soft-deleted follower or followee.
    pub edges_touching_deleted: u64,
    /// Follow requests (any status) with a soft-deleted requester or target.
    pub requests_touching_deleted: u64,
    /// Blocks with a soft-deleted blocker or blocked account.
    pub blocks_touching_deleted: u64,
    /// Edges between two accounts of which one blocks the other.
    pub edges_across_blocks: u64,
    /// Pending requests between two accounts of which one blocks the other.
    pub pending_requests_across_blocks: u64,
    /// Ordered pairs with more than one pending request.
    pub duplicate_pending_pairs: u64,
    /// Rows of `mutual_follows` that are not a mutual edge as `follows` holds it, and
    /// mutual edges missing from it (the triggers keep it; only a hand edit of either
    /// table, or a trigger dropped, leaves any).
    pub mutual_drift: u64,
}

impl IntegrityReport {
    /// Every invariant holds.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.count_drift.is_empty() && self.violations().iter().all(|(_, n)| *n == 0)
    }

    /// The violations other than count drift, each with a line of text that names it
    /// and how many were found.
    #[must_use]
    pub fn violations(&self) -> [(&'static str, u64); 9] {
        [
            ("accounts with a negative count", self.negative_counts),
            ("self-follows", self.self_follows),
            ("edges touching a deleted account", self.edges_touching_deleted),
            ("requests touching a deleted account", self.requests_touching_deleted),
            ("blocks touching a deleted account", self.blocks_touching_deleted),
            ("edges across a block", self.edges_across_blocks),
            ("pending requests across a block", self.pending_requests_across_blocks),
            ("pairs with more than one pending request", self.duplicate_pending_pairs),
            ("mutual edges out of step with the follows", self.mutual_drift),
        ]
    }
}

/// What [`Database::repair`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairSummary {
    /// Edges removed: self-follows, edges touching deleted accounts, edges across blocks.
    pub edges_removed: u64,
    /// Requests removed: those touching deleted accounts, pending ones across blocks,
    /// and all but the oldest pending request of a pair.
    pub requests_removed: u64,
    /// Blocks removed: those touching deleted accounts.
    pub blocks_removed: u64,
    /// Counts corrected afterwards.
    pub counts: CountsFixed,
}

const LIVE_ACCOUNTS: &str = "SELECT COUNT(*) AS n FROM accounts WHERE deleted_at IS NULL";
const EDGES: &str = "SELECT COUNT(*) AS n FROM follows";

// Each side is counted in one pass over an index in key order, then joined: no
// per-account round trip, no per-account subquery.
const COUNT_DRIFT: &str = "SELECT a.id, a.username, \
        a.followers_count AS followers_stored, COALESCE(i.n, 0) AS followers_actual, \
        a.following_count AS following_stored, COALESCE(o.n, 0) AS following_actual \
     FROM accounts a \
     LEFT JOIN (SELECT followee_id AS id, COUNT(*) AS n FROM follows GROUP BY followee_id) i ON i.id = a.id \
     LEFT JOIN (SELECT follower_id AS id, COUNT(*) AS n FROM follows GROUP BY follower_id) o ON o.id = a.id \
     WHERE a.deleted_at IS NULL \
       AND (a.followers_count <> COALESCE(i.n, 0) OR a.following_count <> COALESCE(o.n, 0)) \
     ORDER BY a.username_key, a.id";

const NEGATIVE_COUNTS: &str = "SELECT COUNT(*) AS n FROM accounts WHERE followers_count < 0 OR following_count < 0";
const SELF_FOLLOWS: &str = "SELECT COUNT(*) AS n FROM follows WHERE follower_id = followee_id";
const EDGES_TOUCHING_DELETED: &str = "SELECT COUNT(*) AS n FROM follows WHERE \
     follower_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR followee_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";
const REQUESTS_TOUCHING_DELETED: &str = "SELECT COUNT(*) AS n FROM follow_requests WHERE \
     requester_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR target_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";
const BLOCKS_TOUCHING_DELETED: &str = "SELECT COUNT(*) AS n FROM blocks WHERE \
     blocker_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR blocked_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";
// Driven from the blocks (few) into the follows primary key, both directions.
const EDGES_ACROSS_BLOCKS: &str = "SELECT COUNT(*) AS n FROM follows WHERE (follower_id, followee_id) IN \
     (SELECT blocker_id, blocked_id FROM blocks UNION SELECT blocked_id, blocker_id FROM blocks)";
const PENDING_ACROSS_BLOCKS: &str = "SELECT COUNT(*) AS n FROM follow_requests WHERE status = 'pending' \
     AND (requester_id, target_id) IN \
     (SELECT blocker_id, blocked_id FROM blocks UNION SELECT blocked_id, blocker_id FROM blocks)";
const DUPLICATE_PENDING: &str = "SELECT COUNT(*) AS n FROM (SELECT requester_id, target_id FROM follow_requests \
     WHERE status = 'pending' GROUP BY requester_id, target_id HAVING COUNT(*) > 1) d";

// A stored mutual edge must be a follow (of the same time) whose reverse exists; a
// follow whose reverse exists must be stored.
const MUTUAL_STALE: &str = "SELECT COUNT(*) AS n FROM mutual_follows m WHERE NOT EXISTS \
     (SELECT 1 FROM follows f WHERE f.follower_id = m.follower_id AND f.followee_id = m.followee_id \
         AND f.created_at = m.created_at) \
     OR NOT EXISTS (SELECT 1 FROM follows r WHERE r.follower_id = m.followee_id AND r.followee_id = m.follower_id)";
const MUTUAL_MISSING: &str = "SELECT COUNT(*) AS n FROM follows f WHERE EXISTS \
     (SELECT 1 FROM follows r WHERE r.follower_id = f.followee_id AND r.followee_id = f.follower_id) \
     AND NOT EXISTS (SELECT 1 FROM mutual_follows m WHERE m.follower_id = f.follower_id AND m.followee_id = f.followee_id)";

const DELETE_SELF_FOLLOWS: &str = "DELETE FROM follows WHERE follower_id = followee_id";
const DELETE_EDGES_TOUCHING_DELETED: &str = "DELETE FROM follows WHERE \
     follower_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR followee_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";
const DELETE_EDGES_ACROSS_BLOCKS: &str = "DELETE FROM follows WHERE (follower_id, followee_id) IN \
     (SELECT blocker_id, blocked_id FROM blocks UNION SELECT blocked_id, blocker_id FROM blocks)";
const DELETE_REQUESTS_TOUCHING_DELETED: &str = "DELETE FROM follow_requests WHERE \
     requester_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR target_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";
const DELETE_PENDING_ACROSS_BLOCKS: &str = "DELETE FROM follow_requests WHERE status = 'pending' \
     AND (requester_id, target_id) IN \
     (SELECT blocker_id, blocked_id FROM blocks UNION SELECT blocked_id, blocker_id FROM blocks)";
// Keeps the oldest pending request of a pair (ids are UUID v7: they sort by time).
const DELETE_DUPLICATE_PENDING: &str = "DELETE FROM follow_requests WHERE status = 'pending' \
     AND EXISTS (SELECT 1 FROM follow_requests o WHERE o.status = 'pending' \
         AND o.requester_id = follow_requests.requester_id AND o.target_id = follow_requests.target_id \
         AND o.id < follow_requests.id)";
const CLEAR_MUTUALS: &str = "DELETE FROM mutual_follows";
const REBUILD_MUTUALS: &str = "INSERT INTO mutual_follows (follower_id, followee_id, created_at) \
     SELECT f.follower_id, f.followee_id, f.created_at FROM follows f WHERE EXISTS \
     (SELECT 1 FROM follows r WHERE r.follower_id = f.followee_id AND r.followee_id = f.follower_id)";
const DELETE_BLOCKS_TOUCHING_DELETED: &str = "DELETE FROM blocks WHERE \
     blocker_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL) \
     OR blocked_id IN (SELECT id FROM accounts WHERE deleted_at IS NOT NULL)";

#[derive(QueryableByName)]
struct DriftRow {
    #[diesel(sql_type = crate::sql_types::Uuid)]
    id: DbUuid,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = BigInt)]
    followers_stored: i64,
    #[diesel(sql_type = BigInt)]
    followers_actual: i64,
    #[diesel(sql_type = BigInt)]
    following_stored: i64,
    #[diesel(sql_type = BigInt)]
    following_actual: i64,
}

impl From<DriftRow> for CountDrift {
    fn from(row: DriftRow) -> Self {
        Self {
            id: AccountId::from_uuid(row.id.0),
            username: row.username,
            followers_stored: row.followers_stored,
            followers_actual: row.followers_actual,
            following_stored: row.following_stored,
            following_actual: row.following_actual,
        }
    }
}

/// The check and the repair, written once for both backends.
pub(crate) trait IntegrityQueries {
    fn count_rows(&mut self, sql: &str) -> QueryResult<u64>;
    fn statement(&mut self, sql: &str) -> QueryResult<u64>;
    fn integrity_report(&mut self) -> QueryResult<IntegrityReport>;
    fn repair_graph(&mut self) -> QueryResult<RepairSummary>;
}

for_each_backend! {
impl IntegrityQueries {
    fn count_rows(&mut self, sql: &str) -> QueryResult<u64> {
        sql_query(sql).get_result::<Count>(self).map(Count::get)
    }

    fn statement(&mut self, sql: &str) -> QueryResult<u64> {
        sql_query(sql).execute(self).map(tally)
    }

    fn integrity_report(&mut self) -> QueryResult<IntegrityReport> {
        let count_drift = sql_query(COUNT_DRIFT).load::<DriftRow>(self)?.into_iter().map(CountDrift::from).collect();
        Ok(IntegrityReport {
            live_accounts: self.count_rows(LIVE_ACCOUNTS)?,
            edges: self.count_rows(EDGES)?,
            count_drift,
            negative_counts: self.count_rows(NEGATIVE_COUNTS)?,
            self_follows: self.count_rows(SELF_FOLLOWS)?,
            edges_touching_deleted: self.count_rows(EDGES_TOUCHING_DELETED)?,
            requests_touching_deleted: self.count_rows(REQUESTS_TOUCHING_DELETED)?,
            blocks_touching_deleted: self.count_rows(BLOCKS_TOUCHING_DELETED)?,
            edges_across_blocks: self.count_rows(EDGES_ACROSS_BLOCKS)?,
            pending_requests_across_blocks: self.count_rows(PENDING_ACROSS_BLOCKS)?,
            duplicate_pending_pairs: self.count_rows(DUPLICATE_PENDING)?,
            mutual_drift: self.count_rows(MUTUAL_STALE)? + self.count_rows(MUTUAL_MISSING)?,
        })
    }

    fn repair_graph(&mut self) -> QueryResult<RepairSummary> {
        self.freeze_edges()?;
        let mut edges_removed = 0;
        for sql in [DELETE_SELF_FOLLOWS, DELETE_EDGES_TOUCHING_DELETED, DELETE_EDGES_ACROSS_BLOCKS] {
            edges_removed += self.statement(sql)?;
        }
        let mut requests_removed = 0;
        for sql in [DELETE_REQUESTS_TOUCHING_DELETED, DELETE_PENDING_ACROSS_BLOCKS, DELETE_DUPLICATE_PENDING] {
            requests_removed += self.statement(sql)?;
        }
        let blocks_removed = self.statement(DELETE_BLOCKS_TOUCHING_DELETED)?;
        // Rebuilt from the edges that are left (the triggers kept it through the
        // deletes above; this restores it when something went around them).
        self.statement(CLEAR_MUTUALS)?;
        self.statement(REBUILD_MUTUALS)?;
        // Last, so the counts describe the edges that are left.
        let counts = self.recompute_counts()?;
        Ok(RepairSummary { edges_removed, requests_removed, blocks_removed, counts })
    }
}
}

impl Database {
    /// Verifies every invariant of the graph on one snapshot: counts equal to the
    /// edges for every live account, nothing of a deleted account left, no edge or
    /// pending request across a block, one pending request per pair at most, no
    /// self-follow, no negative count, the mutual edges as the follows make them.
    /// Changes nothing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`].
    pub fn check(&self) -> Result<IntegrityReport, StoreError> {
        self.read(|conn| snapshot!(conn, |c| c.integrity_report()))
    }

    /// Restores every invariant [`Database::check`] verifies, in one write
    /// transaction: removes self-follows, the edges, requests and blocks of deleted
    /// accounts, edges and pending requests across blocks and duplicate pending
    /// requests, rebuilds the mutual edges, then recomputes every account's counts.
    /// Edge writes wait meanwhile.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`].
    pub fn repair(&self) -> Result<RepairSummary, StoreError> {
        self.write(|conn| write_tx!(conn, |c| c.repair_graph()))
    }
}
