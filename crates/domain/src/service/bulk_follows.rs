//! Following and unfollowing up to 100 accounts in one call, through the one follow
//! path: each account's change is decided by the same state machine as a single
//! follow ([`decide_follow`], [`decide_unfollow`]), carries the same notification and
//! budget spend, and the store applies them all in one transaction (as one run of
//! follows, see the store's `follow_run`), where each transition's own guard is
//! checked on the locked rows.
//!
//! The pairs are read in one snapshot first (a bulk call is mostly changes, so the
//! single follow's "write first" would cost a refused write per refusal); a guard
//! that failed because the pair changed since the read is read and decided again, as
//! a single follow retries, and committed in a later transaction.

use std::collections::HashSet;

use super::follows::rate_limited;
use super::{GraphService, MAX_ATTEMPTS};
use crate::account::Identity;
use crate::bulk::{BulkFollowOutcome, BulkItem, BulkResult, BulkUnfollowOutcome, MAX_BULK};
use crate::error::GraphError;
use crate::event::EndReason;
use crate::ids::AccountId;
use crate::notification::Notification;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, StoreError};
use crate::relationship::{
    Applied, FollowDecision, RequestStatus, Transition, UnfollowDecision, decide_follow, decide_unfollow,
};
use crate::service::Accounts;

/// Bulk follow use cases.
pub trait BulkFollows {
    /// The caller follows each of `targets` (1 to 100 distinct ids) as
    /// [`Follows::follow`](super::Follows::follow) would, all committed together;
    /// one item per id, in the order given. Refusals are outcomes, not errors; items
    /// past the caller's budget are [`BulkFollowOutcome::RateLimited`] and the answer
    /// says when the budget renews.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for no ids, more than 100 or a repeated one;
    /// [`GraphError::AccountDeleted`]; store errors.
    fn follow_many(
        &self,
        caller: &Identity,
        targets: &[AccountId],
    ) -> impl Future<Output = Result<BulkResult<BulkFollowOutcome>, GraphError>> + Send;

    /// The caller unfollows (or withdraws its pending request to) each of `targets`,
    /// as [`Follows::unfollow`](super::Follows::unfollow) would, all committed together.
    ///
    /// # Errors
    /// As [`BulkFollows::follow_many`].
    fn unfollow_many(
        &self,
        caller: &Identity,
        targets: &[AccountId],
    ) -> impl Future<Output = Result<BulkResult<BulkUnfollowOutcome>, GraphError>> + Send;
}

/// Checks a bulk call's ids: 1 to [`MAX_BULK`], each once.
fn check_bulk(targets: &[AccountId]) -> Result<(), GraphError> {
    if targets.is_empty() || targets.len() > MAX_BULK {
        return Err(GraphError::InvalidInput(format!("user_ids must name 1 to {MAX_BULK} accounts")));
    }
    let mut seen = HashSet::with_capacity(targets.len());
    if !targets.iter().all(|id| seen.insert(*id)) {
        return Err(GraphError::InvalidInput("user_ids must not repeat an id".into()));
    }
    Ok(())
}

const fn item<O>(target: AccountId, outcome: O, is_following: bool, pending: bool) -> BulkItem<O> {
    BulkItem {
        target,
        outcome,
        is_following,
        request_status: if pending { Some(RequestStatus::Pending) } else { None },
    }
}

/// A transition planned for one item, with what its change means.
struct Planned<O> {
    index: usize,
    transition: Transition,
    outcome: BulkItem<O>,
}

