//! Surviving a connection the server closed: after a PostgreSQL restart, failover or
//! `pg_terminate_backend`, every pooled connection is dead, and the pool only learns so
//! when a statement fails on one. A statement that cannot have committed anything (a
//! read, or a write transaction that had not sent `COMMIT`) is run once more on a
//! connection that answered a probe; anything else is "unavailable" (503), never a
//! failure (500).

use std::time::{Duration, Instant};

use diesel::QueryResult;
use rookery_domain::ports::StoreError;

use crate::connection::{DbConnection, Manager};
use crate::error::{from_diesel, from_pool};

/// A connection checked out of a pool.
pub(crate) type Conn = r2d2::PooledConnection<Manager>;

/// A connection from `pool` that answered `SELECT 1`. Dead ones met on the way are
/// marked so and go back to be dropped; after a restart the pool may hold several.
///
/// # Errors
/// [`StoreError::Unavailable`] when none answers within the pool's timeout.
pub(crate) fn fresh(pool: &r2d2::Pool<Manager>) -> Result<Conn, StoreError> {
    let deadline = Instant::now() + pool.connection_timeout();
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        let mut conn = pool.get_timeout(wait.max(Duration::from_millis(1))).map_err(|e| from_pool(&e))?;
        if conn.probe() {
            return Ok(conn);
        }
        drop(conn);
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable("no database connection answers".into()));
        }
    }
}

/// Runs the read `f` on a pooled connection, and once more on a fresh one when the
/// first turned out to be dead.
pub(crate) fn read<T>(
    pool: &r2d2::Pool<Manager>,
    mut f: impl FnMut(&mut DbConnection) -> QueryResult<T>,
) -> Result<T, StoreError> {
    let mut conn = pool.get().map_err(|e| from_pool(&e))?;
    let result = f(&mut conn);
    conn.note(&result);
    if result.is_err() && conn.is_lost() {
        // Back to the pool first, which drops it: a pool of one must not wait on itself.
        drop(conn);
        tracing::debug!("read on a lost connection; once more on a fresh one");
        let mut conn = fresh(pool)?;
        let result = f(&mut conn);
        conn.note(&result);
        return result.map_err(from_diesel);
    }
    result.map_err(from_diesel)
}

/// Runs `f` once on a pooled connection, without a second try: for reads that hand
/// their rows on as they go (an export), where a retry would repeat them.
pub(crate) fn read_once<T>(
    pool: &r2d2::Pool<Manager>,
    f: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> Result<T, StoreError> {
    let mut conn = pool.get().map_err(|e| from_pool(&e))?;
    let result = f(&mut conn);
    conn.note(&result);
    result.map_err(from_diesel)
}

/// Whether the database answers within `wait`: a connection from the pool (or a new
/// one) runs `SELECT 1`. For readiness probes, which must answer at once rather than
/// after the pool's full timeout.
///
/// # Errors
/// [`StoreError::Unavailable`].
pub(crate) fn ping_within(pool: &r2d2::Pool<Manager>, wait: Duration) -> Result<(), StoreError> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        let mut conn = pool.get_timeout(left).map_err(|e| from_pool(&e))?;
        if conn.probe() {
            return Ok(());
        }
        drop(conn);
        if Instant::now() >= deadline {
            return Err(StoreError::Unavailable("the database does not answer".into()));
        }
    }
}
