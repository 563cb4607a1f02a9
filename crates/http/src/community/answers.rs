//! Every answer of the canonical dialect, as the very types serialized. The OpenAPI
//! document is derived from these (`ToSchema`), so what it describes is what goes on
//! the wire: a field added here is documented, a field renamed here is renamed there.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use rookery_domain::{Listed, Notification, NotificationView, ProfileView, Relation, RequestListing, RequestStatus};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::{Object, ObjectBuilder, Type};

use super::profile_object::ProfileObject;
use super::states::{NotificationType, PlatformName, RequestFateName, RequestOutcome, RequestState, state};
use crate::time::rfc3339;

/// Seed 002's success envelope, with the `success` flag its app checks.
#[derive(Debug, Serialize, ToSchema)]
pub struct Envelope<T> {
    /// Always `success`.
    #[schema(schema_with = success_tag)]
    status: &'static str,
    /// Always `true`.
    #[schema(schema_with = true_value)]
    success: bool,
    /// What happened, for people.
    message: String,
    /// The answer.
    data: T,
}

/// A success answer: `data` in the envelope, under `status`.
pub fn ok<T: Serialize>(status: StatusCode, message: &str, data: T) -> HttpResponse {
    HttpResponse::build(status).json(Envelope { status: "success", success: true, message: message.to_owned(), data })
}

/// A JSON string that can only be `value`.
pub(crate) fn constant(value: &str) -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some([value])).build()
}

fn success_tag() -> Object {
    constant("success")
}

pub(crate) fn true_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([true])).build()
}

pub(crate) fn null_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Null).build()
}

// ---------------------------------------------------------------------------------
// Follows.

/// The answer to a follow or an unfollow (seed 002's `FollowResponseWithStatus`).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowAnswer {
    /// Whether the caller now follows the account.
    pub is_following: bool,
    /// `pending` when a request was sent to a private account instead; otherwise null.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    /// The same as the envelope's: `Successfully followed user`, `Follow request sent`,
    /// `Already following this user`, `Successfully unfollowed user`, `Follow request
    /// cancelled` or `Not following this user`.
    pub message: &'static str,
}

/// How the caller stands towards an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowStatus {
    /// The caller follows them.
    pub is_following: bool,
    /// They follow the caller.
    pub is_followed_by: bool,
    /// Both.
    pub is_mutual: bool,
    /// The caller's latest request to them, if any.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
}

impl From<&Relation> for FollowStatus {
    fn from(relation: &Relation) -> Self {
        Self {
            is_following: relation.is_following,
            is_followed_by: relation.follows_viewer,
            is_mutual: relation.is_mutual(),
            follow_request_status: state(relation.request_status),
        }
    }
}

// ---------------------------------------------------------------------------------
// Follow requests.

/// What every request object carries, whichever side lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestFields {
    /// The request's id.
    #[schema(format = Uuid)]
    pub id: String,
    /// Who asked.
    #[schema(format = Uuid)]
    pub requester_id: String,
    /// Who was asked.
    #[schema(format = Uuid)]
    pub target_id: String,
    /// The request's state.
    pub status: RequestState,
    /// When it was made.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// When it was answered; null while pending.
    #[schema(format = DateTime, required = true)]
    pub updated_at: Option<String>,
}

impl From<&RequestListing> for RequestFields {
    fn from(listing: &RequestListing) -> Self {
        let r = &listing.request;
        Self {
            id: r.id.to_string(),
            requester_id: r.requester.to_string(),
            target_id: r.target.to_string(),
            status: r.status.into(),
            created_at: rfc3339(r.created_at),
            updated_at: r.updated_at.map(rfc3339),
        }
    }
}

/// A request received, with the requester's name, avatar and badge.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceivedRequest {
    #[serde(flatten)]
    pub request: RequestFields,
    /// The requester's username.
    pub requester_username: String,
    /// The requester's display name.
    #[schema(required = true)]
    pub requester_full_name: Option<String>,
    /// The requester's avatar.
    #[schema(required = true)]
    pub requester_profile_image_url: Option<String>,
    /// The requester's badge.
    pub requester_is_verified: bool,
}

