//! Upkeep of tables that only grow while serving: kept `Idempotency-Key` answers past
//! their day. Claims already ignore stale answers, so this is about the table's size,
//! never about what a client sees; the event feed's and deliveries' retention is the
//! webhook worker's (`webhooks::worker`).

use std::time::Duration;

use rookery_domain::Timestamp;
use rookery_store::Database;

/// How often the sweep runs: answers are kept for a day, so an hour's lag is noise.
const EVERY: Duration = Duration::from_secs(60 * 60);

/// Sweeps at start and then every [`EVERY`], until the runtime stops. Several
/// instances on one database may sweep at once: each deletes what is stale, and a
/// row deleted by one is simply not there for the other.
pub async fn run(db: Database) {
    loop {
        sweep(&db, chrono::Utc::now()).await;
        tokio::time::sleep(EVERY).await;
    }
}

/// Deletes the kept answers older than a day at `now`, on a blocking thread; a failure
/// is logged and retried at the next sweep. Returns how many went.
pub async fn sweep(db: &Database, now: Timestamp) -> usize {
    let db = db.clone();
    match tokio::task::spawn_blocking(move || db.forget_kept_answers(now)).await {
        Ok(Ok(forgotten)) => {
            if forgotten > 0 {
                tracing::info!(forgotten, "deleted kept Idempotency-Key answers older than a day");
            }
            forgotten
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not delete old kept answers; trying again at the next sweep");
            0
        }
        Err(_) => 0,
    }
}

#[cfg(test)]
mod tests {
    use rookery_domain::AccountId;
    use rookery_domain::replay::{Claim, KeptAnswer, ReplayKey, ReplayStore, RequestPrint};
    use rookery_store::DatabaseOptions;

    use super::*;

    #[tokio::test]
    async fn a_sweep_deletes_answers_past_their_day_and_keeps_the_rest() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
        let db = Database::open(&url, DatabaseOptions::default()).unwrap_or_else(|e| panic!("{e}"));
        db.migrate().unwrap_or_else(|e| panic!("{e}"));
        let at = chrono::Utc::now();
        let key = ReplayKey::parse(AccountId::from_uuid(uuid::Uuid::now_v7()), "k-1").unwrap_or_else(|e| panic!("{e}"));
        let print = RequestPrint { method: "POST".into(), path: "/follow".into(), body_hash: "h".into() };
        assert_eq!(db.claim(&key, &print, at), Ok(Claim::Fresh));
        let answer = KeptAnswer { status: 200, body: b"{}".to_vec() };
        db.keep(&key, &answer).unwrap_or_else(|e| panic!("{e}"));

        assert_eq!(sweep(&db, at + chrono::Duration::hours(23)).await, 0, "a kept answer stays for a day");
        assert_eq!(db.claim(&key, &print, at + chrono::Duration::hours(23)), Ok(Claim::Replay(answer)));
        assert_eq!(sweep(&db, at + chrono::Duration::hours(25)).await, 1, "and goes after it");
        assert_eq!(sweep(&db, at + chrono::Duration::hours(25)).await, 0);
    }
}
