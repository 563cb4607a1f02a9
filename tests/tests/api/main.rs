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
mod event_feed;
mod faults;
mod follows;
mod idempotency;

mod graph_queries;
mod identity_providers;
mod list_visibility;
mod lists;
mod mobile_app;
mod mutes;
mod notifications;
mod observability;
mod openapi;
mod profiles;
mod push;
mod rate_limits;
mod request_fates;
mod requests;
mod rgram;
mod search;
mod snapshots;
mod transfer;
mod webhooks;
