//! `GET /api/v1/admin/events/stream`: the feed as server-sent events. Each event is a
//! frame whose `id:` is its cursor, so a client that reconnects with `Last-Event-ID`
//! resumes exactly after it.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_core::Stream;
use rookery_domain::service::FeedQuery;
use tokio::sync::mpsc;

use super::feed::{FeedParams, feed_query};
use rookery_domain::SocialGraph;

use super::{Events, offload};
use crate::admin::Admin;
use crate::community::errors::ApiError;

/// How often the stream looks for new events when it has caught up.
const POLL: Duration = Duration::from_millis(200);
/// A comment line this often keeps idle connections (and proxies) open.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Events read per round.
const BATCH: usize = 500;

#[utoipa::path(
    get,
    path = "/api/v1/admin/events/stream",
    tag = "events",
    operation_id = "admin_event_stream",
    summary = "Follow the event feed (SSE)",
    description = "The feed as `text/event-stream`: each event is a frame with `id:` its cursor and `data:` the event object (no `event:` line); it follows new events as they commit. `Last-Event-ID` (or `after`) resumes after a cursor; `types` filters.",
    params(FeedParams),
    responses(
        (status = 200, description = "The stream.", content_type = "text/event-stream", body = String),
        (status = 400, description = "`Invalid cursor`, `unknown event type: ...`.", body = crate::community::errors::ErrorEnvelope),
        (status = 401, response = crate::community::errors::Unauthorized),
        (status = 403, response = crate::community::errors::AdminRequired),
        (status = 410, description = "The cursor is older than the retention.", body = crate::community::errors::ErrorEnvelope),
        (status = 503, response = crate::community::errors::Unavailable),
    ),
    security(("bearer" = [])),
)]
pub async fn event_stream<G: SocialGraph>(
    req: HttpRequest,
    events: Events,
    _admin: Admin<G>,
    params: web::Query<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let mut params = params.into_inner();
    if let Some(last) = req.headers().get("Last-Event-ID").and_then(|v| v.to_str().ok()) {
        if !last.trim().is_empty() {
            params.after = Some(last.to_owned());
        }
    }
    params.limit = None;
    let query = feed_query(&params, BATCH)?;
    // The first page is read before answering, so a bad or expired cursor is a 4xx.
    let first_query = query.clone();
    let first = offload(&events, move |e| e.events(&first_query)).await?;
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let events = events.clone();
    actix_web::rt::spawn(async move {
        let mut query = FeedQuery { after: Some(first.next_cursor), ..query };
        let mut page = Some(first.events);
        let mut quiet = std::time::Instant::now();
        loop {
            let batch = match page.take() {
                Some(batch) => batch,
                None => {
                    let q = query.clone();
                    match offload(&events, move |e| e.events(&q)).await {
                        Ok(next) => {
                            query.after = Some(next.next_cursor);
                            next.events
                        }
                        Err(error) => {
                            let _ = tx.send(Bytes::from(format!("event: error\ndata: {}\n\n", error.message))).await;
                            return;
                        }
                    }
                }
            };
            let caught_up = batch.len() < BATCH;
            for event in batch {
                // No `event:` line: `EventSource.onmessage` sees every event (its type is in the data).
                let frame = format!("id: {}\ndata: {}\n\n", event.cursor, event.envelope());
                if tx.send(Bytes::from(frame)).await.is_err() {
                    return;
                }
                quiet = std::time::Instant::now();
            }
            if caught_up {
                if quiet.elapsed() >= HEARTBEAT {
                    if tx.send(Bytes::from_static(b": heartbeat\n\n")).await.is_err() {
                        return;
                    }
                    quiet = std::time::Instant::now();
                }
                if tx.is_closed() {
                    return;
                }
                tokio::time::sleep(POLL).await;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(Frames(rx)))
}

/// The frames the polling task sends, as a body.
struct Frames(mpsc::Receiver<Bytes>);

impl Stream for Frames {
    type Item = Result<Bytes, actix_web::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|frame| frame.map(Ok))
    }
}
