//! Read fences: read-your-writes over replicas, across instances, without the client's
//! help.
//!
//! After a change commits, the instance that made it records, on the primary, the end
//! of the primary's WAL against every account whose lists the change touched (both
//! accounts of a follow, block or request; a notification's recipient). A list read
//! for an account first looks up the highest fence of the accounts it shows (one
//! primary-key lookup on the primary), then goes to a replica that has replayed past
//! it, or to the primary when none has. So a follow made through instance A and read
//! at once through instance B shows, whichever replica B would have used.
//!
//! Fences are written only while replicas are configured (every instance of a
//! deployment must then have them), in a transaction of their own with
//! `synchronous_commit = off`: one more statement per group commit, not one more WAL
//! flush. A fence lost in a crash costs at most a stale read, never data.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rookery_domain::AccountId;
use rookery_domain::ports::StoreError;

use crate::connection::DbConnection;
use crate::pg_arrays::{ReadFence, RecordFences};
use crate::pool::Connections;
use crate::sql_types::DbUuid;

/// Tries at recording a fence: two recorders of overlapping accounts lock in one
/// order, but a deadlock with another statement is still possible.
const ATTEMPTS: usize = 3;

/// Distinct ids, sorted.
fn distinct(accounts: impl IntoIterator<Item = AccountId>) -> Vec<DbUuid> {
    let mut ids: Vec<DbUuid> = accounts.into_iter().map(DbUuid::from).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

impl Connections {
    /// Records that the lists of `accounts` changed in a transaction that has just
    /// committed. Best effort: the change stands whatever happens here; a failure is
    /// logged (reads of those accounts may then be stale on a replica for as long as
    /// it lags).
    pub(crate) fn record_fences(&self, accounts: impl IntoIterator<Item = AccountId>) {
        if !self.fences_on() {
            return;
        }
        let ids = distinct(accounts);
        if ids.is_empty() {
            return;
        }
        let mut last = None;
        for _ in 0..ATTEMPTS {
            let result = self.read(|conn| match conn {
                DbConnection::Postgres(c) => c.transaction(|c| {
                    c.batch_execute("SET LOCAL synchronous_commit = off")?;
                    RecordFences { ids: ids.clone() }.execute(c).map(|_| ())
                }),
                DbConnection::Sqlite(_) => Ok(()),
            });
            match result {
                Ok(()) => return,
                Err(error) => last = Some(error),
            }
        }
        if let Some(error) = last {
            tracing::warn!(%error, "could not record read fences; replicas may serve a stale list for a moment");
        }
    }

    /// The highest fence of `accounts` (0 for none): a replica must have replayed this
    /// far to serve their lists.
    ///
    /// # Errors
    /// The primary cannot be reached.
    pub(crate) fn fence_of(&self, accounts: impl IntoIterator<Item = AccountId>) -> Result<i64, StoreError> {
        let ids = distinct(accounts);
        if ids.is_empty() {
            return Ok(0);
        }
        self.read(|conn| match conn {
            DbConnection::Postgres(c) => ReadFence { ids: ids.clone() }.get_result::<i64>(c),
            DbConnection::Sqlite(_) => Ok(0),
        })
    }
}
