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
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::Integer;
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

/// What `PRAGMA wal_checkpoint` answers.
#[derive(QueryableByName)]
struct Checkpointed {
    #[diesel(sql_type = Integer)]
    log: i32,
}

/// A passive checkpoint, and a restarting one when the log has grown long.
///
/// Readers never all stop under load, and a passive checkpoint never waits for them,
/// so the log is never restarted from its beginning: it grows, and every page read
/// searches a longer WAL index. Past [`RESTART_FRAMES`] a `RESTART` checkpoint waits
/// (up to the busy timeout) for the readers of the old log to finish, holding new
/// writes back meanwhile, so the next commit starts the log over.
fn checkpoint(c: &mut SqliteConnection) -> QueryResult<()> {
    let passive: Checkpointed = diesel::sql_query("PRAGMA wal_checkpoint(PASSIVE)").get_result(c)?;
    if passive.log > RESTART_FRAMES {
        let restarted: Checkpointed = diesel::sql_query("PRAGMA wal_checkpoint(RESTART)").get_result(c)?;
        tracing::debug!(before = passive.log, after = restarted.log, "WAL restarted");
    }
    Ok(())
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
    pub(crate) fn start(pool: r2d2::Pool<Manager>) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        std::thread::Builder::new().name("rookery-checkpoint".into()).spawn(move || {
            // Dropping the sender (with the last clone of the database) ends the loop.
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                let Ok(mut conn) = pool.get() else { continue };
                if let DbConnection::Sqlite(c) = &mut **conn
                    && let Err(error) = checkpoint(c)
                {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
            }
        })?;
        Ok(Self { _stop: stop })
    }
}
