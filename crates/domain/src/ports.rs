//! The ports: what the domain needs from the outside world. Adapters implement them;
//! services are generic over them (static dispatch, nothing boxed).
//!
//! Every method documents its error contract. Most store methods are synchronous and
//! may block; callers on an async runtime run them on a blocking pool. The writes of
//! the graph, and the reads the follow path makes, answer a [`Pending`] instead: the
//! store does its blocking behind the port (on its group-commit writers or threads of
//! its own), so a use case on an async executor awaits them without holding a thread,
//! and a synchronous one [`Pending::wait`]s.

use uuid::Uuid;

use crate::account::{Account, NewAccount, ProfilePatch, Relation, RequestCounts};
use crate::discovery::Suggestion;
pub use crate::error::StoreError;
use crate::event::{EventCursor, StoredEvent};
use crate::ids::{AccountId, NotificationId, RequestId};
use crate::inbox::{Device, DeviceToken, KindFilter, NotificationView};
use crate::listing::MutedAccount;
use crate::listing::{Direction, ListPage, ListQuery, Listed, RequestListing};
use crate::mute::Mute;
use crate::notification::Notification;
use crate::page::{Page, PageRequest};
use crate::pending::{Pending, PendingApply};
use crate::relationship::{Applied, FollowRequest, PairState, RequestStatus, Transition};
use crate::time::Timestamp;
use crate::username::Username;
use crate::webhook::{Delivery, DeliveryStatus, Webhook, WebhookPatch};

/// Whether an account id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// A live account.
    Live,
    /// An account that was soft-deleted.
    Deleted,
    /// No account ever had this id.
    Missing,
}

/// Accounts and their profiles.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait AccountStore: Send + Sync + 'static {
    /// The live account with this id.
    ///
    /// MUST return `Ok(None)` when the id is unknown or the account is deleted.
    fn account(&self, id: AccountId) -> Result<Option<Account>, StoreError>;

    /// The live account with this username (compared by [`Username::key`]).
    ///
    /// MUST return `Ok(None)` when no live account has it.
    fn account_by_username(&self, username: &Username) -> Result<Option<Account>, StoreError>;

    /// Whether the id belongs to a live, a deleted or no account.
    fn presence(&self, id: AccountId) -> Pending<Presence>;

    /// The live accounts among `ids`, in the order given, read off the caller's
    /// thread (for asynchronous use cases whose answer shows accounts).
    ///
    /// MUST leave out unknown and deleted ids.
    fn accounts_later(&self, ids: Vec<AccountId>) -> Pending<Vec<Account>>;

    /// Inserts a new account with zero counts.
    ///
    /// MUST answer `Ok(Applied::Unchanged)` when an account with this id already exists
    /// (a racing twin), and `Err(StoreError::Conflict)` when another live account has
    /// the username.
    fn insert_account(&self, account: NewAccount) -> Pending<Applied>;

    /// Applies a profile change to a live account and returns it as stored.
    ///
    /// When the change makes a private account public, the same transaction accepts
    /// every pending request to it, set-based: the requests turn `accepted`, their
    /// edges are created, counts move by the edges really created, and one
    /// `follow_request_accepted` notification per request is stored, made with
    /// [`Notification::request_accepted`], unless the requester's mute silences it;
    /// the stored ones are returned. The requests' `follow_request` notifications are
    /// marked read and `accepted`. A new display name replaces the account's stored
    /// name words ([`crate::search::name_words`]) in the same transaction.
    ///
    /// MUST return `Ok(None)` when the account is not live, and
    /// `Err(StoreError::Conflict)` when a new username is taken.
    fn update_profile(
        &self,
        id: AccountId,
        patch: &ProfilePatch,
        at: Timestamp,
    ) -> Result<Option<(Account, Vec<Notification>)>, StoreError>;

    /// Accounts matching `query` as `viewer` searches them, best first (see
    /// [`crate::search`]): one page after `query.after`, at most `query.limit + 1`
    /// (one more tells whether a next page exists). Never deleted accounts, nor
    /// accounts that block `viewer`. Display-name words are matched on the words the
    /// store keeps with each account ([`crate::search::name_words`]).
    fn search(
        &self,
        viewer: AccountId,
        query: &crate::search::SearchQuery,
    ) -> Result<Vec<crate::search::Ranked>, StoreError>;

    /// Soft-deletes a live account in one transaction: marks it deleted (freeing its
    /// username) and removes every edge, request, block and notification touching it,
    /// moving each counterpart's counts by the edges really removed.
    ///
    /// MUST return `Ok(Applied::Unchanged)` when the account is not live.
    fn soft_delete(&self, id: AccountId, at: Timestamp) -> Result<Applied, StoreError>;
}

