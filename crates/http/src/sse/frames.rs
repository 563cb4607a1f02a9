//! The wire format of events: seed 002's payloads, one `data:` line each, with an
//! `id:` line for notifications (so `Last-Event-ID` can resume) and no `event:` line
//! (so a browser's `EventSource.onmessage` receives them).

use actix_web::web::Bytes;
use rookery_domain::{NotificationId, NotificationView};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::Object;

use crate::community::answers::{Actor, constant, null_value};
use crate::community::states::NotificationType;
use crate::time::rfc3339;

/// A frame ready to write, with the notification id it carries, if any.
#[derive(Debug, Clone)]
pub struct Frame {
    /// The notification this frame shows; `None` for status frames.
    pub id: Option<NotificationId>,
    /// The bytes on the wire.
    pub bytes: Bytes,
}

/// A comment line: keeps proxies from closing an idle stream.
pub const HEARTBEAT: &[u8] = b": heartbeat\n\n";

fn data(id: Option<NotificationId>, payload: &impl Serialize) -> Frame {
    let payload = serde_json::to_string(payload).unwrap_or_else(|_| "{}".to_owned());
    let text = match id {
        Some(id) => format!("id: {id}\ndata: {payload}\n\n"),
        None => format!("data: {payload}\n\n"),
    };
    Frame { id, bytes: Bytes::from(text) }
}

/// The first event of every stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamConnected {
    /// Always `connected`.
    #[serde(rename = "type")]
    #[schema(schema_with = connected_tag)]
    kind: &'static str,
    /// The caller's unread notifications.
    #[schema(minimum = 0)]
    unread_count: i64,
}

fn connected_tag() -> Object {
    constant("connected")
}

/// A notification, as it happens or replayed (the event's `id:` is its id).
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamNotification {
    /// What it is about.
    #[serde(rename = "type")]
    kind: NotificationType,
    /// The notification's id.
    #[schema(format = Uuid)]
    notification_id: String,
    /// For people.
    message: String,
    /// Who caused it.
    actor: Actor,
    /// Always null.
    #[schema(schema_with = null_value)]
    post_id: (),
    /// When it happened.
    #[schema(format = DateTime)]
    created_at: String,
    /// The recipient's unread count after it.
    #[schema(minimum = 0)]
    unread_count: i64,
}

impl StreamNotification {
    fn of(view: &NotificationView, unread_count: i64) -> Self {
        let n = &view.notification;
        Self {
            kind: n.kind.into(),
            notification_id: n.id.to_string(),
            message: view.message(),
            actor: view.into(),
            post_id: (),
            created_at: rfc3339(n.created_at),
            unread_count,
        }
    }
}

/// The unread count dropped (notifications were marked seen).
#[derive(Debug, Serialize, ToSchema)]
pub struct StreamUnreadCount {
    /// Always `unread_count`.
    #[serde(rename = "type")]
    #[schema(schema_with = unread_count_tag)]
    kind: &'static str,
    /// The new unread count.
    #[schema(minimum = 0)]
    count: i64,
}

fn unread_count_tag() -> Object {
    constant("unread_count")
}

/// A notification event.
pub fn notification(view: &NotificationView, unread_count: i64) -> Frame {
    data(Some(view.notification.id), &StreamNotification::of(view, unread_count))
}

/// The first event of every stream.
pub fn connected(unread_count: i64) -> Frame {
    data(None, &StreamConnected { kind: "connected", unread_count })
}

/// A block with an `id:` and no `data:`: it fires no event, but sets the client's
/// last event id, so that a client whose stream ends before any notification reached
/// it still reconnects with a `Last-Event-ID` to replay from (a browser's
/// `EventSource` updates `lastEventId` even for a block without data). `None` (the
/// account had no notification yet) resumes from the very first.
pub fn resume_point(newest: Option<NotificationId>) -> Bytes {
    let id = newest.map_or_else(|| uuid::Uuid::nil().to_string(), |id| id.to_string());
    Bytes::from(format!("id: {id}\n\n"))
}

/// Sent to every stream of an account when its unread count drops.
pub fn unread(count: i64) -> Frame {
    data(None, &StreamUnreadCount { kind: "unread_count", count })
}
