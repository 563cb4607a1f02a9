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

/// The offset of an `EXISTS` probe that must stay one: PostgreSQL turns `(NOT) EXISTS`
/// into a semi- or anti-join, and a bad row estimate then sorts or hashes all of a
/// star's followers (a `not_followed_back` page took 320 ms as a merge anti-join of
/// 100,000 followers with 5,000 followings, 11 ms as the generic plan's nested loop
/// over a materialized list); a subquery with an `OFFSET` is never made a join, so it
/// runs as a probe of the primary key per row, and a page stops at its limit. SQLite
/// probes per row either way.
pub(crate) const PROBE_EACH: i64 = 0;
