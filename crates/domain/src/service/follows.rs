//! Follow and unfollow, and how two accounts stand.
//!
//! One path for each, asynchronous: the store answers through [`Pending`]
//! (`crate::pending`), so the use case awaits its writes and reads without holding a
//! thread, and decides their sequence itself:
//!
//! 1. Write first. The common follow (a public, unblocked target) and the common
//!    unfollow (an existing edge) are tried as their transition at once, without
//!    reading the pair. The transition's guard, checked in the write transaction,
//!    holds exactly when the decision read from the pair would have been that
//!    transition ([`follow_guard`](crate::relationship::follow_guard)), so a change it
//!    makes is the answer. A follow carries its spend of the actor's budget, which the
//!    store takes in the same transaction, and only when the edge is really created:
//!    an idempotent follow, a racing twin or a block costs nothing.
//! 2. Read on refusal. Only a refused guard (already following, a private target, a
//!    block, an unknown account, nothing to undo, a caller with no account yet) makes
//!    sure the caller has an account, reads the pair and decides, as every later
//!    attempt does.
//!
//! An account the store found past its limit is remembered until its window renews
//! (`spent_budgets`): its follows are refused at once, with nothing read or written (a
//! 429 should cost next to nothing, and says "try later" whatever the follow was).

use super::{GraphService, MAX_ATTEMPTS};
use crate::account::{Identity, Relation};
use crate::error::GraphError;
use crate::event::EndReason;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::notification::{Notification, NotificationKind};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, StoreError};
use crate::quota::Spend;
use crate::relationship::{
    Applied, Follow, FollowDecision, FollowRequest, RequestStatus, Transition, UnfollowDecision, decide_follow,
    decide_unfollow, notification,
};
use crate::service::Accounts;

/// What a follow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowOutcome {
    /// The target is public: the actor follows it now.
    Followed,
    /// The target is private: a request is waiting for its answer.
    Requested(FollowRequest),
    /// The actor already followed the target; nothing changed.
    AlreadyFollowing,
}

/// What an unfollow did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfollowOutcome {
    /// The edge is gone.
    Unfollowed,
    /// There was no edge but a pending request, which is withdrawn.
    RequestWithdrawn,
    /// There was nothing to undo.
    NotFollowing,
}

/// What an unfollow may undo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfollowScope {
    /// The edge, or else a pending request (SPEC: unfollowing withdraws a request).
    FollowOrRequest,
    /// Only an accepted follow; a pending request is left alone (seed 003's unfollow,
    /// whose cancel is a separate call).
    FollowOnly,
}

/// Follow use cases.
pub trait Follows {
    /// The caller follows `target`: at once when it is public, by request when
    /// private. The caller's account is provisioned on first sight, as
    /// [`Accounts::ensure_account`] does.
    ///
    /// # Errors
    /// [`GraphError::CannotFollowSelf`], [`GraphError::UserNotFound`],
    /// [`GraphError::Blocked`], [`GraphError::RequestAlreadyPending`],
    /// [`GraphError::RateLimited`] (the budget is used up), [`GraphError::AccountDeleted`];
    /// store errors.
    fn follow(
        &self,
        caller: &Identity,
        target: AccountId,
    ) -> impl Future<Output = Result<FollowOutcome, GraphError>> + Send;

    /// The caller stops following `target`, or (within `scope`) withdraws a pending
    /// request to it.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`], [`GraphError::AccountDeleted`]; store errors.
    fn unfollow(
        &self,
        caller: &Identity,
        target: AccountId,
        scope: UnfollowScope,
    ) -> impl Future<Output = Result<UnfollowOutcome, GraphError>> + Send;

    /// How `viewer` stands towards `target`.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn relation(&self, viewer: AccountId, target: AccountId) -> Result<Relation, GraphError>;

    /// `actor` removes `follower` from their followers, as if it had unfollowed.
    /// Returns whether there was such a follower.
    ///
    /// # Errors
    /// Store errors.
    fn remove_follower(&self, actor: AccountId, follower: AccountId) -> Result<bool, GraphError>;
}

