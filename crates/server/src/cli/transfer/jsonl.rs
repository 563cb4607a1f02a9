//! The JSON Lines format of `rookery export` and `rookery import`: one object per
//! line, its `"type"` naming the table (`account`, `block`, `follow`,
//! `follow_request`, `notification`, `device`, `push`, `follow_quota`, `mute`,
//! `suggestion_dismissal`, `webhook`, `webhook_delivery`), ids as hyphenated UUIDs and
//! instants as RFC 3339 UTC with up to microseconds.
//! docs/operations.md describes it for users.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use rookery_domain::{
    AccountId, Audience, Delivery, DeliveryStatus, DeviceToken, GraphPrivacy, NotificationId, NotificationKind,
    Platform, RequestFate, RequestId, RequestStatus, Timestamp, Username, Webhook,
};
use rookery_store::maintenance::{
    AccountRecord, BlockRecord, DeliveryRecord, DeviceRecord, DismissalRecord, FollowRecord, MuteRecord,
    NotificationRecord, PushRecord, QuotaRecord, Record, RequestRecord, WebhookRecord,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::webhooks::signature::SigningKey;

/// How an instant is written.
fn rfc3339(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn opt_rfc3339(at: Option<Timestamp>) -> Option<String> {
    at.map(rfc3339)
}

/// A line as written, field order fixed per type (what export writes).
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Out<'a> {
    Account {
        id: Uuid,
        username: &'a str,
        full_name: Option<&'a str>,
        bio: Option<&'a str>,
        profile_image_url: Option<&'a str>,
        banner_image_url: Option<&'a str>,
        is_private: bool,
        is_verified: bool,
        followers_visibility: &'static str,
        following_visibility: &'static str,
        counts_visible: bool,
        posts_count: i64,
        created_at: String,
        updated_at: String,
        deleted_at: Option<String>,
    },
    Block {
        blocker_id: Uuid,
        blocked_id: Uuid,
        reason: Option<&'a str>,
        created_at: String,
    },
    Follow {
        follower_id: Uuid,
        followee_id: Uuid,
        created_at: String,
    },
    FollowRequest {
        id: Uuid,
        requester_id: Uuid,
        target_id: Uuid,
        status: &'static str,
        created_at: String,
        updated_at: Option<String>,
    },
    Notification {
        id: Uuid,
        recipient_id: Uuid,
        actor_id: Uuid,
        kind: &'static str,
        created_at: String,
        read_at: Option<String>,
        // Absent rather than null: only follow_request notifications have them, and a
        // file from before they existed reads the same.
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<Uuid>,
        #[serde(skip_serializing_if = "Option::is_none")]
        request_status: Option<&'static str>,
    },
    Device {
        token: &'a str,
        account_id: Uuid,
        platform: &'a str,
        created_at: String,
        updated_at: String,
    },
    Push {
        notification_id: Uuid,
        device_token: &'a str,
        attempts: i32,
        next_attempt_at: String,
        created_at: String,
    },
    FollowQuota {
        account_id: Uuid,
        window_start: String,
        used: i32,
    },
    Mute {
        muter_id: Uuid,
        muted_id: Uuid,
        notifications: bool,
        expires_at: Option<String>,
        created_at: String,
    },
    SuggestionDismissal {
        viewer_id: Uuid,
        dismissed_id: Uuid,
        created_at: String,
    },
    Webhook {
        id: Uuid,
        url: &'a str,
        events: &'a [String],
        description: Option<&'a str>,
        secret: &'a str,
        enabled: bool,
        consecutive_failures: i32,
        created_at: String,
        updated_at: String,
    },
    WebhookDelivery {
        id: Uuid,
        webhook_id: Uuid,
        event_id: Uuid,
        event_type: &'a str,
        payload: &'a str,
        status: &'static str,
        attempts: i32,
        last_status_code: Option<i32>,
        last_error: Option<&'a str>,
        next_attempt_at: Option<String>,
        delivered_at: Option<String>,
        created_at: String,
    },
}

fn line_of(record: &Record) -> Out<'_> {
    match record {
        Record::Account(a) => Out::Account {
            id: a.id.as_uuid(),
            username: a.username.as_str(),
            full_name: a.full_name.as_deref(),
            bio: a.bio.as_deref(),
            profile_image_url: a.profile_image_url.as_deref(),
            banner_image_url: a.banner_image_url.as_deref(),
            is_private: a.is_private,
            is_verified: a.is_verified,
            followers_visibility: a.privacy.followers.as_str(),
            following_visibility: a.privacy.following.as_str(),
            counts_visible: a.privacy.counts_visible,
            posts_count: a.posts_count,
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
            deleted_at: opt_rfc3339(a.deleted_at),
        },
        Record::Block(b) => Out::Block {
            blocker_id: b.blocker_id.as_uuid(),
            blocked_id: b.blocked_id.as_uuid(),
            reason: b.reason.as_deref(),
            created_at: rfc3339(b.created_at),
        },
        Record::Follow(f) => Out::Follow {
            follower_id: f.follower_id.as_uuid(),
            followee_id: f.followee_id.as_uuid(),
            created_at: rfc3339(f.created_at),
        },
        Record::Request(r) => Out::FollowRequest {
            id: r.id.as_uuid(),
            requester_id: r.requester_id.as_uuid(),
            target_id: r.target_id.as_uuid(),
            status: r.status.as_str(),
            created_at: rfc3339(r.created_at),
            updated_at: opt_rfc3339(r.updated_at),
        },
        Record::Notification(n) => Out::Notification {
            id: n.id.as_uuid(),
            recipient_id: n.recipient_id.as_uuid(),
            actor_id: n.actor_id.as_uuid(),
            kind: n.kind.as_str(),
            created_at: rfc3339(n.created_at),
            read_at: opt_rfc3339(n.read_at),
            request_id: n.request_id.map(|id| id.as_uuid()),
            request_status: n.request_status.map(RequestFate::as_str),
        },
        Record::Device(d) => Out::Device {
            token: &d.token,
            account_id: d.account_id.as_uuid(),
            platform: &d.platform,
            created_at: rfc3339(d.created_at),
            updated_at: rfc3339(d.updated_at),
        },
        Record::Push(p) => Out::Push {
            notification_id: p.notification_id,
            device_token: &p.device_token,
            attempts: p.attempts,
            next_attempt_at: rfc3339(p.next_attempt_at),
            created_at: rfc3339(p.created_at),
        },
        Record::Quota(q) => {
            Out::FollowQuota { account_id: q.account_id.as_uuid(), window_start: rfc3339(q.window_start), used: q.used }
        }
        Record::Mute(m) => Out::Mute {
            muter_id: m.muter_id.as_uuid(),
            muted_id: m.muted_id.as_uuid(),
            notifications: m.notifications,
            expires_at: opt_rfc3339(m.expires_at),
            created_at: rfc3339(m.created_at),
        },
        Record::Dismissal(d) => Out::SuggestionDismissal {
            viewer_id: d.viewer_id.as_uuid(),
            dismissed_id: d.dismissed_id.as_uuid(),
            created_at: rfc3339(d.created_at),
        },
        Record::Webhook(WebhookRecord { webhook: w, consecutive_failures }) => Out::Webhook {
            id: w.id,
            url: &w.url,
            events: &w.events,
            description: w.description.as_deref(),
            secret: &w.secret,
            enabled: w.enabled,
            consecutive_failures: *consecutive_failures,
            created_at: rfc3339(w.created_at),
            updated_at: rfc3339(w.updated_at),
        },
        Record::Delivery(DeliveryRecord { delivery: d, payload }) => Out::WebhookDelivery {
            id: d.id,
            webhook_id: d.webhook_id,
            event_id: d.event_id,
            event_type: &d.event_type,
            payload,
            status: d.status.as_str(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error.as_deref(),
            next_attempt_at: opt_rfc3339(d.next_attempt_at),
            delivered_at: opt_rfc3339(d.delivered_at),
            created_at: rfc3339(d.created_at),
        },
    }
}

/// Writes one line.
///
/// # Errors
/// The writer failed.
pub fn write(out: &mut impl Write, record: &Record) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &line_of(record))?;
    out.write_all(b"\n")
}

