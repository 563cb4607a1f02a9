//! The profile object (SPEC section 5): an account as a viewer sees it, in every
//! answer that shows an account.

use rookery_domain::{KnownFollowers, ProfileView};
use serde::Serialize;

use super::states::RequestState;
use crate::time::rfc3339;

/// An account as a viewer sees it. `id` and `user_id` are both the account id: the
/// seed's example shows both and the mobile app navigates by either.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProfileObject {
    /// The account id.
    #[schema(format = Uuid)]
    pub id: String,
    /// The account id again.
    #[schema(format = Uuid)]
    pub user_id: String,
    pub username: String,
    #[schema(required = true)]
    pub full_name: Option<String>,
    #[schema(required = true)]
    pub bio: Option<String>,
    #[schema(required = true)]
    pub profile_image_url: Option<String>,
    #[schema(required = true)]
    pub banner_image_url: Option<String>,
    pub is_private: bool,
    pub is_verified: bool,
    /// `null` when the account hides its counts from the caller.
    #[schema(minimum = 0, required = true)]
    pub followers_count: Option<i64>,
    /// `null` when the account hides its counts from the caller.
    #[schema(minimum = 0, required = true)]
    pub following_count: Option<i64>,
    #[schema(minimum = 0)]
    pub posts_count: i64,
    /// The account is the caller.
    pub is_self: bool,
    /// The caller follows it.
    pub is_following: bool,
    /// It follows the caller.
    pub follows_viewer: bool,
    /// The caller's latest follow request to it.
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    /// The caller mutes it (private to the caller).
    pub is_muting: bool,
    /// The caller's mute also silences its notifications.
    pub muting_notifications: bool,
    /// When the caller's mute ends; `null` while not muted or muted until unmuted.
    #[schema(format = DateTime, required = true)]
    pub mute_expires_at: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Follow requests to the account still pending: when `is_self`, else null.
    #[schema(minimum = 0, required = true)]
    pub pending_requests_count: Option<i64>,
    /// Follow requests from the account still pending: when `is_self`, else null.
    #[schema(minimum = 0, required = true)]
    pub sent_requests_count: Option<i64>,
    /// The caller's followings who follow the account: on `GET /profiles/{id}` and
    /// `/profiles/me` only (absent from list items); null when the account is private
    /// and the caller may not see its followers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<KnownFollowersObject>)]
    pub known_followers: Option<Option<KnownFollowersObject>>,
}

/// `known_followers` on a profile: how many of the caller's followings follow the
/// account, and the newest three of them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KnownFollowersObject {
    /// The exact number.
    #[schema(minimum = 0)]
    pub count: i64,
    /// Up to 3, newest follow first.
    pub sample: Vec<AccountBadge>,
}

/// An account named briefly: who it is and its avatar.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountBadge {
    /// The account id.
    #[schema(format = Uuid)]
    pub id: String,
    pub username: String,
    #[schema(required = true)]
    pub full_name: Option<String>,
    #[schema(required = true)]
    pub profile_image_url: Option<String>,
}

impl From<&rookery_domain::Account> for AccountBadge {
    fn from(a: &rookery_domain::Account) -> Self {
        Self {
            id: a.id.to_string(),
            username: a.username.to_string(),
            full_name: a.full_name.clone(),
            profile_image_url: a.profile_image_url.clone(),
        }
    }
}

fn known_followers(known: &KnownFollowers) -> Option<KnownFollowersObject> {
    match known {
        KnownFollowers::Hidden => None,
        KnownFollowers::Shown { count, sample } => {
            Some(KnownFollowersObject { count: *count, sample: sample.iter().map(AccountBadge::from).collect() })
        }
    }
}

impl From<&ProfileView> for ProfileObject {
    fn from(view: &ProfileView) -> Self {
        let a = &view.account;
        let r = &view.relation;
        let counts = view.visible_counts();
        Self {
            id: a.id.to_string(),
            user_id: a.id.to_string(),
            username: a.username.to_string(),
            full_name: a.full_name.clone(),
            bio: a.bio.clone(),
            profile_image_url: a.profile_image_url.clone(),
            banner_image_url: a.banner_image_url.clone(),
            is_private: a.is_private,
            is_verified: a.is_verified,
            followers_count: counts.map(|(followers, _)| followers),
            following_count: counts.map(|(_, following)| following),
            posts_count: a.posts_count,
            is_self: r.is_self,
            is_following: r.is_following,
            follows_viewer: r.follows_viewer,
            follow_request_status: r.request_status.map(RequestState::from),
            is_muting: r.mute.is_some(),
            muting_notifications: r.mute.is_some_and(|m| m.notifications),
            mute_expires_at: r.mute.and_then(|m| m.expires_at).map(rfc3339),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
            pending_requests_count: view.requests.filter(|_| r.is_self).map(|c| c.received),
            sent_requests_count: view.requests.filter(|_| r.is_self).map(|c| c.sent),
            known_followers: view.known_followers.as_ref().map(known_followers),
        }
    }
}
