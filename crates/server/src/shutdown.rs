//! Shutdown on SIGTERM or SIGINT that keeps its word: every request already received
//! is answered, within the grace (`ROOKERY_SHUTDOWN_GRACE_SECS`), before the process exits.

use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use rookery_http::in_flight::InFlight;
use rookery_http::sse::Hub;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Time for the last answers to leave their write buffers once the count of requests
/// in flight reached zero (their bodies were handed over, not yet flushed).
const SETTLE: Duration = Duration::from_millis(50);

/// On SIGTERM or SIGINT: end every stream (they would otherwise hold the server open),
/// stop accepting connections, let every request already received finish and be
/// answered (within `grace`; a second signal cuts it short), then stop. actix's own
/// graceful stop is not used to wait: it can drop a worker's connections at once (see
/// `rookery_http::in_flight`).
pub async fn stop_on_signal(
    mut signals: Signals,
    server: ServerHandle,
    hub: Arc<Hub>,
    in_flight: Arc<InFlight>,
    grace: Duration,
) {
    signals.next().await;
    tracing::info!(open_streams = hub.open_streams(), in_flight = in_flight.count(), "shutting down");
    in_flight.start_draining();
    hub.close_all();
    server.pause().await;
    tokio::select! {
        () = drain(&in_flight, grace) => {}
        () = signals.next() => {
            tracing::warn!(in_flight = in_flight.count(), "second signal; cutting off");
        }
    }
    server.stop(false).await;
}

/// Waits until no request is in flight, within `grace`.
async fn drain(in_flight: &InFlight, grace: Duration) {
    let deadline = tokio::time::Instant::now() + grace;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !in_flight.drained(left).await {
            tracing::warn!(
                in_flight = in_flight.count(),
                grace_secs = grace.as_secs(),
                "grace period over; cutting off"
            );
            return;
        }
        tokio::time::sleep(SETTLE).await;
        // A request may have come in meanwhile on a connection kept alive from before
        // the signal (every answer since says `Connection: close`): serve it too.
        if in_flight.count() == 0 {
            return;
        }
    }
}

/// SIGTERM and SIGINT, as one stream of stop requests. Both handlers are installed
/// when it is made, so a signal that comes before the task first runs is not lost.
pub struct Signals {
    terminate: Option<Signal>,
    interrupt: Option<Signal>,
}

impl Signals {
    /// Installs the handlers.
    #[must_use]
    pub fn new() -> Self {
        let install = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|error| tracing::warn!(%error, "cannot listen for {name}")).ok()
        };
        Self {
            terminate: install(SignalKind::terminate(), "SIGTERM"),
            interrupt: install(SignalKind::interrupt(), "SIGINT"),
        }
    }

    /// The next SIGTERM or SIGINT.
    async fn next(&mut self) {
        tokio::select! {
            () = recv(self.terminate.as_mut()) => {}
            () = recv(self.interrupt.as_mut()) => {}
        }
    }
}

async fn recv(signal: Option<&mut Signal>) {
    match signal {
        Some(signal) => {
            signal.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