impl<A, G, S, C, I, N> Follows for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    async fn follow(&self, caller: &Identity, target: AccountId) -> Result<FollowOutcome, GraphError> {
        let actor = caller.id;
        if actor == target {
            self.ensure_account(caller).await?;
            return Err(GraphError::CannotFollowSelf);
        }
        // Known to be past its limit: refused before anything is read or written.
        if let Some(retry_after) = self.spent_budgets.retry_after(actor, self.clock.now()) {
            return Err(rate_limited(retry_after));
        }
        if self.submit(actor, self.follow_transition(actor, target)).await? == Applied::Changed {
            return Ok(FollowOutcome::Followed);
        }
        self.ensure_account(caller).await?;
        for _ in 0..MAX_ATTEMPTS {
            let state = self.graph.pair(actor, target).await?;
            let (transition, outcome) = match decide_follow(&state)? {
                FollowDecision::AlreadyFollowing => return Ok(FollowOutcome::AlreadyFollowing),
                FollowDecision::Follow => (self.follow_transition(actor, target), FollowOutcome::Followed),
                FollowDecision::Request => {
                    let (transition, request) = self.request_transition(actor, target);
                    (transition, FollowOutcome::Requested(request))
                }
            };
            if self.submit(actor, transition).await? == Applied::Changed {
                return Ok(outcome);
            }
        }
        Err(contended())
    }

    async fn unfollow(
        &self,
        caller: &Identity,
        target: AccountId,
        scope: UnfollowScope,
    ) -> Result<UnfollowOutcome, GraphError> {
        let actor = caller.id;
        // An existing edge means both accounts are live (deleting one removes its edges).
        let unfollow = Transition::Unfollow { follower: actor, followee: target, reason: EndReason::Unfollow };
        if self.submit(actor, unfollow).await? == Applied::Changed {
            return Ok(UnfollowOutcome::Unfollowed);
        }
        self.ensure_account(caller).await?;
        for _ in 0..MAX_ATTEMPTS {
            let state = self.graph.pair(actor, target).await?;
            let (transition, outcome) = match (decide_unfollow(&state)?, scope) {
                (UnfollowDecision::NotFollowing, _) | (UnfollowDecision::Withdraw, UnfollowScope::FollowOnly) => {
                    return Ok(UnfollowOutcome::NotFollowing);
                }
                (UnfollowDecision::Unfollow, _) => (
                    Transition::Unfollow { follower: actor, followee: target, reason: EndReason::Unfollow },
                    UnfollowOutcome::Unfollowed,
                ),
                (UnfollowDecision::Withdraw, UnfollowScope::FollowOrRequest) => (
                    Transition::Cancel { requester: actor, target, at: self.clock.now(), reason: EndReason::Unfollow },
                    UnfollowOutcome::RequestWithdrawn,
                ),
            };
            if self.submit(actor, transition).await? == Applied::Changed {
                return Ok(outcome);
            }
        }
        Err(contended())
    }

    fn relation(&self, viewer: AccountId, target: AccountId) -> Result<Relation, GraphError> {
        if self.accounts.account(target)?.is_none() {
            return Err(GraphError::UserNotFound);
        }
        self.relation_to(viewer, target)
    }

    fn remove_follower(&self, actor: AccountId, follower: AccountId) -> Result<bool, GraphError> {
        let removal = Transition::Unfollow { follower, followee: actor, reason: EndReason::Removed };
        Ok(self.apply_one(removal)? == Applied::Changed)
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
    /// What a new follow or request costs its actor, if the budget is limited.
    fn spend(&self) -> Option<Spend> {
        self.follow_quota.map(|quota| Spend { quota, at: self.clock.now() })
    }

    /// `actor -> target` as a new edge, with the notification that tells the followee.
    pub(super) fn follow_transition(&self, actor: AccountId, target: AccountId) -> Transition {
        let now = self.clock.now();
        let notification_id = NotificationId::from_uuid(self.ids.new_id());
        Transition::Follow {
            edge: Follow { follower: actor, followee: target, created_at: now },
            notification: notification(notification_id, target, actor, NotificationKind::Follow, now),
            spend: self.spend(),
        }
    }

    /// A request from `actor` to follow `target`, with the notification that tells it.
    pub(super) fn request_transition(&self, actor: AccountId, target: AccountId) -> (Transition, FollowRequest) {
        let now = self.clock.now();
        let notification_id = NotificationId::from_uuid(self.ids.new_id());
        let request = FollowRequest {
            id: RequestId::from_uuid(self.ids.new_id()),
            requester: actor,
            target,
            status: RequestStatus::Pending,
            created_at: now,
            updated_at: None,
        };
        let note = Notification {
            request: Some(request.id),
            ..notification(notification_id, target, actor, NotificationKind::FollowRequest, now)
        };
        (Transition::Request { request, notification: note, spend: self.spend() }, request)
    }

    /// Applies one transition of `actor`'s, awaiting its commit, and publishes its
    /// notification when it changed something. A change proves `actor` live (a
    /// follow's guard found it so; an unfollow removed an edge, and a deleted account
    /// has none), so it is remembered as found live. A used-up budget is remembered
    /// and answered as [`GraphError::RateLimited`].
    async fn submit(&self, actor: AccountId, transition: Transition) -> Result<Applied, GraphError> {
        let notification = transition.notification().cloned();
        let outcome = self.graph.apply(vec![transition]).await;
        let applied = self.published(notification.as_ref(), outcome)?;
        let now = self.clock.now();
        match applied {
            Applied::Changed => self.live_callers.remember(actor, now),
            Applied::Exhausted { retry_after } => {
                self.spent_budgets.remember(actor, now + retry_after, now);
                return Err(rate_limited(retry_after));
            }
            Applied::Unchanged => {}
        }
        Ok(applied)
    }
}

