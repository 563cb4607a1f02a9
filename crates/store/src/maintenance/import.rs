//! Import: batches of accounts and edges, each batch in one write transaction of
//! multi-row statements, idempotent (what is already stored is left alone and
//! counted as present), with the records that cannot be stored reported rather than
//! failing the batch. Counts are not touched here: the caller recomputes them once at
//! the end with [`Database::recompute_counts`].

use std::collections::{HashMap, HashSet};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_query;
use diesel::sql_types::{BigInt, Integer};
use rookery_domain::ports::StoreError;

use crate::connection::DbConnection;
use crate::database::Database;
use crate::maintenance::records::{AccountRecord, FollowRecord};
use crate::maintenance::tally;
use crate::schema::{account_words, accounts};
use crate::sql_types::{DbTime, DbUuid, db_time};

/// Rows per multi-row INSERT of accounts: 13 columns, under SQLite's 32766 variables.
const ACCOUNT_CHUNK: usize = 2_000;
/// Rows per multi-row INSERT of staged edges: 4 columns.
const FOLLOW_CHUNK: usize = 8_000;
/// Values per `IN (...)` lookup.
const LOOKUP_CHUNK: usize = 10_000;

/// Why a record was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    /// Another live account (another id) already has the username, case-insensitively.
    UsernameTaken,
    /// `posts_count` is negative.
    NegativePostsCount,
    /// The edge goes from an account to itself.
    SelfFollow,
    /// The follower or the followee is unknown or deleted.
    UnknownAccount,
    /// One of the two accounts blocks the other.
    Blocked,
    /// An account the record names is unknown (or deleted, where it must be live).
    MissingAccount,
    /// Another pending request exists for the same pair.
    PendingExists,
    /// The webhook endpoint a delivery names is unknown.
    MissingWebhook,
}

impl SkipReason {
    /// Why, in words.
    #[must_use]
    pub const fn describe(self) -> &'static str {
        match self {
            Self::UsernameTaken => "username taken by another account",
            Self::NegativePostsCount => "negative posts_count",
            Self::SelfFollow => "self-follow",
            Self::UnknownAccount => "follower or followee unknown or deleted",
            Self::Blocked => "one account blocks the other",
            Self::MissingAccount => "names an unknown or deleted account",
            Self::PendingExists => "another pending request for the same pair",
            Self::MissingWebhook => "names an unknown webhook endpoint",
        }
    }
}

/// A record of a batch that was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skip {
    /// Its position in the batch.
    pub index: usize,
    /// Why.
    pub reason: SkipReason,
}

/// What became of a batch. `inserted + present + skipped.len()` is the batch's length.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Records stored now.
    pub inserted: u64,
    /// Records already stored (same account id, same edge), left as they were.
    pub present: u64,
    /// Records refused, in batch order.
    pub skipped: Vec<Skip>,
}

// A per-connection scratch table. A batch of edges is staged in it with multi-row
// INSERTs, then one INSERT ... SELECT moves the valid ones into `follows` in key
// order; only when fewer went in than were staged does a second query say why.
diesel::table! {
    use diesel::sql_types::BigInt;
    use crate::sql_types::{Instant, Uuid};

    import_follows (seq) {
        seq -> BigInt,
        follower_id -> Uuid,
        followee_id -> Uuid,
        created_at -> Instant,
    }
}

#[derive(Insertable)]
#[diesel(table_name = import_follows)]
struct StagedFollow {
    seq: i64,
    follower_id: DbUuid,
    followee_id: DbUuid,
    created_at: DbTime,
}

const LIVE_FOLLOWER: &str =
    "EXISTS (SELECT 1 FROM accounts a WHERE a.id = import_follows.follower_id AND a.deleted_at IS NULL)";
const LIVE_FOLLOWEE: &str =
    "EXISTS (SELECT 1 FROM accounts a WHERE a.id = import_follows.followee_id AND a.deleted_at IS NULL)";
const NOT_BLOCKED: &str = "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = import_follows.follower_id AND b.blocked_id = import_follows.followee_id) \
     AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.blocker_id = import_follows.followee_id AND b.blocked_id = import_follows.follower_id)";

/// Codes of the `CASE` that says why a staged edge was refused, in the order its
/// branches test them.
const REJECT_SELF: i32 = 0;
const REJECT_UNKNOWN: i32 = 1;
const REJECT_BLOCKED: i32 = 2;

