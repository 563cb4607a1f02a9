//! Set-based follows: a run of follows on distinct pairs, applied with a handful of
//! statements whatever its length.
//!
//! A group commit (see `group_commit`) gathers many follows into one transaction.
//! Applied one by one, each costs five statements, and on PostgreSQL each statement is
//! a round trip: a batch of 64 follows would hold its locks for hundreds of round trips.
//! Applied as a set, the run reads the blocks of all its pairs at once, inserts all its
//! edges in one statement, moves the counts with one statement (on SQLite one per
//! distinct pair of deltas), looks for answered requests once and stores the
//! notifications in one insert. On PostgreSQL these statements bind arrays, so each
//! has one text whatever the run's length and is prepared once (see `pg_arrays`).
//!
//! The guards are the per-transition guards of `transitions`, evaluated for every pair
//! from the same locked rows. The pairs of a run are distinct, and a follow's guard
//! reads nothing another follow changes, so the order inside a run cannot matter.
//! The edge insert reports which edges it created (an edge that exists already is a
//! no-op, as for a single follow), and counts, requests and notifications follow only
//! those, so the counts move by exactly the edges created.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use rookery_domain::relationship::Applied;
use rookery_domain::{Follow, Notification};

use crate::connection::BackendSql;
use crate::rows::FollowRow;
use crate::schema::{blocks, follow_requests};
use crate::sql_types::DbUuid;
use crate::transitions::TransitionWrites;

/// The accounts of a batch as its transaction locked them: `Some(is_private)` for a
/// live account. No transition changes liveness or privacy, so this stays true for
/// the whole transaction.
pub(crate) type AccountStates = HashMap<DbUuid, Option<bool>>;

/// One follow of a run.
pub(crate) type RunFollow<'a> = (&'a Follow, &'a Notification);

/// Applying runs of follows, written once for both backends.
pub(crate) trait FollowRun {
    /// Applies `run` (distinct pairs) inside the caller's write transaction and returns
    /// each follow's outcome, in order.
    fn apply_follow_run(&mut self, run: &[RunFollow<'_>], accounts: &AccountStates) -> QueryResult<Vec<Applied>>;
}

/// The follows whose guard holds on the locked rows and the blocks between them.
fn guarded(run: &[RunFollow<'_>], accounts: &AccountStates, blocked: &HashSet<(DbUuid, DbUuid)>) -> Vec<bool> {
    run.iter()
        .map(|(edge, _)| {
            let (a, b) = (DbUuid::from(edge.follower), DbUuid::from(edge.followee));
            let live = |id: &DbUuid| accounts.get(id).copied().flatten();
            live(&a).is_some() && live(&b) == Some(false) && !blocked.contains(&(a, b)) && !blocked.contains(&(b, a))
        })
        .collect()
}

/// How far the counts of each account move for the new edges `pairs`: one entry per
/// account, `(id, followers, following)`, in id order (the order the batch locked
/// them in).
fn count_deltas(pairs: impl Iterator<Item = (DbUuid, DbUuid)>) -> Vec<(DbUuid, i64, i64)> {
    let mut deltas: BTreeMap<DbUuid, (i64, i64)> = BTreeMap::new();
    for (follower, followee) in pairs {
        deltas.entry(followee).or_default().0 += 1;
        deltas.entry(follower).or_default().1 += 1;
    }
    deltas.into_iter().map(|(id, (followers, following))| (id, followers, following)).collect()
}

fn distinct(ids: impl Iterator<Item = DbUuid>) -> Vec<DbUuid> {
    let mut ids: Vec<DbUuid> = ids.collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

for_each_backend! {
impl FollowRun {
    fn apply_follow_run(&mut self, run: &[RunFollow<'_>], accounts: &AccountStates) -> QueryResult<Vec<Applied>> {
        let followers = distinct(run.iter().map(|(edge, _)| DbUuid::from(edge.follower)));
        let followees = distinct(run.iter().map(|(edge, _)| DbUuid::from(edge.followee)));
        let everyone = distinct(followers.iter().chain(&followees).copied());
        let blocked: HashSet<(DbUuid, DbUuid)> = blocks::table
            .filter(blocks::blocker_id.eq_any(&everyone).and(blocks::blocked_id.eq_any(&everyone)))
            .select((blocks::blocker_id, blocks::blocked_id))
            .load(self)?
            .into_iter()
            .collect();
        let passes = guarded(run, accounts, &blocked);
        let chosen: Vec<&RunFollow<'_>> = run.iter().zip(&passes).filter(|(_, ok)| **ok).map(|(f, _)| f).collect();
        if chosen.is_empty() {
            return Ok(vec![Applied::Unchanged; run.len()]);
        }
        let rows: Vec<FollowRow> = chosen.iter().map(|(edge, _)| FollowRow::from(*edge)).collect();
        let inserted = self.insert_edges(rows)?;
        let created: Vec<&RunFollow<'_>> = chosen
            .into_iter()
            .filter(|(edge, _)| inserted.contains(&(DbUuid::from(edge.follower), DbUuid::from(edge.followee))))
            .collect();
        let pairs = || created.iter().map(|(edge, _)| (DbUuid::from(edge.follower), DbUuid::from(edge.followee)));
        self.add_to_counts(&count_deltas(pairs()))?;
        // Answered requests of the new edges go, as in a single follow. Few pairs have
        // one, so they are found with one over-wide read and deleted by id.
        let answered: Vec<DbUuid> = follow_requests::table
            .filter(
                follow_requests::status.ne("pending")
                    .and(follow_requests::requester_id.eq_any(&followers))
                    .and(follow_requests::target_id.eq_any(&followees)),
            )
            .select((follow_requests::id, follow_requests::requester_id, follow_requests::target_id))
            .load::<(DbUuid, DbUuid, DbUuid)>(self)?
            .into_iter()
            .filter(|(_, a, b)| inserted.contains(&(*a, *b)))
            .map(|(id, _, _)| id)
            .collect();
        if !answered.is_empty() {
            diesel::delete(follow_requests::table.filter(follow_requests::id.eq_any(answered))).execute(self)?;
        }
        let notes: Vec<Notification> = created.iter().map(|(_, note)| (*note).clone()).collect();
        self.insert_notifications(&notes)?;
        Ok(run
            .iter()
            .map(|(edge, _)| {
                let pair = (DbUuid::from(edge.follower), DbUuid::from(edge.followee));
                if inserted.contains(&pair) { Applied::Changed } else { Applied::Unchanged }
            })
            .collect())
    }
}
}
