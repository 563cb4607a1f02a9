//! The one error type of the domain's use cases. Each dialect renders it through one
//! function of its own; nothing here knows about status codes.

/// Why a use case did not happen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// A field or parameter was malformed; the text says which and why.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// An account tried to follow itself.
    #[error("cannot follow yourself")]
    CannotFollowSelf,
    /// The account does not exist or has been deleted.
    #[error("user not found")]
    UserNotFound,
    /// A follow request to this account is already waiting.
    #[error("follow request already pending")]
    RequestAlreadyPending,
    /// The request does not exist.
    #[error("follow request not found")]
    RequestNotFound,
    /// The request exists but is not the caller's to act on (answering is the
    /// target's, cancelling the requester's). Dialects that must not reveal that it
    /// exists render it like [`GraphError::RequestNotFound`].
    #[error("follow request belongs to someone else")]
    RequestNotYours,
    /// The request was already accepted.
    #[error("follow request already accepted")]
    RequestAlreadyAccepted,
    /// The request was already declined.
    #[error("follow request already declined")]
    RequestAlreadyDeclined,
    /// There is no pending request from the caller to that account.
    #[error("no pending follow request")]
    NoPendingRequest,
    /// A private account's lists, asked for by someone who does not follow it.
    #[error("this account is private")]
    PrivateAccount,
    /// A list the account keeps from this viewer (its `*_visibility` choice, or
    /// the account blocks the viewer).
    #[error("this list is not visible to you")]
    ListHidden,
    /// An account tried to mute itself.
    #[error("cannot mute yourself")]
    CannotMuteSelf,
    /// An account tried to block itself.
    #[error("cannot block yourself")]
    CannotBlockSelf,
    /// One of the two accounts blocks the other.
    #[error("blocked")]
    Blocked,
    /// The caller's own account has been deleted.
    #[error("account deleted")]
    AccountDeleted,
    /// Another live account has that username.
    #[error("username already taken")]
    UsernameTaken,
    /// The account used up its budget of new follows and requests; it may try again
    /// after this many seconds.
    #[error("too many follows; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the budget renews.
        retry_after_secs: u64,
    },
    /// The store failed; the request may be retried.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A store failure, with only as much detail as the domain can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the text names the constraint.
    #[error("conflict on {0}")]
    Conflict(String),
    /// The store could not be reached in time (pool exhausted, database busy):
    /// retrying later may succeed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the text is for logs, not for clients.
    #[error("store failure: {0}")]
    Failure(String),
}