fn valid_staged() -> String {
    format!(
        "import_follows.follower_id <> import_follows.followee_id AND {LIVE_FOLLOWER} AND {LIVE_FOLLOWEE} AND {NOT_BLOCKED}"
    )
}

/// Moves the valid staged edges into `follows`, in key order. `WHERE` is never empty,
/// which keeps SQLite from reading `ON CONFLICT` as a join constraint.
fn insert_staged() -> String {
    format!(
        "INSERT INTO follows (follower_id, followee_id, created_at) \
         SELECT follower_id, followee_id, created_at FROM import_follows WHERE {} \
         ORDER BY follower_id, followee_id \
         ON CONFLICT DO NOTHING",
        valid_staged()
    )
}

/// The staged edges that were refused, and why. Only run when the INSERT stored
/// fewer rows than were staged: a fresh import never pays for it.
fn rejected_staged() -> String {
    format!(
        "SELECT seq, CASE WHEN follower_id = followee_id THEN {REJECT_SELF} \
             WHEN NOT ({LIVE_FOLLOWER} AND {LIVE_FOLLOWEE}) THEN {REJECT_UNKNOWN} \
             ELSE {REJECT_BLOCKED} END AS reason \
         FROM import_follows WHERE NOT ({}) ORDER BY seq",
        valid_staged()
    )
}

#[derive(QueryableByName)]
struct Rejected {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Integer)]
    reason: i32,
}

impl Rejected {
    fn skip(&self) -> Option<Skip> {
        let reason = match self.reason {
            REJECT_SELF => SkipReason::SelfFollow,
            REJECT_UNKNOWN => SkipReason::UnknownAccount,
            _ => SkipReason::Blocked,
        };
        usize::try_from(self.seq).ok().map(|index| Skip { index, reason })
    }
}

/// The statements of an import whose SQL differs between the backends.
pub(crate) trait ImportScratch {
    /// Creates this connection's staging table if needed and sizes it for bulk work.
    fn prepare_staging(&mut self) -> QueryResult<()>;
}

impl ImportScratch for diesel::sqlite::SqliteConnection {
    fn prepare_staging(&mut self) -> QueryResult<()> {
        // A 256 MiB page cache keeps the follows indexes of a million edges in memory
        // between batches, instead of SQLite's 2 MiB default re-reading them.
        self.batch_execute(
            "PRAGMA cache_size = -262144; \
             CREATE TEMP TABLE IF NOT EXISTS import_follows ( \
                 seq INTEGER PRIMARY KEY, follower_id BLOB NOT NULL, followee_id BLOB NOT NULL, \
                 created_at BIGINT NOT NULL)",
        )
    }
}

impl ImportScratch for diesel::pg::PgConnection {
    fn prepare_staging(&mut self) -> QueryResult<()> {
        // The INSERT sorts the staged batch into key order.
        super::roomy_sorts(self)?;
        // ON COMMIT DELETE ROWS truncates at each commit: no dead rows accumulate in a
        // table autovacuum never visits.
        self.batch_execute(
            "SET LOCAL client_min_messages = warning; \
             CREATE TEMP TABLE IF NOT EXISTS import_follows ( \
                 seq bigint NOT NULL, follower_id uuid NOT NULL, followee_id uuid NOT NULL, \
                 created_at timestamptz NOT NULL) ON COMMIT DELETE ROWS",
        )
    }
}

/// Batch imports, written once for both backends; each runs inside the caller's
/// write transaction.
pub(crate) trait ImportWrites {
    fn import_account_batch(&mut self, batch: &[AccountRecord]) -> QueryResult<BatchOutcome>;
    fn import_follow_batch(&mut self, batch: &[FollowRecord]) -> QueryResult<BatchOutcome>;
}

