//! Live notifications over Server-Sent Events.
//!
//! [`Hub`] keeps every open stream of this process by account. Committed changes reach
//! it as [`HubEvent`]s — from [`HubNotifier`] in-process on SQLite, from the store's
//! `LISTEN` connection on PostgreSQL (so every instance hears every commit) — and
//! [`deliver`] turns them into frames: it loads each notification with its actor and
//! the recipient's unread count on the blocking pool, then hands the frame to each of
//! the recipient's streams without waiting. A stream whose buffer is full (a slow or
//! dead client) is dropped, never waited for; it can reconnect with `Last-Event-ID`.

mod frames;
mod hub;
pub mod stream;

pub use self::frames::{StreamConnected, StreamNotification, StreamUnreadCount};
pub use self::hub::{Hub, HubConfig, HubEvent, HubNotifier, deliver};
pub use self::stream::stream;
