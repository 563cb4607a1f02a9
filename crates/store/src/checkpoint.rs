//! SQLite WAL checkpoints off the write path.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies it
//! back into the database file, and with `synchronous = NORMAL` a checkpoint is also
//! where SQLite syncs the files. With group commit that connection is the writer
//! thread, so every few thousand follows all writers would wait for two syncs. So
//! connections to a file database turn automatic checkpoints off, and this thread runs
//! a passive checkpoint (which never blocks readers or the writer) a few times a second,
//! and a restarting one when the log has grown long (see [`checkpoint`]).

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel::sqlite::SqliteConnection;

use crate::connection::{DbConnection, Manager};

/// How often the WAL is copied back; at the highest write rates measured here the WAL
/// grows by a few megabytes in that time.
const INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages) past which a checkpoint also restarts the log: 64 MiB of 4 KiB
/// pages. Each restart holds writes back while it syncs, so not too often; a longer log
/// makes every read search more of the WAL index (at 256 MiB, follow throughput after
/// two minutes of load had dropped by a quarter; at 64 MiB it had not).
const RESTART_FRAMES: i32 = 16_384;

/// How long a restarting checkpoint waits for the readers of the old log before giving
/// up until the next round. Writes are held back meanwhile, so briefly: readers' own
/// transactions last well under a millisecond, and SQLite's busy handler first sleeps 1
/// ms, then 2, then 5.
const RESTART_WAIT: Duration = Duration::from_millis(10);

/// Held by every write transaction of this process and by a restarting checkpoint, so
/// the two take turns in memory instead of in SQLite's lock. A writer that finds
/// SQLite's write lock taken sleeps in its busy handler (1, 2, 5, 10 ... 100 ms) and
/// wakes late: with the checkpointer holding the lock through each restart, those
/// sleeps were the slowest percent of follows (p99 28 ms against 20 ms with no
/// restarts). Waiting on this mutex, a writer resumes as soon as the restart ends.
#[derive(Debug, Clone, Default)]
pub(crate) struct WriteGate(Arc<Mutex<()>>);

impl WriteGate {
    /// Waits for the gate. A panic elsewhere while holding it leaves nothing to repair
    /// (the mutex guards no data), so a poisoned gate is taken as it is.
    pub(crate) fn hold(&self) -> MutexGuard<'_, ()> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Frames a restart may be left to copy while writes wait for it (about 2 MiB).
const RESTART_COPY_FRAMES: i32 = 512;

/// Rounds (a sync of the database file, then a passive checkpoint) at most run back to
/// back to bring the uncopied tail of the log under [`RESTART_COPY_FRAMES`] before a
/// restart: each copies what was committed while the one before it ran, so the tail
/// shrinks round by round.
const CATCH_UP_ROUNDS: usize = 4;

/// What `PRAGMA wal_checkpoint` answers.
#[derive(QueryableByName)]
struct Checkpointed {
    /// Frames in the log.
    #[diesel(sql_type = Integer)]
    log: i32,
}

fn passive(c: &mut SqliteConnection) -> QueryResult<Checkpointed> {
    diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)
}

