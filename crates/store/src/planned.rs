//! Statements PostgreSQL must plan for each call's values.
//!
//! Diesel prepares a statement once per connection and PostgreSQL, after five runs,
//! may settle on a generic plan that ignores the bound values. For a join between two
//! accounts' lists that plan is a hash join over the larger list: the driven page of
//! a star's mutuals hashed all of its 100,000 followers (60 ms) where probing its
//! 5,000 followings by primary key takes a few. A literal fragment keeps a statement
//! out of Diesel's cache, so it runs as PostgreSQL's unnamed statement, planned at
//! each bind with the values (~0.1-0.3 ms of planning). SQLite plans as before.

use diesel::dsl::sql;
use diesel::expression::SqlLiteral;
use diesel::sql_types::Bool;

/// `TRUE`, as a literal: filtering on it makes a statement planned per call.
pub(crate) fn per_call() -> SqlLiteral<Bool> {
    sql::<Bool>("TRUE")
}
