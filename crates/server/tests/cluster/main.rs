//! Rookery on a real PostgreSQL cluster: a private primary with streaming hot
//! standbys, started by `scripts/pg-cluster.sh` (never the shared server). Reads on
//! replicas that are never stale for their writer, replicas skipped while they lag or
//! are down, and a failover under load that loses no acknowledged write.
//!
//! `make test` runs these (they are `#[ignore]`d for a plain `cargo test`); where
//! PostgreSQL's server binaries are missing each says `SKIPPED` and passes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod failover;
mod replicas;
mod support;
