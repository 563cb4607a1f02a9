//! The relationship state machine for an ordered pair of accounts A -> B.
//!
//! The functions here decide a [`Transition`] purely from a [`PairState`] that was
//! read. The store then applies the transition atomically and *guarded*: if the state
//! changed between the read and the write (a racing twin request, say), the guard turns
//! the write into a no-op ([`Applied::Unchanged`]) instead of a double count, and the
//! service reads again and decides again.

use crate::Timestamp;
use crate::account::AccountSummary;
use crate::error::GraphError;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::notification::{Notification, NotificationKind};

/// Where a follow request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting for the target to answer.
    Pending,
    /// The target accepted; the requester follows the target.
    Accepted,
    /// The target declined; the requester may ask again.
    Declined,
}

impl RequestStatus {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
        }
    }

    /// Parses a storage name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "declined" => Some(Self::Declined),
            _ => None,
        }
    }
}

/// A follow edge: `follower` follows `followee`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Follow {
    /// Who follows.
    pub follower: AccountId,
    /// Who is followed.
    pub followee: AccountId,
    /// Since when.
    pub created_at: Timestamp,
}

/// A request from `requester` to follow the private account `target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowRequest {
    /// Its id.
    pub id: RequestId,
    /// Who asked.
    pub requester: AccountId,
    /// Whom they asked to follow.
    pub target: AccountId,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was answered; `None` while pending.
    pub updated_at: Option<Timestamp>,
}

/// What the store knows about the ordered pair actor -> target, read in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairState {
    /// The actor.
    pub actor: AccountId,
    /// Whether the actor's own account is live.
    pub actor_live: bool,
    /// The target, if it exists and is live.
    pub target: Option<AccountSummary>,
    /// Whether actor follows target.
    pub following: bool,
    /// The latest request from actor to target, if any.
    pub request: Option<FollowRequest>,
    /// Whether either blocks the other.
    pub blocked: bool,
}

/// A change decided by the domain, applied atomically by the store.
///
/// Every variant names the guard the store must check in the same transaction; a
/// failed guard leaves everything as it was and reports [`Applied::Unchanged`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Create the edge `follower -> followee` and move both counts by one.
    /// Guard: the edge is absent, both accounts are live, the followee is still
    /// public (a private account approves each follower), neither blocks the other.
    /// Also deletes answered requests of the pair, and stores `notification`.
    Follow {
        /// The new edge.
        edge: Follow,
        /// Tells the followee.
        notification: Notification,
    },
    /// Insert a pending request.
    /// Guard: no pending request and no edge for the pair, both live, the target is
    /// still private (a public one is followed at once), no block.
    /// Also deletes answered requests of the pair, and stores `notification`.
    Request {
        /// The new request (status pending).
        request: FollowRequest,
        /// Tells the target.
        notification: Notification,
    },
    /// Mark the request accepted, create its edge and move the counts.
    /// Guard: the request is still pending.
    Accept {
        /// The request.
        request: RequestId,
        /// The edge it becomes.
        edge: Follow,
        /// Tells the requester.
        notification: Notification,
    },
    /// Mark the request declined. Guard: it is still pending.
    Decline {
        /// The request.
        request: RequestId,
        /// Who asked.
        requester: AccountId,
        /// Who declines.
        target: AccountId,
        /// When.
        at: Timestamp,
    },
    /// Delete the pending request of the pair. Guard: one exists.
    Cancel {
        /// Who asked.
        requester: AccountId,
        /// Whom they asked.
        target: AccountId,
    },
    /// `blocker` blocks `blocked`: remove the edges both ways (counts adjusted) and
    /// every request between the two, both ways. Guard: both live, no such block yet.
    Block {
        /// Who blocks.
        blocker: AccountId,
        /// Who is blocked.
        blocked: AccountId,
        /// Why, as the blocker put it.
        reason: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// Lift a block. Guard: it exists.
    Unblock {
        /// Who blocked.
        blocker: AccountId,
        /// Who was blocked.
        blocked: AccountId,
    },
    /// Delete the edge and move both counts back; delete the pair's accepted request
    /// so its status reads as none. Guard: the edge exists.
    Unfollow {
        /// Who follows.
        follower: AccountId,
        /// Who is followed.
        followee: AccountId,
    },
}

