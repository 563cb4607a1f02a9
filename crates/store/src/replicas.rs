//! Streaming replicas for list reads, and the watcher that says which may serve them.
//!
//! A replica serves a read only when it is up, its lag is within the configured
//! bound, and it has replayed past the read's fence (see `fences`): so a caller never
//! reads a list older than its own last write, through whichever instance. The
//! watcher thread samples the end of the primary's WAL and each replica's replay
//! position every [`TICK`]; readers only look at those samples, so choosing a replica
//! costs no round trip.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};
use diesel::{PgConnection, QueryableByName};

use crate::connection::Manager;

/// How often the watcher samples the primary and the replicas.
const TICK: Duration = Duration::from_millis(100);

/// A sample at least this old is always stale (with a lag bound below it).
const STALE_SAMPLE: Duration = Duration::from_secs(1);

/// How far back the watcher remembers the primary's WAL positions: the largest lag
/// it can measure.
const HISTORY: Duration = Duration::from_secs(60);

/// What the watcher last learned of a replica.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    /// It answered its last probe.
    up: bool,
    /// Where its replay stands (a WAL position as a number).
    replayed: i64,
    /// How long ago the primary had WAL it has not replayed yet.
    lag: Duration,
    /// When the watcher last heard from it.
    at: Option<Instant>,
}

/// One replica: its pool, and its latest sample.
pub(crate) struct Replica {
    /// Its URL without the password, for logs and `/readyz`.
    name: String,
    pub(crate) pool: r2d2::Pool<Manager>,
    url: String,
    sample: Mutex<Sample>,
    /// Reads it served.
    reads: AtomicU64,
}

/// How a replica stands, as `/readyz` and `/metrics` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicaStatus {
    /// Its URL without the password.
    pub name: String,
    /// It answered the watcher's last probe.
    pub up: bool,
    /// It serves reads now: up, sampled recently, lagging within the bound.
    pub in_use: bool,
    /// Its replay lag, in seconds (how long ago the primary had WAL it has not
    /// replayed yet; 0 when caught up).
    pub lag_seconds: f64,
    /// Reads it served since start.
    pub reads: u64,
}

/// The replicas of a database, and where reads went.
pub(crate) struct Replicas {
    replicas: Vec<Replica>,
    max_lag: Duration,
    /// Whether positions are watched (PostgreSQL). A SQLite "replica" is another
    /// connection to a file on this machine: always current.
    watched: bool,
    next: AtomicUsize,
    /// Reads that went to the primary although replicas are configured.
    primary_reads: AtomicU64,
}

impl Replicas {
    /// Replicas over `pools` (with their URLs), not yet watched.
    pub(crate) fn new(pools: Vec<(String, String, r2d2::Pool<Manager>)>, max_lag: Duration, watched: bool) -> Self {
        let replicas = pools
            .into_iter()
            .map(|(name, url, pool)| Replica {
                name,
                pool,
                url,
                sample: Mutex::new(Sample { up: !watched, ..Sample::default() }),
                reads: AtomicU64::new(0),
            })
            .collect();
        Self { replicas, max_lag, watched, next: AtomicUsize::new(0), primary_reads: AtomicU64::new(0) }
    }

    /// Whether any replica may serve reads now (before looking up a fence).
    pub(crate) fn any_usable(&self) -> bool {
        self.replicas.iter().any(|replica| self.usable(replica, 0))
    }