/// Follow edges, follow requests and blocks.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait GraphStore: Send + Sync + 'static {
    /// Everything about the ordered pair `actor -> target` that a decision needs, read
    /// in one snapshot.
    fn pair(&self, actor: AccountId, target: AccountId) -> Pending<PairState>;

    /// [`GraphStore::pair`] for each of `targets` (distinct), in the order given, read
    /// in one snapshot with one connection: what a bulk follow decides from.
    fn pairs(&self, actor: AccountId, targets: Vec<AccountId>) -> Pending<Vec<PairState>>;

    /// How many pending follow requests `account` has received and sent.
    fn request_counts(&self, account: AccountId) -> Result<RequestCounts, StoreError>;

    /// Up to `limit` accounts to suggest to `viewer`, best first: accounts followed by
    /// the accounts `viewer` follows, ranked by how many of them follow each, then by
    /// `followers_count`, then by id; when `viewer` follows no one, the most-followed
    /// accounts. Never `viewer`, an account it follows or has a pending request to,
    /// one blocked either way, a deleted one, one it dismissed, or one it mutes (a mute
    /// in force at `now`).
    fn suggestions(&self, viewer: AccountId, limit: u32, now: Timestamp) -> Result<Vec<Suggestion>, StoreError>;

    /// Remembers that `viewer` never wants `target` suggested again (idempotent).
    fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId, at: Timestamp) -> Result<(), StoreError>;

    /// The follow request with this id, whatever its status.
    fn request(&self, id: RequestId) -> Result<Option<FollowRequest>, StoreError>;

    /// How `viewer` stands towards each of `targets` that is a live account, in the
    /// order given, without duplicates; unknown and deleted ids are left out.
    /// `is_self` is left false (the service sets it). `mute` is the viewer's stored
    /// mute of the target, expired or not: the service keeps it only while
    /// [`crate::MuteState::in_force`]. One round of queries, whatever the number of
    /// targets: never a query per target.
    fn relations(&self, viewer: AccountId, targets: &[AccountId]) -> Result<Vec<(AccountId, Relation)>, StoreError>;

    /// One page of `owner`'s followers or following, newest first (ties broken by
    /// account id), live accounts only. Keyset pages cost the same at any depth.
    /// `query` may narrow the list by a search, a relationship filter and a time
    /// window, all evaluated in the query (keyset pages stay index-driven). `total` is
    /// exact: the owner's stored count for the whole list, else the number of matches.
    fn list(&self, owner: AccountId, direction: Direction, query: &ListQuery) -> Result<ListPage<Account>, StoreError>;

    /// The accounts `blocker` blocks, newest block first, with when each was blocked.
    fn blocked_accounts(&self, blocker: AccountId, page: PageRequest) -> Result<Page<Listed>, StoreError>;

    /// Applies the transitions in one transaction, in order, and reports for each
    /// whether its guard held (see [`Transition`]). Notifications carried by a
    /// transition are stored only when it changed something, and never while their
    /// recipient mutes their actor with notifications at the notification's time
    /// ([`crate::MuteState::silences_notifications`]): a silenced notification is not
    /// stored, announced nor pushed, and the change itself still happens. Answering
    /// or withdrawing a request (accept, decline, cancel, block) writes its fate on
    /// the `follow_request` notification and marks it read; a spend carried by one is
    /// taken only then, and a used-up budget leaves it unchanged
    /// ([`Applied::Exhausted`]). Concurrent callers' transitions may share the
    /// transaction (group commit); each caller's are applied in its order, and the
    /// spends of one actor in the order they were submitted.
    ///
    /// A failed guard is not an error: it yields [`Applied::Unchanged`]. An `Err`
    /// means nothing of the transitions was committed. The answer arrives after the
    /// commit.
    fn apply(&self, transitions: Vec<Transition>) -> PendingApply;

    /// Stores `mute`, replacing the pair's mute if there is one.
    ///
    /// MUST return `Ok(false)`, storing nothing, when either account is not live.
    fn put_mute(&self, mute: &Mute) -> Result<bool, StoreError>;

    /// Removes `muter`'s mute of `muted`; whether there was one (in force or not).
    fn remove_mute(&self, muter: AccountId, muted: AccountId) -> Result<bool, StoreError>;

    /// `muter`'s mutes in force at `now` (`expires_at` absent or after `now`), newest
    /// first, live muted accounts only.
    fn mutes(&self, muter: AccountId, now: Timestamp, page: PageRequest) -> Result<Page<MutedAccount>, StoreError>;

    /// Which of `candidates` `muter` mutes at `now` (mutes in force only): the
    /// predicate "accounts X mutes", for anything that must leave muted accounts out
    /// (suggestions). One query, whatever the number of candidates.
    fn muted_among(
        &self,
        muter: AccountId,
        candidates: &[AccountId],
        now: Timestamp,
    ) -> Result<Vec<AccountId>, StoreError>;

    /// Pending requests to `target`, newest first, with each requester's account.
    fn requests_received(&self, target: AccountId, page: PageRequest) -> Result<Page<RequestListing>, StoreError>;

    /// Requests from `requester` (all of them, or those with `status`), newest first,
    /// with each target's account.
    fn requests_sent(
        &self,
        requester: AccountId,
        status: Option<RequestStatus>,
        page: PageRequest,
    ) -> Result<Page<RequestListing>, StoreError>;
}

