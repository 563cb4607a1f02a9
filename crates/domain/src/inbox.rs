//! A recipient's notifications as they read them: with the actor's profile, whether
//! they were read, and the message a client shows.

use crate::account::Account;
use crate::error::GraphError;
use crate::notification::{Notification, NotificationKind};

/// A stored notification, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationView {
    /// The notification.
    pub notification: Notification,
    /// Who did it, as their profile reads now.
    pub actor: Account,
    /// Whether the recipient has marked it seen.
    pub is_read: bool,
    /// For a `follow_request` notification: where its request stands now.
    pub request_status: Option<crate::notification::RequestFate>,
}

impl NotificationView {
    /// The pre-formatted message, as seed 002 words it.
    #[must_use]
    pub fn message(&self) -> String {
        let who = self.actor.username.as_str();
        match self.notification.kind {
            NotificationKind::Follow => format!("{who} started following you"),
            NotificationKind::FollowRequest => format!("{who} wants to follow you"),
            NotificationKind::FollowRequestAccepted => format!("{who} accepted your follow request"),
        }
    }
}

/// Which notifications a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KindFilter {
    /// All of them.
    All,
    /// Exactly these kinds.
    Kinds(&'static [NotificationKind]),
    /// A kind Rookery never produces (`like`, `reply`, ...): nothing.
    Nothing,
}

impl KindFilter {
    /// Every follow-related kind: what the seed app's "Follows" tab shows under `follow`.
    pub const FOLLOWS: &'static [NotificationKind] =
        &[NotificationKind::Follow, NotificationKind::FollowRequest, NotificationKind::FollowRequestAccepted];

    /// Reads a `type` query value: `follow` means every follow-related kind, the other
    /// kinds of seed 002 mean themselves, and types Rookery never produces match nothing.
    #[must_use]
    pub fn parse(kind: Option<&str>) -> Self {
        match kind.map(str::trim).filter(|k| !k.is_empty()) {
            None => Self::All,
            Some("follow") => Self::Kinds(Self::FOLLOWS),
            Some("follow_request") => Self::Kinds(&[NotificationKind::FollowRequest]),
            Some("follow_request_accepted") => Self::Kinds(&[NotificationKind::FollowRequestAccepted]),
            Some(_) => Self::Nothing,
        }
    }
}

/// A push token, as the platform's SDK issued it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceToken(String);

impl DeviceToken {
    /// Longest token accepted (FCM's are about 160 characters).
    pub const MAX_LEN: usize = 4096;

    /// Trims and checks a token.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] when empty, too long or containing white space.
    pub fn parse(raw: &str) -> Result<Self, GraphError> {
        let token = raw.trim();
        if token.is_empty() || token.chars().count() > Self::MAX_LEN || token.chars().any(char::is_whitespace) {
            return Err(GraphError::InvalidInput(format!(
                "token must be 1 to {} characters without spaces",
                Self::MAX_LEN
            )));
        }
        Ok(Self(token.to_owned()))
    }

    /// The token.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where a device's pushes go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    /// Android, through FCM.
    Android,
    /// iOS, through FCM's APNs bridge.
    Ios,
    /// A browser, through FCM web push.
    Web,
}

impl Platform {
    /// Parses `android`, `ios` or `web`, in any case.
    ///
    /// # Errors
    /// [`GraphError::InvalidInput`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, GraphError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "android" => Ok(Self::Android),
            "ios" => Ok(Self::Ios),
            "web" => Ok(Self::Web),
            _ => Err(GraphError::InvalidInput("platform must be android, ios or web".into())),
        }
    }

    /// The stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Android => "android",
            Self::Ios => "ios",
            Self::Web => "web",
        }
    }
}

/// A push target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Its token.
    pub token: DeviceToken,
    /// Its platform.
    pub platform: Platform,
}

/// A page of a recipient's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxPage {
    /// Newest first.
    pub items: Vec<NotificationView>,
    /// How many match the filter.
    pub total: i64,
    /// How many of all the recipient's notifications are unread.
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_to_filters() {
        assert_eq!(KindFilter::parse(None), KindFilter::All);
        assert_eq!(KindFilter::parse(Some("follow")), KindFilter::Kinds(KindFilter::FOLLOWS));
        assert_eq!(KindFilter::parse(Some("like")), KindFilter::Nothing);
        assert_eq!(KindFilter::parse(Some("follow_request")), KindFilter::Kinds(&[NotificationKind::FollowRequest]));
    }
}
