//! Rookery's persistence adapter: Diesel over SQLite (bundled) or PostgreSQL, behind
//! the domain's ports.
//!
//! [`Database`] owns an r2d2 pool of [`connection::DbConnection`]s — one enum over the
//! two backends — and implements [`rookery_domain::ports::AccountStore`] and
//! [`rookery_domain::ports::GraphStore`]. Repository code is written once and
//! instantiated per backend by the [`with_conn!`] and [`write_tx!`] macros; the few
//! statements whose SQL must differ live behind [`connection::BackendSql`].
//!
//! Every method is synchronous and blocks on the pool: call it from a blocking thread.
#![warn(missing_docs)]

#[macro_use]
mod macros;

mod accounts;
mod batch;
mod checkpoint;
pub mod connection;
mod database;
mod error;
pub mod events;
mod follow_run;
mod graph;
mod group_commit;
mod lists;
pub mod maintenance;
mod notifications;
mod pg_arrays;
pub mod push;
mod reconnect;
mod rows;
mod schema;
mod sql_types;
mod transitions;

pub use database::{Backend, Database, DatabaseOptions, POSTGRES_WRITERS};
pub use error::OpenError;