pub(super) fn rate_limited(retry_after: chrono::Duration) -> GraphError {
    GraphError::RateLimited { retry_after_secs: u64::try_from(retry_after.num_seconds()).unwrap_or(0).max(1) }
}

/// Every attempt lost a race: rare enough to answer "try again".
fn contended() -> GraphError {
    GraphError::Store(StoreError::Unavailable("the relationship kept changing; try again".into()))
}

#[cfg(test)]
mod tests {
    use mockall::predicate::eq;

    use super::super::fixtures::*;
    use super::*;
    use crate::pending::Pending;
    use crate::quota::FollowQuota;

    fn applied(outcome: Applied) -> Pending<Vec<Applied>> {
        Pending::ready(Ok(vec![outcome]))
    }

    fn caller(id: AccountId) -> Identity {
        Identity { id, username: None, name: None }
    }

    fn is_follow(t: &Vec<Transition>) -> bool {
        matches!(t.as_slice(), [Transition::Follow { .. }])
    }

    fn follow(service: &TestService, a: AccountId, b: AccountId) -> Result<FollowOutcome, GraphError> {
        ready(service.follow(&caller(a), b))
    }

    fn unfollow(
        service: &TestService,
        a: AccountId,
        b: AccountId,
        scope: UnfollowScope,
    ) -> Result<UnfollowOutcome, GraphError> {
        ready(service.unfollow(&caller(a), b, scope))
    }

