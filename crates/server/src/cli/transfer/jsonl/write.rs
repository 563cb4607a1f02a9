//! Records as lines: the field order export writes.

use std::io::Write;

use chrono::SecondsFormat;
use rookery_domain::{RequestFate, Timestamp};
use rookery_store::maintenance::{DeliveryRecord, Record, WebhookRecord};
use serde::Serialize;
use uuid::Uuid;

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