impl Transition {
    /// The notification the transition stores when it changes something.
    #[must_use]
    pub const fn notification(&self) -> Option<&Notification> {
        match self {
            Self::Follow { notification, .. }
            | Self::Request { notification, .. }
            | Self::Accept { notification, .. } => Some(notification),
            _ => None,
        }
    }

    /// The two accounts whose rows the transition locks and whose counts it may move.
    #[must_use]
    pub const fn accounts(&self) -> [AccountId; 2] {
        match self {
            Self::Follow { edge, .. } | Self::Accept { edge, .. } => [edge.follower, edge.followee],
            Self::Request { request, .. } => [request.requester, request.target],
            Self::Decline { requester, target, .. } | Self::Cancel { requester, target } => [*requester, *target],
            Self::Block { blocker, blocked, .. } | Self::Unblock { blocker, blocked } => [*blocker, *blocked],
            Self::Unfollow { follower, followee } => [*follower, *followee],
        }
    }
}

/// Whether a transition changed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The guard held and the change is committed.
    Changed,
    /// The guard failed: the state moved since it was read; nothing was written.
    Unchanged,
}

/// What a follow attempt should do, decided from the pair's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowDecision {
    /// Create the edge now (public target).
    Follow,
    /// Send a request (private target).
    Request,
    /// Nothing to do: the edge exists.
    AlreadyFollowing,
}

/// Decides what "actor follows target" means in this state.
///
/// # Errors
/// Self-follow, unknown target, a block either way, or a request already pending.
pub fn decide_follow(state: &PairState) -> Result<FollowDecision, GraphError> {
    if !state.actor_live {
        return Err(GraphError::AccountDeleted);
    }
    let target = state.target.ok_or(GraphError::UserNotFound)?;
    if target.id == state.actor {
        return Err(GraphError::CannotFollowSelf);
    }
    if state.blocked {
        return Err(GraphError::Blocked);
    }
    if state.following {
        return Ok(FollowDecision::AlreadyFollowing);
    }
    if state.request.is_some_and(|r| r.status == RequestStatus::Pending) {
        return Err(GraphError::RequestAlreadyPending);
    }
    Ok(if target.is_private { FollowDecision::Request } else { FollowDecision::Follow })
}

/// What an unfollow should do, decided from the pair's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnfollowDecision {
    /// Remove the edge.
    Unfollow,
    /// No edge, but a pending request: withdraw it.
    Withdraw,
    /// Nothing to undo.
    NotFollowing,
}

/// Decides what "actor unfollows target" means in this state.
///
/// # Errors
/// [`GraphError::UserNotFound`] when the target does not exist.
pub fn decide_unfollow(state: &PairState) -> Result<UnfollowDecision, GraphError> {
    let target = state.target.ok_or(GraphError::UserNotFound)?;
    if target.id == state.actor {
        return Ok(UnfollowDecision::NotFollowing);
    }
    if state.following {
        return Ok(UnfollowDecision::Unfollow);
    }
    if state.request.is_some_and(|r| r.status == RequestStatus::Pending) {
        return Ok(UnfollowDecision::Withdraw);
    }
    Ok(UnfollowDecision::NotFollowing)
}

/// Checks that `actor` may answer `request` (accept or decline it).
///
/// # Errors
/// [`GraphError::RequestNotFound`], [`GraphError::RequestNotYours`] when the actor is
/// not its target, or the "already answered" variants when it is no longer pending.
pub fn check_answerable(request: Option<&FollowRequest>, actor: AccountId) -> Result<FollowRequest, GraphError> {
    check_pending(request, |r| r.target == actor)
}

/// Checks that `actor` may cancel `request` (by its id).
///
/// # Errors
/// As [`check_answerable`], with the requester in the target's place.
pub fn check_cancellable(request: Option<&FollowRequest>, actor: AccountId) -> Result<FollowRequest, GraphError> {
    check_pending(request, |r| r.requester == actor)
}

