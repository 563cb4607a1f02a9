//! Statements whose plans PostgreSQL must not choose blind.
//!
//! Rookery's PostgreSQL connections plan every statement with its bound values
//! (`plan_cache_mode = force_custom_plan`, see `connection.rs`): a cached generic plan
//! ignored them, and for a join between two accounts' lists hashed the larger list
//! (the first driven pages hashed all of a star's 100,000 followers, 60 ms, where
//! probing its 5,000 followings took a few). Even planned with the values a
//! misestimate can pick the hash join, so the probes that must stay probes are
//! subqueries PostgreSQL never turns into joins: scalar subqueries
//! (`driven_lists`) and `EXISTS` with an `OFFSET` ([`PROBE_EACH`]). Where a stale or
//! short estimate still misleads it, one plan method is turned off for that statement
//! ([`Avoid`]). SQLite plans as before either way.

use diesel::{Connection, QueryResult, RunQueryDsl};

/// The offset of an `EXISTS` probe that must stay one: PostgreSQL turns `(NOT) EXISTS`
/// into a semi- or anti-join, and a bad row estimate then sorts or hashes all of a
/// star's followers (a `not_followed_back` page took 320 ms as a merge anti-join of
/// 100,000 followers with 5,000 followings, 11 ms as the generic plan's nested loop
/// over a materialized list); a subquery with an `OFFSET` is never made a join, so it
/// runs as a probe of the primary key per row, and a page stops at its limit. SQLite
/// probes per row either way.
pub(crate) const PROBE_EACH: i64 = 0;

/// A plan method PostgreSQL is kept from choosing for one statement whose estimate
/// misleads it (SQLite plans without them either way).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Avoid {
    /// The suggestions' exact re-count joins the candidates' followers with the
    /// viewer's followings, estimated at 60 rows for 1,000: as a nested loop it read
    /// every following's whole list for the candidates (a million index entries, 85-118
    /// ms at the bench's million two-hop edges); as a hash join it reads the
    /// candidates' 27,000 followers once (11 ms).
    NestedLoops,
    /// While `events` grows faster than it is analyzed, the rows after a feed cursor
    /// are estimated from stale statistics (1,011 for tens of thousands, seen with
    /// `auto_explain` during the bench) and a bitmap scan read them all to sort them,
    /// so a page cost what the reader's backlog held (12 ms and more); the index's own
    /// order serves a page of `limit` rows and stops there.
    BitmapScans,
}

impl Avoid {
    const fn setting(self) -> &'static str {
        match self {
            Self::NestedLoops => "enable_nestloop",
            Self::BitmapScans => "enable_bitmapscan",
        }
    }
}

/// Statements run with a plan method turned off.
pub(crate) trait Avoiding {
    /// Runs `read` with `method` off on PostgreSQL (in a transaction, or a savepoint of
    /// the caller's, and back to its default after), as it is on SQLite.
    fn avoiding<T>(&mut self, method: Avoid, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T>;
}

impl Avoiding for diesel::sqlite::SqliteConnection {
    fn avoiding<T>(&mut self, _method: Avoid, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T> {
        read(self)
    }
}

impl Avoiding for diesel::pg::PgConnection {
    fn avoiding<T>(&mut self, method: Avoid, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T> {
        self.transaction(|c| {
            // `SET LOCAL` outlives a savepoint's release: set back by hand.
            diesel::sql_query(format!("SET LOCAL {} = off", method.setting())).execute(c)?;
            let result = read(c)?;
            diesel::sql_query(format!("SET LOCAL {} TO DEFAULT", method.setting())).execute(c)?;
            Ok(result)
        })
    }
}
