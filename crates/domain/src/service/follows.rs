//! Follow and unfollow, and how two accounts stand.

use super::{GraphService, MAX_ATTEMPTS};
use crate::account::Relation;
use crate::error::GraphError;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::notification::NotificationKind;
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
        let mut budget_taken = false;
        for _ in 0..MAX_ATTEMPTS {
            let state = self.graph.pair(actor, target)?;
            let now = self.clock.now();
            let notification_id = NotificationId::from_uuid(self.ids.new_id());
            let (transition, outcome) = match decide_follow(&state)? {
                FollowDecision::AlreadyFollowing => return Ok(FollowOutcome::AlreadyFollowing),
                FollowDecision::Follow => (
                    Transition::Follow {
                        edge: Follow { follower: actor, followee: target, created_at: now },
                        notification: notification(notification_id, target, actor, NotificationKind::Follow, now),
                    },
                    FollowOutcome::Followed,
                ),
                FollowDecision::Request => {
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
                self.take_follow_budget(actor, now)?;
                budget_taken = true;
            }
            if self.apply_one(&transition)? == Applied::Changed {
                return Ok(outcome);
            }
        }
        Err(contended())
    }

    fn unfollow(&self, actor: AccountId, target: AccountId) -> Result<UnfollowOutcome, GraphError> {
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
        let applied = self
            .graph
            .apply(std::slice::from_ref(transition))?
            .first()
            .copied()
            .ok_or_else(|| StoreError::Failure("apply returned no outcome".into()))?;
        if applied == Applied::Changed
            && let Some(notification) = transition.notification()
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

    #[test]
    fn following_a_public_account_creates_the_edge_and_notifies() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().with(eq(a), eq(b)).return_const(Ok(pair(a, b, false)));
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
    fn following_a_private_account_sends_a_request() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().return_const(Ok(pair(a, b, true)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| {
                matches!(t, [Transition::Request { request, notification }]
                if request.requester == a && request.status == RequestStatus::Pending
                    && notification.kind == NotificationKind::FollowRequest)
            })
            .returning(|_| Ok(vec![Applied::Changed]));
        ports.notifier.expect_publish().times(1).return_const(());
        let outcome = ports.service().follow(a, b).unwrap();
        assert!(matches!(outcome, FollowOutcome::Requested(r) if r.target == b));
    }

    #[test]
    fn a_lost_race_is_read_again_and_answered_as_already_following() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut reads = mockall::Sequence::new();
        ports.graph.expect_pair().times(1).in_sequence(&mut reads).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_pair().times(1).in_sequence(&mut reads).return_const(Ok(following(a, b)));
        ports.graph.expect_apply().times(1).returning(|_| Ok(vec![Applied::Unchanged]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().follow(a, b), Ok(FollowOutcome::AlreadyFollowing));
    }

    #[test]
    fn endless_races_give_up_with_a_retryable_error() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().times(MAX_ATTEMPTS).return_const(Ok(pair(a, b, false)));
        ports.graph.expect_apply().times(MAX_ATTEMPTS).returning(|_| Ok(vec![Applied::Unchanged]));
        assert!(matches!(ports.service().follow(a, b), Err(GraphError::Store(StoreError::Unavailable(_)))));
    }

    #[test]
    fn an_exhausted_budget_refuses_new_follows_but_not_idempotent_ones() {
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
    fn refusals_write_nothing() {
        let a = account_id();
        let mut ports = Ports::new();
        let mut missing = pair(a, account_id(), false);
        missing.target = None;
        ports.graph.expect_pair().return_const(Ok(missing));
        ports.graph.expect_apply().never();
        assert_eq!(ports.service().follow(a, account_id()), Err(GraphError::UserNotFound));
    }

    #[test]
    fn store_errors_pass_through() {
        let mut ports = Ports::new();
        ports.graph.expect_pair().return_const(Err(StoreError::Failure("disk".into())));
        assert_eq!(
            ports.service().follow(account_id(), account_id()),
            Err(GraphError::Store(StoreError::Failure("disk".into())))
        );
    }

    #[test]
    fn unfollow_removes_the_edge_or_withdraws_the_request() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().return_const(Ok(following(a, b)));
        ports
            .graph
            .expect_apply()
            .withf(move |t| t == [Transition::Unfollow { follower: a, followee: b }])
            .returning(|_| Ok(vec![Applied::Changed]));
        ports.notifier.expect_publish().never();
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::Unfollowed));

        let mut ports = Ports::new();
        let mut pending = pair(a, b, true);
        pending.request = Some(request(a, b, RequestStatus::Pending));
        ports.graph.expect_pair().return_const(Ok(pending));
        ports
            .graph
            .expect_apply()
            .withf(move |t| t == [Transition::Cancel { requester: a, target: b }])
            .returning(|_| Ok(vec![Applied::Changed]));
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::RequestWithdrawn));
    }

    #[test]
    fn unfollow_without_an_edge_changes_nothing() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_pair().return_const(Ok(pair(a, b, false)));
        ports.graph.expect_apply().never();
        assert_eq!(ports.service().unfollow(a, b), Ok(UnfollowOutcome::NotFollowing));
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
