//! Applying a batch of jobs (each one caller's transitions) in one write transaction.

use std::collections::HashSet;

use diesel::prelude::*;
use rookery_domain::ports::StoreError;
use rookery_domain::relationship::{Applied, Transition};

use crate::budget::WindowReads;
use crate::connection::{BackendSql, standing_of};
use crate::follow_run::{AccountStates, FollowRun, LockedAccount, RunFollow};
use crate::mutes::MuteQueries;
use crate::pool::Connections;
use crate::push::PushQueries;
use crate::sql_types::DbUuid;
use crate::transitions::TransitionWrites;

impl Connections {
    /// Applies several callers' transitions in one write transaction, each job in
    /// order, and returns each job's outcomes.
    ///
    /// With more than one job, every account the batch touches is locked first, in id
    /// order, so two batches committing at once cannot deadlock on rows they would
    /// otherwise lock in different orders; consecutive single-follow jobs on distinct
    /// pairs are then applied as one set (see `follow_run`). The notifications of the
    /// changes are announced to other instances with one statement for the batch.
    pub(crate) fn apply_jobs(&self, jobs: &[&[Transition]]) -> Result<Vec<Vec<Applied>>, StoreError> {
        let push = self.push_outbox();
        // A batch of one job with several transitions (a bulk follow) locks up front too:
        // its transitions would otherwise lock their pairs one by one, in input order,
        // and two bulk follows over the same accounts could deadlock.
        let accounts: Vec<DbUuid> = if jobs.iter().map(|job| job.len()).sum::<usize>() > 1 {
            let mut ids: Vec<DbUuid> =
                jobs.iter().flat_map(|job| job.iter()).flat_map(Transition::accounts).map(DbUuid::from).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        } else {
            Vec::new()
        };
        let outcomes = self.write(|conn| {
            write_tx!(conn, |c| {
                let mut states: AccountStates = c
                    .lock_accounts(&accounts)?
                    .iter()
                    .map(|row| (row.0, LockedAccount { standing: standing_of(row), window: None }))
                    .collect();
                // After the locks (see `budget`), and only when something spends; a batch
                // of one job locks (and reads) in its transition instead.
                let spenders = if states.is_empty() { Vec::new() } else { spenders(jobs) };
                for (id, window) in c.quota_windows(&spenders)? {
                    if let Some(account) = states.get_mut(&id) {
                        account.window = Some(window);
                    }
                }
                let outcomes = apply_in_runs(c, jobs, &mut states)?;
                let stored: Vec<_> = jobs
                    .iter()
                    .zip(&outcomes)
                    .flat_map(|(job, applied)| job.iter().zip(applied))
                    .filter(|(_, applied)| **applied == Applied::Changed)
                    .filter_map(|(transition, _)| transition.notification())
                    .cloned()
                    .collect();
                // One place stores the batch's notifications, so one read of the
                // recipients' mutes decides which are silenced.
                let stored = c.audible(stored)?;
                c.insert_notifications(&stored)?;
                c.announce_notifications(&stored)?;
                if push {
                    c.enqueue_pushes(&stored)?;
                }
                Ok(outcomes)
            })
        })?;
        self.record_fences(jobs.iter().flat_map(|job| job.iter()).flat_map(Transition::accounts));
        Ok(outcomes)
    }
}

/// The accounts of a batch whose transitions spend from their budget, sorted.
fn spenders(jobs: &[&[Transition]]) -> Vec<DbUuid> {
    let mut ids: Vec<DbUuid> = jobs
        .iter()
        .flat_map(|job| job.iter())
        .filter_map(|transition| match transition {
            Transition::Follow { edge, spend: Some(_), .. } => Some(DbUuid::from(edge.follower)),
            Transition::Request { request, spend: Some(_), .. } => Some(DbUuid::from(request.requester)),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Where a transition sits: its job, and its place in the job.
type Slot = (usize, usize);

/// Walks the jobs in order, gathering consecutive follows on distinct pairs (single
/// follows of many jobs, or the follows of one bulk follow) into runs; everything else
/// is applied a transition at a time.
fn apply_in_runs<C: FollowRun + TransitionWrites + WindowReads>(
    c: &mut C,
    jobs: &[&[Transition]],
    states: &mut AccountStates,
) -> QueryResult<Vec<Vec<Applied>>> {
    let mut outcomes: Vec<Vec<Applied>> = jobs.iter().map(|job| vec![Applied::Unchanged; job.len()]).collect();
    let mut run: Vec<(Slot, RunFollow<'_>)> = Vec::new();
    let mut pairs: HashSet<(DbUuid, DbUuid)> = HashSet::new();
    for (index, job) in jobs.iter().enumerate() {
        for (position, transition) in job.iter().enumerate() {
            if let Transition::Follow { edge, notification, spend } = transition {
                if !pairs.insert((edge.follower.into(), edge.followee.into())) {
                    flush(c, &mut run, &mut outcomes, states)?;
                    pairs.clear();
                    pairs.insert((edge.follower.into(), edge.followee.into()));
                }
                run.push(((index, position), RunFollow { edge, notification, spend: *spend }));
                continue;
            }
            flush(c, &mut run, &mut outcomes, states)?;
            pairs.clear();
            let applied = c.apply_transition(transition)?;
            reread_spent_windows(c, std::slice::from_ref(transition), &[applied], states)?;
            if let Some(slot) = outcomes.get_mut(index).and_then(|job| job.get_mut(position)) {
                *slot = applied;
            }
        }
    }
    flush(c, &mut run, &mut outcomes, states)?;
    Ok(outcomes)
}

/// A request applied alone spends from its requester's window in the database; the
/// batch's later runs must see that, so the window is read again (requests that spend
/// are few beside follows).
fn reread_spent_windows<C: WindowReads>(
    c: &mut C,
    job: &[Transition],
    applied: &[Applied],
    states: &mut AccountStates,
) -> QueryResult<()> {
    for (transition, outcome) in job.iter().zip(applied) {
        if let (Transition::Request { request, spend: Some(_), .. }, Applied::Changed) = (transition, outcome) {
            let requester = DbUuid::from(request.requester);
            let window = c.quota_windows(&[requester])?.remove(&requester);
            if let Some(account) = states.get_mut(&requester) {
                account.window = window;
            }
        }
    }
    Ok(())
}

/// Applies the run gathered so far, as a set with the batch's locked accounts; a lone
/// follow of a batch of one job (which locked nothing) as the one transition it is.
fn flush<C: FollowRun + TransitionWrites>(
    c: &mut C,
    run: &mut Vec<(Slot, RunFollow<'_>)>,
    outcomes: &mut [Vec<Applied>],
    states: &mut AccountStates,
) -> QueryResult<()> {
    let applied = match run.as_slice() {
        [] => return Ok(()),
        [(_, follow)] if states.is_empty() => vec![c.apply_transition(&Transition::Follow {
            edge: *follow.edge,
            notification: follow.notification.clone(),
            spend: follow.spend,
        })?],
        _ => {
            let follows: Vec<RunFollow<'_>> = run.iter().map(|(_, follow)| *follow).collect();
            c.apply_follow_run(&follows, states)?
        }
    };
    for (((index, position), _), outcome) in run.drain(..).zip(applied) {
        if let Some(slot) = outcomes.get_mut(index).and_then(|job| job.get_mut(position)) {
            *slot = outcome;
        }
    }
    Ok(())
}
