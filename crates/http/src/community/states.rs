//! The canonical dialect's enumerations on the wire: a request's state, what became of
//! it, a notification's type, a device's platform. Each is the domain's, named as
//! seed 002 names it.

use rookery_domain::{NotificationKind, Platform, RequestStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// A follow request's state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the target's answer.
    Pending,
    /// The requester now follows.
    Accepted,
    /// The target said no; the requester may ask again.
    Declined,
}

impl From<RequestStatus> for RequestState {
    fn from(status: RequestStatus) -> Self {
        match status {
            RequestStatus::Pending => Self::Pending,
            RequestStatus::Accepted => Self::Accepted,
            RequestStatus::Declined => Self::Declined,
        }
    }
}

pub(crate) fn state(status: Option<RequestStatus>) -> Option<RequestState> {
    status.map(RequestState::from)
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationType {
    /// Someone followed the recipient.
    Follow,
    /// Someone asked to follow the (private) recipient.
    FollowRequest,
    /// The recipient's request was accepted.
    FollowRequestAccepted,
}

impl From<NotificationKind> for NotificationType {
    fn from(kind: NotificationKind) -> Self {
        match kind {
            NotificationKind::Follow => Self::Follow,
            NotificationKind::FollowRequest => Self::FollowRequest,
            NotificationKind::FollowRequestAccepted => Self::FollowRequestAccepted,
        }
    }
}

/// Where a device's pushes go.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformName {
    /// Android, through FCM.
    Android,
    /// iOS, through FCM's APNs bridge.
    Ios,
    /// A browser, through FCM web push.
    Web,
}

impl From<Platform> for PlatformName {
    fn from(platform: Platform) -> Self {
        match platform {
            Platform::Android => Self::Android,
            Platform::Ios => Self::Ios,
            Platform::Web => Self::Web,
        }
    }
}

/// What became of a request.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestOutcome {
    /// Accepted: the requester now follows.
    Accepted,
    /// Declined.
    Declined,
    /// Withdrawn by the requester.
    Cancelled,
}
