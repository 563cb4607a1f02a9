//! Following and unfollowing many accounts in one call: one outcome per account.

use crate::ids::AccountId;
use crate::relationship::RequestStatus;

/// Most accounts one bulk call names.
pub const MAX_BULK: usize = 100;

/// What a bulk follow did for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkFollowOutcome {
    /// Followed at once (public account).
    Followed,
    /// A request was sent (private account).
    Requested,
    /// The caller already followed it.
    AlreadyFollowing,
    /// A request of the caller's to it was already pending.
    AlreadyRequested,
    /// No live account has that id.
    NotFound,
    /// One of the two blocks the other.
    Blocked,
    /// The caller named itself.
    SelfFollow,
    /// The caller's budget of new follows and requests was used up before this one.
    RateLimited,
}

/// What a bulk unfollow did for one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkUnfollowOutcome {
    /// The edge is gone.
    Unfollowed,
    /// There was no edge but a pending request, now withdrawn.
    RequestWithdrawn,
    /// There was nothing to undo.
    NotFollowing,
    /// No live account has that id.
    NotFound,
}

/// One account of a bulk call: what happened, and where the caller now stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkItem<O> {
    /// The account.
    pub target: AccountId,
    /// What happened.
    pub outcome: O,
    /// Whether the caller now follows it.
    pub is_following: bool,
    /// The caller's pending request to it, if one is waiting.
    pub request_status: Option<RequestStatus>,
}

/// The answer of a bulk call: one item per account, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkResult<O> {
    /// The items.
    pub items: Vec<BulkItem<O>>,
    /// When some item was refused for the budget: seconds until it renews.
    pub retry_after_secs: Option<u64>,
}