impl From<&RequestListing> for ReceivedRequest {
    fn from(listing: &RequestListing) -> Self {
        let c = &listing.counterpart;
        Self {
            request: listing.into(),
            requester_username: c.username.to_string(),
            requester_full_name: c.full_name.clone(),
            requester_profile_image_url: c.profile_image_url.clone(),
            requester_is_verified: c.is_verified,
        }
    }
}

/// A request sent, with the target's name, avatar and badge.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentRequest {
    #[serde(flatten)]
    pub request: RequestFields,
    /// The target's username.
    pub target_username: String,
    /// The target's display name.
    #[schema(required = true)]
    pub target_full_name: Option<String>,
    /// The target's avatar.
    #[schema(required = true)]
    pub target_profile_image_url: Option<String>,
    /// The target's badge.
    pub target_is_verified: bool,
}

impl From<&RequestListing> for SentRequest {
    fn from(listing: &RequestListing) -> Self {
        let c = &listing.counterpart;
        Self {
            request: listing.into(),
            target_username: c.username.to_string(),
            target_full_name: c.full_name.clone(),
            target_profile_image_url: c.profile_image_url.clone(),
            target_is_verified: c.is_verified,
        }
    }
}

/// A page of pending requests (received or sent), newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestPage<R> {
    /// The requests.
    pub requests: Vec<R>,
    /// Pending requests in all.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether a later page has items.
    pub has_more: bool,
}

/// The answer to accept, decline and cancel, as seed 002's app reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestAnswer {
    /// Always `true`.
    #[schema(schema_with = true_value)]
    pub success: bool,
    /// The same as the envelope's.
    pub message: &'static str,
    /// What became of the request.
    pub status: RequestOutcome,
    /// The request's id (accept and decline only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
}

/// The caller's latest request to an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestStatusAnswer {
    /// Its state; null when there is none.
    #[schema(required = true)]
    pub status: Option<RequestState>,
    /// Whether there is one.
    pub has_request: bool,
}

impl RequestStatusAnswer {
    /// The answer for the caller's latest request, if any.
    #[must_use]
    pub fn of(status: Option<RequestStatus>) -> Self {
        Self { status: state(status), has_request: status.is_some() }
    }
}

// ---------------------------------------------------------------------------------
// Lists.

/// A profile object in a followers or following list.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowedProfile {
    #[serde(flatten)]
    pub profile: ProfileObject,
    /// When the follow was made.
    #[schema(format = DateTime)]
    pub followed_at: String,
}

impl From<&Listed<ProfileView>> for FollowedProfile {
    fn from(listed: &Listed<ProfileView>) -> Self {
        Self { profile: ProfileObject::from(&listed.item), followed_at: rfc3339(listed.since) }
    }
}

/// A page of a followers or following list: `followed_at` descending (newest first),
/// ties by account id descending.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    /// The accounts, as the caller sees each.
    pub users: Vec<FollowedProfile>,
    /// The list's length (the account's stored count), or the number of matches with
    /// `search_query`; null when the account hides its counts from the caller.
    #[schema(minimum = 0, required = true)]
    pub total: Option<i64>,
    /// This page's number, from 1; null when paging by cursor.
    #[schema(minimum = 1, required = true)]
    pub page: Option<u32>,
    /// Items per page (`page_size` or `limit`).
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether more items follow.
    pub has_more: bool,
    /// Give it as `cursor` for the next page; null on the last one.
    #[schema(required = true, pattern = "^[0-9a-f]{48}$")]
    pub next_cursor: Option<String>,
}

