//! The store: its pools, migrations, and where each kind of work runs (reads on the
//! caller's thread, graph changes on the group-commit writers, the follow path's
//! reads on the offload threads).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rookery_domain::AccountId;
use rookery_domain::pending::{Pending, PendingApply};
use rookery_domain::ports::StoreError;
use rookery_domain::relationship::{Applied, Transition};

use crate::checkpoint::{Checkpointer, WriteGate};
use crate::connection::{DbConnection, Manager, Target};
use crate::error::OpenError;
use crate::group_commit::CommitQueue;
use crate::offload::Offload;
pub use crate::pool::Backend;
use crate::pool::Connections;
pub use crate::replicas::ReplicaStatus;
use crate::replicas::Replicas;

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

/// How far a replica may lag behind the primary and still serve reads, by default.
pub const DEFAULT_REPLICA_MAX_LAG: Duration = Duration::from_secs(5);

/// How long a read waits for a replica's connection before going to the primary.
const REPLICA_CONNECT: Duration = Duration::from_millis(500);

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

/// How graph changes reach the database.
#[derive(Clone)]
enum Writes {
    /// Queued for the group-commit writers, sharing their transactions.
    Grouped(Arc<CommitQueue>),
    /// Each in a transaction of its own, on the store's blocking threads.
    Alone,
}