/// A passive checkpoint, and a restarting one when the log has grown long.
///
/// Readers never all stop under load, and a passive checkpoint never waits for them,
/// so the log is never restarted from its beginning: it grows, and every page read
/// searches a longer WAL index. Past [`RESTART_FRAMES`] a `RESTART` checkpoint waits
/// (up to [`RESTART_WAIT`]) for the readers of the old log to finish, holding this
/// process's writes back at the [`WriteGate`] meanwhile, so the next commit starts the
/// log over. When the readers outlast the wait, the next round tries again.
///
/// A restart copies what the last passive checkpoint left and syncs the database file,
/// all while writes wait. SQLite syncs the database file only after a checkpoint that
/// copied the whole log, which under load only the restart does: so the restart's sync
/// wrote back every page the passive checkpoints had copied since the last one, and
/// held writes for longer the larger the database grew (8 ms at first, 50-90 ms after
/// a minute of follows, the slowest percent of them). So before taking the gate, the
/// checkpointer syncs the database file itself, between passive checkpoints run back
/// to back (writes go on meanwhile) until what is left to copy is short: the restart
/// then copies and syncs only that tail. `rookery_store::checkpoint=debug` logs each
/// restart with its rounds, the tail and both times.
///
/// A restarted log is reused from its start by the next commit; until one comes it
/// keeps its length, so a log that has not changed since the last restart is left be.
fn checkpoint(
    c: &mut SqliteConnection,
    file: &DatabaseFile,
    gate: &WriteGate,
    busy_timeout: Duration,
    restarted_at: &mut Option<i32>,
) -> QueryResult<()> {
    let mut passive = passive(c)?;
    if passive.log <= RESTART_FRAMES || *restarted_at == Some(passive.log) {
        return Ok(());
    }
    let mut rounds = 0;
    let tail = loop {
        file.sync();
        let before = passive.log;
        passive = self::passive(c)?;
        rounds += 1;
        // Committed while this round synced and copied: about what it left to copy.
        let tail = passive.log.saturating_sub(before);
        if tail <= RESTART_COPY_FRAMES || rounds == CATCH_UP_ROUNDS {
            break tail;
        }
    };
    file.sync();
    let asked = Instant::now();
    let _writes_held = gate.hold();
    let held = Instant::now();
    c.batch_execute(&format!("PRAGMA busy_timeout = {}", RESTART_WAIT.as_millis()))?;
    let restarted = diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result::<Checkpointed>(c);
    c.batch_execute(&format!("PRAGMA busy_timeout = {}", busy_timeout.as_millis()))?;
    let restarted = restarted?;
    *restarted_at = Some(restarted.log);
    tracing::debug!(
        log = restarted.log,
        rounds,
        tail,
        waited_us = micros(held.duration_since(asked)),
        held_us = micros(held.elapsed()),
        "WAL restarted"
    );
    Ok(())
}

/// The main database file, opened to sync what passive checkpoints wrote to it.
struct DatabaseFile(Option<std::fs::File>);

/// One row of `pragma_database_list`.
#[derive(QueryableByName)]
struct MainFile {
    #[diesel(sql_type = Text)]
    file: String,
}

impl DatabaseFile {
    /// Opens the file behind `c`'s main database. Without it (an unnamed database, or
    /// the file not opened) the restart syncs everything itself, as SQLite does.
    fn of(c: &mut SqliteConnection) -> Self {
        let path = diesel::sql_query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .get_result::<MainFile>(c)
            .map(|row| row.file);
        match path {
            Ok(path) if !path.is_empty() => Self(
                std::fs::File::open(&path)
                    .inspect_err(|error| tracing::warn!(%error, path, "cannot open the database file to sync it"))
                    .ok(),
            ),
            _ => Self(None),
        }
    }

    /// Writes back what was copied into the file. A failure leaves that to the
    /// restart's own sync, which fails the restart if the file truly cannot be synced.
    fn sync(&self) {
        if let Some(file) = &self.0
            && let Err(error) = file.sync_data()
        {
            tracing::warn!(%error, "syncing the database file failed");
        }
    }
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Runs checkpoints until dropped.
pub(crate) struct Checkpointer {
    _stop: Sender<()>,
}

impl std::fmt::Debug for Checkpointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Checkpointer")
    }
}

impl Checkpointer {
    /// Starts the checkpoint thread on a connection from `pool`.
    /// `busy_timeout` is the connections' own, restored after each restart.
    pub(crate) fn start(pool: r2d2::Pool<Manager>, gate: WriteGate, busy_timeout: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new().name("rookery-checkpoint".into()).spawn(move || {
            let mut restarted_at = None;
            let mut file = None;
            // Dropping the sender (with the last clone of the database) ends the loop.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                let Ok(mut conn) = pool.get() else { continue };
                let DbConnection::Sqlite(c) = &mut **conn else { continue };
                let file = file.get_or_insert_with(|| DatabaseFile::of(c));
                if let Err(error) = checkpoint(c, file, &gate, busy_timeout, &mut restarted_at) {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
            }
        })?;
        Ok(Self { _stop: stop })
    }
}

#[cfg(test)]
mod tests {
    use diesel::Connection;

    use super::*;

    #[test]
    fn the_database_file_is_found_for_a_file_and_not_for_memory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("rookery.db");
        let url = path.to_string_lossy().into_owned();
        let mut file_db = SqliteConnection::establish(&url).unwrap_or_else(|e| panic!("{e}"));
        file_db.batch_execute("CREATE TABLE t (x INTEGER)").unwrap_or_else(|e| panic!("{e}"));
        let file = DatabaseFile::of(&mut file_db);
        assert!(file.0.is_some(), "a file database's file opens");
        file.sync();

        let mut memory = SqliteConnection::establish(":memory:").unwrap_or_else(|e| panic!("{e}"));
        assert!(DatabaseFile::of(&mut memory).0.is_none(), "an in-memory database has no file");
    }
}
