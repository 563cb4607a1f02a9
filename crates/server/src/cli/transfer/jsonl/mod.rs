//! The JSON Lines format of `rookery export` and `rookery import`: one object per
//! line, its `"type"` naming the table (`account`, `block`, `follow`,
//! `follow_request`, `notification`, `device`, `push`, `follow_quota`, `mute`,
//! `suggestion_dismissal`, `webhook`, `webhook_delivery`), ids as hyphenated UUIDs and
//! instants as RFC 3339 UTC with up to microseconds.
//! docs/operations.md describes it for users.
//!
//! `write` renders a record as its line; `read` parses a line back, naming what is
//! wrong with one that cannot be imported.

mod read;
mod write;

pub use read::parse;
pub use write::{describe, write};

#[cfg(test)]
mod tests;
