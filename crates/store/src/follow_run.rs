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
use rookery_domain::quota::{QuotaWindow, Spend};
use rookery_domain::relationship::{Applied, PairState, Standing, follow_guard};
use rookery_domain::{Follow, GraphEvent, Notification};

use crate::budget::{WindowRow, take_spends};
use crate::connection::BackendSql;
use crate::event_log::EventWrites;
use crate::rows::FollowRow;
use crate::schema::{blocks, follow_requests, follows};
use crate::sql_types::DbUuid;

/// An account of a batch as its transaction locked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LockedAccount {
    /// No transition changes liveness or privacy, so this stays true for the whole
    /// transaction.
    pub(crate) standing: Standing,
    /// Its follow budget window, kept up to date by the runs that spend from it.
    pub(crate) window: Option<QuotaWindow>,
}

/// The accounts of a batch as its transaction locked them.
pub(crate) type AccountStates = HashMap<DbUuid, LockedAccount>;

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
    /// each follow's outcome, in order. Spends are taken from the windows in
    /// `accounts`, which are updated.
    fn apply_follow_run(&mut self, run: &[RunFollow<'_>], accounts: &mut AccountStates) -> QueryResult<Vec<Applied>>;

    /// Removes the edges of `pairs` (created by this transaction, and refused).
    fn remove_edges(&mut self, pairs: &[(DbUuid, DbUuid)]) -> QueryResult<()>;
}

/// Whether each follow's guard holds on the locked rows and the blocks between them.
fn guarded(run: &[RunFollow<'_>], accounts: &AccountStates, blocked: &HashSet<(DbUuid, DbUuid)>) -> Vec<bool> {
    let standing = |id: &DbUuid| accounts.get(id).map_or(Standing::Missing, |account| account.standing);
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

/// Takes the spends of the `created` edges in run order from the windows in
/// `accounts` (which follow them); answers the edges whose spend was refused, with how
/// long until their budget renews, and the windows to store.
fn spend_for(
    created: &[&RunFollow<'_>],
    accounts: &mut AccountStates,
) -> (HashMap<(DbUuid, DbUuid), chrono::Duration>, Vec<WindowRow>) {
    let paying: Vec<&RunFollow<'_>> = created.iter().copied().filter(|f| f.spend.is_some()).collect();
    if paying.is_empty() {
        return (HashMap::new(), Vec::new());
    }
    let spends: Vec<(DbUuid, Spend)> =
        paying.iter().filter_map(|f| f.spend.map(|spend| (DbUuid::from(f.edge.follower), spend))).collect();
    let mut windows: HashMap<DbUuid, Option<QuotaWindow>> =
        spends.iter().map(|(id, _)| (*id, accounts.get(id).and_then(|account| account.window))).collect();
    let (outcomes, rows) = take_spends(&mut windows, &spends);
    for (id, window) in windows {
        if let Some(account) = accounts.get_mut(&id) {
            account.window = window;
        }
    }
    let refused = paying
        .iter()
        .zip(outcomes)
        .filter_map(|(f, outcome)| outcome.err().map(|retry_after| (f.pair(), retry_after)))
        .collect();
    (refused, rows)
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
    fn apply_follow_run(&mut self, run: &[RunFollow<'_>], accounts: &mut AccountStates) -> QueryResult<Vec<Applied>> {
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
        let (exhausted, windows) = spend_for(&created, accounts);
        if !exhausted.is_empty() {
            self.remove_edges(&exhausted.keys().copied().collect::<Vec<_>>())?;
        }
        let kept: Vec<&RunFollow<'_>> = created.into_iter().filter(|f| !exhausted.contains_key(&f.pair())).collect();
        let pairs = || kept.iter().map(|f| f.pair());
        self.add_to_counts(&count_deltas(pairs()), &windows)?;
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
        // The run's notifications are stored by the batch, unless a mute silences them.
        let events: Vec<GraphEvent> = kept
            .iter()
            .map(|f| GraphEvent::FollowCreated { follower: f.edge.follower, followee: f.edge.followee, at: f.edge.created_at })
            .collect();
        self.append_events(&events)?;
        Ok(run
            .iter()
            .map(|f| match exhausted.get(&f.pair()) {
                Some(retry_after) => Applied::Exhausted { retry_after: *retry_after },
                None if kept_pairs.contains(&f.pair()) => Applied::Changed,
                None => Applied::Unchanged,
            })
            .collect())
    }

    fn remove_edges(&mut self, pairs: &[(DbUuid, DbUuid)]) -> QueryResult<()> {
        // Rare (the service remembers used-up budgets), so one statement per edge.
        for (follower, followee) in pairs {
            diesel::delete(follows::table.find((*follower, *followee))).execute(self)?;
        }
        Ok(())
    }
}
}