/// The values that identify a record, for messages about it.
pub fn describe(record: &Record) -> String {
    match record {
        Record::Account(a) => format!("account {} ({})", a.id, a.username),
        Record::Block(b) => format!("block {} -> {}", b.blocker_id, b.blocked_id),
        Record::Follow(f) => format!("follow {} -> {}", f.follower_id, f.followee_id),
        Record::Request(r) => {
            format!("follow_request {} ({} -> {}, {})", r.id, r.requester_id, r.target_id, r.status.as_str())
        }
        Record::Notification(n) => {
            format!("notification {} ({} for {}, by {})", n.id, n.kind.as_str(), n.recipient_id, n.actor_id)
        }
        Record::Device(d) => format!("device {} of {}", d.token, d.account_id),
        Record::Push(p) => format!("push of {} to {}", p.notification_id, p.device_token),
        Record::Quota(q) => format!("follow_quota of {}", q.account_id),
        Record::Mute(m) => format!("mute {} -> {}", m.muter_id, m.muted_id),
        Record::Dismissal(d) => format!("suggestion_dismissal {} -> {}", d.viewer_id, d.dismissed_id),
        Record::Webhook(w) => format!("webhook {} ({})", w.webhook.id, w.webhook.url),
        Record::Delivery(DeliveryRecord { delivery: d, .. }) => {
            format!("webhook_delivery {} ({} {} to webhook {})", d.id, d.event_type, d.event_id, d.webhook_id)
        }
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    fn at(micros: i64) -> Timestamp {
        DateTime::from_timestamp_micros(micros).unwrap()
    }

    fn round_trip(record: &Record) -> String {
        let mut out = Vec::new();
        write(&mut out, record).unwrap();
        assert_eq!(out.last(), Some(&b'\n'));
        let text = String::from_utf8(out).unwrap();
        assert_eq!(&parse(text.trim_end().as_bytes(), now()).unwrap(), record, "{text}");
        text
    }

    #[test]
    fn every_record_reads_back_the_same() {
        let (a, b) = (AccountId::from_uuid(Uuid::now_v7()), AccountId::from_uuid(Uuid::now_v7()));
        let records = [
            Record::Account(AccountRecord {
                id: a,
                username: Username::parse("Ada.L").unwrap(),
                full_name: Some("Ada \"L\" Lovelace".into()),
                bio: None,
                profile_image_url: Some("https://example.com/a.png".into()),
                banner_image_url: None,
                is_private: true,
                is_verified: false,
                privacy: GraphPrivacy {
                    followers: Audience::Followers,
                    following: Audience::OnlySelf,
                    counts_visible: false,
                },
                posts_count: 7,
                created_at: at(1_700_000_000_123_456),
                updated_at: at(1_700_000_100_000_000),
                deleted_at: Some(at(1_700_000_200_000_001)),
            }),
            Record::Block(BlockRecord { blocker_id: a, blocked_id: b, reason: Some("spam".into()), created_at: now() }),
            Record::Follow(FollowRecord { follower_id: a, followee_id: b, created_at: now() }),
            Record::Request(RequestRecord {
                id: RequestId::from_uuid(Uuid::now_v7()),
                requester_id: a,
                target_id: b,
                status: RequestStatus::Declined,
                created_at: now(),
                updated_at: Some(at(1_700_000_000_000_001)),
            }),
            Record::Notification(NotificationRecord {
                id: NotificationId::from_uuid(Uuid::now_v7()),
                recipient_id: b,
                actor_id: a,
                kind: NotificationKind::FollowRequestAccepted,
                created_at: now(),
                read_at: None,
                request_id: None,
                request_status: None,
            }),
            Record::Notification(NotificationRecord {
                id: NotificationId::from_uuid(Uuid::now_v7()),
                recipient_id: b,
                actor_id: a,
                kind: NotificationKind::FollowRequest,
                created_at: now(),
                read_at: Some(now()),
                request_id: Some(RequestId::from_uuid(Uuid::now_v7())),
                request_status: Some(RequestFate::Cancelled),
            }),
            Record::Device(DeviceRecord {
                token: "tok:en-1_x".into(),
                account_id: a,
                platform: "ios".into(),
                created_at: now(),
                updated_at: now(),
            }),
            Record::Push(PushRecord {
                notification_id: Uuid::now_v7(),
                device_token: "tok:en-1_x".into(),
                attempts: 2,
                next_attempt_at: now(),
                created_at: now(),
            }),
            Record::Quota(QuotaRecord { account_id: a, window_start: now(), used: 3 }),
            Record::Mute(MuteRecord {
                muter_id: a,
                muted_id: b,
                notifications: false,
                expires_at: Some(at(1_700_000_300_000_000)),
                created_at: now(),
            }),
            Record::Dismissal(DismissalRecord { viewer_id: a, dismissed_id: b, created_at: now() }),
            Record::Webhook(WebhookRecord {
                webhook: Webhook {
                    id: Uuid::now_v7(),
                    url: "https://hooks.example/r?x=\"1\"".into(),
                    events: vec!["follow.created".into(), "block.created".into()],
                    description: Some("backend".into()),
                    secret: "whsec_c2VjcmV0".into(),
                    enabled: false,
                    created_at: now(),
                    updated_at: at(1_700_000_000_000_001),
                },
                consecutive_failures: 3,
            }),
            Record::Delivery(DeliveryRecord {
                delivery: Delivery {
                    id: Uuid::now_v7(),
                    webhook_id: Uuid::now_v7(),
                    event_id: Uuid::now_v7(),
                    event_type: "follow.created".into(),
                    status: DeliveryStatus::Failed,
                    attempts: 8,
                    last_status_code: Some(503),
                    last_error: Some("503 Service Unavailable".into()),
                    next_attempt_at: None,
                    delivered_at: None,
                    created_at: now(),
                },
                payload: r#"{"id":"x","type":"follow.created","data":{"a":"\u00e9"}}"#.into(),
            }),
        ];
        for record in &records {
            round_trip(record);
        }
        let follow = round_trip(&records[2]);
        assert!(follow.starts_with(r#"{"type":"follow","follower_id":""#), "{follow}");
        assert!(follow.ends_with("\"created_at\":\"2023-11-14T22:13:20Z\"}\n"), "{follow}");
        // A file from before list audiences existed reads as everything visible.
        let old = format!(r#"{{"type":"account","id":"{a}","username":"ada","created_at":"2023-11-14T22:13:20Z"}}"#);
        let Ok(Record::Account(account)) = parse(old.as_bytes(), now()) else { panic!("{old}") };
        assert_eq!(account.privacy, GraphPrivacy::default());
        // A notification without a request writes neither field, and reads back as none.
        let plain = round_trip(&records[4]);
        assert!(!plain.contains("\"request_id\"") && !plain.contains("\"request_status\""), "{plain}");
        let answered = round_trip(&records[5]);
        assert!(answered.contains(r#","request_status":"cancelled"}"#), "{answered}");
    }

    #[test]
    fn bad_lines_say_why() {
        let id = Uuid::now_v7();
        let cases: [(&str, &str); 12] = [
            ("{not json", "bad JSON"),
            (r#"{"type":"post"}"#, "unknown type"),
            (r#"{"type":"account","username":"x"}"#, "missing field"),
            (r#"{"type":"account","id":"nope","username":"x"}"#, "bad UUID"),
            (&format!(r#"{{"type":"account","id":"{id}","username":"no spaces"}}"#), "invalid username"),
            (&format!(r#"{{"type":"account","id":"{id}","username":"x","created_at":"yesterday"}}"#), "bad timestamp"),
            (&format!(r#"{{"type":"follow","follower_id":"{id}","followee_id":"{id}"}}"#), "self-follow"),
            (r#"{"type":"follow","follower_id":"x"}"#, "bad UUID"),
            (
                &format!(
                    r#"{{"type":"follow_request","id":"{id}","requester_id":"{}","target_id":"{}","status":"maybe"}}"#,
                    Uuid::now_v7(),
                    Uuid::now_v7()
                ),
                "bad value",
            ),
            (&format!(r#"{{"type":"device","token":"t","account_id":"{id}","platform":"palm"}}"#), "bad value"),
            (
                &format!(r#"{{"type":"webhook","id":"{id}","url":"https://h.example","events":["a,b"],"secret":"s"}}"#),
                "bad value",
            ),
            (
                &format!(
                    r#"{{"type":"webhook_delivery","id":"{id}","webhook_id":"{id}","event_id":"{id}","event_type":"follow.created","payload":"{{}}"}}"#
                ),
                "missing field",
            ),
        ];
        for (line, category) in cases {
            let error = parse(line.as_bytes(), now()).unwrap_err();
            assert_eq!(error.category(), category, "{line}: {error}");
        }
    }

    #[test]
    fn an_endpoint_that_could_never_be_delivered_to_is_refused() {
        let id = Uuid::now_v7();
        let line = |url: &str, secret: &str| {
            format!(r#"{{"type":"webhook","id":"{id}","url":"{url}","events":["*"],"secret":"{secret}"}}"#)
        };
        let good = "whsec_c2VjcmV0";
        assert!(parse(line("https://h.example/in", good).as_bytes(), now()).is_ok());
        let bad_url = parse(line("ftp://h.example/in", good).as_bytes(), now()).unwrap_err();
        assert_eq!(bad_url.to_string(), r#"url "ftp://h.example/in" is not valid"#);
        for secret in ["c2VjcmV0", "whsec_not base64!"] {
            let error = parse(line("https://h.example/in", secret).as_bytes(), now()).unwrap_err();
            assert_eq!(error.category(), "bad value");
            assert!(!error.to_string().contains(secret), "the secret is never echoed: {error}");
        }
    }

    #[test]
    fn defaults_fill_optional_fields() {
        let id = Uuid::now_v7();
        let line = format!(r#"{{"type":"account","id":"{id}","username":"@bob","extra":1}}"#);
        let Record::Account(record) = parse(line.as_bytes(), now()).unwrap() else { panic!("not an account") };
        assert_eq!(record.username.as_str(), "bob");
        assert_eq!((record.created_at, record.updated_at, record.deleted_at), (now(), now(), None));
        assert!(!record.is_private && record.posts_count == 0 && record.full_name.is_none());
    }
}