for_each_backend! {
impl ImportWrites {
    fn import_account_batch(&mut self, batch: &[AccountRecord]) -> QueryResult<BatchOutcome> {
        let ids: Vec<DbUuid> = batch.iter().map(|r| DbUuid::from(r.id)).collect();
        let keys: Vec<String> = batch.iter().map(|r| r.username.key()).collect();
        let mut known: HashSet<DbUuid> = HashSet::with_capacity(batch.len());
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            known.extend(accounts::table.filter(accounts::id.eq_any(chunk)).select(accounts::id).load::<DbUuid>(self)?);
        }
        let mut owners: HashMap<String, DbUuid> = HashMap::new();
        for chunk in keys.chunks(LOOKUP_CHUNK) {
            owners.extend(
                accounts::table
                    .filter(accounts::deleted_at.is_null().and(accounts::username_key.eq_any(chunk)))
                    .select((accounts::username_key, accounts::id))
                    .load::<(String, DbUuid)>(self)?,
            );
        }

        let mut outcome = BatchOutcome::default();
        let mut rows = Vec::new();
        let mut words = Vec::new();
        for (index, (record, key)) in batch.iter().zip(keys).enumerate() {
            let id = DbUuid::from(record.id);
            // An id already stored, live or deleted, stays as it is: re-importing a
            // file changes nothing, and a deleted account is not brought back.
            if known.contains(&id) {
                outcome.present += 1;
                continue;
            }
            // A deleted account's username is free: only live ones are unique.
            let live = record.deleted_at.is_none();
            let reason = if record.posts_count < 0 {
                Some(SkipReason::NegativePostsCount)
            } else if live && owners.get(&key).is_some_and(|owner| *owner != id) {
                Some(SkipReason::UsernameTaken)
            } else {
                None
            };
            if let Some(reason) = reason {
                outcome.skipped.push(Skip { index, reason });
                continue;
            }
            known.insert(id);
            if live {
                owners.insert(key.clone(), id);
            }
            // Column assignments rather than an Insertable struct: its `None`s would
            // be DEFAULT, which SQLite's multi-row VALUES cannot carry.
            rows.push((
                accounts::id.eq(id),
                accounts::username.eq(record.username.as_str()),
                accounts::username_key.eq(key),
                accounts::full_name.eq(record.full_name.as_deref()),
                accounts::bio.eq(record.bio.as_deref()),
                accounts::profile_image_url.eq(record.profile_image_url.as_deref()),
                accounts::banner_image_url.eq(record.banner_image_url.as_deref()),
                accounts::is_private.eq(record.is_private),
                accounts::is_verified.eq(record.is_verified),
                accounts::graph_privacy.eq(crate::rows::pack_privacy(record.privacy)),
                accounts::posts_count.eq(record.posts_count),
                accounts::created_at.eq(db_time(record.created_at)),
                accounts::updated_at.eq(db_time(record.updated_at)),
                accounts::deleted_at.eq(record.deleted_at.map(db_time)),
            ));
            if live {
                for word in rookery_domain::search::name_words(record.full_name.as_deref()) {
                    words.push((account_words::word.eq(word), account_words::account_id.eq(id)));
                }
            }
        }
        let mut inserted = 0;
        for chunk in rows.chunks(ACCOUNT_CHUNK) {
            inserted += diesel::insert_into(accounts::table).values(chunk).on_conflict_do_nothing().execute(self)?;
        }
        // The display names' words of the new live accounts, for search.
        for chunk in words.chunks(ACCOUNT_CHUNK) {
            diesel::insert_into(account_words::table).values(chunk).on_conflict_do_nothing().execute(self)?;
        }
        // A row the INSERT left out was written by a concurrent writer since the lookup.
        outcome.inserted = tally(inserted);
        outcome.present += tally(rows.len().saturating_sub(inserted));
        Ok(outcome)
    }

    fn import_follow_batch(&mut self, batch: &[FollowRecord]) -> QueryResult<BatchOutcome> {
        self.prepare_staging()?;
        let staged: Vec<StagedFollow> = batch
            .iter()
            .enumerate()
            .map(|(index, edge)| StagedFollow {
                seq: i64::try_from(index).unwrap_or(i64::MAX),
                follower_id: edge.follower_id.into(),
                followee_id: edge.followee_id.into(),
                created_at: db_time(edge.created_at),
            })
            .collect();
        for chunk in staged.chunks(FOLLOW_CHUNK) {
            diesel::insert_into(import_follows::table).values(chunk).execute(self)?;
        }
        let inserted = sql_query(insert_staged()).execute(self)?;
        let skipped: Vec<Skip> = if inserted < batch.len() {
            sql_query(rejected_staged()).load::<Rejected>(self)?.iter().filter_map(Rejected::skip).collect()
        } else {
            Vec::new()
        };
        diesel::delete(import_follows::table).execute(self)?;
        let stored_or_present = batch.len().saturating_sub(skipped.len());
        Ok(BatchOutcome {
            inserted: tally(inserted),
            present: tally(stored_or_present.saturating_sub(inserted)),
            skipped,
        })
    }
}
}

