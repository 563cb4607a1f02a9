//! One connection type over both backends, and the r2d2 manager that opens it.
//!
//! This is our own enum rather than `#[derive(diesel::MultiConnection)]`: the derive
//! cannot carry `ON CONFLICT`, `Uuid` or `Timestamptz` across backends, and it hides
//! `SqliteConnection::immediate_transaction`. Matching on the enum (see the crate's
//! `with_conn!`/`write_tx!` macros) keeps every query compiled against each backend.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::{Instrumentation, InstrumentationEvent};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use rookery_domain::Standing;

use crate::pg_arrays::{AddToCounts, InsertEdges, InsertNotifications, Notify, StoreQuotaWindows};
use crate::rows::{FollowRow, NotificationRow};
use crate::schema::{accounts, follow_quota, follows, notifications, push_outbox};
use crate::sql_types::{DbTime, DbUuid};

/// How much of a SQLite file each connection maps into memory (address space, not
/// resident memory: pages are shared with the OS page cache).
const SQLITE_MMAP_BYTES: u64 = 1 << 30;

/// Rows per multi-row INSERT on SQLite: far below its bind limit.
const INSERT_CHUNK: usize = 1000;

/// A connection to either backend.
pub enum DbConnection {
    /// An embedded SQLite database file.
    Sqlite(SqliteConnection),
    /// A PostgreSQL server.
    Postgres(PgConnection),
}

/// A connection as the pool holds it, with whether it was found dead and whether its
/// last transaction sent `COMMIT`.
///
/// The pool does not test connections on checkout (a `SELECT 1` per checkout is a
/// round trip per use case on PostgreSQL); instead a query that finds the connection
/// closed marks it, and the pool drops it when it comes back.
pub struct Pooled {
    conn: DbConnection,
    lost: bool,
    /// Set by the connection's instrumentation when a top-level `COMMIT` is sent: a
    /// write that failed after that may have committed, so it must not be run again.
    commit_sent: Arc<AtomicBool>,
}

impl Pooled {
    /// Marks the connection dead when `result` says it is, so the pool replaces it.
    pub(crate) fn note<T>(&mut self, result: &QueryResult<T>) {
        if let Err(error) = result {
            if crate::error::is_connection_lost(error) {
                self.lost = true;
            }
        }
    }

    /// Whether the connection was found dead.
    pub(crate) const fn is_lost(&self) -> bool {
        self.lost
    }

    /// Forgets any earlier `COMMIT`, before a write transaction starts.
    pub(crate) fn reset_commit_sent(&self) {
        self.commit_sent.store(false, Ordering::Relaxed);
    }

    /// Whether a top-level `COMMIT` was sent since [`Pooled::reset_commit_sent`].
    pub(crate) fn commit_sent(&self) -> bool {
        self.commit_sent.load(Ordering::Relaxed)
    }

    /// Whether the connection answers a trivial statement; marks it dead when not.
    pub(crate) fn probe(&mut self) -> bool {
        let result = with_conn!(&mut self.conn, |c| c.batch_execute("SELECT 1"));
        self.note(&result);
        result.is_ok()
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file path, or `:memory:`.
    Sqlite(String),
    /// A PostgreSQL URL.
    Postgres(String),
}

impl std::fmt::Display for Target {
    /// The SQLite path, or the PostgreSQL URL without its password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite database {path}"),
            Self::Postgres(url) => write!(f, "PostgreSQL {}", redact_password(url)),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`, and a
/// `password=` parameter (libpq reads one from the query string too) as `password=***`.
/// A multi-host URL (`postgres://u@a:5432,b:5432/db`) keeps its host list.
fn redact_password(url: &str) -> String {
    let redacted = redact_user_info(url);
    let Some((head, query)) = redacted.split_once('?') else { return redacted };
    let params: Vec<String> = query
        .split('&')
        .map(|param| if param.starts_with("password=") { "password=***".to_owned() } else { param.to_owned() })
        .collect();
    format!("{head}?{}", params.join("&"))
}

fn redact_user_info(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let (authority, tail) = rest.split_once('/').map_or((rest, None), |(a, t)| (a, Some(t)));
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    match tail {
        Some(tail) => format!("{scheme}://{authority}/{tail}"),
        None => format!("{scheme}://{authority}"),
    }
}

impl Target {
    /// Reads `sqlite://path`, `sqlite:path`, `sqlite::memory:`, `postgres://...` or
    /// `postgresql://...`.
    ///
    /// # Errors
    /// The URL names neither backend.
    pub fn parse(url: &str) -> Result<Self, crate::OpenError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(crate::OpenError::Url(url.to_owned()));
            }
            return Ok(Self::Sqlite(path.to_owned()));
        }
        Err(crate::OpenError::Url(url.to_owned()))
    }

    /// True for an in-memory SQLite database, which exists once per connection.
    #[must_use]
    pub fn is_memory(&self) -> bool {
        matches!(self, Self::Sqlite(path) if path == ":memory:")
    }
}

