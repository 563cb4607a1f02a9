//! Shutdown on SIGTERM or SIGINT that keeps its word: every request already received
//! is answered, within the grace (`ROOKERY_SHUTDOWN_GRACE_SECS`), before the process exits.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use rookery_http::in_flight::InFlight;
use rookery_http::sse::Hub;

/// Time for the last answers to leave their write buffers once the count of requests
/// in flight reached zero (their bodies were handed over, not yet flushed).
const SETTLE: Duration = Duration::from_millis(50);

/// On SIGTERM or SIGINT: end every stream (they would otherwise hold the server open),
/// stop accepting connections, let every request already received finish and be
/// answered (within `grace`), then stop. actix's own graceful stop is not used to
/// wait: it can drop a worker's connections at once (see `rookery_http::in_flight`).
pub async fn stop_on_signal(server: ServerHandle, hub: Arc<Hub>, in_flight: Arc<InFlight>, grace: Duration) {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
    tracing::info!(open_streams = hub.open_streams(), in_flight = in_flight.count(), "shutting down");
    in_flight.start_draining();
    hub.close_all();
    server.pause().await;
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !in_flight.drained(left).await {
            tracing::warn!(
                in_flight = in_flight.count(),
                grace_secs = grace.as_secs(),
                "grace period over; cutting off"
            );
            break;
        }
        tokio::time::sleep(SETTLE).await;
        // A request may have come in meanwhile on a connection kept alive from before
        // the signal (every answer since says `Connection: close`): serve it too.
        if in_flight.count() == 0 {
            break;
        }
    }
    server.stop(false).await;
}
