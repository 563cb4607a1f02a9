//! Changes answered with the accounts they involve, as those are once the change
//! committed. Some contracts answer a follow with more than its outcome: seed 003
//! shows a new or answered request with both accounts populated, seed 004 shows both
//! accounts' counts after the action. Those dialects call one of these use cases
//! instead of sequencing a change and its reads themselves; the change is the one
//! path of [`Follows`] and [`Requests`], the reads come after it.

use super::GraphService;
use super::follows::{FollowOutcome, Follows, UnfollowScope};
use super::requests::Requests;
use crate::account::{Account, Identity};
use crate::error::GraphError;
use crate::ids::{AccountId, RequestId};
use crate::ports::{AccountStore, Clock, GraphStore, IdSource, NotificationStore, Notifier};
use crate::relationship::FollowRequest;

/// A follow request with both of its accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestWithParties {
    /// The request.
    pub request: FollowRequest,
    /// Who asked.
    pub requester: Account,
    /// Who was asked.
    pub target: Account,
}

/// What a follow did, a request shown with its accounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowShown {
    /// The target is public: followed at once.
    Followed,
    /// The target is private: a pending request, with both accounts.
    Requested(Box<RequestWithParties>),
    /// Nothing changed: the caller follows already.
    AlreadyFollowing,
}

/// Follow or unfollow, for [`Shown::act_and_count`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowAction {
    /// Follow, or ask to.
    Follow,
    /// Unfollow, or withdraw the request.
    Unfollow,
}

/// Where the caller stands towards an account after an action, and both accounts
/// (with their counts) as they are then.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterAction {
    /// The caller follows the account.
    pub following: bool,
    /// The caller's request to the (private) account is pending.
    pub pending: bool,
    /// The caller's account.
    pub actor: Account,
    /// The account acted on.
    pub target: Account,
}

/// The use cases answered with their accounts.
pub trait Shown {
    /// As [`Follows::follow`]; a request is answered with both of its accounts.
    ///
    /// # Errors
    /// As [`Follows::follow`].
    fn follow_showing_request(
        &self,
        caller: &Identity,
        target: AccountId,
    ) -> impl Future<Output = Result<FollowShown, GraphError>> + Send;

    /// Follows (a request already pending counts as asked) or unfollows (following
    /// or a pending request), then reads both accounts.
    ///
    /// # Errors
    /// As [`Follows::follow`] and [`Follows::unfollow`], but a request already
    /// pending is an answer, not an error; [`GraphError::CannotFollowSelf`] for
    /// either action on oneself.
    fn act_and_count(
        &self,
        caller: &Identity,
        target: AccountId,
        action: FollowAction,
    ) -> impl Future<Output = Result<AfterAction, GraphError>> + Send;

    /// As [`Requests::accept_request`], with both accounts.
    ///
    /// # Errors
    /// As [`Requests::accept_request`].
    fn accept_request_showing_parties(
        &self,
        actor: AccountId,
        request: RequestId,
    ) -> Result<RequestWithParties, GraphError>;

    /// As [`Requests::decline_request`], with both accounts.
    ///
    /// # Errors
    /// As [`Requests::decline_request`].
    fn decline_request_showing_parties(
        &self,
        actor: AccountId,
        request: RequestId,
    ) -> Result<RequestWithParties, GraphError>;
}

impl<A, G, S, C, I, N> GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
{
    /// `first` and `second`, read after the change; either gone is [`GraphError::UserNotFound`].
    async fn both(&self, first: AccountId, second: AccountId) -> Result<(Account, Account), GraphError> {
        let mut found = self.accounts.accounts_later(vec![first, second]).await?.into_iter();
        let first_account = found.next().filter(|a| a.id == first).ok_or(GraphError::UserNotFound)?;
        let second_account = found.next().filter(|a| a.id == second).ok_or(GraphError::UserNotFound)?;
        Ok((first_account, second_account))
    }

    fn parties(&self, request: FollowRequest) -> Result<RequestWithParties, GraphError> {
        let live = |id| self.accounts.account(id)?.ok_or(GraphError::UserNotFound);
        let requester = live(request.requester)?;
        let target = live(request.target)?;
        Ok(RequestWithParties { request, requester, target })
    }
}