/// The store: a connection pool over one database, implementing the domain's ports.
/// Cloning is cheap (the pool is shared).
#[derive(Clone)]
pub struct Database {
    conns: Connections,
    /// Replicas for list reads, when configured.
    replicas: Option<Arc<Replicas>>,
    /// The primary's URL (PostgreSQL), for the replicas' watcher.
    primary_url: Option<String>,
    writes: Writes,
    /// Where port methods that answer a `Pending` block.
    offload: Arc<Offload>,
    /// Copies a SQLite file's WAL back into it, off the write path.
    _checkpoints: Option<Arc<Checkpointer>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("backend", &self.conns.backend).finish_non_exhaustive()
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
        let primary_url = match &target {
            Target::Postgres(url) => Some(url.clone()),
            Target::Sqlite(_) => None,
        };
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
        manager.probe(options.connection_timeout)?;
        let connect = |e: &dyn std::fmt::Display| OpenError::Connect(e.to_string());
        let pool = builder.build(manager.clone()).map_err(|e| connect(&e))?;
        let write_gate = (backend == Backend::Sqlite && !memory).then(WriteGate::default);
        let checkpoints = match &write_gate {
            Some(gate) => Some(Arc::new(
                Checkpointer::start(pool.clone(), gate.clone(), options.busy_timeout).map_err(|e| connect(&e))?,
            )),
            None => None,
        };
        let fences = Arc::new(AtomicBool::new(false));
        let conns = Connections { pool, backend, push_outbox: options.push_outbox, write_gate, fences };
        let writers = options.writers.unwrap_or(match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WRITERS,
        });
        let writes = if writers > 0 {
            // A file database gives the writers a pool of their own, one connection
            // each, so a writer finds its page cache as it left it; an in-memory one is
            // one connection, which they share.
            let writer_conns = if memory {
                conns.clone()
            } else {
                let pool = pool_builder(u32::try_from(writers).unwrap_or(u32::MAX), &options)
                    .build(manager.with_cache_kib(WRITER_CACHE_KIB))
                    .map_err(|e| connect(&e))?;
                Connections { pool, ..conns.clone() }
            };
            Writes::Grouped(Arc::new(CommitQueue::start(&writer_conns, writers).map_err(|e| connect(&e))?))
        } else {
            Writes::Alone
        };
        let offload = Arc::new(Offload::start(usize::try_from(max_size).unwrap_or(1)).map_err(|e| connect(&e))?);
        Ok(Self { conns, replicas: None, primary_url, writes, offload, _checkpoints: checkpoints })
    }

    /// Applies one caller's transitions: queued for a group commit, or alone on the
    /// store's threads.
    pub(crate) fn submit(&self, transitions: Vec<Transition>) -> PendingApply {
        match &self.writes {
            Writes::Grouped(queue) => queue.submit(transitions),
            Writes::Alone => {
                let conns = self.conns.clone();
                self.offload.run(move || Ok(conns.apply_jobs(&[&transitions])?.pop().unwrap_or_default()))
            }
        }
    }

    /// Applies several callers' transitions in one write transaction, exactly as one
    /// group commit applies the jobs it took, and returns each caller's outcomes. Blocks
    /// the calling thread. The service's changes go through `GraphStore::apply`; this
    /// is for tests and tools that need a batch of a known shape.
    ///
    /// # Errors
    /// As `GraphStore::apply`: nothing of the batch was committed.
    pub fn apply_batch(&self, jobs: &[Vec<Transition>]) -> Result<Vec<Vec<Applied>>, StoreError> {
        let slices: Vec<&[Transition]> = jobs.iter().map(Vec::as_slice).collect();
        self.conns.apply_jobs(&slices)
    }

    /// Runs `work` with the store's connections on its blocking threads.
    pub(crate) fn offload<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connections) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        let conns = self.conns.clone();
        self.offload.run(move || work(&conns))
    }

    /// The primary's pool.
    pub(crate) const fn pool(&self) -> &r2d2::Pool<Manager> {
        &self.conns.pool
    }

    /// Whether notifications fill the push outbox.
    pub(crate) const fn push_outbox(&self) -> bool {
        self.conns.push_outbox
    }

    /// Connections open in the pool, and how many of them are idle.
    #[must_use]
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.conns.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Most connections the pool opens.
    #[must_use]
    pub fn pool_size(&self) -> u32 {
        self.conns.pool.max_size()
    }

    /// The backend in use.
    #[must_use]
    pub const fn backend(&self) -> Backend {
        self.conns.backend
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
        crate::reconnect::ping_within(&self.conns.pool, wait)
    }

    /// Sends list reads (followers and following pages, request and block lists,
    /// relations, the notification list) to read replicas, taking turns among those
    /// usable: up, lagging at most `max_lag`, and replayed past the read's fence (see
    /// `fences`), else to the primary. Reads that decide a change, and everything
    /// written, stay on the primary: a replica never makes a decision on stale state,
    /// and never shows a caller a list older than its own last change.
    ///
    /// # Errors
    /// A replica's URL is for another backend, or it cannot be reached now.
    pub fn with_read_replicas(
        mut self,
        urls: &[String],
        options: DatabaseOptions,
        max_lag: Duration,
    ) -> Result<Self, OpenError> {
        let mut pools = Vec::with_capacity(urls.len());
        for url in urls {
            let target = Target::parse(url)?;
            let same_backend = matches!(
                (&target, self.conns.backend),
                (Target::Sqlite(_), Backend::Sqlite) | (Target::Postgres(_), Backend::Postgres)
            );
            if !same_backend {
                return Err(OpenError::Url(format!("{target} (a read replica must use the primary's backend)")));
            }
            let name = target.to_string();
            let manager = Manager::new(target, options.busy_timeout);
            manager.probe(options.connection_timeout)?;
            // A replica that went away must not hold a read for the pool's full timeout:
            // the read goes to the primary instead.
            let replica_options = DatabaseOptions { connection_timeout: REPLICA_CONNECT, ..options };
            let pool = pool_builder(options.max_connections.max(1), &replica_options).build_unchecked(manager);
            pools.push((name, url.clone(), pool));
        }
        if pools.is_empty() {
            return Ok(self);
        }
        let watched = self.conns.backend == Backend::Postgres;
        let replicas = Arc::new(Replicas::new(pools, max_lag, watched));
        if let (true, Some(primary)) = (watched, &self.primary_url) {
            crate::replicas::watch(&replicas, primary.clone()).map_err(|e| OpenError::Connect(e.to_string()))?;
            self.conns.fences.store(true, Ordering::Relaxed);
        }
        self.replicas = Some(replicas);
        Ok(self)
    }

    /// As [`Database::with_read_replicas`] with one replica and the default lag bound.
    ///
    /// # Errors
    /// As [`Database::with_read_replicas`].
    pub fn with_read_replica(self, url: &str, options: DatabaseOptions) -> Result<Self, OpenError> {
        self.with_read_replicas(&[url.to_owned()], options, DEFAULT_REPLICA_MAX_LAG)
    }

    /// How each replica stands, and how many list reads went to the primary although
    /// replicas are configured; `None` without replicas.
    #[must_use]
    pub fn replica_status(&self) -> Option<(Vec<ReplicaStatus>, u64)> {
        self.replicas.as_ref().map(|replicas| (replicas.status(), replicas.primary_reads()))
    }

    /// Runs a list read that shows the lists of `accounts` on a replica that has
    /// replayed past their fence, else on the primary (on either, again on a fresh
    /// connection when the first was dead). A replica's failure, whatever it is
    /// (gone, or a query cancelled by a conflict with recovery), sends the read to the
    /// primary: the caller never sees it.
    pub(crate) fn read_list<T>(
        &self,
        accounts: impl IntoIterator<Item = AccountId>,
        mut f: impl FnMut(&mut DbConnection) -> QueryResult<T>,
    ) -> Result<T, StoreError> {
        let Some(replicas) = &self.replicas else { return self.conns.read(f) };
        if replicas.any_usable() {
            let fence = self.conns.fence_of(accounts)?;
            if let Some(replica) = replicas.pick(fence) {
                match crate::reconnect::read(&replica.pool, &mut f) {
                    Ok(rows) => {
                        Replicas::served(replica);
                        return Ok(rows);
                    }
                    Err(StoreError::Unavailable(error)) => {
                        tracing::debug!(%error, "read replica unavailable; reading on the primary");
                        replicas.mark_down(replica);
                    }
                    Err(error) => tracing::debug!(%error, "read failed on a replica; reading on the primary"),
                }
            }
        }
        replicas.fell_back();
        self.conns.read(f)
    }

    /// As [`Connections::read`].
    pub(crate) fn read<T>(&self, f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        self.conns.read(f)
    }

    /// Runs `f` once, never again: for a read that hands rows on as it goes.
    pub(crate) fn read_once<T>(&self, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        crate::reconnect::read_once(&self.conns.pool, f)
    }

    /// As [`Connections::record_fences`].
    pub(crate) fn record_fences(&self, accounts: impl IntoIterator<Item = AccountId>) {
        self.conns.record_fences(accounts);
    }

    /// As [`Connections::write`].
    pub(crate) fn write<T>(&self, f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        self.conns.write(f)
    }
}
