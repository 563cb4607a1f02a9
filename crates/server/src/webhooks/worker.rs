//! The delivery worker: runs in every server process, in the background. Each round
//! it queues deliveries for newly committed events (the fan-out), claims due ones
//! under a lease, sends them concurrently (each endpoint's URL checked and signing key
//! read once per batch) and records the outcomes in one transaction; now and then it
//! prunes events and finished deliveries past the retention. Every database call goes
//! through the store's pool on the blocking threads, so nothing here can block or fail
//! a request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rookery_store::Database;
use rookery_store::webhooks::{AttemptOutcome, DueDelivery};
use tokio::sync::{Semaphore, watch};

use super::config::WebhookConfig;
use super::metrics::{Counted, WebhookMetrics};
use super::sender::{Endpoint, Sender, Sent};

/// How long an idle worker waits before looking again: bounds the delivery latency.
const POLL: Duration = Duration::from_millis(50);
/// How long a busy worker lets new events gather before its next round: each round
/// costs a few statements (on SQLite, a turn at the write lock that follows wait for)
/// whatever its size, so under a stream of changes rounds take batches, not a handful
/// each. Adds at most this to a delivery's latency.
const GATHER: Duration = Duration::from_millis(20);
/// Events one fan-out reads per endpoint.
const FAN_OUT_BATCH: usize = 1000;
/// Deliveries in flight at once per process (taken, sent and recorded in batches of
/// up to this many).
const CONCURRENCY: usize = 256;
/// How long a claimed delivery stays hidden from other instances: the send's timeout
/// and its recording, with a margin. A process killed mid-send leaves its deliveries
/// to be claimed again once this lapses.
pub const LEASE: Duration = Duration::from_secs(20);

/// The worker, running: stop it with [`Running::stop`] (a deploy's SIGTERM does, once the
/// last request is answered), or it runs until the runtime stops.
pub struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Starts the worker on the current runtime.
    #[must_use]
    pub fn spawn(db: Database, config: WebhookConfig, metrics: Arc<WebhookMetrics>) -> Self {
        let (stop, stopping) = watch::channel(false);
        Self { stop, task: tokio::spawn(run(db, config, metrics, stopping)) }
    }

    /// Takes no new round, and waits (up to `within`) for the deliveries in flight to
    /// be answered and recorded: a restart then sends none of them again. Those still
    /// unanswered at the deadline keep their lease, and are sent again once it lapses.
    pub async fn stop(self, within: Duration) {
        let _ = self.stop.send(true);
        if tokio::time::timeout(within, self.task).await.is_err() {
            tracing::warn!(
                within_secs = within.as_secs(),
                "webhook deliveries still in flight at shutdown: they are sent again after the restart"
            );
        }
    }
}

/// Runs until `stopping` turns true (or its sender is gone), then waits for the
/// batches in flight.
async fn run(db: Database, config: WebhookConfig, metrics: Arc<WebhookMetrics>, mut stopping: watch::Receiver<bool>) {
    let sender = match Sender::new(config.allow_private) {
        Ok(sender) => Arc::new(sender),
        Err(error) => {
            tracing::error!(%error, "webhook delivery cannot start its HTTP client");
            return;
        }
    };
    let config = Arc::new(config);
    let permits = Arc::new(Semaphore::new(CONCURRENCY));
    let prune_every = (config.retention / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    let lease = chrono::Duration::from_std(LEASE).unwrap_or_default();
    let mut pruned: Option<Instant> = None;
    while !*stopping.borrow() {
        let free = permits.available_permits();
        // New deliveries come back leased to this sender, up to its free slots; older
        // ones due (retries, and what did not fit) are claimed into the slots left.
        let fanned = blocking(&db, move |db| db.fan_out_leasing(FAN_OUT_BATCH, chrono::Utc::now(), lease, free))
            .await
            .unwrap_or_default();
        let queued = fanned.queued;
        let mut due = fanned.leased;
        let room = free.saturating_sub(due.len());
        if room > 0 {
            let limit = i64::try_from(room).unwrap_or(1);
            let claimed = blocking(&db, move |db| db.claim_deliveries(chrono::Utc::now(), lease, limit))
                .await
                .unwrap_or_default();
            due.extend(claimed);
        }
        let taken = due.len();
        if taken > 0 {
            let Ok(held) = Arc::clone(&permits).acquire_many_owned(u32::try_from(taken).unwrap_or(1)).await else {
                return;
            };
            let (db, sender, config, metrics) =
                (db.clone(), Arc::clone(&sender), Arc::clone(&config), Arc::clone(&metrics));
            tokio::spawn(async move {
                send_batch(&db, &sender, &config, &metrics, due).await;
                drop(held);
            });
        }
        if pruned.is_none_or(|at| at.elapsed() >= prune_every) {
            prune(&db, config.retention).await;
            pruned = Some(Instant::now());
        }
        let stop = if permits.available_permits() == 0 {
            // Every slot is sending: wait for one to come back rather than poll.
            tokio::select! {
                permit = Arc::clone(&permits).acquire_owned() => {
                    drop(permit);
                    false
                }
                changed = stopping.changed() => changed.is_err() || *stopping.borrow(),
            }
        } else if queued == 0 && taken == 0 {
            pause(&mut stopping, POLL).await
        } else if queued < FAN_OUT_BATCH {
            // Caught up: let the next batch gather. A full batch means a backlog, taken
            // at once.
            pause(&mut stopping, GATHER).await
        } else {
            false
        };
        if stop {
            break;
        }
    }
    // Every batch gives its permits back once its outcomes are recorded.
    let _ = permits.acquire_many(u32::try_from(CONCURRENCY).unwrap_or(u32::MAX)).await;
    tracing::info!("webhook delivery stopped: nothing in flight");
}

/// Sleeps for `wait`, or until asked to stop; answers whether to stop (a sender gone
/// counts as asked: no one could ask any more).
async fn pause(stopping: &mut watch::Receiver<bool>, wait: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(wait) => false,
        changed = stopping.changed() => changed.is_err() || *stopping.borrow(),
    }
}

