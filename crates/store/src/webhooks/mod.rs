//! Webhook endpoints and their deliveries (issue 24).
//!
//! Deliveries are queued off the write path: a change writes only its events, and the
//! server's fan-out ([`Database::fan_out`]) later reads each enabled endpoint's events
//! after its `cursor_*` (the feed's own order and horizon, so nothing committed late
//! is skipped) and queues a delivery per wanted event, advancing the cursor in the
//! same transaction. On PostgreSQL each endpoint's row is locked `FOR UPDATE SKIP
//! LOCKED`, so two instances never fan out one endpoint at once, and the unique
//! `(webhook_id, event_id)` turns any twin into a no-op. Senders claim due deliveries
//! the same way and lease them (`leased_until`), so an instance that dies mid-send
//! leaves its deliveries to be taken again once the lease lapses; a fan-out can insert
//! the first of its deliveries already leased to its own sender
//! ([`Database::fan_out_leasing`]), which saves claiming them. On SQLite the write
//! lock does what the row locks do on PostgreSQL.
//!
//! `rows` maps the tables, `statements` holds the SQL (per backend where it differs),
//! `endpoints` serves the admin API (the `WebhookStore` port) and `sending` the
//! delivery worker.
//!
//! [`Database::fan_out`]: crate::database::Database::fan_out
//! [`Database::fan_out_leasing`]: crate::database::Database::fan_out_leasing

mod endpoints;
mod outcome;
mod rows;
mod sending;
mod statements;

pub use outcome::{AttemptOutcome, DueDelivery, FanOut, Recorded};
pub(crate) use rows::{DeliveryRow, WebhookRow};
