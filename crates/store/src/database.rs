//! The pool, migrations, and the two ways repository code runs: a read on a pooled
//! connection, or a write transaction retried when PostgreSQL reports a serialization
//! failure or deadlock.

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use rookery_domain::ports::StoreError;

use crate::checkpoint::{Checkpointer, WriteGate};
use crate::connection::{DbConnection, Manager, Target};
use crate::error::{OpenError, from_diesel, from_pool, is_connection_lost, is_retryable};
use crate::group_commit::CommitQueue;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");

/// An arbitrary key for the advisory lock that keeps two instances starting at once
/// from running the same migrations concurrently.
const MIGRATION_LOCK_KEY: i64 = 0x0072_6f6f_6b65_7279;

/// How often a write transaction is retried after a serialization failure or deadlock.
const WRITE_ATTEMPTS: usize = 5;

/// Which backend a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// Pool settings.
#[derive(Debug, Clone, Copy)]
pub struct DatabaseOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// How long a caller waits for a free connection before "unavailable".
    pub connection_timeout: Duration,
    /// How long a SQLite writer waits for the write lock.
    pub busy_timeout: Duration,
    /// Whether notifications also fill the push outbox (push delivery is configured).
    pub push_outbox: bool,
    /// Writer threads that group concurrent graph changes into shared transactions
    /// (see the `group_commit` module): `None` for the backend's default (one on
    /// SQLite, which has one writer anyway; [`POSTGRES_WRITERS`] on PostgreSQL),
    /// `Some(0)` for none (every change commits alone, on the caller's thread).
    pub writers: Option<usize>,
}

/// Writer threads on PostgreSQL by default: while one batch waits for its WAL flush,
/// the other fills and runs its own. More writers make smaller batches, and a batch's
/// statements cost the same whatever its size: measured here, 4 writers gave 20-40%
/// less follow throughput than 2, and 8 less again (docs/benchmarks.md).
pub const POSTGRES_WRITERS: usize = 2;

/// The page cache of a writer thread's SQLite connection, in KiB. A batch of follows on
/// distinct pairs touches a few pages per follow (two edge indexes, two account rows, a
/// notification and its index), so SQLite's default 2 MiB was evicted by every batch and
/// the writer re-read its pages from the WAL with `pread`. The writer is the only
/// connection that writes, so its cache stays valid from one batch to the next (a
/// reader's is dropped whenever another connection has committed, so readers keep the
/// default and read through `mmap`). Filled on use: an idle server holds none of it.
const WRITER_CACHE_KIB: u32 = 64 * 1024;

/// A pool of at most `max_size` connections, opened on demand (no idle minimum: a
/// background thread topping the pool up could still be inside libpq when a one-shot
/// command exits) and not tested on checkout (a round trip per use case on PostgreSQL).
fn pool_builder(max_size: u32, options: &DatabaseOptions) -> r2d2::Builder<Manager> {
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(options.connection_timeout)
        .test_on_check_out(false)
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            connection_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            push_outbox: false,
            writers: None,
        }
    }
}