impl<A, G, S, C, I, N> BulkFollows for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    async fn follow_many(
        &self,
        caller: &Identity,
        targets: &[AccountId],
    ) -> Result<BulkResult<BulkFollowOutcome>, GraphError> {
        check_bulk(targets)?;
        self.ensure_account(caller).await?;
        let actor = caller.id;
        let mut items: Vec<Option<BulkItem<BulkFollowOutcome>>> = vec![None; targets.len()];
        // Known to be past its limit: nothing that would spend is written.
        let mut spent = self.spent_budgets.retry_after(actor, self.clock.now());
        let mut open: Vec<usize> = (0..targets.len()).collect();
        for _ in 0..MAX_ATTEMPTS {
            if open.is_empty() {
                break;
            }
            let asked: Vec<AccountId> = open.iter().filter_map(|i| targets.get(*i).copied()).collect();
            let states = self.graph.pairs(actor, asked).await?;
            let mut planned = Vec::new();
            for (index, state) in open.iter().copied().zip(states) {
                let target = state.target;
                let decided = match decide_follow(&state) {
                    Err(GraphError::UserNotFound) => item(target, BulkFollowOutcome::NotFound, false, false),
                    Err(GraphError::CannotFollowSelf) => item(target, BulkFollowOutcome::SelfFollow, false, false),
                    Err(GraphError::Blocked) => item(target, BulkFollowOutcome::Blocked, false, false),
                    Err(GraphError::RequestAlreadyPending) => {
                        item(target, BulkFollowOutcome::AlreadyRequested, false, true)
                    }
                    Err(other) => return Err(other),
                    Ok(FollowDecision::AlreadyFollowing) => {
                        item(target, BulkFollowOutcome::AlreadyFollowing, true, false)
                    }
                    Ok(_) if spent.is_some() => item(target, BulkFollowOutcome::RateLimited, false, false),
                    Ok(FollowDecision::Follow) => {
                        let transition = self.follow_transition(actor, target);
                        let outcome = item(target, BulkFollowOutcome::Followed, true, false);
                        planned.push(Planned { index, transition, outcome });
                        continue;
                    }
                    Ok(FollowDecision::Request) => {
                        let (transition, _) = self.request_transition(actor, target);
                        let outcome = item(target, BulkFollowOutcome::Requested, false, true);
                        planned.push(Planned { index, transition, outcome });
                        continue;
                    }
                };
                if let Some(slot) = items.get_mut(index) {
                    *slot = Some(decided);
                }
            }
            let limited =
                |p: &Planned<BulkFollowOutcome>| item(p.outcome.target, BulkFollowOutcome::RateLimited, false, false);
            open = self.commit_planned(actor, planned, &mut items, &mut spent, limited).await?;
        }
        let mut result = finish(items, open, spent)?;
        // A budget known to be spent matters only when an item was refused for it.
        if !result.items.iter().any(|i| i.outcome == BulkFollowOutcome::RateLimited) {
            result.retry_after_secs = None;
        }
        Ok(result)
    }

    async fn unfollow_many(
        &self,
        caller: &Identity,
        targets: &[AccountId],
    ) -> Result<BulkResult<BulkUnfollowOutcome>, GraphError> {
        check_bulk(targets)?;
        self.ensure_account(caller).await?;
        let actor = caller.id;
        let mut items: Vec<Option<BulkItem<BulkUnfollowOutcome>>> = vec![None; targets.len()];
        let mut spent = None;
        let mut open: Vec<usize> = (0..targets.len()).collect();
        for _ in 0..MAX_ATTEMPTS {
            if open.is_empty() {
                break;
            }
            let asked: Vec<AccountId> = open.iter().filter_map(|i| targets.get(*i).copied()).collect();
            let states = self.graph.pairs(actor, asked).await?;
            let mut planned = Vec::new();
            for (index, state) in open.iter().copied().zip(states) {
                let target = state.target;
                let decided = match decide_unfollow(&state) {
                    Err(GraphError::UserNotFound) => item(target, BulkUnfollowOutcome::NotFound, false, false),
                    Err(other) => return Err(other),
                    Ok(UnfollowDecision::NotFollowing) => item(target, BulkUnfollowOutcome::NotFollowing, false, false),
                    Ok(UnfollowDecision::Unfollow) => {
                        let transition =
                            Transition::Unfollow { follower: actor, followee: target, reason: EndReason::Unfollow };
                        let outcome = item(target, BulkUnfollowOutcome::Unfollowed, false, false);
                        planned.push(Planned { index, transition, outcome });
                        continue;
                    }
                    Ok(UnfollowDecision::Withdraw) => {
                        let transition = Transition::Cancel {
                            requester: actor,
                            target,
                            at: self.clock.now(),
                            reason: EndReason::Unfollow,
                        };
                        let outcome = item(target, BulkUnfollowOutcome::RequestWithdrawn, false, false);
                        planned.push(Planned { index, transition, outcome });
                        continue;
                    }
                };
                if let Some(slot) = items.get_mut(index) {
                    *slot = Some(decided);
                }
            }
            open = self.commit_planned(actor, planned, &mut items, &mut spent, |p| p.outcome).await?;
        }
        finish(items, open, spent)
    }
}

