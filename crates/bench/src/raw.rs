//! The raw database's ceiling for follow writes: one transaction per follow in plain
//! SQL, with nothing of Rookery's in the way —
//!
//! ```sql
//! BEGIN;  -- BEGIN IMMEDIATE on SQLite
//! INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?);
//! UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?;  -- followee
//! UPDATE accounts SET following_count = following_count + 1 WHERE id = ?;  -- follower
//! COMMIT;
//! ```
//!
//! SQLite from one connection with the store's pragmas (WAL, `synchronous = NORMAL`,
//! foreign keys on, a busy timeout, mmap); PostgreSQL from `threads` threads with a
//! connection each, the way pgbench drives it. Every pair is distinct and used by no
//! other scenario.

use std::time::Duration;

use anyhow::{Context, bail};
use diesel::connection::SimpleConnection;
use diesel::sql_types::{BigInt, Binary, Text};
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection, sql_query};
use rookery_domain::AccountId;

use crate::phase::{Stats, threads_phase};
use crate::seed::Pairs;

/// The pragmas the store sets on each SQLite connection (`rookery_store::connection`:
/// keep them in step).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
     PRAGMA busy_timeout = 5000; PRAGMA mmap_size = 1073741824;";

const SQLITE_INSERT: &str = "INSERT INTO follows (follower_id, followee_id, created_at) VALUES (?, ?, ?)";
const SQLITE_FOLLOWERS: &str = "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?";
const SQLITE_FOLLOWING: &str = "UPDATE accounts SET following_count = following_count + 1 WHERE id = ?";
const PG_INSERT: &str = "INSERT INTO follows (follower_id, followee_id, created_at) VALUES ($1::uuid, $2::uuid, now())";
const PG_FOLLOWERS: &str = "UPDATE accounts SET followers_count = followers_count + 1 WHERE id = $1::uuid";
const PG_FOLLOWING: &str = "UPDATE accounts SET following_count = following_count + 1 WHERE id = $1::uuid";

fn bytes(id: AccountId) -> Vec<u8> {
    id.as_uuid().as_bytes().to_vec()
}

fn one_row(what: &str, rows: usize) -> anyhow::Result<()> {
    if rows == 1 { Ok(()) } else { bail!("{what} changed {rows} rows, not 1") }
}

fn sqlite_follow(conn: &mut SqliteConnection, follower: AccountId, followee: AccountId) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_micros();
    conn.immediate_transaction(|c| -> anyhow::Result<()> {
        let inserted = sql_query(SQLITE_INSERT)
            .bind::<Binary, _>(bytes(follower))
            .bind::<Binary, _>(bytes(followee))
            .bind::<BigInt, _>(now)
            .execute(c)?;
        one_row("the insert", inserted)?;
        one_row("the followers update", sql_query(SQLITE_FOLLOWERS).bind::<Binary, _>(bytes(followee)).execute(c)?)?;
        one_row("the following update", sql_query(SQLITE_FOLLOWING).bind::<Binary, _>(bytes(follower)).execute(c)?)?;
        Ok(())
    })
}

fn pg_follow(conn: &mut PgConnection, follower: AccountId, followee: AccountId) -> anyhow::Result<()> {
    let (follower, followee) = (follower.to_string(), followee.to_string());
    conn.transaction(|c| -> anyhow::Result<()> {
        let inserted =
            sql_query(PG_INSERT).bind::<Text, _>(follower.as_str()).bind::<Text, _>(followee.as_str()).execute(c)?;
        one_row("the insert", inserted)?;
        one_row("the followers update", sql_query(PG_FOLLOWERS).bind::<Text, _>(followee.as_str()).execute(c)?)?;
        one_row("the following update", sql_query(PG_FOLLOWING).bind::<Text, _>(follower.as_str()).execute(c)?)?;
        Ok(())
    })
}

/// One transaction per follow on SQLite, from `threads` connections (one is the
/// ceiling the issue names).
pub fn sqlite(path: &std::path::Path, pairs: &Pairs, threads: usize, duration: Duration) -> anyhow::Result<Stats> {
    let path = path.to_str().context("the SQLite path is not UTF-8")?;
    threads_phase(
        threads,
        duration,
        |_| {
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute(SQLITE_PRAGMAS)?;
            Ok(conn)
        },
        |conn, w, i| {
            let (_, follower, followee) = pairs.get(w, i)?;
            Some(sqlite_follow(conn, follower, followee))
        },
    )
}

/// One transaction per follow on PostgreSQL, from `threads` connections.
pub fn postgres(url: &str, pairs: &Pairs, threads: usize, duration: Duration) -> anyhow::Result<Stats> {
    threads_phase(
        threads,
        duration,
        |_| PgConnection::establish(url).context("connecting to PostgreSQL"),
        |conn, w, i| {
            let (_, follower, followee) = pairs.get(w, i)?;
            Some(pg_follow(conn, follower, followee))
        },
    )
}
