//! Follow and unfollow, and how two accounts stand.
//!
//! Write first, read on refusal: the common follow (a public, unblocked target) and
//! the common unfollow (an existing edge) are tried as their transition at once,
//! without reading the pair first. The transition's guard, checked in the write
//! transaction, holds exactly when the decision read from the pair would have been
//! that transition, so a change it makes is the answer. Only a refused guard (already
//! following, a private target, a block, an unknown account, nothing to undo) reads
//! the pair and decides, as every later attempt does. A follow quota needs the
//! decision before the budget is taken (idempotent follows cost nothing), so with one
//! the follow always reads first.

use super::{GraphService, MAX_ATTEMPTS};
use crate::account::Relation;
use crate::error::GraphError;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::notification::{Notification, NotificationKind};
use crate::pending::ApplyOutcome;
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier, QuotaDecision, StoreError};
use crate::relationship::{
    Applied, Follow, FollowDecision, FollowRequest, RequestStatus, Transition, UnfollowDecision, decide_follow,
    decide_unfollow, notification,
};

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

/// Follow use cases.
pub trait Follows {
    /// `actor` follows `target`: at once when it is public, by request when private.
    ///
    /// # Errors
    /// [`GraphError::CannotFollowSelf`], [`GraphError::UserNotFound`],
    /// [`GraphError::Blocked`], [`GraphError::RequestAlreadyPending`]; store errors.
    fn follow(&self, actor: AccountId, target: AccountId) -> Result<FollowOutcome, GraphError>;

    /// `actor` stops following `target`, or withdraws a pending request to it.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn unfollow(&self, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError>;

    /// How `viewer` stands towards `target`.
    ///
    /// # Errors
    /// [`GraphError::UserNotFound`]; store errors.
    fn relation(&self, viewer: AccountId, target: AccountId) -> Result<Relation, GraphError>;

    /// [`Follows::follow`] without its write-first try: reads the pair, decides, applies.
    /// For a caller whose awaited try ([`Follows::try_follow`]) did not answer, so that a
    /// refused guard is not tried twice.
    ///
    /// # Errors
    /// As [`Follows::follow`].
    fn follow_read_first(&self, actor: AccountId, target: AccountId) -> Result<FollowOutcome, GraphError>;