impl<A, G, S, C, I, N> GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    /// Applies the planned transitions in one transaction, fills in the items whose
    /// transition changed something (or ran out of budget: `limited`), publishes the
    /// notifications stored, and returns the items whose guard failed (to decide
    /// again).
    async fn commit_planned<O: Copy>(
        &self,
        actor: AccountId,
        planned: Vec<Planned<O>>,
        items: &mut [Option<BulkItem<O>>],
        spent: &mut Option<chrono::Duration>,
        limited: impl Fn(&Planned<O>) -> BulkItem<O>,
    ) -> Result<Vec<usize>, GraphError> {
        if planned.is_empty() {
            return Ok(Vec::new());
        }
        let transitions: Vec<Transition> = planned.iter().map(|p| p.transition.clone()).collect();
        let outcomes = self.graph.apply(transitions).await?;
        if outcomes.len() != planned.len() {
            return Err(StoreError::Failure("apply returned a different number of outcomes".into()).into());
        }
        let now = self.clock.now();
        let mut stored: Vec<Notification> = Vec::new();
        let mut again = Vec::new();
        for (plan, applied) in planned.iter().zip(outcomes) {
            let answer = match applied {
                Applied::Changed => {
                    stored.extend(plan.transition.notification().cloned());
                    plan.outcome
                }
                Applied::Exhausted { retry_after } => {
                    self.spent_budgets.remember(actor, now + retry_after, now);
                    *spent = Some(retry_after);
                    limited(plan)
                }
                Applied::Unchanged => {
                    again.push(plan.index);
                    continue;
                }
            };
            if let Some(slot) = items.get_mut(plan.index) {
                *slot = Some(answer);
            }
        }
        if !stored.is_empty() {
            self.notifier.publish(&stored);
        }
        self.live_callers.remember(actor, now);
        Ok(again)
    }
}

