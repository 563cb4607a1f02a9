//! The relationship state machine for an ordered pair of accounts A -> B.
//!
//! The functions here decide a [`Transition`] purely from a [`PairState`] that was
//! read. The store then applies the transition atomically and *guarded*: if the state
//! changed between the read and the write (a racing twin request, say), the guard turns
//! the write into a no-op ([`Applied::Unchanged`]) instead of a double count, and the
//! service reads again and decides again.

use crate::error::GraphError;
use crate::event::EndReason;
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::notification::{Notification, NotificationKind};
use crate::quota::Spend;
use crate::time::Timestamp;

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

/// How an account stands, as far as following it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Standing {
    /// Live, and followed at once.
    Public,
    /// Live, and followed only once it accepts a request.
    Private,
    /// Unknown, or deleted.
    Missing,
}

impl Standing {
    /// A live account's standing from its privacy; `None` for no live account.
    #[must_use]
    pub const fn of(is_private: Option<bool>) -> Self {
        match is_private {
            Some(false) => Self::Public,
            Some(true) => Self::Private,
            None => Self::Missing,
        }
    }

    /// Whether the account is live.
    #[must_use]
    pub const fn is_live(self) -> bool {
        !matches!(self, Self::Missing)
    }
}

/// What the store knows about the ordered pair actor -> target, read in one go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairState {
    /// The actor.
    pub actor: AccountId,
    /// The target.
    pub target: AccountId,
    /// How the actor's own account stands.
    pub actor_standing: Standing,
    /// How the target stands.
    pub target_standing: Standing,
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
    /// Guard: [`follow_guard`] on the locked rows (both live, the followee still
    /// public, no block), and the edge is absent. Then `spend`, when set, is taken
    /// from the follower's budget; a used-up budget undoes the change
    /// ([`Applied::Exhausted`]). Also deletes answered requests of the pair, and
    /// stores `notification`.
    Follow {
        /// The new edge.
        edge: Follow,
        /// Tells the followee.
        notification: Notification,
        /// What the edge costs its follower's budget, if limited.
        spend: Option<Spend>,
    },
    /// Insert a pending request.
    /// Guard: [`request_guard`] on the locked rows (both live, the target still
    /// private, no block, no edge), and no pending request for the pair. Then `spend`
    /// as for [`Transition::Follow`]. Also deletes answered requests of the pair, and
    /// stores `notification`.
    Request {
        /// The new request (status pending).
        request: FollowRequest,
        /// Tells the target.
        notification: Notification,
        /// What the request costs its requester's budget, if limited.
        spend: Option<Spend>,
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
        /// When (the request's notification is marked read then).
        at: Timestamp,
        /// Why, for its event: [`EndReason::Cancelled`] or [`EndReason::Unfollow`].
        reason: EndReason,
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
        /// Why, for its event: [`EndReason::Unfollow`] or [`EndReason::Removed`].
        reason: EndReason,
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
            Self::Decline { requester, target, .. } | Self::Cancel { requester, target, .. } => [*requester, *target],
            Self::Block { blocker, blocked, .. } | Self::Unblock { blocker, blocked } => [*blocker, *blocked],
            Self::Unfollow { follower, followee, .. } => [*follower, *followee],
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
    /// The guard held, but the actor's budget is used up: nothing was written.
    Exhausted {
        /// How long until the budget renews.
        retry_after: chrono::Duration,
    },
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
    if !state.actor_standing.is_live() {
        return Err(GraphError::AccountDeleted);
    }
    if !state.target_standing.is_live() {
        return Err(GraphError::UserNotFound);
    }
    if state.target == state.actor {
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
    Ok(if state.target_standing == Standing::Private { FollowDecision::Request } else { FollowDecision::Follow })
}

/// The guard of [`Transition::Follow`], checked by the store on the rows it locked in
/// the write transaction (the edge's absence is the insert's own guard): exactly when
/// a follow decided from that state would follow.
#[must_use]
pub fn follow_guard(state: &PairState) -> bool {
    decide_follow(state) == Ok(FollowDecision::Follow)
}

/// The guard of [`Transition::Request`], as [`follow_guard`] (a pending request's
/// absence is the insert's own guard): exactly when a follow decided from that state
/// would ask.
#[must_use]
pub fn request_guard(state: &PairState) -> bool {
    decide_follow(state) == Ok(FollowDecision::Request)
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
    if !state.target_standing.is_live() {
        return Err(GraphError::UserNotFound);
    }
    if state.target == state.actor {
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
    Notification { id, recipient, actor, kind, created_at, request: None }
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
            target: id(),
            actor_standing: Standing::Public,
            target_standing: Standing::of(Some(private)),
            following: false,
            request: None,
            blocked: false,
        }
    }

    fn request(state: &PairState, status: RequestStatus) -> FollowRequest {
        FollowRequest {
            id: RequestId::from_uuid(Uuid::now_v7()),
            requester: state.actor,
            target: state.target,
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
        s.target = s.actor;
        assert_eq!(decide_follow(&s), Err(GraphError::CannotFollowSelf));
        let mut s = state(false);
        s.target_standing = Standing::Missing;
        assert_eq!(decide_follow(&s), Err(GraphError::UserNotFound));
        let mut s = state(false);
        s.blocked = true;
        assert_eq!(decide_follow(&s), Err(GraphError::Blocked));
        let mut s = state(false);
        s.actor_standing = Standing::Missing;
        assert_eq!(decide_follow(&s), Err(GraphError::AccountDeleted));
    }

    #[test]
    fn the_guards_hold_exactly_when_the_decision_is_their_transition() {
        assert!(follow_guard(&state(false)) && !request_guard(&state(false)));
        assert!(request_guard(&state(true)) && !follow_guard(&state(true)));
        let mut s = state(true);
        s.following = true;
        assert!(!request_guard(&s), "an edge makes a request pointless");
        let mut s = state(false);
        s.blocked = true;
        assert!(!follow_guard(&s));
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
