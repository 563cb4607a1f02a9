//! Lines as records: every field optional until its type asks for it.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use rookery_domain::{
    AccountId, Audience, Delivery, DeliveryStatus, DeviceToken, GraphPrivacy, NotificationId, NotificationKind,
    Platform, RequestFate, RequestId, RequestStatus, Timestamp, Username, Webhook,
};
use rookery_store::maintenance::{
    AccountRecord, BlockRecord, DeliveryRecord, DeviceRecord, DismissalRecord, FollowRecord, MuteRecord,
    NotificationRecord, PushRecord, QuotaRecord, Record, RequestRecord, WebhookRecord,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::webhooks::signature::SigningKey;

/// One line as read: every field optional, so that a missing one is reported by
/// name instead of as a JSON error. Borrowed where the text has no escapes.
#[derive(Deserialize)]
struct RawLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    username: Option<String>,
    full_name: Option<String>,
    bio: Option<String>,
    profile_image_url: Option<String>,
    banner_image_url: Option<String>,
    is_private: Option<bool>,
    is_verified: Option<bool>,
    followers_visibility: Option<String>,
    following_visibility: Option<String>,
    counts_visible: Option<bool>,
    posts_count: Option<i64>,
    #[serde(borrow)]
    viewer_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    dismissed_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    muter_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    muted_id: Option<Cow<'a, str>>,
    notifications: Option<bool>,
    #[serde(borrow)]
    expires_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    follower_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    followee_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    blocker_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    blocked_id: Option<Cow<'a, str>>,
    reason: Option<String>,
    #[serde(borrow)]
    requester_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    target_id: Option<Cow<'a, str>>,
    status: Option<String>,
    #[serde(borrow)]
    recipient_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    actor_id: Option<Cow<'a, str>>,
    #[serde(rename = "kind")]
    notification_kind: Option<String>,
    token: Option<String>,
    #[serde(borrow)]
    account_id: Option<Cow<'a, str>>,
    platform: Option<String>,
    #[serde(borrow)]
    notification_id: Option<Cow<'a, str>>,
    device_token: Option<String>,
    attempts: Option<i32>,
    used: Option<i32>,
    #[serde(borrow)]
    created_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    updated_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    deleted_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    read_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    next_attempt_at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    window_start: Option<Cow<'a, str>>,
    #[serde(borrow)]
    request_id: Option<Cow<'a, str>>,
    request_status: Option<String>,
    url: Option<String>,
    events: Option<Vec<String>>,
    description: Option<String>,
    secret: Option<String>,
    enabled: Option<bool>,
    consecutive_failures: Option<i32>,
    #[serde(borrow)]
    webhook_id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event_id: Option<Cow<'a, str>>,
    event_type: Option<String>,
    payload: Option<String>,
    last_status_code: Option<i32>,
    last_error: Option<String>,
    #[serde(borrow)]
    delivered_at: Option<Cow<'a, str>>,
}