impl<A, G, S, C, I, N> Shown for GraphService<A, G, S, C, I, N>
where
    A: AccountStore,
    G: GraphStore,
    S: NotificationStore,
    C: Clock,
    I: IdSource,
    N: Notifier,
{
    async fn follow_showing_request(&self, caller: &Identity, target: AccountId) -> Result<FollowShown, GraphError> {
        Ok(match self.follow(caller, target).await? {
            FollowOutcome::Followed => FollowShown::Followed,
            FollowOutcome::AlreadyFollowing => FollowShown::AlreadyFollowing,
            FollowOutcome::Requested(request) => {
                let (requester, target) = self.both(request.requester, request.target).await?;
                FollowShown::Requested(Box::new(RequestWithParties { request, requester, target }))
            }
        })
    }

    async fn act_and_count(
        &self,
        caller: &Identity,
        target: AccountId,
        action: FollowAction,
    ) -> Result<AfterAction, GraphError> {
        let (following, pending) = match action {
            FollowAction::Follow => match self.follow(caller, target).await {
                Ok(FollowOutcome::Followed | FollowOutcome::AlreadyFollowing) => (true, false),
                Ok(FollowOutcome::Requested(_)) | Err(GraphError::RequestAlreadyPending) => (false, true),
                Err(other) => return Err(other),
            },
            FollowAction::Unfollow if caller.id == target => return Err(GraphError::CannotFollowSelf),
            FollowAction::Unfollow => {
                self.unfollow(caller, target, UnfollowScope::FollowOrRequest).await?;
                (false, false)
            }
        };
        let (actor, target) = self.both(caller.id, target).await?;
        Ok(AfterAction { following, pending, actor, target })
    }

    fn accept_request_showing_parties(
        &self,
        actor: AccountId,
        request: RequestId,
    ) -> Result<RequestWithParties, GraphError> {
        self.parties(self.accept_request(actor, request)?)
    }

    fn decline_request_showing_parties(
        &self,
        actor: AccountId,
        request: RequestId,
    ) -> Result<RequestWithParties, GraphError> {
        self.parties(self.decline_request(actor, request)?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::pending::Pending;
    use crate::ports::Presence;
    use crate::relationship::{Applied, PairState, RequestStatus};

    fn caller(id: AccountId) -> Identity {
        Identity { id, username: None, name: None }
    }

    fn counted(id: AccountId, followers: i64, following: i64) -> Account {
        Account { followers_count: followers, following_count: following, ..sample_account(id) }
    }

    /// The follow refused by its guard, then the pair read as `state`.
    fn refused_then_read(ports: &mut Ports, state: PairState) {
        ports.accounts.expect_presence().returning(|_| Pending::ready(Ok(Presence::Live)));
        ports.graph.expect_pair().times(1).returning(move |_, _| Pending::ready(Ok(state)));
    }

    #[test]
    fn a_request_already_pending_is_counted_as_asked_not_refused() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let pending = request(a, b, RequestStatus::Pending);
        ports.graph.expect_apply().times(1).returning(|_| Pending::ready(Ok(vec![Applied::Unchanged])));
        refused_then_read(&mut ports, PairState { request: Some(pending), ..pair(a, b, true) });
        ports
            .accounts
            .expect_accounts_later()
            .withf(move |ids| ids == &vec![a, b])
            .times(1)
            .returning(move |_| Pending::ready(Ok(vec![counted(a, 0, 3), counted(b, 9, 0)])));
        let after = ready(ports.service().act_and_count(&caller(a), b, FollowAction::Follow)).unwrap();
        assert!(after.pending && !after.following);
        assert_eq!((after.actor.following_count, after.target.followers_count), (3, 9));
    }

    #[test]
    fn an_account_gone_after_the_change_is_not_found() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        ports.graph.expect_apply().times(1).returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        ports.notifier.expect_publish().return_const(());
        // The target was deleted between the follow and the read: only the caller is live.
        ports.accounts.expect_accounts_later().returning(move |_| Pending::ready(Ok(vec![counted(a, 0, 1)])));
        let result = ready(ports.service().act_and_count(&caller(a), b, FollowAction::Follow));
        assert_eq!(result, Err(GraphError::UserNotFound));
    }

    #[test]
    fn a_request_to_a_private_account_is_shown_with_both_accounts() {
        let (a, b) = (account_id(), account_id());
        let mut ports = Ports::new();
        let mut order = mockall::Sequence::new();
        ports
            .graph
            .expect_apply()
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Pending::ready(Ok(vec![Applied::Unchanged])));
        refused_then_read(&mut ports, pair(a, b, true));
        ports
            .graph
            .expect_apply()
            .times(1)
            .in_sequence(&mut order)
            .returning(|_| Pending::ready(Ok(vec![Applied::Changed])));
        ports.notifier.expect_publish().return_const(());
        ports
            .accounts
            .expect_accounts_later()
            .returning(move |_| Pending::ready(Ok(vec![counted(a, 0, 0), counted(b, 0, 0)])));
        let shown = ready(ports.service().follow_showing_request(&caller(a), b)).unwrap();
        let FollowShown::Requested(shown) = shown else { panic!("{shown:?}") };
        assert_eq!((shown.request.requester, shown.requester.id, shown.target.id), (a, a, b));
    }

    #[test]
    fn unfollowing_oneself_is_refused_before_anything_is_written() {
        let a = account_id();
        let mut ports = Ports::new();
        ports.graph.expect_apply().never();
        let result = ready(ports.service().act_and_count(&caller(a), a, FollowAction::Unfollow));
        assert_eq!(result, Err(GraphError::CannotFollowSelf));
    }
}
