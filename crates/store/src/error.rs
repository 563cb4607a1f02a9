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
/// caller can act on), lock timeouts become "unavailable", the rest failures.
pub fn from_diesel(error: DieselError) -> StoreError {
    match error {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            StoreError::Conflict(info.constraint_name().unwrap_or_else(|| info.message()).to_owned())
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

fn is_transient(message: &str) -> bool {
    message.contains("database is locked")
        || message.contains("deadlock detected")
        || message.contains("could not serialize")
}

/// Maps a pool error: no connection in time means the store is unavailable.
pub fn from_pool(error: &r2d2::Error) -> StoreError {
    StoreError::Unavailable(format!("no database connection available: {error}"))
}
