//! Requests in flight, for a shutdown that keeps its word.
//!
//! actix's own graceful stop cannot be relied on: when its accept thread stops, a
//! worker that notices the closed connection queue before the stop command ends at
//! once, dropping every connection it served, answered or not (requests whose change
//! had committed were cut off without an answer). So the server counts requests itself,
//! from the moment the app sees one until its response body has been handed over, and
//! on SIGTERM stops accepting, waits for the count to reach zero (within the grace),
//! and only then stops actix. While it drains, every answer says `Connection: close`,
//! so no client sends another request on a connection about to close.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};

/// How often [`InFlight::drained`] looks at the count.
const POLL: Duration = Duration::from_millis(10);

/// The count of requests in flight, and whether the server is draining.
#[derive(Debug, Default)]
pub struct InFlight {
    count: AtomicUsize,
    draining: AtomicBool,
}

impl InFlight {
    /// A counter at zero, not draining.
    #[must_use]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Requests in flight now.
    #[must_use]
    pub fn count(&self) -> usize {
        self.count.load(Ordering::Acquire)
    }

    /// Whether the server is draining for shutdown.
    #[must_use]
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }

    /// From now on every answer says `Connection: close`.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::Release);
    }

    /// Waits until no request is in flight, or `grace` has passed; true when drained.
    pub async fn drained(&self, grace: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + grace;
        while self.count() > 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(POLL).await;
        }
        true
    }

    fn enter(self: &Arc<Self>) -> Guard {
        self.count.fetch_add(1, Ordering::AcqRel);
        Guard(Arc::clone(self))
    }
}

/// One request in flight; dropped with its response body (or its failure).
struct Guard(Arc<InFlight>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// The middleware (`from_fn`); finds the counter in the app data
/// (`web::Data<InFlight>`), and passes requests untouched when there is none.
///
/// # Errors
/// Whatever the wrapped service returns.
pub async fn track(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(in_flight) = req.app_data::<web::Data<InFlight>>().map(|data| data.clone().into_inner()) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let guard = in_flight.enter();
    let mut res = next.call(req).await?;
    if in_flight.draining.load(Ordering::Acquire) {
        res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
    }
    Ok(res.map_body(|_, body| BoxBody::new(Tracked { body: body.boxed(), _guard: guard })))
}

/// A response body that keeps its request counted until it is done with.
struct Tracked {
    body: BoxBody,
    _guard: Guard,
}

impl MessageBody for Tracked {
    type Error = Box<dyn std::error::Error>;

    fn size(&self) -> BodySize {
        self.body.size()
    }

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Pin::new(&mut self.body).poll_next(cx)
    }
}