    /// The caller is found live when its row is read.
    fn live_caller(ports: &mut Ports) {
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(crate::ports::Presence::Live)));
    }

    #[test]
    fn following_a_public_account_creates_the_edge_and_notifies_without_reading() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().never();
        ports.accounts.expect_presence().never();
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t.as_slice(), [Transition::Follow { edge, notification, spend: None }]
                if edge.follower == a && edge.followee == b && notification.recipient == b
                    && notification.kind == NotificationKind::Follow)
            })
            .times(1)
            .returning(|_| applied(Applied::Changed));
        ports.notifier.expect_publish().withf(move |n| n.len() == 1 && n[0].actor == a).times(1).return_const(());
        let service = ports.service();
        assert_eq!(follow(&service, a, b), Ok(FollowOutcome::Followed));
        // The follow proved the caller live: making sure of it reads nothing.
        assert_eq!(ready(service.ensure_account(&caller(a))), Ok(()));
    }

    #[test]
    fn following_a_private_account_sends_a_request_once_the_follow_is_refused() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut order = mockall::Sequence::new();
        ports
            .graph
            .expect_apply()
            .withf(is_follow)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| applied(Applied::Unchanged));
        ports
            .graph
            .expect_pair()
            .with(eq(a), eq(b))
            .times(1)
            .in_sequence(&mut order)
            .returning(move |_, _| Pending::ready(Ok(pair(a, b, true))));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t.as_slice(), [Transition::Request { request, notification, .. }]
                if request.requester == a && request.status == RequestStatus::Pending
                    && notification.kind == NotificationKind::FollowRequest)
            })
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| applied(Applied::Changed));
        ports.notifier.expect_publish().times(1).return_const(());
        let outcome = follow(&ports.service(), a, b).unwrap();
        assert!(matches!(outcome, FollowOutcome::Requested(r) if r.target == b));
    }

    #[test]
    fn a_refused_follow_is_read_and_answered_as_already_following() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        ports.graph.expect_apply().times(1).returning(|_| applied(Applied::Unchanged));
        ports.graph.expect_pair().times(1).returning(move |_, _| Pending::ready(Ok(following(a, b))));
        ports.notifier.expect_publish().never();
        assert_eq!(follow(&ports.service(), a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn a_lost_race_is_read_again_and_answered_as_already_following() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut reads = mockall::Sequence::new();
        ports
            .graph
            .expect_pair()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_, _| Pending::ready(Ok(pair(a, b, false))));
        ports
            .graph
            .expect_pair()
            .times(1)
            .in_sequence(&mut reads)
            .returning(move |_, _| Pending::ready(Ok(following(a, b))));
        // The first try, then the one the first read decided: both lost to a twin.
        ports.graph.expect_apply().times(2).returning(|_| applied(Applied::Unchanged));
        ports.notifier.expect_publish().never();
        assert_eq!(follow(&ports.service(), a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn endless_races_give_up_with_a_retryable_error() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        ports.graph.expect_pair().times(MAX_ATTEMPTS).returning(move |_, _| Pending::ready(Ok(pair(a, b, false))));
        ports.graph.expect_apply().times(MAX_ATTEMPTS + 1).returning(|_| applied(Applied::Unchanged));
        assert!(matches!(follow(&ports.service(), a, b), Err(GraphError::Store(StoreError::Unavailable(_)))));
    }

    #[test]
    fn with_a_quota_the_follow_carries_its_spend_and_a_used_up_budget_is_remembered() {
        let (a, b, c) = (account_id(), account_id(), account_id());
        let mut ports = Ports::new();
        let quota = FollowQuota::per_hour(100);
        // The first follow spends and is refused by the store: the budget is used up.
        ports
            .graph
            .expect_apply()
            .withf(move |t| matches!(t.as_slice(), [Transition::Follow { spend: Some(s), .. }] if s.quota == quota))
            .times(1)
            .returning(|_| applied(Applied::Exhausted { retry_after: chrono::Duration::seconds(90) }));
        // Later follows are refused until the window renews, with nothing read.
        ports.graph.expect_pair().never();
        ports.accounts.expect_presence().never();
        ports.notifier.expect_publish().never();
        let service = ports.service().with_follow_quota(quota);
        assert_eq!(follow(&service, a, b), Err(GraphError::RateLimited { retry_after_secs: 90 }));
        assert_eq!(follow(&service, a, b), Err(GraphError::RateLimited { retry_after_secs: 90 }));
        assert_eq!(follow(&service, a, c), Err(GraphError::RateLimited { retry_after_secs: 90 }));
    }

    #[test]
    fn refusals_are_decided_from_the_pair_and_publish_nothing() {
        let a = account_id();
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut missing = pair(a, account_id(), false);
        missing.target_standing = crate::relationship::Standing::Missing;
        ports.graph.expect_pair().times(1).returning(move |_, _| Pending::ready(Ok(missing)));
        ports.graph.expect_apply().withf(is_follow).times(1).returning(|_| applied(Applied::Unchanged));
        ports.notifier.expect_publish().never();
        assert_eq!(follow(&ports.service(), a, account_id()), Err(GraphError::UserNotFound));
    }

    #[test]
    fn a_caller_seen_for_the_first_time_is_provisioned_after_a_refused_try() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut order = mockall::Sequence::new();
        ports
            .graph
            .expect_apply()
            .withf(is_follow)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| applied(Applied::Unchanged));
        ports
            .accounts
            .expect_presence()
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Pending::ready(Ok(crate::ports::Presence::Missing)));
        ports
            .accounts
            .expect_insert_account()
            .withf(move |n| n.id == a)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Pending::ready(Ok(Applied::Changed)));
        ports
            .graph
            .expect_pair()
            .times(1)
            .in_sequence(&mut order)
            .returning(move |_, _| Pending::ready(Ok(pair(a, b, false))));
        ports
            .graph
            .expect_apply()
            .withf(is_follow)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| applied(Applied::Changed));
        ports.notifier.expect_publish().times(1).return_const(());
        assert_eq!(follow(&ports.service(), a, b), Ok(FollowOutcome::Followed));
    }

    #[test]
    fn following_oneself_is_refused_without_a_write() {
        let a = account_id();
        let mut ports = Ports::new();
        live_caller(&mut ports);
        ports.graph.expect_pair().never();
        ports.graph.expect_apply().never();
        assert_eq!(follow(&ports.service(), a, a), Err(GraphError::CannotFollowSelf));
    }

    #[test]
    fn a_deleted_caller_is_refused() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_apply().returning(|_| applied(Applied::Unchanged));
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(crate::ports::Presence::Deleted)));
        ports.graph.expect_pair().never();
        let service = ports.service();
        assert_eq!(follow(&service, a, b), Err(GraphError::AccountDeleted));
        assert_eq!(unfollow(&service, a, b, UnfollowScope::FollowOrRequest), Err(GraphError::AccountDeleted));
    }

    #[test]
    fn store_errors_pass_through() {
        let failure = || StoreError::Failure("disk".into());
        let mut ports = Ports::new();
        ports.graph.expect_apply().returning(move |_| Pending::ready(Err(failure())));
        assert_eq!(follow(&ports.service(), account_id(), account_id()), Err(GraphError::Store(failure())));

        let mut ports = Ports::new();
        live_caller(&mut ports);
        ports.graph.expect_apply().returning(|_| applied(Applied::Unchanged));
        ports.graph.expect_pair().returning(move |_, _| Pending::ready(Err(failure())));
        assert_eq!(follow(&ports.service(), account_id(), account_id()), Err(GraphError::Store(failure())));
    }

    #[test]
    fn unfollow_removes_the_edge_without_reading() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().never();
        ports.accounts.expect_presence().never();
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                t.as_slice() == [Transition::Unfollow { follower: a, followee: b, reason: EndReason::Unfollow }]
            })
            .times(1)
            .returning(|_| applied(Applied::Changed));
        ports.notifier.expect_publish().never();
        assert_eq!(unfollow(&ports.service(), a, b, UnfollowScope::FollowOrRequest), Ok(UnfollowOutcome::Unfollowed));
    }

    #[test]
    fn unfollow_without_an_edge_withdraws_a_pending_request_within_its_scope() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        let mut pending = pair(a, b, true);
        pending.request = Some(request(a, b, RequestStatus::Pending));
        let unfollow_t = Transition::Unfollow { follower: a, followee: b, reason: EndReason::Unfollow };
        let cancel = Transition::Cancel { requester: a, target: b, at: now(), reason: EndReason::Unfollow };
        ports
            .graph
            .expect_apply()
            .withf(move |t| t.as_slice() == [unfollow_t.clone()])
            .times(2)
            .returning(|_| applied(Applied::Unchanged));
        ports.graph.expect_pair().times(2).returning(move |_, _| Pending::ready(Ok(pending)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| t.as_slice() == [cancel.clone()])
            .times(1)
            .returning(|_| applied(Applied::Changed));
        let service = ports.service();
        assert_eq!(
            unfollow(&service, a, b, UnfollowScope::FollowOnly),
            Ok(UnfollowOutcome::NotFollowing),
            "left alone"
        );
        assert_eq!(unfollow(&service, a, b, UnfollowScope::FollowOrRequest), Ok(UnfollowOutcome::RequestWithdrawn));
    }

    #[test]
    fn unfollow_without_an_edge_or_request_changes_nothing() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        live_caller(&mut ports);
        ports.graph.expect_pair().times(1).returning(move |_, _| Pending::ready(Ok(pair(a, b, false))));
        ports.graph.expect_apply().times(1).returning(|_| applied(Applied::Unchanged));
        ports.notifier.expect_publish().never();
        assert_eq!(unfollow(&ports.service(), a, b, UnfollowScope::FollowOrRequest), Ok(UnfollowOutcome::NotFollowing));
    }

    #[test]
    fn relation_of_self_and_of_others() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.accounts.expect_account().returning(|id| Ok(Some(sample_account(id))));
        let relation = Relation { is_following: true, follows_viewer: true, ..Relation::default() };
        ports.graph.expect_relations().withf(move |v, t| *v == a && t == [b]).return_const(Ok(vec![(b, relation)]));
        let service = ports.service();
        assert!(service.relation(a, a).unwrap().is_self);
        assert!(service.relation(a, b).unwrap().is_mutual());
    }
}