/// Opens connections for r2d2 and sets SQLite's per-connection pragmas.
#[derive(Debug, Clone)]
pub struct Manager {
    target: Target,
    busy_timeout: Duration,
    /// SQLite's page cache per connection, in KiB; `None` keeps SQLite's default (2 MiB).
    cache_kib: Option<u32>,
}

impl Manager {
    /// A manager for `target`.
    #[must_use]
    pub const fn new(target: Target, busy_timeout: Duration) -> Self {
        Self { target, busy_timeout, cache_kib: None }
    }

    /// The same, with a page cache of `kib` KiB per SQLite connection.
    #[must_use]
    pub const fn with_cache_kib(mut self, kib: u32) -> Self {
        self.cache_kib = Some(kib);
        self
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let mut conn = self.open()?;
        let commit_sent = Arc::new(AtomicBool::new(false));
        if let DbConnection::Postgres(pg) = &mut conn {
            // Only a server connection can be lost mid-transaction; SQLite needs no flag.
            pg.set_instrumentation(CommitWatch(Arc::clone(&commit_sent)));
        }
        Ok(Pooled { conn, lost: false, commit_sent })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), Self::Error> {
        with_conn!(&mut conn.conn, |c| c.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError))
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        // Also a connection left inside a transaction it could not roll back.
        conn.lost || with_conn!(&mut conn.conn, |c| diesel::r2d2::R2D2Connection::is_broken(c))
    }
}

/// Raises its flag when a top-level `COMMIT` is about to be sent.
struct CommitWatch(Arc<AtomicBool>);

impl Instrumentation for CommitWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::CommitTransaction { depth, .. } = event {
            if depth.get() == 1 {
                self.0.store(true, Ordering::Relaxed);
            }
        }
    }
}

