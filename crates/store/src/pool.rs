//! A connection pool and the two ways repository code runs on it: a read on a pooled
//! connection, or a write transaction retried when PostgreSQL reports a serialization
//! failure or deadlock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use diesel::QueryResult;
use rookery_domain::ports::StoreError;

use crate::checkpoint::WriteGate;
use crate::connection::{DbConnection, Manager};
use crate::error::{from_diesel, from_pool, is_connection_lost, is_retryable};

/// How often a write transaction is retried after a serialization failure or deadlock.
const WRITE_ATTEMPTS: usize = 5;

/// Which backend a `Database` talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A connection pool and what every transaction on it needs. The group-commit writers
/// apply their batches through one of these (see `batch`); the `Database` holds one for
/// everything else. Cloning is cheap (the pool is shared).
#[derive(Clone)]
pub(crate) struct Connections {
    pub(crate) pool: r2d2::Pool<Manager>,
    pub(crate) backend: Backend,
    pub(crate) push_outbox: bool,
    /// Write transactions take turns with the checkpointer's restarts (SQLite files).
    pub(crate) write_gate: Option<WriteGate>,
    /// Whether changes record read fences (replicas are configured; see `fences`).
    /// Shared with the writers' connections, which exist before replicas are added.
    pub(crate) fences: Arc<AtomicBool>,
}

impl Connections {
    /// Whether notifications fill the push outbox.
    pub(crate) const fn push_outbox(&self) -> bool {
        self.push_outbox
    }

    /// Whether changes record read fences.
    pub(crate) fn fences_on(&self) -> bool {
        self.fences.load(Ordering::Relaxed)
    }

    /// Runs `f` on a pooled connection, and once more on a fresh one when the first
    /// turned out to be dead (a read commits nothing, so running it again is safe).
    pub(crate) fn read<T>(&self, f: impl FnMut(&mut DbConnection) -> QueryResult<T>) -> Result<T, StoreError> {
        crate::reconnect::read(&self.pool, f)
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
