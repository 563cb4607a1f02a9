//! SQLite WAL checkpoints off the write path.
//!
//! By default the connection whose commit pushes the WAL past 1,000 pages copies it
//! back into the database file, and with `synchronous = NORMAL` a checkpoint is also
//! where SQLite syncs the files. With group commit that connection is the writer
//! thread, so every few thousand follows all writers would wait for two syncs. So
//! connections to a file database turn automatic checkpoints off, and this thread runs
//! a passive checkpoint (which never blocks readers or the writer) a few times a second.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::Duration;

use diesel::connection::SimpleConnection;

use crate::connection::{DbConnection, Manager};

/// How often the WAL is copied back; at the highest write rates measured here the WAL
/// grows by a few megabytes in that time.
const INTERVAL: Duration = Duration::from_millis(250);

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
                    && let Err(error) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                {
                    tracing::warn!(%error, "WAL checkpoint failed");
                }
            }
        })?;
        Ok(Self { _stop: stop })
    }
}