    /// [`Follows::unfollow`] without its write-first try, as [`Follows::follow_read_first`].
    ///
    /// # Errors
    /// As [`Follows::unfollow`].
    fn unfollow_read_first(&self, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError>;

    /// The write-first try of [`Follows::follow`], awaited on the caller's executor
    /// instead of a blocking thread (see [`crate::pending`]). `Ok(Some(Followed))`
    /// when it followed. `Ok(None)` when the answer needs reads, which only
    /// [`Follows::follow`] makes (on a blocking thread): a follow quota is set, the store
    /// does not group-commit, or the transition's guard refused (already following,
    /// private, blocked, unknown; or the caller has no live account yet). Finish with
    /// the caller's account ensured and [`Follows::follow_read_first`] then.
    ///
    /// The caller's account is not read first: the guard requires both accounts live
    /// inside the write transaction, so a try that followed proves the caller live (and
    /// it is remembered so, see [`Accounts::ensure_account`](super::Accounts::ensure_account)),
    /// and a caller still to be provisioned, or deleted, is refused and read.
    ///
    /// # Errors
    /// Store errors.
    fn try_follow(
        &self,
        actor: AccountId,
        target: AccountId,
    ) -> impl Future<Output = Result<Option<FollowOutcome>, GraphError>>;

    /// The write-first try of [`Follows::unfollow`], as [`Follows::try_follow`]:
    /// `Ok(Some(Unfollowed))` when it removed the edge, `Ok(None)` when the answer needs
    /// reads (no edge: a pending request to withdraw, or nothing to undo); finish with
    /// [`Follows::unfollow_read_first`] then.
    ///
    /// # Errors
    /// Store errors.
    fn try_unfollow(
        &self,
        actor: AccountId,
        target: AccountId,
    ) -> impl Future<Output = Result<Option<UnfollowOutcome>, GraphError>>;

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
    fn follow(&self, actor: AccountId, target: AccountId) -> Result<FollowOutcome, GraphError> {
        if self.follows_write_first(actor, target)
            && self.apply_one(&self.follow_transition(actor, target))? == Applied::Changed
        {
            return Ok(FollowOutcome::Followed);
        }
        self.follow_read_first(actor, target)
    }

    fn follow_read_first(&self, actor: AccountId, target: AccountId) -> Result<FollowOutcome, GraphError> {
        let mut budget_taken = false;
        for _ in 0..MAX_ATTEMPTS {
            let state = self.graph.pair(actor, target)?;
            let (transition, outcome) = match decide_follow(&state)? {
                FollowDecision::AlreadyFollowing => return Ok(FollowOutcome::AlreadyFollowing),
                FollowDecision::Follow => (self.follow_transition(actor, target), FollowOutcome::Followed),
                FollowDecision::Request => {
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
                    let note = notification(notification_id, target, actor, NotificationKind::FollowRequest, now);
                    (Transition::Request { request, notification: note }, FollowOutcome::Requested(request))
                }
            };
            if !budget_taken {
                self.take_follow_budget(actor, self.clock.now())?;
                budget_taken = true;
            }
            if self.apply_one(&transition)? == Applied::Changed {
                return Ok(outcome);
            }
        }
        Err(contended())
    }

    fn unfollow(&self, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError> {
        // An existing edge means both accounts are live (deleting one removes its edges).
        let unfollow = Transition::Unfollow { follower: actor, followee: target };
        if self.apply_one(&unfollow)? == Applied::Changed {
            return Ok(UnfollowOutcome::Unfollowed);
        }
        self.unfollow_read_first(actor, target)
    }

    fn unfollow_read_first(&self, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError> {
        for _ in 0..MAX_ATTEMPTS {
            let state = self.graph.pair(actor, target)?;
            let (transition, outcome) = match decide_unfollow(&state)? {
                UnfollowDecision::NotFollowing => return Ok(UnfollowOutcome::NotFollowing),
                UnfollowDecision::Unfollow => {
                    (Transition::Unfollow { follower: actor, followee: target }, UnfollowOutcome::Unfollowed)
                }
                UnfollowDecision::Withdraw => {
                    (Transition::Cancel { requester: actor, target }, UnfollowOutcome::RequestWithdrawn)
                }
            };
            if self.apply_one(&transition)? == Applied::Changed {
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

    async fn try_follow(&self, actor: AccountId, target: AccountId) -> Result<Option<FollowOutcome>, GraphError> {
        if !self.follows_write_first(actor, target) {
            return Ok(None);
        }
        let follow = self.follow_transition(actor, target);
        let changed = self.submit_one(actor, follow).await? == Applied::Changed;
        Ok(changed.then_some(FollowOutcome::Followed))
    }

    async fn try_unfollow(&self, actor: AccountId, target: AccountId) -> Result<Option<UnfollowOutcome>, GraphError> {
        let unfollow = Transition::Unfollow { follower: actor, followee: target };
        let changed = self.submit_one(actor, unfollow).await? == Applied::Changed;
        Ok(changed.then_some(UnfollowOutcome::Unfollowed))
    }

    fn remove_follower(&self, actor: AccountId, follower: AccountId) -> Result<bool, GraphError> {
        let removal = Transition::Unfollow { follower, followee: actor };
        Ok(self.apply_one(&removal)? == Applied::Changed)
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
    /// Whether a follow may be tried before deciding: not with a quota (an idempotent
    /// follow must not spend budget, so the decision comes first), nor of oneself.
    fn follows_write_first(&self, actor: AccountId, target: AccountId) -> bool {
        self.follow_quota.is_none() && actor != target
    }

    /// `actor -> target` as a new edge, with the notification that tells the followee.
    fn follow_transition(&self, actor: AccountId, target: AccountId) -> Transition {
        let now = self.clock.now();
        let notification_id = NotificationId::from_uuid(self.ids.new_id());
        Transition::Follow {
            edge: Follow { follower: actor, followee: target, created_at: now },
            notification: notification(notification_id, target, actor, NotificationKind::Follow, now),
        }
    }

    /// Takes one unit of the actor's budget for new follows and requests, if limited.
    fn take_follow_budget(&self, actor: AccountId, now: crate::Timestamp) -> Result<(), GraphError> {
        let Some(quota) = self.follow_quota else {
            return Ok(());
        };
        match self.accounts.take_follow_quota(actor, quota.limit, quota.window, now)? {
            QuotaDecision::Granted => Ok(()),
            QuotaDecision::Exhausted { retry_after } => Err(GraphError::RateLimited {
                retry_after_secs: u64::try_from(retry_after.num_seconds()).unwrap_or(0).max(1),
            }),
        }
    }

    /// Applies one transition and, when it changed something, publishes its notification.
    pub(super) fn apply_one(&self, transition: &Transition) -> Result<Applied, GraphError> {
        let outcome = self.graph.apply(std::slice::from_ref(transition));
        self.published(transition.notification(), outcome)
    }

    /// As [`Self::apply_one`], awaiting the store's group commit without blocking.
    /// A store that cannot answer that way counts as a refused guard: the caller then
    /// takes the blocking path, which applies it there. A change proves `actor` live,
    /// so it is remembered as found live.
    async fn submit_one(&self, actor: AccountId, transition: Transition) -> Result<Applied, GraphError> {
        let notification = transition.notification().cloned();
        let Some(pending) = self.graph.submit(vec![transition]) else {
            return Ok(Applied::Unchanged);
        };
        let applied = self.published(notification.as_ref(), pending.await)?;
        if applied == Applied::Changed {
            // A follow's guard found the actor live; an unfollow removed an edge, and a
            // deleted account has none.
            self.live_callers.remember(actor, self.clock.now());
        }
        Ok(applied)
    }

    /// The outcome of one applied transition; publishes `notification` when it changed
    /// something.
    fn published(&self, notification: Option<&Notification>, outcome: ApplyOutcome) -> Result<Applied, GraphError> {
        let applied =
            outcome?.first().copied().ok_or_else(|| StoreError::Failure("apply returned no outcome".into()))?;
        if applied == Applied::Changed
            && let Some(notification) = notification
        {
            self.notifier.publish(std::slice::from_ref(notification));
        }
        Ok(applied)
    }
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

    /// `transition`, applied once, next in `order`, with `outcome`.
    fn expect_applied(ports: &mut Ports, order: &mut mockall::Sequence, transition: Transition, outcome: Applied) {
        ports
            .graph
            .expect_apply()
            .withf(move |t| t == std::slice::from_ref(&transition))
            .times(1)
            .in_sequence(order)
            .returning(move |_| Ok(vec![outcome]));
    }

    fn is_follow(t: &[Transition]) -> bool {
        matches!(t, [Transition::Follow { .. }])
    }

    #[test]
    fn following_a_public_account_creates_the_edge_and_notifies_without_reading() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().never();
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t, [Transition::Follow { edge, notification }]
                if edge.follower == a && edge.followee == b && notification.recipient == b
                    && notification.kind == NotificationKind::Follow)
            })
            .times(1)
            .returning(|_| Ok(vec![Applied::Changed]));
        ports.notifier.expect_publish().withf(move |n| n.len() == 1 && n[0].actor == a).times(1).return_const(());
        assert_eq!(ports.service().follow(a, b), Ok(FollowOutcome::Followed));
    }

    #[test]
    fn following_a_private_account_sends_a_request_once_the_follow_is_refused() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut order = mockall::Sequence::new();
        ports
            .graph
            .expect_apply()
            .withf(is_follow)
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(vec![Applied::Unchanged]));
        ports
            .graph
            .expect_pair()
            .with(eq(a), eq(b))
            .times(1)
            .in_sequence(&mut order)
            .return_const(Ok(pair(a, b, true)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t, [Transition::Request { request, notification }]
                if request.requester == a && request.status == RequestStatus::Pending
                    && notification.kind == NotificationKind::FollowRequest)
            })
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Ok(vec![Applied::Changed]));
        ports.notifier.expect_publish().times(1).return_const(());
        let outcome = ports.service().follow(a, b).unwrap();
        assert!(matches!(outcome, FollowOutcome::Requested(r) if r.target == b));
    }

    #[test]
    fn a_refused_follow_is_read_and_answered_as_already_following() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_apply().times(1).returning(|_| Ok(vec![Applied::Unchanged]));
        ports.graph.expect_pair().times(1).return_const(Ok(following(a, b)));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().follow(a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn a_lost_race_is_read_again_and_answered_as_already_following() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut reads = mockall::Sequence::new();
        ports.graph.expect_pair().times(1).in_sequence(&mut reads).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_pair().times(1).in_sequence(&mut reads).return_const(Ok(following(a, b)));
        // The first try, then the one the first read decided: both lost to a twin.
        ports.graph.expect_apply().times(2).returning(|_| Ok(vec![Applied::Unchanged]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().follow(a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn endless_races_give_up_with_a_retryable_error() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().times(MAX_ATTEMPTS).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_apply().times(MAX_ATTEMPTS + 1).returning(|_| Ok(vec![Applied::Unchanged]));
        assert!(matches!(ports.service().follow(a, b), Err(GraphError::Store(StoreError::Unavailable(_)))));
    }

    #[test]
    fn with_a_quota_the_follow_reads_first_and_idempotent_follows_cost_nothing() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().times(1).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_pair().return_const(Ok(following(a, b)));
        let exhausted = QuotaDecision::Exhausted { retry_after: chrono::Duration::seconds(90) };
        ports.accounts.expect_take_follow_quota().times(1).return_const(Ok(exhausted));
        ports.graph.expect_apply().never();
        let service = ports.service().with_follow_quota(super::super::FollowQuota::per_hour(100));
        assert_eq!(service.follow(a, b), Err(GraphError::RateLimited { retry_after_secs: 90 }));
        assert_eq!(service.follow(a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn refusals_are_decided_from_the_pair_and_publish_nothing() {
        let a = account_id();
        let mut ports = Ports::new();
        let mut missing = pair(a, account_id(), false);
        missing.target = None;
        ports.graph.expect_pair().times(1).return_const(Ok(missing));
        ports.graph.expect_apply().withf(is_follow).times(1).returning(|_| Ok(vec![Applied::Unchanged]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().follow(a, account_id()), Err(GraphError::UserNotFound));
    }

    #[test]
    fn following_oneself_is_refused_without_a_write() {
        let a = account_id();
        let mut ports = Ports::new();
        let mut itself = pair(a, a, false);
        itself.target = Some(crate::account::AccountSummary { id: a, is_private: false });
        ports.graph.expect_pair().times(1).return_const(Ok(itself));
        ports.graph.expect_apply().never();
        assert_eq!(ports.service().follow(a, a), Err(GraphError::CannotFollowSelf));
    }

    #[test]
    fn store_errors_pass_through() {
        let failure = || StoreError::Failure("disk".into());
        let mut ports = Ports::new();
        ports.graph.expect_apply().return_const(Err(failure()));
        assert_eq!(ports.service().follow(account_id(), account_id()), Err(GraphError::Store(failure())));

        let mut ports = Ports::new();
        ports.graph.expect_apply().return_const(Ok(vec![Applied::Unchanged]));
        ports.graph.expect_pair().return_const(Err(failure()));
        assert_eq!(ports.service().follow(account_id(), account_id()), Err(GraphError::Store(failure())));
    }

    #[test]
    fn unfollow_removes_the_edge_without_reading() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().never();
        ports
            .graph
            .expect_apply()
            .withf(move |t| t == [Transition::Unfollow { follower: a, followee: b }])
            .times(1)
            .returning(|_| Ok(vec![Applied::Changed]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::Unfollowed));
    }

    #[test]
    fn unfollow_without_an_edge_withdraws_a_pending_request() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut pending = pair(a, b, true);
        pending.request = Some(request(a, b, RequestStatus::Pending));
        let mut order = mockall::Sequence::new();
        let unfollow = Transition::Unfollow { follower: a, followee: b };
        expect_applied(&mut ports, &mut order, unfollow, Applied::Unchanged);
        ports.graph.expect_pair().times(1).in_sequence(&mut order).return_const(Ok(pending));
        expect_applied(&mut ports, &mut order, Transition::Cancel { requester: a, target: b }, Applied::Changed);
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::RequestWithdrawn));
    }

    #[test]
    fn unfollow_without_an_edge_or_request_changes_nothing() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().times(1).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_apply().times(1).returning(|_| Ok(vec![Applied::Unchanged]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::NotFollowing));
    }

    /// What every request of `a` does before its use case (here, after the try).
    fn ensure_caller(service: &TestService, a: AccountId) -> Result<(), GraphError> {
        crate::service::Accounts::ensure_account(service, &crate::Identity { id: a, username: None, name: None })
    }

    fn answered(outcome: Vec<Applied>) -> Option<crate::pending::PendingApply> {
        let (reply, pending) = crate::pending::pending_apply();
        reply.send(Ok(outcome));
        Some(pending)
    }

    #[test]
    fn an_awaited_follow_submits_the_edge_and_notifies() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().never();
        ports.graph.expect_apply().never();
        ports
            .graph
            .expect_submit()
            .withf(move |t| matches!(t.as_slice(), [Transition::Follow { edge, .. }] if edge.follower == a && edge.followee == b))
            .times(1)
            .returning(|_| answered(vec![Applied::Changed]));
        ports.notifier.expect_publish().withf(move |n| n.len() == 1 && n[0].recipient == b).times(1).return_const(());
        // Not read before the try, nor after it: the follow proved the caller live.
        ports.accounts.expect_presence().never();
        let service = ports.service();
        assert_eq!(ready(service.try_follow(a, b)), Ok(Some(FollowOutcome::Followed)));
        assert_eq!(ensure_caller(&service, a), Ok(()));
    }

    #[test]
    fn an_awaited_follow_leaves_refusals_to_the_blocking_path() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_submit().times(1).returning(|_| answered(vec![Applied::Unchanged]));
        ports.notifier.expect_publish().never();
        // A refusal proves nothing about the caller, whose row the blocking path reads.
        ports.accounts.expect_presence().with(eq(a)).times(1).return_const(Ok(crate::ports::Presence::Live));
        let service = ports.service();
        assert_eq!(ready(service.try_follow(a, b)), Ok(None));
        assert_eq!(ensure_caller(&service, a), Ok(()));
    }

    #[test]
    fn an_awaited_follow_needs_no_quota_and_a_queue() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_submit().never();
        let service = ports.service().with_follow_quota(super::super::FollowQuota::per_hour(100));
        assert_eq!(ready(service.try_follow(a, b)), Ok(None), "a quota needs the decision first");

        let mut ports = Ports::new();
        ports.graph.expect_submit().times(1).returning(|_| None);
        ports.graph.expect_apply().never();
        let service = ports.service();
        assert_eq!(ready(service.try_follow(a, b)), Ok(None), "no group commit to queue on");
        assert_eq!(ready(service.try_follow(a, a)), Ok(None), "oneself");
    }

    #[test]
    fn an_awaited_unfollow_removes_the_edge_or_defers() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut order = mockall::Sequence::new();
        let is_unfollow = move |t: &Vec<Transition>| t == &[Transition::Unfollow { follower: a, followee: b }];
        for outcome in [Applied::Changed, Applied::Unchanged] {
            let submit = ports.graph.expect_submit().withf(is_unfollow).times(1);
            submit.in_sequence(&mut order).returning(move |_| answered(vec![outcome]));
        }
        let service = ports.service();
        assert_eq!(ready(service.try_unfollow(a, b)), Ok(Some(UnfollowOutcome::Unfollowed)));
        assert_eq!(ready(service.try_unfollow(a, b)), Ok(None));
    }

    #[test]
    fn an_awaited_store_error_passes_through() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_submit().returning(|_| {
            let (reply, pending) = crate::pending::pending_apply();
            reply.send(Err(StoreError::Unavailable("busy".into())));
            Some(pending)
        });
        let service = ports.service();
        assert_eq!(ready(service.try_follow(a, b)), Err(GraphError::Store(StoreError::Unavailable("busy".into()))));
    }

    #[test]
    fn read_first_skips_the_try() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut order = mockall::Sequence::new();
        ports.graph.expect_pair().times(1).in_sequence(&mut order).return_const(Ok(following(a, b)));
        ports.graph.expect_pair().times(1).in_sequence(&mut order).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_apply().never();
        let service = ports.service();
        assert_eq!(service.follow_read_first(a, b), Ok(FollowOutcome::AlreadyFollowing));
        assert_eq!(service.unfollow_read_first(a, b), Ok(UnfollowOutcome::NotFollowing));
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
