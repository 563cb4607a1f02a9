//! Statements whose plans PostgreSQL must not choose blind.
//!
//! Rookery's PostgreSQL connections plan every statement with its bound values
//! (`plan_cache_mode = force_custom_plan`, see `connection.rs`): a cached generic plan
//! ignored them, and for a join between two accounts' lists hashed the larger list
//! (the first driven pages hashed all of a star's 100,000 followers, 60 ms, where
//! probing its 5,000 followings took a few). Even planned with the values a
//! misestimate can pick the hash join, so the probes that must stay probes are
//! subqueries PostgreSQL never turns into joins: scalar subqueries
//! (`driven_lists`) and `EXISTS` with an `OFFSET` ([`PROBE_EACH`]). SQLite plans as
//! before either way.

use diesel::{QueryResult, RunQueryDsl};

/// The offset of an `EXISTS` probe that must stay one: PostgreSQL turns `(NOT) EXISTS`
/// into a semi- or anti-join, and a bad row estimate then sorts or hashes all of a
/// star's followers (a `not_followed_back` page took 320 ms as a merge anti-join of
/// 100,000 followers with 5,000 followings, 11 ms as the generic plan's nested loop
/// over a materialized list); a subquery with an `OFFSET` is never made a join, so it
/// runs as a probe of the primary key per row, and a page stops at its limit. SQLite
/// probes per row either way.
pub(crate) const PROBE_EACH: i64 = 0;

/// Runs `read` with PostgreSQL's nested loops turned off, inside the caller's
/// transaction, and back to the default after it; SQLite runs it as it is.
///
/// For a join whose outer side PostgreSQL underestimates: the suggestions' exact
/// re-count joins the candidates' followers with the viewer's followings, estimated
/// at 60 rows for 1,000, and as a nested loop it scanned every following's whole list
/// for the candidates (a million index entries, 85-118 ms at the bench's million
/// two-hop edges); as a hash join it reads the candidates' 27,000 followers once
/// (11 ms).
pub(crate) trait Unnested {
    fn without_nested_loops<T>(&mut self, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T>;
}

impl Unnested for diesel::sqlite::SqliteConnection {
    fn without_nested_loops<T>(&mut self, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T> {
        read(self)
    }
}

impl Unnested for diesel::pg::PgConnection {
    fn without_nested_loops<T>(&mut self, read: impl FnOnce(&mut Self) -> QueryResult<T>) -> QueryResult<T> {
        diesel::sql_query("SET LOCAL enable_nestloop = off").execute(self)?;
        let result = read(self);
        diesel::sql_query("SET LOCAL enable_nestloop TO DEFAULT").execute(self)?;
        result
    }
}
