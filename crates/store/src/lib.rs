//! Rookery's persistence adapter: Diesel over SQLite (bundled) or PostgreSQL, behind
//! the domain's ports.
//!
//! [`Database`] owns an r2d2 pool of [`connection::DbConnection`]s — one enum over the
//! two backends — and implements [`rookery_domain::ports::AccountStore`] and
//! [`rookery_domain::ports::GraphStore`]. Repository code is written once and
//! instantiated per backend by the `with_conn!` and `write_tx!` macros (`macros.rs`); the few
//! statements whose SQL must differ live behind [`connection::BackendSql`].
//!
//! Most methods are synchronous and block on the pool: call them from a blocking
//! thread. Those that answer a [`rookery_domain::pending::Pending`] (graph changes,
//! the pair read, presence and provisioning) return at once and do their blocking on
//! the store's own threads: the group-commit writers, or its offload threads.
#![warn(missing_docs)]

#[macro_use]
mod macros;

mod accounts;
mod batch;
mod budget;
mod checkpoint;
pub mod connection;
mod database;
mod driven_lists;
mod error;
pub mod event_log;
pub mod events;
mod fences;
mod follow_run;
mod graph;
mod group_commit;
mod lists;
pub mod maintenance;
mod migrations;
mod mutes;
mod notifications;
mod offload;
mod pg_arrays;
mod planned;
mod pool;
pub mod push;
mod reconnect;
mod replays;
mod replicas;
mod rows;
mod schema;
mod search;
mod sql_types;
mod suggestions;
mod text_fold;
mod transitions;
pub mod webhooks;

pub use database::{Backend, DEFAULT_REPLICA_MAX_LAG, Database, DatabaseOptions, POSTGRES_WRITERS, ReplicaStatus};
pub use error::OpenError;
pub use migrations::{MigrationSteps, SchemaStatus};