fn check_pending(
    request: Option<&FollowRequest>,
    is_theirs: impl Fn(&FollowRequest) -> bool,
) -> Result<FollowRequest, GraphError> {
    let request = request.ok_or(GraphError::RequestNotFound)?;
    if !is_theirs(request) {
        return Err(GraphError::RequestNotYours);
    }
    match request.status {
        RequestStatus::Pending => Ok(*request),
        RequestStatus::Accepted => Err(GraphError::RequestAlreadyAccepted),
        RequestStatus::Declined => Err(GraphError::RequestAlreadyDeclined),
    }
}

/// Builds the notification a transition sends.
#[must_use]
pub const fn notification(
    id: NotificationId,
    recipient: AccountId,
    actor: AccountId,
    kind: NotificationKind,
    created_at: Timestamp,
) -> Notification {
    Notification { id, recipient, actor, kind, created_at }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;

    fn id() -> AccountId {
        AccountId::from_uuid(Uuid::now_v7())
    }

    fn state(private: bool) -> PairState {
        PairState {
            actor: id(),
            actor_live: true,
            target: Some(AccountSummary { id: id(), is_private: private }),
            following: false,
            request: None,
            blocked: false,
        }
    }

    fn request(state: &PairState, status: RequestStatus) -> FollowRequest {
        FollowRequest {
            id: RequestId::from_uuid(Uuid::now_v7()),
            requester: state.actor,
            target: state.target.unwrap().id,
            status,
            created_at: Utc::now(),
            updated_at: None,
        }
    }

    #[test]
    fn public_follows_private_requests() {
        assert_eq!(decide_follow(&state(false)), Ok(FollowDecision::Follow));
        assert_eq!(decide_follow(&state(true)), Ok(FollowDecision::Request));
    }

    #[test]
    fn refusals() {
        let mut s = state(false);
        s.target = Some(AccountSummary { id: s.actor, is_private: false });
        assert_eq!(decide_follow(&s), Err(GraphError::CannotFollowSelf));
        let mut s = state(false);
        s.target = None;
        assert_eq!(decide_follow(&s), Err(GraphError::UserNotFound));
        let mut s = state(false);
        s.blocked = true;
        assert_eq!(decide_follow(&s), Err(GraphError::Blocked));
        let mut s = state(false);
        s.actor_live = false;
        assert_eq!(decide_follow(&s), Err(GraphError::AccountDeleted));
    }

    #[test]
    fn idempotent_and_pending() {
        let mut s = state(true);
        s.following = true;
        assert_eq!(decide_follow(&s), Ok(FollowDecision::AlreadyFollowing));
        let mut s = state(true);
        s.request = Some(request(&s, RequestStatus::Pending));
        assert_eq!(decide_follow(&s), Err(GraphError::RequestAlreadyPending));
        s.request = Some(request(&s, RequestStatus::Declined));
        assert_eq!(decide_follow(&s), Ok(FollowDecision::Request), "may ask again after a decline");
    }

    #[test]
    fn unfollow_withdraws_pending() {
        let mut s = state(true);
        assert_eq!(decide_unfollow(&s), Ok(UnfollowDecision::NotFollowing));
        s.request = Some(request(&s, RequestStatus::Pending));
        assert_eq!(decide_unfollow(&s), Ok(UnfollowDecision::Withdraw));
        s.following = true;
        assert_eq!(decide_unfollow(&s), Ok(UnfollowDecision::Unfollow));
    }

    #[test]
    fn only_the_target_answers_pending_requests() {
        let s = state(true);
        let pending = request(&s, RequestStatus::Pending);
        assert_eq!(check_answerable(Some(&pending), s.actor), Err(GraphError::RequestNotYours));
        assert_eq!(check_cancellable(Some(&pending), s.actor), Ok(pending));
        assert_eq!(check_cancellable(Some(&pending), pending.target), Err(GraphError::RequestNotYours));
        assert_eq!(check_answerable(Some(&pending), pending.target), Ok(pending));
        let accepted = FollowRequest { status: RequestStatus::Accepted, ..pending };
        assert_eq!(check_answerable(Some(&accepted), pending.target), Err(GraphError::RequestAlreadyAccepted));
        let declined = FollowRequest { status: RequestStatus::Declined, ..pending };
        assert_eq!(check_answerable(Some(&declined), pending.target), Err(GraphError::RequestAlreadyDeclined));
        assert_eq!(check_answerable(None, pending.target), Err(GraphError::RequestNotFound));
    }
}