/// Settings for one SQLite import batch. SQLite ignores both pragmas inside a
/// transaction, so they are set around it.
///
/// - `foreign_keys = OFF`: each batch checks, inside its own `BEGIN IMMEDIATE`
///   transaction, that both accounts of every edge exist and are live; the per-row
///   foreign-key lookups would only repeat that, at a quarter of the import's time.
/// - `wal_autocheckpoint`: a batch of random edges dirties most pages of the follows
///   indexes, and the default (1000 pages) copies them all back into the database
///   file, with an fsync, after every batch. Checkpointing every 64 Ki pages (256 MiB
///   of WAL) copies each page once per several batches instead.
const SQLITE_BULK_ON: &str = "PRAGMA foreign_keys = OFF; PRAGMA wal_autocheckpoint = 65536;";
/// What the connection manager and SQLite's defaults set.
const SQLITE_BULK_OFF: &str = "PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 1000;";

/// Runs `batch` in a `BEGIN IMMEDIATE` transaction with [`SQLITE_BULK_ON`] in force,
/// and sets this same connection back afterwards whatever happened.
pub(super) fn sqlite_bulk<T>(
    conn: &mut diesel::sqlite::SqliteConnection,
    batch: impl FnOnce(&mut diesel::sqlite::SqliteConnection) -> QueryResult<T>,
) -> QueryResult<T> {
    conn.batch_execute(SQLITE_BULK_ON)?;
    let outcome = conn.immediate_transaction(batch);
    let restored = conn.batch_execute(SQLITE_BULK_OFF);
    let outcome = outcome?;
    restored.map(|()| outcome)
}

impl Database {
    /// Imports a batch of accounts in one transaction. An account whose id is
    /// already stored (live or deleted) is left alone and counted as present; one
    /// whose username another live account has, or with a negative `posts_count`, is
    /// skipped. Counts start at zero: recompute them after the edges.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`]; nothing of the batch is stored then.
    pub fn import_accounts(&self, batch: &[AccountRecord]) -> Result<BatchOutcome, StoreError> {
        self.write(|conn| match conn {
            DbConnection::Sqlite(c) => sqlite_bulk(c, |c| c.import_account_batch(batch)),
            DbConnection::Postgres(c) => c.transaction(|c| {
                analyze_when_grown(c, "accounts")?;
                c.import_account_batch(batch)
            }),
        })
    }

    /// Imports a batch of follow edges in one transaction. An edge already stored is
    /// counted as present; a self-follow, an edge naming an unknown or deleted
    /// account, or one between accounts of which one blocks the other is skipped.
    /// Counts are not moved: call [`Database::recompute_counts`] once after the last
    /// batch.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`]; nothing of the batch is stored then.
    pub fn import_follows(&self, batch: &[FollowRecord]) -> Result<BatchOutcome, StoreError> {
        self.write(|conn| match conn {
            DbConnection::Sqlite(c) => sqlite_bulk(c, |c| c.import_follow_batch(batch)),
            DbConnection::Postgres(c) => c.transaction(|c| {
                analyze_when_grown(c, "follows")?;
                c.import_follow_batch(batch)
            }),
        })
    }
}

/// How far a table has grown since PostgreSQL last gathered statistics on it.
#[derive(QueryableByName)]
struct Growth {
    #[diesel(sql_type = BigInt)]
    changed: i64,
    #[diesel(sql_type = BigInt)]
    known: i64,
}

/// Rows a table may gain before the first `ANALYZE` of an import.
const FIRST_ANALYZE_ROWS: i64 = 10_000;

/// Gathers statistics on `table` when it has more than doubled since the last time.
///
/// A bulk load outruns autovacuum: without statistics PostgreSQL planned each batch's
/// username lookup (`username_key = ANY($1)` on the partial unique index) as a
/// sequential scan of the whole table, and a batch of the bench's seeding took seconds
/// once the table held 50,000 accounts. Analyzing whenever the table doubled keeps
/// the plans right for a logarithmic number of `ANALYZE`s (each samples at most 30,000
/// rows). `table` is one of this store's own table names, never input.
pub(super) fn analyze_when_grown(c: &mut diesel::pg::PgConnection, table: &'static str) -> QueryResult<()> {
    let growth: Option<Growth> = sql_query(
        "SELECT s.n_mod_since_analyze AS changed, GREATEST(c.reltuples, 0)::bigint AS known \
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = $1",
    )
    .bind::<diesel::sql_types::Text, _>(table)
    .get_result(c)
    .optional()?;
    if growth.is_some_and(|g| g.changed > g.known.max(FIRST_ANALYZE_ROWS)) {
        c.batch_execute(&format!("ANALYZE {table}"))?;
    }
    Ok(())
}