/// Why a line was skipped before reaching the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not a JSON object of the expected shape.
    Json(String),
    /// `type` missing or not one of the record types.
    Type(Option<String>),
    /// A required field is absent.
    Missing(&'static str),
    /// A field that must be a UUID is not.
    Uuid(&'static str, String),
    /// The username fails the domain's rules.
    Username(String),
    /// An instant is not RFC 3339.
    Instant(&'static str, String),
    /// A field holds a value outside its set (status, kind, platform, token).
    Value(&'static str, String),
    /// The two accounts of an edge, block or request are the same.
    SelfEdge,
    /// A webhook's signing secret is not `whsec_` and base64 (never echoed).
    Secret,
}

impl LineError {
    /// A short name for the tally of skipped lines.
    pub const fn category(&self) -> &'static str {
        match self {
            Self::Json(_) => "bad JSON",
            Self::Type(_) => "unknown type",
            Self::Missing(_) => "missing field",
            Self::Uuid(..) => "bad UUID",
            Self::Username(_) => "invalid username",
            Self::Instant(..) => "bad timestamp",
            Self::Value(..) | Self::Secret => "bad value",
            Self::SelfEdge => "self-follow",
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Json(e) => write!(f, "bad JSON: {e}"),
            Self::Type(Some(t)) => write!(f, "unknown type {t:?}"),
            Self::Type(None) => f.write_str("missing \"type\""),
            Self::Missing(field) => write!(f, "missing {field:?}"),
            Self::Uuid(field, value) => write!(f, "{field} {value:?} is not a UUID"),
            Self::Username(e) => write!(f, "invalid username {e}"),
            Self::Instant(field, value) => write!(f, "{field} {value:?} is not an RFC 3339 timestamp"),
            Self::Value(field, value) => write!(f, "{field} {value:?} is not valid"),
            Self::SelfEdge => f.write_str("self-follow (both ids are the same account)"),
            Self::Secret => f.write_str("secret is not `whsec_` followed by base64 (not shown)"),
        }
    }
}

fn instant(field: &'static str, value: Option<&str>) -> Result<Option<Timestamp>, LineError> {
    value
        .map(|text| {
            DateTime::parse_from_rfc3339(text)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| LineError::Instant(field, text.to_owned()))
        })
        .transpose()
}

fn uuid(field: &'static str, value: Option<&str>) -> Result<Uuid, LineError> {
    let text = value.ok_or(LineError::Missing(field))?;
    Uuid::try_parse(text).map_err(|_| LineError::Uuid(field, text.to_owned()))
}

fn account_id(field: &'static str, value: Option<&str>) -> Result<AccountId, LineError> {
    uuid(field, value).map(AccountId::from_uuid)
}

fn pair(a: (&'static str, Option<&str>), b: (&'static str, Option<&str>)) -> Result<(AccountId, AccountId), LineError> {
    let (a, b) = (account_id(a.0, a.1)?, account_id(b.0, b.1)?);
    if a == b {
        return Err(LineError::SelfEdge);
    }
    Ok((a, b))
}

fn required<T>(field: &'static str, value: Option<T>) -> Result<T, LineError> {
    value.ok_or(LineError::Missing(field))
}

/// Reads one line (without its line break). `now` stands in for a missing
/// `created_at` (files written by hand, or by older versions for other fields).
///
/// # Errors
/// Why the line cannot be imported.
pub fn parse(line: &[u8], now: Timestamp) -> Result<Record, LineError> {
    let raw: RawLine<'_> = serde_json::from_slice(line).map_err(|e| LineError::Json(e.to_string()))?;
    let created_at = instant("created_at", raw.created_at.as_deref())?.unwrap_or(now);
    match raw.kind.as_deref() {
        Some("account") => {
            let id = account_id("id", raw.id.as_deref())?;
            let name = required("username", raw.username)?;
            let username = Username::parse(&name).map_err(|e| LineError::Username(format!("{name:?}: {e}")))?;
            // Files from before list audiences existed carry none: everything visible.
            let audience = |field: &'static str, raw: Option<String>| match raw {
                None => Ok(Audience::Everyone),
                Some(text) => Audience::parse(field, &text).map_err(|_| LineError::Value(field, text)),
            };
            let privacy = GraphPrivacy {
                followers: audience("followers_visibility", raw.followers_visibility)?,
                following: audience("following_visibility", raw.following_visibility)?,
                counts_visible: raw.counts_visible.unwrap_or(true),
            };
            Ok(Record::Account(AccountRecord {
                id,
                username,
                full_name: raw.full_name,
                bio: raw.bio,
                profile_image_url: raw.profile_image_url,
                banner_image_url: raw.banner_image_url,
                is_private: raw.is_private.unwrap_or(false),
                is_verified: raw.is_verified.unwrap_or(false),
                privacy,
                posts_count: raw.posts_count.unwrap_or(0),
                created_at,
                updated_at: instant("updated_at", raw.updated_at.as_deref())?.unwrap_or(created_at),
                deleted_at: instant("deleted_at", raw.deleted_at.as_deref())?,
            }))
        }
        Some("follow") => {
            let (follower_id, followee_id) =
                pair(("follower_id", raw.follower_id.as_deref()), ("followee_id", raw.followee_id.as_deref()))?;
            Ok(Record::Follow(FollowRecord { follower_id, followee_id, created_at }))
        }
        Some("block") => {
            let (blocker_id, blocked_id) =
                pair(("blocker_id", raw.blocker_id.as_deref()), ("blocked_id", raw.blocked_id.as_deref()))?;
            Ok(Record::Block(BlockRecord { blocker_id, blocked_id, reason: raw.reason, created_at }))
        }
        Some("follow_request") => {
            let id = RequestId::from_uuid(uuid("id", raw.id.as_deref())?);
            let (requester_id, target_id) =
                pair(("requester_id", raw.requester_id.as_deref()), ("target_id", raw.target_id.as_deref()))?;
            let status = required("status", raw.status)?;
            let status = RequestStatus::parse(&status).ok_or(LineError::Value("status", status))?;
            let updated_at = instant("updated_at", raw.updated_at.as_deref())?;
            Ok(Record::Request(RequestRecord { id, requester_id, target_id, status, created_at, updated_at }))
        }
        Some("notification") => {
            let id = NotificationId::from_uuid(uuid("id", raw.id.as_deref())?);
            let recipient_id = account_id("recipient_id", raw.recipient_id.as_deref())?;
            let actor_id = account_id("actor_id", raw.actor_id.as_deref())?;
            let kind = required("kind", raw.notification_kind)?;
            let kind = NotificationKind::parse(&kind).ok_or(LineError::Value("kind", kind))?;
            let read_at = instant("read_at", raw.read_at.as_deref())?;
            let request_id = raw.request_id.as_deref().map(|id| uuid("request_id", Some(id))).transpose()?;
            let request_status = raw
                .request_status
                .map(|fate| RequestFate::parse(&fate).ok_or(LineError::Value("request_status", fate)))
                .transpose()?;
            Ok(Record::Notification(NotificationRecord {
                id,
                recipient_id,
                actor_id,
                kind,
                created_at,
                read_at,
                request_id: request_id.map(RequestId::from_uuid),
                request_status,
            }))
        }
        Some("device") => {
            let token = required("token", raw.token)?;
            let token = DeviceToken::parse(&token).map_err(|_| LineError::Value("token", token))?;
            let account_id = account_id("account_id", raw.account_id.as_deref())?;
            let platform = required("platform", raw.platform)?;
            let platform = Platform::parse(&platform).map_err(|_| LineError::Value("platform", platform))?;
            Ok(Record::Device(DeviceRecord {
                token: token.as_str().to_owned(),
                account_id,
                platform: platform.as_str().to_owned(),
                created_at,
                updated_at: instant("updated_at", raw.updated_at.as_deref())?.unwrap_or(created_at),
            }))
        }
        Some("push") => {
            let notification_id = uuid("notification_id", raw.notification_id.as_deref())?;
            let device_token = required("device_token", raw.device_token)?;
            let attempts = raw.attempts.unwrap_or(0);
            if attempts < 0 {
                return Err(LineError::Value("attempts", attempts.to_string()));
            }
            let next_attempt_at = instant("next_attempt_at", raw.next_attempt_at.as_deref())?.unwrap_or(created_at);
            Ok(Record::Push(PushRecord { notification_id, device_token, attempts, next_attempt_at, created_at }))
        }
        Some("follow_quota") => {
            let account_id = account_id("account_id", raw.account_id.as_deref())?;
            let window_start = required("window_start", instant("window_start", raw.window_start.as_deref())?)?;
            let used = required("used", raw.used)?;
            if used < 0 {
                return Err(LineError::Value("used", used.to_string()));
            }
            Ok(Record::Quota(QuotaRecord { account_id, window_start, used }))
        }
        Some("mute") => {
            let (muter_id, muted_id) =
                pair(("muter_id", raw.muter_id.as_deref()), ("muted_id", raw.muted_id.as_deref()))?;
            let expires_at = instant("expires_at", raw.expires_at.as_deref())?;
            Ok(Record::Mute(MuteRecord {
                muter_id,
                muted_id,
                notifications: raw.notifications.unwrap_or(true),
                expires_at,
                created_at,
            }))
        }
        Some("suggestion_dismissal") => {
            let (viewer_id, dismissed_id) =
                pair(("viewer_id", raw.viewer_id.as_deref()), ("dismissed_id", raw.dismissed_id.as_deref()))?;
            Ok(Record::Dismissal(DismissalRecord { viewer_id, dismissed_id, created_at }))
        }
        Some("webhook") => {
            let id = uuid("id", raw.id.as_deref())?;
            let url = required("url", raw.url)?;
            let events = required("events", raw.events)?;
            // Stored comma-joined, so a name outside the known set (or a comma) would
            // come back as other subscriptions.
            if events.is_empty() || !events.iter().all(|e| rookery_domain::event::is_event_type(e)) {
                return Err(LineError::Value("events", events.join(",")));
            }
            // Checked as the admin API and the sender would: an endpoint that could never
            // be delivered to is refused here, not disabled after fifty failures.
            if rookery_domain::WebUrl::parse(&url).is_err() {
                return Err(LineError::Value("url", url));
            }
            let secret = required("secret", raw.secret)?;
            if !secret.starts_with("whsec_") || SigningKey::from_secret(&secret).is_err() {
                return Err(LineError::Secret);
            }
            let consecutive_failures = raw.consecutive_failures.unwrap_or(0);
            if consecutive_failures < 0 {
                return Err(LineError::Value("consecutive_failures", consecutive_failures.to_string()));
            }
            let webhook = Webhook {
                id,
                url,
                events,
                description: raw.description,
                secret,
                enabled: raw.enabled.unwrap_or(true),
                created_at,
                updated_at: instant("updated_at", raw.updated_at.as_deref())?.unwrap_or(created_at),
            };
            Ok(Record::Webhook(WebhookRecord { webhook, consecutive_failures }))
        }
        Some("webhook_delivery") => {
            let id = uuid("id", raw.id.as_deref())?;
            let webhook_id = uuid("webhook_id", raw.webhook_id.as_deref())?;
            let event_id = uuid("event_id", raw.event_id.as_deref())?;
            let event_type = required("event_type", raw.event_type)?;
            let payload = required("payload", raw.payload)?;
            let status = required("status", raw.status)?;
            let status = DeliveryStatus::parse(&status).ok_or(LineError::Value("status", status))?;
            let attempts = raw.attempts.unwrap_or(0);
            if attempts < 0 {
                return Err(LineError::Value("attempts", attempts.to_string()));
            }
            let mut next_attempt_at = instant("next_attempt_at", raw.next_attempt_at.as_deref())?;
            // A pending delivery without a due time would never be sent.
            if status == DeliveryStatus::Pending && next_attempt_at.is_none() {
                next_attempt_at = Some(created_at);
            }
            let delivery = Delivery {
                id,
                webhook_id,
                event_id,
                event_type,
                status,
                attempts,
                last_status_code: raw.last_status_code,
                last_error: raw.last_error,
                next_attempt_at,
                delivered_at: instant("delivered_at", raw.delivered_at.as_deref())?,
                created_at,
            };
            Ok(Record::Delivery(DeliveryRecord { delivery, payload }))
        }
        other => Err(LineError::Type(other.map(str::to_owned))),
    }
}
