//! What bulk transfer moves: every table, row for row, but for the counts (they follow
//! from the edges and are recomputed after an import) and the event feed (a move starts
//! a new one, so webhook endpoints travel without their place in it). Deleted accounts travel too,
//! with their `deleted_at`: their ids stay taken, so a token still naming one cannot
//! provision it anew on the other side.

use rookery_domain::{
    AccountId, Delivery, GraphPrivacy, NotificationId, NotificationKind, RequestFate, RequestId, RequestStatus,
    Timestamp, Username, Webhook,
};
use uuid::Uuid;

/// An account's identity and profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// The account id, kept as is so that tokens keep naming the same account.
    pub id: AccountId,
    /// Unique among live accounts, case-insensitively.
    pub username: Username,
    /// Display name.
    pub full_name: Option<String>,
    /// Profile text.
    pub bio: Option<String>,
    /// Avatar URL.
    pub profile_image_url: Option<String>,
    /// Banner URL.
    pub banner_image_url: Option<String>,
    /// Follows of a private account go through requests.
    pub is_private: bool,
    /// The verified badge.
    pub is_verified: bool,
    /// Who sees its lists and counts.
    pub privacy: GraphPrivacy,
    /// Owned by the posting service; carried over as is. Never negative.
    pub posts_count: i64,
    /// When the account was created.
    pub created_at: Timestamp,
    /// When its profile last changed.
    pub updated_at: Timestamp,
    /// When it was soft-deleted, if it was.
    pub deleted_at: Option<Timestamp>,
}

/// A follow edge: `follower_id` follows `followee_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowRecord {
    /// Who follows.
    pub follower_id: AccountId,
    /// Who is followed.
    pub followee_id: AccountId,
    /// When the edge was made.
    pub created_at: Timestamp,
}

/// A follow request in any status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    /// The request id.
    pub id: RequestId,
    /// Who asked.
    pub requester_id: AccountId,
    /// Who was asked.
    pub target_id: AccountId,
    /// Pending, accepted or declined.
    pub status: RequestStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was answered.
    pub updated_at: Option<Timestamp>,
}

/// A block: `blocker_id` blocks `blocked_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRecord {
    /// Who blocks.
    pub blocker_id: AccountId,
    /// Who is blocked.
    pub blocked_id: AccountId,
    /// Why, as the blocker said.
    pub reason: Option<String>,
    /// When.
    pub created_at: Timestamp,
}

/// A notification with its read state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationRecord {
    /// The notification id (time-ordered).
    pub id: NotificationId,
    /// Who it is for.
    pub recipient_id: AccountId,
    /// Who caused it.
    pub actor_id: AccountId,
    /// What happened.
    pub kind: NotificationKind,
    /// When.
    pub created_at: Timestamp,
    /// When the recipient read it, if they did.
    pub read_at: Option<Timestamp>,
    /// The request a `follow_request` notification is about.
    pub request_id: Option<RequestId>,
    /// What became of that request.
    pub request_status: Option<RequestFate>,
}

/// A registered push device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The push token (the key).
    pub token: String,
    /// Whose device it is.
    pub account_id: AccountId,
    /// `android`, `ios` or `web`.
    pub platform: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it was last registered again.
    pub updated_at: Timestamp,
}

/// A push still to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushRecord {
    /// The notification to push.
    pub notification_id: Uuid,
    /// The device to push it to.
    pub device_token: String,
    /// Attempts made so far.
    pub attempts: i32,
    /// When the next attempt is due.
    pub next_attempt_at: Timestamp,
    /// When it was queued.
    pub created_at: Timestamp,
}

/// An account's follow budget in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaRecord {
    /// Whose budget.
    pub account_id: AccountId,
    /// When the window started.
    pub window_start: Timestamp,
    /// Follows spent in it.
    pub used: i32,
}

/// A mute, in force or expired (an expired one is kept as the store keeps it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MuteRecord {
    /// Who mutes.
    pub muter_id: AccountId,
    /// Who is muted.
    pub muted_id: AccountId,
    /// Whether notifications from the muted account are silenced too.
    pub notifications: bool,
    /// When it ends by itself; `None` lasts until unmuted.
    pub expires_at: Option<Timestamp>,
    /// When it was made (or last changed).
    pub created_at: Timestamp,
}