/// The current time.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> Timestamp;
}

/// New ids.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait IdSource: Send + Sync + 'static {
    /// A new unique id; UUID v7 in production so ids sort by time.
    fn new_id(&self) -> Uuid;
}

/// Stored notifications, as their recipients read them.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait NotificationStore: Send + Sync + 'static {
    /// A page of `recipient`'s notifications matching `filter`, newest first, whose
    /// actors are live; with how many match.
    fn notifications(
        &self,
        recipient: AccountId,
        filter: KindFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<NotificationView>, i64), StoreError>;

    /// How many of `recipient`'s notifications are unread.
    fn unread_count(&self, recipient: AccountId) -> Result<i64, StoreError>;

    /// Marks `recipient`'s notifications read — all, or those of `ids` that are
    /// theirs (other ids are ignored) — and returns how many stay unread. The change
    /// and its announcement to other instances commit together.
    fn mark_read(
        &self,
        recipient: AccountId,
        ids: Option<Vec<NotificationId>>,
        at: Timestamp,
    ) -> Result<i64, StoreError>;

    /// `recipient`'s notifications created after `after` (ids sort by time), oldest
    /// first, at most `limit`: what a reconnecting stream missed.
    fn notifications_after(
        &self,
        recipient: AccountId,
        after: NotificationId,
        limit: i64,
    ) -> Result<Vec<NotificationView>, StoreError>;

    /// The notifications with these ids, ready to show (unknown ids left out).
    fn notification_views(&self, ids: &[NotificationId]) -> Result<Vec<NotificationView>, StoreError>;

    /// Registers a push target for `account`; a token already registered (to this or
    /// another account: the phone changed hands) moves to `account`.
    fn register_device(&self, account: AccountId, device: &Device, at: Timestamp) -> Result<(), StoreError>;

    /// Removes `account`'s push target; returns whether it was theirs.
    fn remove_device(&self, account: AccountId, token: &DeviceToken) -> Result<bool, StoreError>;
}

