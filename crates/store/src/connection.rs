//! One connection type over both backends, and the r2d2 manager that opens it.
//!
//! This is our own enum rather than `#[derive(diesel::MultiConnection)]`: the derive
//! cannot carry `ON CONFLICT`, `Uuid` or `Timestamptz` across backends, and it hides
//! `SqliteConnection::immediate_transaction`. Matching on the enum (see the crate's
//! `with_conn!`/`write_tx!` macros) keeps every query compiled against each backend.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use crate::schema::accounts;
use crate::sql_types::{DbTime, DbUuid};

/// A connection to either backend.
pub enum DbConnection {
    /// An embedded SQLite database file.
    Sqlite(SqliteConnection),
    /// A PostgreSQL server.
    Postgres(PgConnection),
}

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A SQLite file path, or `:memory:`.
    Sqlite(String),
    /// A PostgreSQL URL.
    Postgres(String),
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
}

impl Manager {
    /// A manager for `target`.
    #[must_use]
    pub const fn new(target: Target, busy_timeout: Duration) -> Self {
        Self { target, busy_timeout }
    }
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConnection, Self::Error> {
        match &self.target {
            Target::Postgres(url) => {
                PgConnection::establish(url).map(DbConnection::Postgres).map_err(diesel::r2d2::Error::ConnectionError)
            }
            Target::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path).map_err(diesel::r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; NORMAL syncs at checkpoints,
                // which WAL keeps durable against process crashes; the busy timeout makes
                // a writer wait for the lock instead of failing.
                let pragmas = format!(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = {};",
                    self.busy_timeout.as_millis()
                );
                conn.batch_execute(&pragmas).map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Self::Error> {
        with_conn!(conn, |c| c.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError))
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// The statements whose SQL must differ between the backends.
pub trait BackendSql {
    /// Counts which of `ids` are live accounts, locking their rows until the end of
    /// the transaction on PostgreSQL (in id order, so two transactions locking the
    /// same pair cannot deadlock). SQLite's `BEGIN IMMEDIATE` already serialises
    /// writers, so there it is a plain read.
    fn lock_live_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<usize>;
}

impl BackendSql for SqliteConnection {
    fn lock_live_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<usize> {
        let rows: Vec<(DbUuid, Option<DbTime>)> =
            accounts::table.filter(accounts::id.eq_any(ids)).select((accounts::id, accounts::deleted_at)).load(self)?;
        Ok(rows.iter().filter(|(_, deleted)| deleted.is_none()).count())
    }
}

impl BackendSql for PgConnection {
    fn lock_live_accounts(&mut self, ids: &[DbUuid]) -> QueryResult<usize> {
        let rows: Vec<(DbUuid, Option<DbTime>)> = accounts::table
            .filter(accounts::id.eq_any(ids))
            .order(accounts::id)
            .select((accounts::id, accounts::deleted_at))
            .for_no_key_update()
            .load(self)?;
        Ok(rows.iter().filter(|(_, deleted)| deleted.is_none()).count())
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
}
