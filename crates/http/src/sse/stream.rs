//! `GET /api/v1/community/notifications/stream`.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_core::Stream;
use rookery_domain::{AccountId, KindFilter, NotificationId, SocialGraph};
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::time::{Interval, MissedTickBehavior};

use super::frames::{self, Frame, HEARTBEAT};
use super::hub::{Hub, OpenError};
use crate::auth::authenticate_with;
use crate::blocking::run;
use crate::community::errors::ApiError;

/// Browsers' `EventSource` cannot send headers: the token may come as a query parameter.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    access_token: Option<String>,
    /// For clients that cannot set `Last-Event-ID` either.
    last_event_id: Option<String>,
}

/// Opens the caller's live notification stream (Server-Sent Events).
///
/// The first event is always `{"type":"connected","unread_count":N}`. Each new
/// notification follows as an event with an `id:` line (the notification id) and a
/// `data:` line with seed 002's payload (`StreamNotification`); when the unread count
/// drops (mark-as-seen on any device), `{"type":"unread_count","count":N}`. No event
/// has an `event:` line, so `EventSource.onmessage` receives them all. A comment line
/// `: heartbeat` comes every `ROOKERY_SSE_HEARTBEAT_SECS` (15 s). Reconnecting with
/// `Last-Event-ID` (or `?last_event_id=`) first replays what was missed, oldest
/// first (up to 1000). The stream does not end by itself.
#[utoipa::path(
    get,
    path = "/api/v1/community/notifications/stream",
    tag = "notifications",
    operation_id = "notification_stream",
    params(
        ("Last-Event-ID" = Option<uuid::Uuid>, Header,
            description = "The id of the last notification seen: what came after it is replayed first."),
        ("last_event_id" = Option<uuid::Uuid>, Query,
            description = "The same as `Last-Event-ID`, for clients that cannot set headers; the header wins."),
    ),
    responses(
        (status = 200, description = "The stream: `text/event-stream`, one `data:` line of JSON per event (see \
            `StreamConnected`, `StreamNotification`, `StreamUnreadCount`), `id:` lines on notifications, \
            `: heartbeat` comments.", content_type = "text/event-stream", body = String,
            headers(("Cache-Control" = String, description = "`no-cache`"))),
        (status = 400, description = "`Invalid Last-Event-ID`: not a UUID.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AccountDeleted),
        (status = 429, description = "`Too many open notification streams`: the account has \
            `ROOKERY_SSE_MAX_STREAMS_PER_ACCOUNT` (8) open already.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, description = "`The server is shutting down`, or `Service temporarily unavailable, please \
            retry`.", body = crate::community::errors::ErrorEnvelope),
    ),
    security(("bearer" = []), ("access_token" = [])),
)]
pub async fn stream<G: SocialGraph>(
    req: HttpRequest,
    graph: web::Data<G>,
    hub: web::Data<Hub>,
    query: web::Query<StreamQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = authenticate_with(&req, query.access_token.as_deref()).await.map_err(ApiError::from)?;
    let resume_from = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.last_event_id.clone())
        .filter(|id| !id.trim().is_empty())
        .map(|id| id.parse::<NotificationId>().map_err(|_| ApiError::bad_request("Invalid Last-Event-ID")))
        .transpose()?;

    let account = caller.identity.id;
    let hub = hub.into_inner();
    // Open before reading what was missed, so nothing committed in between is lost;
    // live frames already covered by the replay are skipped by id.
    let (slot, live) = hub.open(account).map_err(|e| match e {
        OpenError::TooMany => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Too many open notification streams"),
        OpenError::Closing => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down"),
    })?;
    let guard = SlotGuard { hub: Arc::clone(&hub), account, slot };
    let (unread, missed, start) = run(&graph, &caller, move |g, me| match resume_from {
        Some(after) => Ok((g.unread_count(me)?, g.missed_since(me, after)?, None)),
        None => {
            // The newest notification so far: where a reconnect must replay from.
            let newest = g.inbox(me, KindFilter::All, 1, 0)?;
            let start = newest.items.first().map(|view| view.notification.id);
            Ok((newest.unread, Vec::new(), Some(start)))
        }
    })
    .await?;

    let mut queued: VecDeque<Bytes> = VecDeque::with_capacity(missed.len() + 2);
    queued.push_back(frames::connected(unread).bytes);
    if let Some(start) = start {
        queued.push_back(frames::resume_point(start));
    }
    let floor = missed.last().map(|v| v.notification.id).or(resume_from);
    for view in &missed {
        queued.push_back(frames::notification(view, unread).bytes);
    }
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + hub.config().heartbeat, hub.config().heartbeat);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let body = EventStream { queued, floor, live, heartbeat, _guard: guard };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Forgets the stream in the hub when the response is dropped (client gone, shutdown).
struct SlotGuard {
    hub: Arc<Hub>,
    account: AccountId,
    slot: u64,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.hub.close(self.account, self.slot);
    }
}

struct EventStream {
    queued: VecDeque<Bytes>,
    floor: Option<NotificationId>,
    live: mpsc::Receiver<Frame>,
    heartbeat: Interval,
    _guard: SlotGuard,
}

impl Stream for EventStream {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(bytes) = this.queued.pop_front() {
            return Poll::Ready(Some(Ok(bytes)));
        }
        loop {
            match this.live.poll_recv(cx) {
                Poll::Ready(Some(frame)) => {
                    if frame.id.is_some_and(|id| this.floor.is_some_and(|floor| id <= floor)) {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(frame.bytes)));
                }
                // The hub dropped us: shutdown, or we fell too far behind.
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => break,
            }
        }
        match this.heartbeat.poll_tick(cx) {
            Poll::Ready(_) => Poll::Ready(Some(Ok(Bytes::from_static(HEARTBEAT)))),
            Poll::Pending => Poll::Pending,
        }
    }
}