/// The store: a connection pool over one database, implementing the domain's ports.
/// Cloning is cheap (the pool is shared).
#[derive(Clone)]
pub struct Database {
    pool: r2d2::Pool<Manager>,
    /// A replica for list reads, when configured.
    replica: Option<r2d2::Pool<Manager>>,
    backend: Backend,
    push_outbox: bool,
    /// Where graph changes go to share a commit; `None` applies each on its own.
    commits: Option<Arc<CommitQueue>>,
    /// Copies a SQLite file's WAL back into it, off the write path.
    _checkpoints: Option<Arc<Checkpointer>>,
    /// Write transactions take turns with the checkpointer's restarts (SQLite files).
    write_gate: Option<WriteGate>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.backend).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens a pool on `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://...`).
    /// Does not migrate: call [`Database::migrate`].
    ///
    /// # Errors
    /// [`OpenError::Url`] for an unsupported URL, [`OpenError::Connect`] when no
    /// connection can be opened.
    pub fn open(url: &str, options: DatabaseOptions) -> Result<Self, OpenError> {
        let target = Target::parse(url)?;
        let backend = match target {
            Target::Sqlite(_) => Backend::Sqlite,
            Target::Postgres(_) => Backend::Postgres,
        };
        // Every in-memory SQLite connection is a database of its own: keep exactly one,
        // for as long as the process runs.
        let memory = target.is_memory();
        let max_size = if memory { 1 } else { options.max_connections.max(1) };
        let mut builder = pool_builder(max_size, &options);
        if memory {
            builder = builder.idle_timeout(None).max_lifetime(None);
        }
        let manager = Manager::new(target, options.busy_timeout);
        let pool = builder.build(manager.clone()).map_err(|e| OpenError::Connect(e.to_string()))?;
        let write_gate = (backend == Backend::Sqlite && !memory).then(WriteGate::default);
        let checkpoints = match &write_gate {
            Some(gate) => Some(Arc::new(
                Checkpointer::start(pool.clone(), gate.clone(), options.busy_timeout)
                    .map_err(|e| OpenError::Connect(e.to_string()))?,
            )),
            None => None,
        };
        let mut db = Self {
            pool,
            replica: None,
            backend,
            push_outbox: options.push_outbox,
            commits: None,
            _checkpoints: checkpoints,
            write_gate,
        };
        let writers = options.writers.unwrap_or(match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WRITERS,
        });
        if writers > 0 {
            // The writers hold a clone without the queue (they apply directly). A file
            // database gives them a pool of their own, one connection each, so a writer
            // finds its page cache as it left it; an in-memory one is one connection,
            // which they share.
            let writer_db = if memory {
                db.clone()
            } else {
                let pool = pool_builder(u32::try_from(writers).unwrap_or(u32::MAX), &options)
                    .build(manager.with_cache_kib(WRITER_CACHE_KIB))
                    .map_err(|e| OpenError::Connect(e.to_string()))?;
                Self { pool, ..db.clone() }
            };
            let queue = CommitQueue::start(&writer_db, writers).map_err(|e| OpenError::Connect(e.to_string()))?;
            db.commits = Some(Arc::new(queue));
        }
        Ok(db)
    }

    /// The queue graph changes share commits through, if any.
    pub(crate) fn commit_queue(&self) -> Option<&CommitQueue> {
        self.commits.as_deref()
    }

    /// Runs the embedded migrations of this backend that have not run yet and returns
    /// how many ran.
    ///
    /// # Errors
    /// [`OpenError::Migrate`].
    pub fn migrate(&self) -> Result<usize, OpenError> {
        let mut conn = self.pool.get().map_err(|e| OpenError::Connect(e.to_string()))?;
        let migrate = |e: &dyn std::fmt::Display| OpenError::Migrate(e.to_string());
        match &mut **conn {
            DbConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()).map_err(|e| migrate(&e))
            }
            DbConnection::Postgres(c) => {
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})")).map_err(|e| migrate(&e))?;
                let ran = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()).map_err(|e| migrate(&e));
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                    .map_err(|e| migrate(&e))?;
                ran
            }
        }
    }

    /// Whether notifications fill the push outbox.
    pub(crate) const fn push_outbox(&self) -> bool {
        self.push_outbox
    }

    /// Connections open in the pool, and how many of them are idle.
    #[must_use]
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Most connections the pool opens.
    #[must_use]
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// The backend in use.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that a connection can be had and answers a trivial query.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Failure`].
    pub fn ping(&self) -> Result<(), StoreError> {
        self.read(|conn| with_conn!(conn, |c| c.batch_execute("SELECT 1")))
    }

    /// As [`Database::ping`], but gives up after `wait` rather than the pool's full
    /// connection timeout: for readiness probes, which must answer at once.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`].
    pub fn ping_within(&self, wait: Duration) -> Result<(), StoreError> {
        crate::reconnect::ping_within(&self.pool, wait)
    }

    /// Sends list reads (followers and following pages, request and block lists,
    /// relations, the notification list) to a read replica. Reads that decide a
    /// change, and everything written, stay on the primary: a lagging replica may show
    /// a list a moment old, but never makes a decision on stale state.
    ///
    /// # Errors
    /// The replica's URL is for another backend, or it cannot be reached.
    pub fn with_read_replica(mut self, url: &str, options: DatabaseOptions) -> Result<Self, OpenError> {
        let target = Target::parse(url)?;
        let same_backend = matches!(
            (&target, self.backend),
            (Target::Sqlite(_), Backend::Sqlite) | (Target::Postgres(_), Backend::Postgres)
        );
        if !same_backend {
            return Err(OpenError::Url(format!("{url} (the read replica must use the primary's backend)")));
        }
        let pool = pool_builder(options.max_connections.max(1), &options)
            .build(Manager::new(target, options.busy_timeout))
            .map_err(|e| OpenError::Connect(e.to_string()))?;
        self.replica = Some(pool);
        Ok(self)
    }

    /// Runs a list read on the replica when there is one, else on the primary (again
    /// on a fresh connection when the first was dead).
    pub(crate) fn read_list<T>(&self, f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        crate::reconnect::read(self.replica.as_ref().unwrap_or(&self.pool), f)
    }

    /// Runs `f` on a pooled connection, and once more on a fresh one when the first
    /// turned out to be dead (a read commits nothing, so running it again is safe).
    pub(crate) fn read<T>(&self, f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        crate::reconnect::read(&self.pool, f)
    }

    /// Runs `f` once, never again: for a read that hands rows on as it goes.
    pub(crate) fn read_once<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        crate::reconnect::read_once(&self.pool, f)
    }

    /// Runs `f` — which opens its own write transaction with `write_tx!` — on a
    /// pooled connection, again when PostgreSQL aborted it as a serialization failure
    /// or deadlock victim (nothing of it was committed), and once on a fresh
    /// connection when the connection was lost before `COMMIT` was sent. A connection
    /// lost after that leaves the outcome unknown: "unavailable", never run twice.
    pub(crate) fn write<T>(&self, mut f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        let mut conn = self.pool.get().map_err(|e| from_pool(&e))?;
        let _turn = self.write_gate.as_ref().map(WriteGate::hold);
        let mut attempt = 1;
        let mut reconnected = false;
        loop {
            conn.reset_commit_sent();
            let result = f(&mut conn);
            conn.note(&result);
            match result {
                Err(e) if attempt < WRITE_ATTEMPTS && is_retryable(&e) => {
                    tracing::debug!(attempt, error = %e, "retrying write transaction");
                    attempt += 1;
                }
                Err(e) if !reconnected && is_connection_lost(&e) && !conn.commit_sent() => {
                    tracing::debug!(error = %e, "write on a lost connection before COMMIT; once more on a fresh one");
                    reconnected = true;
                    // Back to the pool first, which drops it: a writer's pool of one
                    // must not wait on itself.
                    drop(conn);
                    conn = crate::reconnect::fresh(&self.pool)?;
                }
                other => return other.map_err(from_diesel),
            }
        }
    }
}