/// The caller's relation to one account.
#[derive(Debug, Serialize, ToSchema)]
pub struct Relationship {
    /// The account.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// It is the caller.
    pub is_self: bool,
    /// The caller follows it.
    pub is_following: bool,
    /// It follows the caller.
    pub is_followed_by: bool,
    /// Both.
    pub is_mutual: bool,
    /// The caller's latest request to it.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    /// Its latest request to the caller.
    #[schema(required = true)]
    pub incoming_request_status: Option<RequestState>,
    /// The caller blocks it.
    pub is_blocking: bool,
    /// It blocks the caller.
    pub is_blocked_by: bool,
    /// The caller mutes it (private to the caller).
    pub is_muting: bool,
    /// The caller's mute silences its notifications.
    pub muting_notifications: bool,
    /// When the caller's mute ends; null while not muted or muted until unmuted.
    #[schema(format = DateTime, required = true)]
    pub mute_expires_at: Option<String>,
}

impl Relationship {
    /// The caller's relation to `user_id`.
    #[must_use]
    pub fn of(user_id: impl ToString, r: &Relation) -> Self {
        Self {
            user_id: user_id.to_string(),
            is_self: r.is_self,
            is_following: r.is_following,
            is_followed_by: r.follows_viewer,
            is_mutual: r.is_mutual(),
            follow_request_status: state(r.request_status),
            incoming_request_status: state(r.incoming_request_status),
            is_blocking: r.is_blocking,
            is_blocked_by: r.is_blocked_by,
            is_muting: r.mute.is_some(),
            muting_notifications: r.mute.is_some_and(|m| m.notifications),
            mute_expires_at: r.mute.and_then(|m| m.expires_at).map(rfc3339),
        }
    }
}

/// Relations to the live accounts among those asked about.
#[derive(Debug, Serialize, ToSchema)]
pub struct Relationships {
    /// One per live account asked about; unknown ids are left out.
    pub relationships: Vec<Relationship>,
}

// ---------------------------------------------------------------------------------
// Blocks.

/// The answer to removing a follower.
#[derive(Debug, Serialize, ToSchema)]
pub struct RemovedFollower {
    /// Whether the account did follow the caller (`Follower removed`) or not (`This
    /// user does not follow you`).
    pub removed: bool,
    /// The same as the envelope's.
    pub message: &'static str,
}

/// The answer to a block or an unblock.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockAnswer {
    /// Whether the caller now blocks the account.
    pub is_blocked: bool,
    /// The same as the envelope's: `User blocked`, `User already blocked`, `User
    /// unblocked` or `User was not blocked`.
    pub message: &'static str,
}

/// Blocks between the caller and an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockStatus {
    /// The caller blocks the account.
    pub is_blocked: bool,
    /// The account blocks the caller.
    pub is_blocked_by: bool,
}

/// A profile object in the list of blocked accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedProfile {
    #[serde(flatten)]
    pub profile: ProfileObject,
    /// When the block was made.
    #[schema(format = DateTime)]
    pub blocked_at: String,
}

impl From<&Listed<ProfileView>> for BlockedProfile {
    fn from(listed: &Listed<ProfileView>) -> Self {
        Self { profile: ProfileObject::from(&listed.item), blocked_at: rfc3339(listed.since) }
    }
}

/// A page of the accounts the caller blocks, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockedPage {
    /// The accounts.
    pub users: Vec<BlockedProfile>,
    /// Blocked accounts in all.
    #[schema(minimum = 0)]
    pub total: i64,
    /// This page's number, from 1.
    #[schema(minimum = 1)]
    pub page: u32,
    /// Items per page.
    #[schema(minimum = 1, maximum = 100)]
    pub page_size: u32,
    /// Whether a later page has items.
    pub has_more: bool,
}

// ---------------------------------------------------------------------------------
// Notifications.

/// Who caused a notification. `profile_picture_url` repeats `profile_image_url`
/// because the seed app's list parser reads that name.
#[derive(Debug, Serialize, ToSchema)]
pub struct Actor {
    /// The account.
    #[schema(format = Uuid)]
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its display name.
    #[schema(required = true)]
    pub full_name: Option<String>,
    /// Its avatar.
    #[schema(required = true)]
    pub profile_image_url: Option<String>,
    /// The same as `profile_image_url`: the name seed 002's app reads.
    #[schema(required = true)]
    pub profile_picture_url: Option<String>,
}