impl Manager {
    /// Opens one connection before the pool is built, so that an error retrying cannot
    /// fix (a SQLite path that cannot be opened, a PostgreSQL role, password or
    /// database that does not exist, an unknown host) fails at once, naming the
    /// database. An error that may pass (the server refusing connections while it
    /// restarts, or starting up) is retried until `patience` has passed, and then
    /// named the same way.
    ///
    /// # Errors
    /// [`crate::OpenError::Connect`] naming the target (a PostgreSQL URL without its
    /// password).
    pub fn probe(&self, patience: Duration) -> Result<(), crate::OpenError> {
        // What may pass: PostgreSQL restarting, SQLite's lock held past the busy timeout.
        const TRANSIENT: [&str; 6] = [
            "Connection refused",
            "starting up",
            "shutting down",
            "timeout expired",
            "too many clients",
            "database is locked",
        ];
        let deadline = std::time::Instant::now() + patience;
        loop {
            let Err(error) = self.open() else { return Ok(()) };
            let message = error.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
            let transient = TRANSIENT.iter().any(|t| message.contains(t));
            if !transient || std::time::Instant::now() >= deadline {
                return Err(crate::OpenError::Connect(format!("{}: {message}", self.target)));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn open(&self) -> Result<DbConnection, diesel::r2d2::Error> {
        match &self.target {
            Target::Postgres(url) => {
                let mut conn = PgConnection::establish(url).map_err(diesel::r2d2::Error::ConnectionError)?;
                // Diesel prepares and caches statements, and after five runs PostgreSQL
                // may switch a statement to a generic plan, costed once with the table
                // sizes of that moment and kept until the table is next analyzed. A
                // table that starts empty and fills fast (follow_quota, one row per
                // account that ever followed: tens of thousands a minute when an
                // account goes viral) kept a sequential scan planned when it was one
                // page: every group commit then read the whole table, slower with each
                // row, until autovacuum analyzed it (docs/benchmarks.md, the hot
                // account). Planning each statement costs tens of microseconds.
                conn.batch_execute("SET plan_cache_mode = force_custom_plan")
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Postgres(conn))
            }
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints,
                // which WAL keeps durable against process crashes; the busy timeout makes
                // a writer wait for the lock instead of failing.
                // Memory-mapped reads: every commit invalidates each other connection's
                // page cache, and a mapped page is re-read without a copy or a syscall.
                // Checkpoints run on a thread of their own (see `checkpoint`).
                // The busy timeout first: switching to WAL takes a lock that another
                // process (a writer, a checkpoint) may hold for a moment.
                let pragmas = format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA mmap_size = {SQLITE_MMAP_BYTES}; \
                     PRAGMA wal_autocheckpoint = {};",
                    self.busy_timeout.as_millis(),
                    if self.target.is_memory() { 1000 } else { 0 }
                );
                conn.batch_execute(&pragmas).map_err(diesel::r2d2::Error::QueryError)?;
                // Search folds display names with `lower()`, which must fold as the domain
                // folds a prefix: SQLite's own folds ASCII only.
                crate::text_fold::register_unicode_lower(&mut conn).map_err(diesel::r2d2::Error::QueryError)?;
                if let Some(kib) = self.cache_kib {
                    conn.batch_execute(&format!("PRAGMA cache_size = -{kib};"))
                        .map_err(diesel::r2d2::Error::QueryError)?;
                }
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// An account as a write transaction read it when locking it: its id, whether
/// private, when deleted.
pub type LockedRow = (DbUuid, bool, Option<DbTime>);

/// How a locked account stands.
#[must_use]
pub fn standing_of(row: &LockedRow) -> Standing {
    let (_, is_private, deleted_at) = row;
    Standing::of(deleted_at.is_none().then_some(*is_private))
}

/// Two accounts of a transition, as locked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedPair {
    /// How the first account stands.
    pub first: Standing,
    /// How the second account stands.
    pub second: Standing,
}

impl LockedPair {
    /// Both accounts are live.
    #[must_use]
    pub const fn both_live(&self) -> bool {
        self.first.is_live() && self.second.is_live()
    }

    fn from_rows(first: DbUuid, second: DbUuid, rows: &[LockedRow]) -> Self {
        let row = |id: DbUuid| rows.iter().find(|row| row.0 == id);
        let standing = |id: DbUuid| row(id).map_or(Standing::Missing, standing_of);
        Self { first: standing(first), second: standing(second) }
    }
}

/// The columns of a [`LockedRow`].
macro_rules! locked_columns {
    () => {
        (accounts::id, accounts::is_private, accounts::deleted_at)
    };
}

/// The statements whose SQL must differ between the backends.
pub trait BackendSql {
    /// Reads the two accounts of a transition and, on PostgreSQL, locks their rows
    /// until the end of the transaction, in id order so that two transactions locking
    /// the same pair cannot deadlock. Every transition that changes a pair takes this
    /// lock first, so transitions of one pair (and a profile update of either
    /// account) run one after the other. SQLite's `BEGIN IMMEDIATE` already
    /// serialises writers, so there it is a plain read.
    fn lock_pair(&mut self, first: DbUuid, second: DbUuid) -> QueryResult<LockedPair>;

    /// Reads the accounts of `ids` (sorted, without duplicates). On PostgreSQL the rows
    /// stay locked until the end of the transaction, taken in id order; SQLite's write
    /// lock already covers them.
    fn lock_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<Vec<LockedRow>>;

    /// Announces an event to every instance listening on this database, as part of
    /// the current transaction: PostgreSQL delivers a `NOTIFY` only if the
    /// transaction commits, so nothing is announced that did not happen. SQLite has
    /// one process; its events are published in-process after commit, so this does
    /// nothing there.
    fn announce(&mut self, event: &crate::events::StoreEvent) -> QueryResult<()>;

    /// Inserts follow edges, skipping any that exist, and returns the pairs it
    /// inserted: one multi-row statement `RETURNING` them on PostgreSQL; one cached
    /// single-row statement per edge on SQLite, where Diesel has no multi-row
    /// `ON CONFLICT` and a statement is a function call, not a round trip.
    fn insert_edges(&mut self, rows: Vec<FollowRow>) -> QueryResult<HashSet<(DbUuid, DbUuid)>>;

    /// As [`BackendSql::announce`] for several events, in one statement.
    fn announce_all(&mut self, events: &[crate::events::StoreEvent]) -> QueryResult<()>;

    /// Moves the counts of several distinct accounts, each by its own deltas:
    /// `(id, followers, following)`, and stores the budget windows of distinct
    /// accounts, `(id, start, used)`. One statement from arrays on PostgreSQL; on
    /// SQLite one `IN` statement per distinct pair of deltas (a run of follows has a
    /// handful: its followees' +1 and its followers' +1) and an upsert per window,
    /// where preparing one is a parse in process, not a round trip.
    fn add_to_counts(&mut self, deltas: &[(DbUuid, i64, i64)], windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()>;

    /// Stores new notifications: one statement from arrays on PostgreSQL; on SQLite a
    /// cached single-row statement for one, multi-row statements for more.
    fn insert_notification_rows(&mut self, rows: Vec<NotificationRow>) -> QueryResult<()>;

    /// Stores the budget windows of distinct accounts, `(id, start, used)`: one
    /// statement from arrays on PostgreSQL, a cached upsert per row on SQLite.
    fn store_quota_windows(&mut self, windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()>;

    /// Takes up to `limit` outbox rows due at `now` and pushes their next attempt to
    /// `until`, so no other dispatcher sends them meanwhile. On PostgreSQL the rows are
    /// locked `FOR UPDATE SKIP LOCKED`, so instances claiming at once take different
    /// rows; SQLite's single writer needs no more.
    fn claim_due_pushes(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<(DbUuid, String, i32)>>;
}

/// Selects the due outbox rows (with `$lock` applied to the query: nothing on SQLite,
/// `FOR UPDATE SKIP LOCKED` on PostgreSQL) and moves their next attempt past the lease.
macro_rules! claim_due {
    ($conn:expr, $now:expr, $until:expr, $limit:expr, |$q:ident| $lock:expr) => {{
        let $q = push_outbox::table
            .filter(push_outbox::next_attempt_at.le($now))
            .order(push_outbox::next_attempt_at)
            .limit($limit)
            .select((push_outbox::notification_id, push_outbox::device_token, push_outbox::attempts));
        let rows: Vec<(DbUuid, String, i32)> = $lock.load($conn)?;
        for (id, token, _) in &rows {
            diesel::update(push_outbox::table.find((id, token)))
                .set(push_outbox::next_attempt_at.eq($until))
                .execute($conn)?;
        }
        Ok(rows)
    }};
}

impl BackendSql for SqliteConnection {
    fn lock_pair(&mut self, first: DbUuid, second: DbUuid) -> QueryResult<LockedPair> {
        // Two equalities rather than `IN (?, ?)`: Diesel caches the prepared statement
        // only when the number of binds is fixed by the query's type.
        let rows: Vec<LockedRow> = accounts::table
            .filter(accounts::id.eq(first).or(accounts::id.eq(second)))
            .select(locked_columns!())
            .load(self)?;
        Ok(LockedPair::from_rows(first, second, &rows))
    }

    fn lock_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<Vec<LockedRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        accounts::table.filter(accounts::id.eq_any(ids)).select(locked_columns!()).load(self)
    }

    fn announce(&mut self, _event: &crate::events::StoreEvent) -> QueryResult<()> {
        Ok(())
    }

    fn announce_all(&mut self, _events: &[crate::events::StoreEvent]) -> QueryResult<()> {
        Ok(())
    }

    fn insert_edges(&mut self, rows: Vec<FollowRow>) -> QueryResult<HashSet<(DbUuid, DbUuid)>> {
        let mut inserted = HashSet::with_capacity(rows.len());
        for row in rows {
            let pair = (row.follower_id, row.followee_id);
            if diesel::insert_into(follows::table).values(row).on_conflict_do_nothing().execute(self)? > 0 {
                inserted.insert(pair);
            }
        }
        Ok(inserted)
    }

    fn store_quota_windows(&mut self, windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()> {
        use diesel::upsert::excluded;
        for (id, start, used) in windows {
            diesel::insert_into(follow_quota::table)
                .values((
                    follow_quota::account_id.eq(id),
                    follow_quota::window_start.eq(start),
                    follow_quota::used.eq(used),
                ))
                .on_conflict(follow_quota::account_id)
                .do_update()
                .set((
                    follow_quota::window_start.eq(excluded(follow_quota::window_start)),
                    follow_quota::used.eq(excluded(follow_quota::used)),
                ))
                .execute(self)?;
        }
        Ok(())
    }

    fn add_to_counts(&mut self, deltas: &[(DbUuid, i64, i64)], windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()> {
        self.store_quota_windows(windows)?;
        let mut groups: BTreeMap<(i64, i64), Vec<DbUuid>> = BTreeMap::new();
        for (id, followers, following) in deltas {
            groups.entry((*followers, *following)).or_default().push(*id);
        }
        for ((followers, following), ids) in groups {
            diesel::update(accounts::table.filter(accounts::id.eq_any(ids)))
                .set((
                    accounts::followers_count.eq(accounts::followers_count + followers),
                    accounts::following_count.eq(accounts::following_count + following),
                ))
                .execute(self)?;
        }
        Ok(())
    }

    fn insert_notification_rows(&mut self, rows: Vec<NotificationRow>) -> QueryResult<()> {
        if let [row] = rows.as_slice() {
            // A single-row insert is a cached prepared statement; a multi-row one is
            // prepared anew for each number of rows.
            diesel::insert_into(notifications::table).values(row).execute(self)?;
            return Ok(());
        }
        for chunk in rows.chunks(INSERT_CHUNK) {
            diesel::insert_into(notifications::table).values(chunk).execute(self)?;
        }
        Ok(())
    }

    fn claim_due_pushes(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<(DbUuid, String, i32)>> {
        claim_due!(self, now, until, limit, |query| query)
    }
}

impl BackendSql for PgConnection {
    fn lock_pair(&mut self, first: DbUuid, second: DbUuid) -> QueryResult<LockedPair> {
        let rows: Vec<LockedRow> = accounts::table
            .filter(accounts::id.eq_any([first, second]))
            .order(accounts::id)
            .select(locked_columns!())
            .for_no_key_update()
            .load(self)?;
        Ok(LockedPair::from_rows(first, second, &rows))
    }

    fn lock_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<Vec<LockedRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        accounts::table
            .filter(accounts::id.eq_any(ids))
            .order(accounts::id)
            .select(locked_columns!())
            .for_no_key_update()
            .load(self)
    }

    fn announce(&mut self, event: &crate::events::StoreEvent) -> QueryResult<()> {
        self.announce_all(std::slice::from_ref(event))
    }

    fn insert_edges(&mut self, rows: Vec<FollowRow>) -> QueryResult<HashSet<(DbUuid, DbUuid)>> {
        let statement = InsertEdges {
            followers: rows.iter().map(|row| row.follower_id).collect(),
            followees: rows.iter().map(|row| row.followee_id).collect(),
            created_at: rows.iter().map(|row| row.created_at).collect(),
        };
        let inserted: Vec<(DbUuid, DbUuid)> = statement.get_results(self)?;
        Ok(inserted.into_iter().collect())
    }

    fn announce_all(&mut self, events: &[crate::events::StoreEvent]) -> QueryResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let payloads = events.iter().map(crate::events::StoreEvent::encode).collect();
        Notify { channel: crate::events::CHANNEL, payloads }.execute(self).map(|_| ())
    }

    fn store_quota_windows(&mut self, windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()> {
        if windows.is_empty() {
            return Ok(());
        }
        let statement = StoreQuotaWindows {
            ids: windows.iter().map(|(id, _, _)| *id).collect(),
            starts: windows.iter().map(|(_, start, _)| *start).collect(),
            used: windows.iter().map(|(_, _, used)| *used).collect(),
        };
        statement.execute(self).map(|_| ())
    }

    fn add_to_counts(&mut self, deltas: &[(DbUuid, i64, i64)], windows: &[(DbUuid, DbTime, i32)]) -> QueryResult<()> {
        if deltas.is_empty() && windows.is_empty() {
            return Ok(());
        }
        let statement = AddToCounts {
            window_ids: windows.iter().map(|(id, _, _)| *id).collect(),
            window_starts: windows.iter().map(|(_, start, _)| *start).collect(),
            window_used: windows.iter().map(|(_, _, used)| *used).collect(),
            ids: deltas.iter().map(|(id, _, _)| *id).collect(),
            followers: deltas.iter().map(|(_, followers, _)| *followers).collect(),
            following: deltas.iter().map(|(_, _, following)| *following).collect(),
        };
        statement.execute(self).map(|_| ())
    }

    fn insert_notification_rows(&mut self, rows: Vec<NotificationRow>) -> QueryResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let statement = InsertNotifications {
            ids: rows.iter().map(|row| row.id).collect(),
            recipients: rows.iter().map(|row| row.recipient_id).collect(),
            actors: rows.iter().map(|row| row.actor_id).collect(),
            created_at: rows.iter().map(|row| row.created_at).collect(),
            request_ids: rows.iter().map(|row| row.request_id).collect(),
            request_statuses: rows.iter().map(|row| row.request_status).collect(),
            // Last: it moves the kinds out of the rows.
            kinds: rows.into_iter().map(|row| row.kind).collect(),
        };
        statement.execute(self).map(|_| ())
    }

    fn claim_due_pushes(&mut self, now: DbTime, until: DbTime, limit: i64) -> QueryResult<Vec<(DbUuid, String, i32)>> {
        claim_due!(self, now, until, limit, |query| query.for_update().skip_locked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(Target::parse("sqlite://rookery.db").unwrap(), Target::Sqlite("rookery.db".into()));
        assert_eq!(Target::parse("sqlite:///tmp/x.db").unwrap(), Target::Sqlite("/tmp/x.db".into()));
        assert!(Target::parse("sqlite::memory:").unwrap().is_memory());
        assert!(matches!(Target::parse("postgres://localhost/x").unwrap(), Target::Postgres(_)));
        assert!(Target::parse("mysql://x").is_err());
        assert!(Target::parse("sqlite://").is_err());
    }

    #[test]
    fn targets_name_themselves_without_a_password() {
        let show = |url: &str| Target::parse(url).unwrap().to_string();
        assert_eq!(show("postgres://app:s3cret@db:5432/rookery"), "PostgreSQL postgres://app:***@db:5432/rookery");
        assert_eq!(show("postgres://app@db/rookery"), "PostgreSQL postgres://app@db/rookery");
        assert_eq!(
            show("postgres://app:pw@a:5432,b:5433/r?target_session_attrs=read-write&password=x"),
            "PostgreSQL postgres://app:***@a:5432,b:5433/r?target_session_attrs=read-write&password=***"
        );
        assert_eq!(show("sqlite:///var/lib/r.db"), "SQLite database /var/lib/r.db");
    }

    #[test]
    fn a_missing_directory_fails_at_once_naming_the_path() {
        let started = std::time::Instant::now();
        let manager = Manager::new(Target::Sqlite("/nonexistent-dir/r.db".into()), Duration::from_secs(5));
        let error = manager.probe(Duration::from_secs(5)).unwrap_err().to_string();
        assert!(error.contains("/nonexistent-dir/r.db"), "{error}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[derive(QueryableByName)]
    struct PlanLine {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }

    /// How a statement prepared while a table held one row is planned once the table
    /// holds 20,000: the pitfall a pooled connection must not fall into.
    fn plan_after_growth(conn: &mut PgConnection) -> String {
        conn.batch_execute(
            "CREATE TEMP TABLE growing (id uuid PRIMARY KEY, used int); \
             INSERT INTO growing VALUES (gen_random_uuid(), 1); ANALYZE growing; \
             PREPARE windows(uuid[]) AS SELECT * FROM growing WHERE id = ANY($1);",
        )
        .unwrap();
        for _ in 0..6 {
            conn.batch_execute("EXECUTE windows(ARRAY[gen_random_uuid()])").unwrap();
        }
        conn.batch_execute("INSERT INTO growing SELECT gen_random_uuid(), 1 FROM generate_series(1, 20000)").unwrap();
        let plan: Vec<PlanLine> =
            diesel::sql_query("EXPLAIN EXECUTE windows(ARRAY[gen_random_uuid()])").load(conn).unwrap();
        plan.into_iter().map(|l| l.line).collect::<Vec<_>>().join("\n")
    }

    #[test]
    #[ignore = "needs PostgreSQL: `make test-postgres` runs it, with ROOKERY_TEST_POSTGRES_URL"]
    fn pooled_postgres_connections_replan_statements_as_tables_grow() {
        let url = std::env::var("ROOKERY_TEST_POSTGRES_URL").expect("ROOKERY_TEST_POSTGRES_URL");
        let mut plain = PgConnection::establish(&url).unwrap();
        let stale = plan_after_growth(&mut plain);
        assert!(stale.contains("Seq Scan"), "the pitfall no longer reproduces on a plain connection:\n{stale}");

        let manager = Manager::new(Target::Postgres(url), Duration::from_secs(5));
        let DbConnection::Postgres(mut pooled) = manager.open().unwrap() else { panic!("a PostgreSQL connection") };
        let fresh = plan_after_growth(&mut pooled);
        assert!(fresh.contains("Index Scan"), "a pooled connection kept the plan of a one-row table:\n{fresh}");
    }
}