    /// A replica that may serve a read fenced at `fence`, taking turns among them.
    pub(crate) fn pick(&self, fence: i64) -> Option<&Replica> {
        let n = self.replicas.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n).filter_map(|i| self.replicas.get((start + i) % n)).find(|replica| self.usable(replica, fence))
    }

    fn usable(&self, replica: &Replica, fence: i64) -> bool {
        if !self.watched {
            return true;
        }
        let sample = *replica.sample.lock().unwrap_or_else(PoisonError::into_inner);
        // A sample older than the bound (or than a few ticks, for a bound below them)
        // says nothing: the watcher may be stuck probing another server.
        let fresh = sample.at.is_some_and(|at| at.elapsed() <= self.max_lag.max(STALE_SAMPLE));
        sample.up && fresh && sample.lag <= self.max_lag && sample.replayed >= fence
    }

    /// A read failed on `replica` for want of a connection: skip it until the watcher
    /// hears from it again.
    pub(crate) fn mark_down(&self, replica: &Replica) {
        if self.watched {
            replica.sample.lock().unwrap_or_else(PoisonError::into_inner).up = false;
        }
    }

    /// Counts a read served by `replica`.
    pub(crate) fn served(replica: &Replica) {
        replica.reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a read that fell back to the primary.
    pub(crate) fn fell_back(&self) {
        self.primary_reads.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads that went to the primary although replicas are configured.
    pub(crate) fn primary_reads(&self) -> u64 {
        self.primary_reads.load(Ordering::Relaxed)
    }

    /// How each replica stands.
    pub(crate) fn status(&self) -> Vec<ReplicaStatus> {
        self.replicas
            .iter()
            .map(|replica| {
                let sample = *replica.sample.lock().unwrap_or_else(PoisonError::into_inner);
                ReplicaStatus {
                    name: replica.name.clone(),
                    up: sample.up,
                    in_use: self.usable(replica, 0),
                    lag_seconds: sample.lag.as_secs_f64(),
                    reads: replica.reads.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}

/// Starts the watcher of `replicas` (PostgreSQL), comparing them with the primary at
/// `primary_url`. It stops once the replicas are dropped.
///
/// # Errors
/// The thread could not be started.
pub(crate) fn watch(replicas: &Arc<Replicas>, primary_url: String) -> std::io::Result<()> {
    let weak = Arc::downgrade(replicas);
    thread::Builder::new().name("rookery-replicas".into()).spawn(move || Watcher::new(primary_url).run(&weak))?;
    Ok(())
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Bool)]
    recovering: bool,
    #[diesel(sql_type = BigInt)]
    lsn: i64,
}

/// Where a server's WAL stands: replayed (a standby), or flushed (a primary; also a
/// promoted replica, or a "replica" URL naming the primary itself).
const POSITION: &str = "SELECT pg_is_in_recovery() AS recovering, \
     (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_flush_lsn() END \
      - '0/0'::pg_lsn)::bigint AS lsn";

struct Watcher {
    primary_url: String,
    primary: Option<PgConnection>,
    replicas: Vec<Option<PgConnection>>,
    /// When the primary was first seen at each WAL position, oldest first.
    history: VecDeque<(Instant, i64)>,
    /// The highest position dropped from `history`: a replica behind it lags at least
    /// [`HISTORY`].
    forgotten: i64,
}

impl Watcher {
    fn new(primary_url: String) -> Self {
        Self { primary_url, primary: None, replicas: Vec::new(), history: VecDeque::new(), forgotten: 0 }
    }

    fn run(mut self, replicas: &Weak<Replicas>) {
        loop {
            let Some(replicas) = replicas.upgrade() else { return };
            self.tick(&replicas);
            drop(replicas);
            thread::sleep(TICK);
        }
    }

    fn tick(&mut self, replicas: &Replicas) {
        let now = Instant::now();
        if let Some(lsn) = position(&mut self.primary, &self.primary_url).filter(|p| !p.recovering).map(|p| p.lsn) {
            if self.history.back().is_none_or(|(_, last)| lsn > *last) {
                self.history.push_back((now, lsn));
            }
        }
        while self.history.len() > 1 && self.history.front().is_some_and(|(at, _)| now.duration_since(*at) > HISTORY) {
            if let Some((_, lsn)) = self.history.pop_front() {
                self.forgotten = self.forgotten.max(lsn);
            }
        }
        self.replicas.resize_with(replicas.replicas.len(), || None);
        let (history, forgotten) = (&self.history, self.forgotten);
        for (replica, conn) in replicas.replicas.iter().zip(&mut self.replicas) {
            let seen = position(conn, &replica.url);
            let mut sample = replica.sample.lock().unwrap_or_else(PoisonError::into_inner);
            let was_up = sample.up;
            match seen {
                Some(position) => {
                    *sample = Sample {
                        up: true,
                        replayed: position.lsn,
                        lag: lag(history, forgotten, position.lsn, now),
                        at: Some(now),
                    };
                    if !was_up {
                        tracing::info!(replica = %replica.name, "read replica is up");
                    }
                }
                None => {
                    sample.up = false;
                    if was_up {
                        tracing::warn!(replica = %replica.name, "read replica does not answer; reads go elsewhere");
                    }
                }
            }
        }
    }
}

/// How long ago the primary first had WAL past `replayed`, from its `history` (and
/// the highest position `forgotten` from it).
fn lag(history: &VecDeque<(Instant, i64)>, forgotten: i64, replayed: i64, now: Instant) -> Duration {
    if replayed < forgotten {
        return HISTORY;
    }
    history.iter().find(|(_, lsn)| *lsn > replayed).map_or(Duration::ZERO, |(at, _)| now.duration_since(*at))
}

/// The WAL position of the server behind `conn`, connecting first when needed; on an
/// error the connection is dropped, to be opened again on a later tick.
fn position(conn: &mut Option<PgConnection>, url: &str) -> Option<Position> {
    if conn.is_none() {
        *conn = PgConnection::establish(url).ok();
    }
    let result = diesel::sql_query(POSITION).get_result::<Position>(conn.as_mut()?);
    if result.is_err() {
        *conn = None;
    }
    result.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_is_the_age_of_the_oldest_wal_not_replayed() {
        let now = Instant::now();
        let history: VecDeque<(Instant, i64)> = [
            (now - Duration::from_secs(3), 100),
            (now - Duration::from_secs(2), 200),
            (now - Duration::from_secs(1), 300),
        ]
        .into_iter()
        .collect();
        assert_eq!(lag(&history, 0, 300, now), Duration::ZERO, "caught up");
        assert_eq!(lag(&history, 0, 350, now), Duration::ZERO, "ahead of the last sample");
        assert_eq!(lag(&history, 0, 250, now), Duration::from_secs(1));
        assert_eq!(lag(&history, 0, 150, now), Duration::from_secs(2));
        assert_eq!(lag(&history, 120, 110, now), HISTORY, "behind what was forgotten");
    }

    fn replicas(samples: &[Sample], max_lag: Duration) -> Replicas {
        let manager = Manager::new(crate::connection::Target::Sqlite(":memory:".into()), Duration::from_secs(1));
        let pools = samples
            .iter()
            .map(|_| ("r".to_owned(), "r".to_owned(), r2d2::Pool::builder().build_unchecked(manager.clone())))
            .collect();
        let set = Replicas::new(pools, max_lag, true);
        for (replica, sample) in set.replicas.iter().zip(samples) {
            *replica.sample.lock().unwrap_or_else(PoisonError::into_inner) = *sample;
        }
        set
    }

    #[test]
    fn only_replicas_up_fresh_within_the_lag_and_past_the_fence_serve() {
        let now = Some(Instant::now());
        let good = Sample { up: true, replayed: 500, lag: Duration::ZERO, at: now };
        let set = replicas(
            &[
                Sample { up: false, ..good },
                Sample { lag: Duration::from_secs(6), ..good },
                Sample { at: None, ..good },
                Sample { replayed: 400, ..good },
            ],
            Duration::from_secs(5),
        );
        assert!(set.any_usable(), "the one behind the fence serves unfenced reads");
        assert!(set.pick(0).is_some());
        assert!(set.pick(450).is_none(), "none has replayed past 450");
        let status = set.status();
        assert_eq!(status.iter().map(|s| s.in_use).collect::<Vec<_>>(), vec![false, false, false, true]);

        let both = replicas(&[good, good], Duration::from_secs(5));
        let first = both.pick(500).map(std::ptr::from_ref);
        let second = both.pick(500).map(std::ptr::from_ref);
        assert_ne!(first, second, "reads take turns");
    }
}