/// A suggestion dismissed for good: `dismissed_id` is never suggested to `viewer_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DismissalRecord {
    /// Who dismissed it.
    pub viewer_id: AccountId,
    /// The account dismissed.
    pub dismissed_id: AccountId,
    /// When.
    pub created_at: Timestamp,
}

/// A webhook endpoint, without its place in the event feed: a move starts a new feed,
/// and the importing database sets the endpoint at its own feed's head. Its id is kept,
/// so the admin API and the deliveries keep naming it, and its secret, so receivers
/// keep verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookRecord {
    /// The endpoint.
    pub webhook: Webhook,
    /// Final failures in a row so far.
    pub consecutive_failures: i32,
}

/// A delivery of an event to an endpoint, sent or still to send. Its lease is not
/// carried: nothing is in flight on the importing database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    /// The delivery and how its attempts went.
    pub delivery: Delivery,
    /// The envelope as sent, verbatim (it outlives the event).
    pub payload: String,
}

/// One row of any table, as export writes it and import reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// An account.
    Account(AccountRecord),
    /// A block.
    Block(BlockRecord),
    /// A follow edge.
    Follow(FollowRecord),
    /// A follow request.
    Request(RequestRecord),
    /// A notification.
    Notification(NotificationRecord),
    /// A push device.
    Device(DeviceRecord),
    /// A queued push.
    Push(PushRecord),
    /// A follow budget.
    Quota(QuotaRecord),
    /// A mute.
    Mute(MuteRecord),
    /// A dismissed suggestion.
    Dismissal(DismissalRecord),
    /// A webhook endpoint.
    Webhook(WebhookRecord),
    /// A webhook delivery.
    Delivery(DeliveryRecord),
}

/// The kinds of records, in the order export writes them and import applies a batch:
/// accounts before everything that names them, blocks before the follows and requests
/// they forbid, notifications and devices before the pushes that name them, webhook
/// endpoints before their deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RecordKind {
    /// [`AccountRecord`].
    Account,
    /// [`BlockRecord`].
    Block,
    /// [`FollowRecord`].
    Follow,
    /// [`RequestRecord`].
    Request,
    /// [`NotificationRecord`].
    Notification,
    /// [`DeviceRecord`].
    Device,
    /// [`PushRecord`].
    Push,
    /// [`QuotaRecord`].
    Quota,
    /// [`MuteRecord`].
    Mute,
    /// [`DismissalRecord`].
    Dismissal,
    /// [`WebhookRecord`].
    Webhook,
    /// [`DeliveryRecord`].
    Delivery,
}

impl RecordKind {
    /// Every kind, in export order.
    pub const ALL: [Self; 12] = [
        Self::Account,
        Self::Block,
        Self::Follow,
        Self::Request,
        Self::Notification,
        Self::Device,
        Self::Push,
        Self::Quota,
        Self::Mute,
        Self::Dismissal,
        Self::Webhook,
        Self::Delivery,
    ];

    /// The plural the reports use.
    #[must_use]
    pub const fn plural(self) -> &'static str {
        match self {
            Self::Account => "accounts",
            Self::Block => "blocks",
            Self::Follow => "follows",
            Self::Request => "follow requests",
            Self::Notification => "notifications",
            Self::Device => "devices",
            Self::Push => "queued pushes",
            Self::Quota => "follow quotas",
            Self::Mute => "mutes",
            Self::Dismissal => "suggestion dismissals",
            Self::Webhook => "webhook endpoints",
            Self::Delivery => "webhook deliveries",
        }
    }
}

impl Record {
    /// Which kind it is.
    #[must_use]
    pub const fn kind(&self) -> RecordKind {
        match self {
            Self::Account(_) => RecordKind::Account,
            Self::Block(_) => RecordKind::Block,
            Self::Follow(_) => RecordKind::Follow,
            Self::Request(_) => RecordKind::Request,
            Self::Notification(_) => RecordKind::Notification,
            Self::Device(_) => RecordKind::Device,
            Self::Push(_) => RecordKind::Push,
            Self::Quota(_) => RecordKind::Quota,
            Self::Mute(_) => RecordKind::Mute,
            Self::Dismissal(_) => RecordKind::Dismissal,
            Self::Webhook(_) => RecordKind::Webhook,
            Self::Delivery(_) => RecordKind::Delivery,
        }
    }
}
