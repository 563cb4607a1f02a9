//! Notifications that the graph's changes produce.

use crate::ids::{AccountId, NotificationId, RequestId};
use crate::time::Timestamp;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NotificationKind {
    /// Someone followed a public account.
    Follow,
    /// Someone asked to follow a private account.
    FollowRequest,
    /// A private account accepted the recipient's request.
    FollowRequestAccepted,
}

impl NotificationKind {
    /// The wire name, as seed 002 spells it.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Follow => "follow",
            Self::FollowRequest => "follow_request",
            Self::FollowRequestAccepted => "follow_request_accepted",
        }
    }

    /// Parses a wire name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "follow" => Some(Self::Follow),
            "follow_request" => Some(Self::FollowRequest),
            "follow_request_accepted" => Some(Self::FollowRequestAccepted),
            _ => None,
        }
    }
}

/// A notification to store and deliver, written in the same transaction as its cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// UUID v7: ids sort by time.
    pub id: NotificationId,
    /// Who is told.
    pub recipient: AccountId,
    /// Who did it.
    pub actor: AccountId,
    /// What happened.
    pub kind: NotificationKind,
    /// When.
    pub created_at: Timestamp,
    /// The follow request a `follow_request` notification is about.
    pub request: Option<RequestId>,
}

/// Where the request of a `follow_request` notification stands now; kept on the
/// notification and written in the transaction that answers or withdraws the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestFate {
    /// Not answered yet.
    Pending,
    /// Accepted.
    Accepted,
    /// Declined.
    Declined,
    /// Withdrawn by its requester (or removed by a block).
    Cancelled,
}

impl RequestFate {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "pending" => Some(Self::Pending),
            "accepted" => Some(Self::Accepted),
            "declined" => Some(Self::Declined),
            "cancelled" => Some(Self::Cancelled),
            _ => None,
        }
    }
}

impl Notification {
    /// The `follow_request_accepted` notification for a request accepted at `at`.
    ///
    /// Its id is a UUID v7 stamped with `at` whose random part comes from the request
    /// id, so a store accepting many requests in one statement can derive the ids
    /// without a round-trip per row, and replaying the derivation gives the same id.
    #[must_use]
    pub fn request_accepted(request: &crate::FollowRequest, at: crate::time::Timestamp) -> Self {
        let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
        let random = request.id.as_uuid().as_u128() & ((1u128 << 80) - 1);
        let stamp = u128::from(millis & 0xFFFF_FFFF_FFFF) << 80;
        // Version 7 and the RFC 4122 variant, as `Uuid::now_v7` would set them.
        let raw = (stamp | random) & !(0xF_u128 << 76) & !(0b11_u128 << 62);
        let raw = raw | (0x7_u128 << 76) | (0b10_u128 << 62);
        Self {
            id: NotificationId::from_uuid(uuid::Uuid::from_u128(raw)),
            recipient: request.requester,
            actor: request.target,
            kind: NotificationKind::FollowRequestAccepted,
            created_at: at,
            request: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use uuid::Uuid;

    use super::*;
    use crate::{FollowRequest, RequestId, RequestStatus};

    #[test]
    fn derived_acceptance_ids_are_v7_unique_and_stable() {
        let at = Utc::now();
        let make = || FollowRequest {
            id: RequestId::from_uuid(Uuid::now_v7()),
            requester: AccountId::from_uuid(Uuid::now_v7()),
            target: AccountId::from_uuid(Uuid::now_v7()),
            status: RequestStatus::Pending,
            created_at: at,
            updated_at: None,
        };
        let (a, b) = (make(), make());
        let na = Notification::request_accepted(&a, at);
        assert_eq!(na.id.as_uuid().get_version_num(), 7);
        assert_eq!(na, Notification::request_accepted(&a, at));
        assert_ne!(na.id, Notification::request_accepted(&b, at).id);
        assert_eq!(na.recipient, a.requester);
    }
}
