//! Recomputing every account's counts from the edges: one set-based UPDATE that
//! rewrites only the accounts whose stored counts are wrong.

use diesel::prelude::*;
use diesel::sql_query;
use rookery_domain::ports::StoreError;

use crate::database::Database;
use crate::maintenance::tally;

/// What a recomputation corrected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CountsFixed {
    /// Accounts (live or deleted) whose `followers_count` or `following_count` was
    /// wrong and has been rewritten.
    pub accounts: u64,
}

// Both columns in one statement: on PostgreSQL every UPDATE of a row writes a new
// version of it, so one pass over the wrong rows instead of two halves the writes.
//
// SQLite counts each account's edges with two range counts on the follows indexes
// (the WHERE clause short-circuits, so a correct row costs two counts).
const SQLITE_RECOMPUTE: &str = "UPDATE accounts SET \
         followers_count = (SELECT COUNT(*) FROM follows f WHERE f.followee_id = accounts.id), \
         following_count = (SELECT COUNT(*) FROM follows f WHERE f.follower_id = accounts.id) \
     WHERE followers_count <> (SELECT COUNT(*) FROM follows f WHERE f.followee_id = accounts.id) \
        OR following_count <> (SELECT COUNT(*) FROM follows f WHERE f.follower_id = accounts.id)";
// PostgreSQL runs the same correlated form as a subplan per account (ten seconds on a
// million edges); grouped counts hash-joined to the accounts take one pass each.
const POSTGRES_RECOMPUTE: &str = "UPDATE accounts SET followers_count = d.followers, following_count = d.following \
     FROM (SELECT a.id, COALESCE(i.n, 0) AS followers, COALESCE(o.n, 0) AS following \
           FROM accounts a \
           LEFT JOIN (SELECT followee_id AS id, COUNT(*) AS n FROM follows GROUP BY followee_id) i ON i.id = a.id \
           LEFT JOIN (SELECT follower_id AS id, COUNT(*) AS n FROM follows GROUP BY follower_id) o ON o.id = a.id) d \
     WHERE d.id = accounts.id \
       AND (accounts.followers_count <> d.followers OR accounts.following_count <> d.following)";

/// The count statements, whose SQL differs between the backends. Each runs inside
/// the caller's write transaction.
pub(crate) trait CountWrites {
    /// Keeps concurrent writers from adding or removing edges until the transaction
    /// ends, so that counts computed in it are still right at commit.
    fn freeze_edges(&mut self) -> QueryResult<()>;
    /// Sets both counts of every account (live or not) to its number of edges.
    fn recompute_counts(&mut self) -> QueryResult<CountsFixed>;
}

impl CountWrites for diesel::sqlite::SqliteConnection {
    fn freeze_edges(&mut self) -> QueryResult<()> {
        // `BEGIN IMMEDIATE` already holds the database's only write lock.
        Ok(())
    }

    fn recompute_counts(&mut self) -> QueryResult<CountsFixed> {
        let accounts = sql_query(SQLITE_RECOMPUTE).execute(self)?;
        Ok(CountsFixed { accounts: tally(accounts) })
    }
}

impl CountWrites for diesel::pg::PgConnection {
    fn freeze_edges(&mut self) -> QueryResult<()> {
        // SHARE ROW EXCLUSIVE blocks inserts and deletes on follows (and a second
        // repair or recount) but not reads; transitions queue behind it and then move
        // counts from the corrected values.
        sql_query("LOCK TABLE follows IN SHARE ROW EXCLUSIVE MODE").execute(self).map(drop)
    }

    fn recompute_counts(&mut self) -> QueryResult<CountsFixed> {
        super::roomy_sorts(self)?;
        let accounts = sql_query(POSTGRES_RECOMPUTE).execute(self)?;
        Ok(CountsFixed { accounts: tally(accounts) })
    }
}

impl Database {
    /// Recomputes `followers_count` and `following_count` of every account from the
    /// follow edges, in one transaction that holds edge writes off meanwhile. Import
    /// calls it once at the end; [`Database::repair`] calls it after removing edges.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is busy, else
    /// [`StoreError::Failure`].
    pub fn recompute_counts(&self) -> Result<CountsFixed, StoreError> {
        self.write(|conn| {
            write_tx!(conn, |c| {
                c.freeze_edges()?;
                c.recompute_counts()
            })
        })
    }
}
