//! Turning Diesel's and r2d2's errors into the domain's `StoreError`, so nothing
//! above the store ever sees a Diesel type.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use rookery_domain::ports::StoreError;

/// Why a database could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The URL names no supported backend.
    #[error("unsupported database URL {0:?}: use sqlite://PATH, sqlite::memory: or postgres://...")]
    Url(String),
    /// The pool could not open a first connection.
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// The database carries migrations this binary does not embed.
    #[error(
        "the database carries migration {} that this binary does not know: a newer Rookery migrated it; \
         run that version, or roll back with its `rookery migrate --to <version>` (docs/operations.md)",
        .0.join(", ")
    )]
    UnknownMigrations(Vec<String>),
}

/// Maps a query error: unique violations become conflicts (a racing duplicate the
/// caller can act on), lock timeouts and lost connections become "unavailable" (the
/// caller may retry: a lost database is a 503, never a 500), the rest failures.
pub fn from_diesel(error: DieselError) -> StoreError {
    if is_connection_lost(&error) {
        // The server's own words may name its host; the caller only needs to know.
        tracing::warn!(%error, "database connection lost");
        return StoreError::Unavailable("the database connection was lost".into());
    }
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(info.constraint_name().unwrap_or_else(|| info.message()).to_owned())
        }
        // A server that became read-only (a primary demoted in a failover): the
        // write will succeed on the new primary, so the caller should retry.
        DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, ref info) => {
            StoreError::Unavailable(info.message().to_owned())
        }
        DieselError::DatabaseError(_, ref info) if is_transient(info.message()) => {
            StoreError::Unavailable(info.message().to_owned())
        }
        other => StoreError::Failure(other.to_string()),
    }
}

/// Whether a failed transaction may simply be run again.
pub fn is_retryable(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => info.message().contains("deadlock detected"),
        _ => false,
    }
}

/// Whether `error` says the connection itself is gone: the server closed it (a restart,
/// a failover, `pg_terminate_backend`, a proxy), so nothing more can run on it. Diesel
/// marks most of these `ClosedConnection`; a backend terminated while idle reports its
/// reason as an ordinary error on the next statement, so the messages count too.
pub fn is_connection_lost(error: &DieselError) -> bool {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
            true
        }
        DieselError::DatabaseError(_, info) => is_lost_message(info.message()),
        DieselError::RollbackErrorOnCommit { rollback_error, commit_error } => {
            is_connection_lost(rollback_error) || is_connection_lost(commit_error)
        }
        // A transaction on this connection could not be rolled back: it is unusable.
        DieselError::BrokenTransactionManager => true,
        _ => false,
    }
}

/// libpq's and PostgreSQL's words for a connection that went away (SQLSTATE classes
/// 08 and 57, which Diesel does not expose).
fn is_lost_message(message: &str) -> bool {
    const LOST: [&str; 10] = [
        "terminating connection",
        "server closed the connection",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "connection to server",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "SSL connection has been closed",
    ];
    LOST.iter().any(|words| message.contains(words))
}

fn is_transient(message: &str) -> bool {
    message.contains("database is locked")
        || message.contains("deadlock detected")
        || message.contains("could not serialize")
}

/// Maps a pool error: no connection in time means the store is unavailable.
pub fn from_pool(error: &r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("no database connection available: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn a_lost_connection_is_unavailable_never_a_failure() {
        for error in [
            database_error(DatabaseErrorKind::ClosedConnection, "server closed the connection unexpectedly"),
            database_error(DatabaseErrorKind::UnableToSendCommand, "no connection to the server"),
            database_error(DatabaseErrorKind::Unknown, "terminating connection due to administrator command"),
            database_error(DatabaseErrorKind::Unknown, "FATAL:  the database system is shutting down"),
            database_error(DatabaseErrorKind::ReadOnlyTransaction, "cannot execute INSERT in a read-only transaction"),
        ] {
            assert!(matches!(from_diesel(error), StoreError::Unavailable(_)));
        }
        let unique = database_error(DatabaseErrorKind::UniqueViolation, "duplicate key");
        assert!(matches!(from_diesel(unique), StoreError::Conflict(_)));
        let other = database_error(DatabaseErrorKind::Unknown, "division by zero");
        assert!(!is_connection_lost(&other));
        assert!(matches!(from_diesel(other), StoreError::Failure(_)));
    }
}