/// The answer once every item is decided; items still open after every attempt lost
/// their races (rare enough to answer "try again").
fn finish<O>(
    items: Vec<Option<BulkItem<O>>>,
    open: Vec<usize>,
    spent: Option<chrono::Duration>,
) -> Result<BulkResult<O>, GraphError> {
    let items: Option<Vec<BulkItem<O>>> = if open.is_empty() { items.into_iter().collect() } else { None };
    let items = items.ok_or_else(|| {
        GraphError::Store(StoreError::Unavailable("the relationships kept changing; try again".into()))
    })?;
    let retry_after_secs = spent.map(|retry_after| match rate_limited(retry_after) {
        GraphError::RateLimited { retry_after_secs } => retry_after_secs,
        _ => 1,
    });
    Ok(BulkResult { items, retry_after_secs })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::pending::Pending;
    use crate::ports::Presence;
    use crate::quota::FollowQuota;
    use crate::relationship::{PairState, Standing};

    fn caller(id: AccountId) -> Identity {
        Identity { id, username: None, name: None }
    }

    fn live_caller(ports: &mut Ports) {
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Live)));
    }

    fn outcomes<O: Copy>(result: &BulkResult<O>) -> Vec<O> {
        result.items.iter().map(|i| i.outcome).collect()
    }

    #[test]
    fn one_read_decides_every_pair_and_one_apply_commits_the_changes() {
        let (a, public, private, followed, missing, blocked) =
            (account_id(), account_id(), account_id(), account_id(), account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let states = vec![
            pair(a, public, false),
            pair(a, private, true),
            following(a, followed),
            PairState { target_standing: Standing::Missing, ..pair(a, missing, false) },
            PairState { blocked: true, ..pair(a, blocked, false) },
            pair(a, a, false),
        ];
        ports.graph.expect_pairs().times(1).returning(move |_, _| Pending::ready(Ok(states.clone())));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t.as_slice(), [Transition::Follow { edge, .. }, Transition::Request { request, .. }]
                    if edge.followee == public && request.target == private)
            })
            .times(1)
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed, Applied::Changed])));
        ports.notifier.expect_publish().withf(|n| n.len() == 2).times(1).return_const(());
        let service = ports.service();
        let result = ready(service.follow_many(&caller(a), &[public, private, followed, missing, blocked, a])).unwrap();
        assert_eq!(
            outcomes(&result),
            [
                BulkFollowOutcome::Followed,
                BulkFollowOutcome::Requested,
                BulkFollowOutcome::AlreadyFollowing,
                BulkFollowOutcome::NotFound,
                BulkFollowOutcome::Blocked,
                BulkFollowOutcome::SelfFollow,
            ]
        );
        assert_eq!(result.items[1].request_status, Some(RequestStatus::Pending));
        assert_eq!(result.retry_after_secs, None);
    }

    #[test]
    fn a_lost_race_is_decided_again_and_a_spent_budget_is_reported() {
        let (a, b, c) = (account_id(), account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut reads = mockall::Sequence::new();
        ports
            .graph
            .expect_pairs()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_, _| Pending::ready(Ok(vec![pair(a, b, false), pair(a, c, false)])));
        // b's follow lost to a racing twin; c ran out of budget.
        ports
            .graph
            .expect_pairs()
            .withf(move |_, t| t == &[b])
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_, _| Pending::ready(Ok(vec![following(a, b)])));
        let exhausted = Applied::Exhausted { retry_after: chrono::Duration::seconds(42) };
        ports.graph.expect_apply().times(1).returning(move |_| Pending::ready(Ok(vec![Applied::Unchanged, exhausted])));
        ports.notifier.expect_publish().never();
        let service = ports.service().with_follow_quota(FollowQuota::per_hour(1));
        let result = ready(service.follow_many(&caller(a), &[b, c])).unwrap();
        assert_eq!(outcomes(&result), [BulkFollowOutcome::AlreadyFollowing, BulkFollowOutcome::RateLimited]);
        assert_eq!(result.retry_after_secs, Some(42));
    }

    #[test]
    fn bad_id_lists_are_refused_before_anything_is_read() {
        let a = account_id();
        let mut ports = Ports::new();
        ports.accounts.expect_presence().never();
        ports.graph.expect_pairs().never();
        let service = ports.service();
        let b = account_id();
        for ids in [vec![], vec![b, b], (0..=MAX_BULK).map(|_| account_id()).collect()] {
            assert!(matches!(ready(service.follow_many(&caller(a), &ids)), Err(GraphError::InvalidInput(_))));
            assert!(matches!(ready(service.unfollow_many(&caller(a), &ids)), Err(GraphError::InvalidInput(_))));
        }
    }

    #[test]
    fn bulk_unfollow_removes_edges_and_withdraws_requests() {
        let (a, b, c, d) = (account_id(), account_id(), account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut asked = pair(a, c, true);
        asked.request = Some(request(a, c, RequestStatus::Pending));
        ports
            .graph
            .expect_pairs()
            .returning(move |_, _| Pending::ready(Ok(vec![following(a, b), asked, pair(a, d, false)])));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                t.as_slice()
                    == [
                        Transition::Unfollow { follower: a, followee: b, reason: EndReason::Unfollow },
                        Transition::Cancel { requester: a, target: c, at: now(), reason: EndReason::Unfollow },
                    ]
            })
            .times(1)
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed, Applied::Changed])));
        let result = ready(ports.service().unfollow_many(&caller(a), &[b, c, d])).unwrap();
        assert_eq!(
            outcomes(&result),
            [BulkUnfollowOutcome::Unfollowed, BulkUnfollowOutcome::RequestWithdrawn, BulkUnfollowOutcome::NotFollowing]
        );
    }
}
