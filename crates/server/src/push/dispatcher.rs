//! Drains the push outbox in the background.

use std::sync::Arc;
use std::time::Duration;

use rookery_store::Database;
use rookery_store::push::PendingPush;

use super::fcm::{FcmClient, Outcome};

/// How often the outbox is looked at.
const POLL: Duration = Duration::from_millis(250);
/// Pushes taken per round.
const BATCH: i64 = 100;
/// How long a claimed push stays hidden from other dispatchers.
const LEASE_SECS: i64 = 120;
/// Attempts before a push is given up.
const MAX_ATTEMPTS: i32 = 10;
/// The longest wait between two attempts.
const MAX_BACKOFF_SECS: i64 = 3600;

/// The wait before attempt `attempts + 1`: 2, 4, 8... seconds, at most an hour.
fn backoff(attempts: i32) -> chrono::Duration {
    let exponent = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    chrono::Duration::seconds(2_i64.saturating_pow(exponent + 1).min(MAX_BACKOFF_SECS))
}

/// Sends due pushes until the runtime stops. Store work runs on the blocking pool;
/// failures are logged and retried, never surfaced to a request.
pub async fn run(db: Database, fcm: Arc<FcmClient>) {
    loop {
        let claim_db = db.clone();
        let claimed = tokio::task::spawn_blocking(move || {
            claim_db.claim_pushes(chrono::Utc::now(), BATCH, chrono::Duration::seconds(LEASE_SECS))
        })
        .await;
        let pushes = match claimed {
            Ok(Ok(pushes)) => pushes,
            Ok(Err(error)) => {
                tracing::warn!(%error, "could not read the push outbox");
                Vec::new()
            }
            Err(_) => return,
        };
        if pushes.is_empty() {
            tokio::time::sleep(POLL).await;
            continue;
        }
        for push in pushes {
            let outcome = fcm.send(&push.notification, &push.token).await;
            record(&db, push, outcome).await;
        }
    }
}

async fn record(db: &Database, push: PendingPush, outcome: Outcome) {
    let db = db.clone();
    let id = push.notification.notification.id;
    let result = tokio::task::spawn_blocking(move || match outcome {
        Outcome::Delivered => db.forget_push(id, &push.token),
        Outcome::Unregistered => {
            tracing::info!(token = %push.token, "FCM reports the device unregistered; removing it");
            db.drop_device(&push.token)
        }
        Outcome::Retry(reason) if push.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(%reason, attempts = push.attempts + 1, "giving up on a push");
            db.forget_push(id, &push.token)
        }
        Outcome::Retry(reason) => {
            tracing::debug!(%reason, attempts = push.attempts + 1, "push failed; will retry");
            db.retry_push(id, &push.token, chrono::Utc::now() + backoff(push.attempts))
        }
    })
    .await;
    if let Ok(Err(error)) = result {
        tracing::warn!(%error, "could not record a push outcome");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), chrono::Duration::seconds(2));
        assert_eq!(backoff(1), chrono::Duration::seconds(4));
        assert_eq!(backoff(5), chrono::Duration::seconds(64));
        assert_eq!(backoff(30), chrono::Duration::seconds(3600));
    }
}
