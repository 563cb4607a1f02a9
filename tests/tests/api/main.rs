//! Black-box tests of the running server: one binary, one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod admin;
mod anchor;
mod auth;
mod bad_input;
mod blocks;
mod browser;
mod concurrency;
mod dialects;
mod drf;
mod errors;
mod faults;
mod follows;
mod graph_queries;
mod identity_providers;
mod lists;
mod mobile_app;
mod notifications;
mod observability;
mod openapi;
mod profiles;
mod push;
mod rate_limits;
mod requests;
mod rgram;
mod transfer;
