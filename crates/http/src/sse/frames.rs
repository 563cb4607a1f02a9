//! The wire format of events: seed 002's payloads, one `data:` line each, with an
//! `id:` line for notifications (so `Last-Event-ID` can resume) and no `event:` line
//! (so a browser's `EventSource.onmessage` receives them).

use actix_web::web::Bytes;
use rookery_domain::{NotificationId, NotificationView};
use serde_json::{Value, json};

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

fn data(id: Option<NotificationId>, payload: &Value) -> Frame {
    let text = match id {
        Some(id) => format!("id: {id}\ndata: {payload}\n\n"),
        None => format!("data: {payload}\n\n"),
    };
    Frame { id, bytes: Bytes::from(text) }
}

/// Who did it, as both the stream and the list show it: `profile_picture_url` repeats
/// `profile_image_url` because the seed app's list parser reads that name.
pub fn actor(view: &NotificationView) -> Value {
    json!({
        "id": view.actor.id.to_string(),
        "username": view.actor.username.as_str(),
        "full_name": view.actor.full_name,
        "profile_image_url": view.actor.profile_image_url,
        "profile_picture_url": view.actor.profile_image_url,
    })
}

/// Seed 002's notification payload.
pub fn payload(view: &NotificationView, unread_count: i64) -> Value {
    let n = &view.notification;
    let mut payload = json!({
        "type": n.kind.as_str(),
        "notification_id": n.id.to_string(),
        "message": view.message(),
        "actor": actor(view),
        "post_id": null,
        "created_at": rfc3339(n.created_at),
        "unread_count": unread_count,
    });
    add_request_fields(&mut payload, view);
    payload
}

/// A `follow_request` notification names its request and, as it stands now, the
/// request's fate (`pending`, `accepted`, `declined`, `cancelled`); other kinds have
/// neither field.
pub fn add_request_fields(object: &mut Value, view: &NotificationView) {
    if let (Some(request), Some(map)) = (view.notification.request, object.as_object_mut()) {
        map.insert("request_id".into(), request.to_string().into());
        map.insert("request_status".into(), view.request_status.map(|fate| fate.as_str()).into());
    }
}

/// A notification event.
pub fn notification(view: &NotificationView, unread_count: i64) -> Frame {
    data(Some(view.notification.id), &payload(view, unread_count))
}

/// The first event of every stream.
pub fn connected(unread_count: i64) -> Frame {
    data(None, &json!({ "type": "connected", "unread_count": unread_count }))
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
    data(None, &json!({ "type": "unread_count", "count": count }))
}