/// Delivers notifications that have been committed.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait Notifier: Send + Sync + 'static {
    /// Called after the transaction that stored `notifications` committed. Delivery is
    /// best effort and must not block: the notifications are already stored.
    fn publish(&self, notifications: &[Notification]);

    /// Called after `recipient`'s unread count dropped to `unread` (notifications were
    /// marked read), so every open stream of theirs can show it.
    fn unread_changed(&self, recipient: AccountId, unread: i64);
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// UUID v7 ids.
#[derive(Debug, Clone, Copy, Default)]
pub struct UuidV7;

impl IdSource for UuidV7 {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}

/// A notifier that drops everything: for embedding without live delivery.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNotifier;

impl Notifier for NoNotifier {
    fn publish(&self, _notifications: &[Notification]) {}

    fn unread_changed(&self, _recipient: AccountId, _unread: i64) {}
}

/// The event feed as stored (issue 24).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait EventStore: Send + Sync + 'static {
    /// Up to `limit` events after `after`, in feed order, of the types in `types` (all
    /// types when empty). Only events every later page will also see are answered:
    /// on PostgreSQL, those of transactions older than any still running, so an event
    /// committed later never lands before a position already answered.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read.
    fn events_after(&self, after: EventCursor, limit: usize, types: &[String]) -> Result<Vec<StoredEvent>, StoreError>;

    /// The position of the newest event pruned for age: a cursor before it has missed
    /// events. The default cursor when nothing was pruned yet.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read.
    fn pruned_through(&self) -> Result<EventCursor, StoreError>;

    /// The newest position any reader may have been given: the newest event's that
    /// [`EventStore::events_after`] answers, or the newest pruned one's when that is
    /// later (a feed pruned empty). A cursor after it was not issued by this feed.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot be read.
    fn feed_end(&self) -> Result<EventCursor, StoreError>;
}

/// Webhook endpoints and their delivery log (issue 24).
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait WebhookStore: Send + Sync + 'static {
    /// Registers an endpoint; it receives the events committed from now on.
    ///
    /// # Errors
    /// [`StoreError`].
    fn insert_webhook(&self, hook: &Webhook) -> Result<(), StoreError>;

    /// Every endpoint, oldest first.
    ///
    /// # Errors
    /// [`StoreError`].
    fn webhooks(&self) -> Result<Vec<Webhook>, StoreError>;

    /// One endpoint.
    ///
    /// # Errors
    /// [`StoreError`].
    fn webhook(&self, id: Uuid) -> Result<Option<Webhook>, StoreError>;

    /// Changes an endpoint; `None` when there is none with that id.
    ///
    /// # Errors
    /// [`StoreError`].
    fn update_webhook(&self, id: Uuid, patch: &WebhookPatch, at: Timestamp) -> Result<Option<Webhook>, StoreError>;

    /// Removes an endpoint and its deliveries; whether there was one.
    ///
    /// # Errors
    /// [`StoreError`].
    fn delete_webhook(&self, id: Uuid) -> Result<bool, StoreError>;

    /// Queues a delivery of `payload` (an event envelope), due at once.
    ///
    /// # Errors
    /// [`StoreError`].
    fn queue_delivery(&self, delivery: &Delivery, payload: &str) -> Result<(), StoreError>;

    /// Up to `limit` of the endpoint's deliveries, newest first, older than `before`
    /// when given, with status `status` when given.
    ///
    /// # Errors
    /// [`StoreError`].
    fn deliveries(
        &self,
        webhook: Uuid,
        status: Option<DeliveryStatus>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<Delivery>, StoreError>;

    /// Makes the endpoint's delivery pending and due at `at`; `None` when the endpoint
    /// has no such delivery.
    ///
    /// # Errors
    /// [`StoreError`].
    fn retry_delivery(&self, webhook: Uuid, delivery: Uuid, at: Timestamp) -> Result<Option<Delivery>, StoreError>;
}

/// Random signing secrets.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
pub trait SecretSource: Send + Sync + 'static {
    /// 32 bytes from a cryptographically secure source.
    fn secret_bytes(&self) -> [u8; 32];
}