/// Runs a store call on the blocking pool; logs and answers `None` on failure.
async fn blocking<T: Send + 'static>(
    db: &Database,
    work: impl FnOnce(&Database) -> Result<T, rookery_domain::ports::StoreError> + Send + 'static,
) -> Option<T> {
    let db = db.clone();
    match tokio::task::spawn_blocking(move || work(&db)).await {
        Ok(Ok(value)) => Some(value),
        Ok(Err(error)) => {
            tracing::warn!(%error, "webhook worker: the database call failed; trying again later");
            None
        }
        Err(_) => None,
    }
}

async fn send_batch(
    db: &Database,
    sender: &Arc<Sender>,
    config: &WebhookConfig,
    metrics: &WebhookMetrics,
    due: Vec<DueDelivery>,
) {
    let mut sends = tokio::task::JoinSet::new();
    // A batch mostly goes to a few endpoints: each is prepared once.
    let mut endpoints: HashMap<(String, String), Arc<Endpoint>> = HashMap::new();
    for delivery in due {
        let endpoint = Arc::clone(
            endpoints
                .entry((delivery.url.clone(), delivery.secret.clone()))
                .or_insert_with(|| Arc::new(sender.endpoint(&delivery.url, &delivery.secret))),
        );
        let sender = Arc::clone(sender);
        sends.spawn(async move {
            let sent = sender.send(&endpoint, &delivery).await;
            (delivery, sent)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = sends.join_next().await {
        let Ok((delivery, sent)) = joined else { continue };
        let (outcome, counted) = judge(&delivery, sent, config);
        if counted == Counted::Delivered {
            if let Some(latency) = since_event(&delivery.payload) {
                metrics.delivered_after(latency);
            }
        }
        metrics.count(counted);
        outcomes.push((delivery.id, outcome));
    }
    let disable_after = config.disable_after;
    let recorded = blocking(db, move |db| db.record_attempts(&outcomes, chrono::Utc::now(), disable_after)).await;
    if let Some(recorded) = recorded {
        let disabled = recorded.iter().filter(|r| r.disabled).count();
        if disabled > 0 {
            tracing::warn!(disabled, "webhook endpoints disabled (410, or too many failed deliveries in a row)");
        }
    }
}

/// What an attempt means for its delivery.
fn judge(delivery: &DueDelivery, sent: Sent, config: &WebhookConfig) -> (AttemptOutcome, Counted) {
    let (status, error) = match sent {
        Sent::Delivered(code) => {
            return (AttemptOutcome::Delivered { status_code: i32::from(code) }, Counted::Delivered);
        }
        Sent::Gone => {
            let outcome = AttemptOutcome::Failed {
                status_code: Some(410),
                error: "the receiver answered 410 Gone".into(),
                gone: true,
            };
            return (outcome, Counted::Failed);
        }
        Sent::Failed { status, error } => (status.map(i32::from), error),
        Sent::Refused(error) => (None, error),
    };
    // `attempts` counts the attempts before this one: the first retry waits the
    // schedule's first delay.
    let retry = usize::try_from(delivery.attempts).ok().and_then(|n| config.schedule.get(n));
    match retry {
        Some(delay) => {
            let wait = chrono::Duration::from_std(jittered(*delay)).unwrap_or_default();
            let outcome =
                AttemptOutcome::Retry { status_code: status, error, next_attempt_at: chrono::Utc::now() + wait };
            let counted = if status.is_none() && is_refusal(&outcome) { Counted::Refused } else { Counted::Retried };
            (outcome, counted)
        }
        None => (AttemptOutcome::Failed { status_code: status, error, gone: false }, Counted::Failed),
    }
}

fn is_refusal(outcome: &AttemptOutcome) -> bool {
    matches!(outcome, AttemptOutcome::Retry { error, .. } if error.starts_with("destination refused"))
}

/// `delay` times a random factor in [0.8, 1.2), so receivers that failed together are
/// not all retried in the same instant.
fn jittered(delay: Duration) -> Duration {
    let random = getrandom::u32().unwrap_or(u32::MAX / 2);
    let factor = 0.8 + 0.4 * (f64::from(random) / f64::from(u32::MAX));
    delay.mul_f64(factor)
}

/// How long ago the envelope's event was written. Only `created_at` is read out of
/// the body (borrowed, the rest skipped): this runs once per delivery.
fn since_event(payload: &str) -> Option<Duration> {
    #[derive(serde::Deserialize)]
    struct Envelope<'a> {
        #[serde(borrow)]
        created_at: &'a str,
    }
    let envelope: Envelope<'_> = serde_json::from_str(payload).ok()?;
    let at = chrono::DateTime::parse_from_rfc3339(envelope.created_at).ok()?;
    (chrono::Utc::now() - at.with_timezone(&chrono::Utc)).to_std().ok()
}

async fn prune(db: &Database, retention: Duration) {
    let Ok(keep) = chrono::Duration::from_std(retention) else { return };
    let before = chrono::Utc::now() - keep;
    if let Some(events) = blocking(db, move |db| db.prune_events(before)).await {
        if events > 0 {
            tracing::info!(events, "pruned events past the retention");
        }
    }
    let _ = blocking(db, move |db| db.prune_deliveries(before)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(attempts: i32) -> DueDelivery {
        DueDelivery {
            id: uuid::Uuid::nil(),
            webhook_id: uuid::Uuid::nil(),
            url: "https://a.example".into(),
            secret: "whsec_AAAA".into(),
            event_id: uuid::Uuid::nil(),
            payload: "{}".into(),
            attempts,
        }
    }

    fn config() -> WebhookConfig {
        WebhookConfig {
            schedule: vec![Duration::from_secs(10), Duration::from_secs(100)],
            disable_after: 50,
            allow_private: false,
            retention: Duration::from_secs(3600),
        }
    }

    #[test]
    fn the_latency_is_read_from_the_envelope() {
        let at = chrono::Utc::now() - chrono::Duration::seconds(3);
        let payload = rookery_domain::event::envelope(uuid::Uuid::nil(), "block.created", at, r#"{"a":"b"}"#);
        let since = since_event(&payload).expect("a latency");
        assert!((Duration::from_secs(3)..Duration::from_secs(60)).contains(&since), "{since:?}");
        assert_eq!(since_event("{}"), None);
    }

    #[test]
    fn failures_follow_the_schedule_then_fail() {
        let failed = || Sent::Failed { status: Some(500), error: "500".into() };
        let (first, _) = judge(&delivery(0), failed(), &config());
        let AttemptOutcome::Retry { next_attempt_at, .. } = first else { panic!("a retry: {first:?}") };
        let wait = (next_attempt_at - chrono::Utc::now()).num_milliseconds();
        assert!((7_000..=12_100).contains(&wait), "10 s with jitter: {wait} ms");
        assert!(matches!(judge(&delivery(1), failed(), &config()).0, AttemptOutcome::Retry { .. }));
        assert!(matches!(judge(&delivery(2), failed(), &config()).0, AttemptOutcome::Failed { gone: false, .. }));
        assert!(matches!(judge(&delivery(0), Sent::Gone, &config()).0, AttemptOutcome::Failed { gone: true, .. }));
    }
}