impl From<&NotificationView> for Actor {
    fn from(view: &NotificationView) -> Self {
        Self {
            id: view.actor.id.to_string(),
            username: view.actor.username.to_string(),
            full_name: view.actor.full_name.clone(),
            profile_image_url: view.actor.profile_image_url.clone(),
            profile_picture_url: view.actor.profile_image_url.clone(),
        }
    }
}

/// A notification in the inbox.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationItem {
    /// The notification's id (UUID v7: they sort by time).
    #[schema(format = Uuid)]
    pub id: String,
    /// The same as `id`.
    #[schema(format = Uuid)]
    pub notification_id: String,
    /// What it is about.
    #[serde(rename = "type")]
    pub kind: NotificationType,
    /// For people: `alice started following you`, `alice wants to follow you`, `bob
    /// accepted your follow request`.
    pub message: String,
    /// Who caused it.
    pub actor: Actor,
    /// Always null: Rookery has no posts.
    #[schema(schema_with = null_value)]
    pub post_id: (),
    /// When it happened.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Whether it was marked seen.
    pub is_read: bool,
    #[serde(flatten)]
    pub request: Option<RequestOfNotification>,
}

/// What a `follow_request` notification adds: its request, as it stands now. Other
/// kinds have neither field.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestOfNotification {
    /// The request's id.
    #[schema(format = Uuid)]
    pub request_id: String,
    /// The request as it stands now (`cancelled` once withdrawn).
    #[schema(required = true)]
    pub request_status: Option<RequestFateName>,
}

impl RequestOfNotification {
    /// The request of `view`'s notification, if it is about one.
    #[must_use]
    pub fn of(view: &NotificationView) -> Option<Self> {
        view.notification.request.map(|id| Self {
            request_id: id.to_string(),
            request_status: view.request_status.map(RequestFateName::from),
        })
    }
}

impl From<&NotificationView> for NotificationItem {
    fn from(view: &NotificationView) -> Self {
        let n: &Notification = &view.notification;
        Self {
            id: n.id.to_string(),
            notification_id: n.id.to_string(),
            kind: n.kind.into(),
            message: view.message(),
            actor: view.into(),
            post_id: (),
            created_at: rfc3339(n.created_at),
            is_read: view.is_read,
            request: RequestOfNotification::of(view),
        }
    }
}

/// A page of the caller's notifications, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationPage {
    /// The notifications.
    pub notifications: Vec<NotificationItem>,
    /// Notifications matching `type` in all.
    #[schema(minimum = 0)]
    pub total_count: i64,
    /// Unread notifications of the caller.
    #[schema(minimum = 0)]
    pub unread_count: i64,
    /// `limit` as asked (default 20).
    #[schema(minimum = 1, maximum = 100)]
    pub limit: i64,
    /// `offset` as asked (default 0).
    #[schema(minimum = 0)]
    pub offset: i64,
    /// `type` as asked; null without one.
    #[schema(required = true)]
    pub filter_type: Option<String>,
}

/// The caller's unread notifications.
#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCount {
    /// How many.
    #[schema(minimum = 0)]
    pub unread_count: i64,
}

/// A registered push target.
#[derive(Debug, Serialize, ToSchema)]
pub struct Device {
    /// The token as stored (trimmed).
    pub token: String,
    /// Its platform, lower-cased.
    pub platform: PlatformName,
}

/// The answer to removing a push target.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceRemoved {
    /// Whether the caller had that token (`Device removed`) or not (`No such device`).
    pub removed: bool,
}

// ---------------------------------------------------------------------------------
// Admin.

/// The answer to an admin delete.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountRemoved {
    /// The account deleted.
    #[schema(format = Uuid)]
    pub user_id: String,
    /// Always `true`.
    #[schema(schema_with = true_value)]
    pub deleted: bool,
}
