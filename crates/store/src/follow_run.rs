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
//! A single follow is a run of one: the follow's guard is written once, as the
//! domain's [`follow_guard`], evaluated for every pair from the locked rows. The pairs
//! of a run are distinct, and a follow's guard reads nothing another follow changes,
//! so the order inside a run cannot matter to the guards. The edge insert reports
//! which edges it created (an edge that exists already is a no-op); the spends of
//! those edges are then taken in run order (so several follows of one account spend
//! in the order they were queued), and an edge whose spend is refused is removed
//! again before anything else follows from it. Counts, requests and notifications
//! follow only the edges kept, so the counts move by exactly the edges created.

use std::collections::{BTreeMap, HashMap, HashSet};

use diesel::prelude::*;
use rookery_domain::quota::Spend;
use rookery_domain::relationship::{Applied, PairState, Standing, follow_guard};
use rookery_domain::{Follow, Notification};

use crate::budget::BudgetWrites;
use crate::connection::BackendSql;
use crate::rows::{FollowRow, NotificationRow};
use crate::schema::{blocks, follow_requests, follows};
use crate::sql_types::DbUuid;

/// The accounts of a batch as its transaction locked them. No transition changes
/// liveness or privacy, so this stays true for the whole transaction.
pub(crate) type AccountStates = HashMap<DbUuid, Standing>;

/// One follow of a run: a `Transition::Follow`'s parts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RunFollow<'a> {
    pub(crate) edge: &'a Follow,
    pub(crate) notification: &'a Notification,
    pub(crate) spend: Option<Spend>,
}

impl RunFollow<'_> {
    fn pair(&self) -> (DbUuid, DbUuid) {
        (DbUuid::from(self.edge.follower), DbUuid::from(self.edge.followee))
    }
}

/// Applying runs of follows, written once for both backends.
pub(crate) trait FollowRun {
    /// Applies `run` (distinct pairs) inside the caller's write transaction and returns
    /// each follow's outcome, in order.
    fn apply_follow_run(&mut self, run: &[RunFollow<'_>], accounts: &AccountStates) -> QueryResult<Vec<Applied>>;

    /// Takes the spends of the `created` edges in order, removes the edges whose spend
    /// was refused, and answers those with how long until their budget renews.
    fn refuse_unpaid(&mut self, created: &[&RunFollow<'_>])
    -> QueryResult<HashMap<(DbUuid, DbUuid), chrono::Duration>>;
}

/// Whether each follow's guard holds on the locked rows and the blocks between them.
fn guarded(run: &[RunFollow<'_>], accounts: &AccountStates, blocked: &HashSet<(DbUuid, DbUuid)>) -> Vec<bool> {
    let standing = |id: &DbUuid| accounts.get(id).copied().unwrap_or(Standing::Missing);
    run.iter()
        .map(|follow| {
            let (a, b) = follow.pair();
            follow_guard(&PairState {
                actor: follow.edge.follower,
                target: follow.edge.followee,
                actor_standing: standing(&a),
                target_standing: standing(&b),
                following: false,
                request: None,
                blocked: blocked.contains(&(a, b)) || blocked.contains(&(b, a)),
            })
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
        let followers = distinct(run.iter().map(|f| DbUuid::from(f.edge.follower)));
        let followees = distinct(run.iter().map(|f| DbUuid::from(f.edge.followee)));
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
        let rows: Vec<FollowRow> = chosen.iter().map(|f| FollowRow::from(f.edge)).collect();
        let inserted = self.insert_edges(rows)?;
        let created: Vec<&RunFollow<'_>> = chosen.into_iter().filter(|f| inserted.contains(&f.pair())).collect();
        let exhausted = self.refuse_unpaid(&created)?;
        let kept: Vec<&RunFollow<'_>> = created.into_iter().filter(|f| !exhausted.contains_key(&f.pair())).collect();
        let pairs = || kept.iter().map(|f| f.pair());
        self.add_to_counts(&count_deltas(pairs()))?;
        // Answered requests of the new edges go, as in a single follow. Few pairs have
        // one, so they are found with one over-wide read and deleted by id.
        let kept_pairs: HashSet<(DbUuid, DbUuid)> = pairs().collect();
        let answered: Vec<DbUuid> = follow_requests::table
            .filter(
                follow_requests::status.ne("pending")
                    .and(follow_requests::requester_id.eq_any(&followers))
                    .and(follow_requests::target_id.eq_any(&followees)),
            )
            .select((follow_requests::id, follow_requests::requester_id, follow_requests::target_id))
            .load::<(DbUuid, DbUuid, DbUuid)>(self)?
            .into_iter()
            .filter(|(_, a, b)| kept_pairs.contains(&(*a, *b)))
            .map(|(id, _, _)| id)
            .collect();
        if !answered.is_empty() {
            diesel::delete(follow_requests::table.filter(follow_requests::id.eq_any(answered))).execute(self)?;
        }
        self.insert_notification_rows(kept.iter().map(|f| NotificationRow::from(f.notification)).collect())?;
        Ok(run
            .iter()
            .map(|f| match exhausted.get(&f.pair()) {
                Some(retry_after) => Applied::Exhausted { retry_after: *retry_after },
                None if kept_pairs.contains(&f.pair()) => Applied::Changed,
                None => Applied::Unchanged,
            })
            .collect())
    }

    fn refuse_unpaid(&mut self, created: &[&RunFollow<'_>]) -> QueryResult<HashMap<(DbUuid, DbUuid), chrono::Duration>> {
        let paying: Vec<&RunFollow<'_>> = created.iter().copied().filter(|f| f.spend.is_some()).collect();
        let spends: Vec<(DbUuid, Spend)> =
            paying.iter().filter_map(|f| f.spend.map(|spend| (DbUuid::from(f.edge.follower), spend))).collect();
        let outcomes = self.take_spends(&spends)?;
        let refused: HashMap<(DbUuid, DbUuid), chrono::Duration> = paying
            .iter()
            .zip(outcomes)
            .filter_map(|(f, outcome)| outcome.err().map(|retry_after| (f.pair(), retry_after)))
            .collect();
        // Rare (the service remembers used-up budgets), so one statement per edge.
        for (follower, followee) in refused.keys() {
            diesel::delete(follows::table.find((*follower, *followee))).execute(self)?;
        }
        Ok(refused)
    }
}
}
