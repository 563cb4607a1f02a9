//! Backend dispatch: the body is written once and compiled once per backend, so every
//! query is checked against both SQLite and PostgreSQL at build time.

/// Runs `$body` with `$c` bound to the concrete connection inside a
/// [`crate::connection::DbConnection`].
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Sqlite($c) => $body,
            $crate::connection::DbConnection::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` in a write transaction: `BEGIN IMMEDIATE` on SQLite, so concurrent
/// writers queue on the lock up front instead of failing at commit; a plain
/// transaction on PostgreSQL, where row locks do the queueing.
macro_rules! write_tx {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::connection::DbConnection::Sqlite(conn) => {
                conn.immediate_transaction(|$c| -> diesel::QueryResult<_> { $body })
            }
            $crate::connection::DbConnection::Postgres(conn) => {
                conn.transaction(|$c| -> diesel::QueryResult<_> { $body })
            }
        }
    };
}

/// Implements a trait of repository methods for both concrete connections from one
/// body, so each method is written once and type-checked against each backend.
macro_rules! for_each_backend {
    (impl $trait:ident { $($body:tt)* }) => {
        impl $trait for diesel::sqlite::SqliteConnection { $($body)* }
        impl $trait for diesel::pg::PgConnection { $($body)* }
    };
}
