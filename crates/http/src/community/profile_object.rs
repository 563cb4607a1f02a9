//! The profile object (SPEC section 5) and the follow-request object (seed 002).

use rookery_domain::{KnownFollowers, ProfileView, RequestListing, RequestStatus};
use serde::Serialize;

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
    #[schema(minimum = 0)]
    pub followers_count: i64,
    #[schema(minimum = 0)]
    pub following_count: i64,
    #[schema(minimum = 0)]
    pub posts_count: i64,
    /// The account is the caller.
    pub is_self: bool,
    /// The caller follows it.
    pub is_following: bool,
    /// It follows the caller.
    pub follows_viewer: bool,
    /// The caller's latest follow request to it.
    #[schema(value_type = Option<crate::openapi::RequestState>, required = true)]
    pub follow_request_status: Option<&'static str>,
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
            followers_count: a.followers_count,
            following_count: a.following_count,
            posts_count: a.posts_count,
            is_self: r.is_self,
            is_following: r.is_following,
            follows_viewer: r.follows_viewer,
            follow_request_status: r.request_status.map(RequestStatus::as_str),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
            pending_requests_count: view.requests.filter(|_| r.is_self).map(|c| c.received),
            sent_requests_count: view.requests.filter(|_| r.is_self).map(|c| c.sent),
            known_followers: view.known_followers.as_ref().map(known_followers),
        }
    }
}

/// A profile object with one more timestamp field (`followed_at`, `blocked_at`),
/// serialized as one flat object.
#[derive(Debug, Serialize)]
pub struct ListedObject {
    #[serde(flatten)]
    profile: ProfileObject,
    #[serde(flatten)]
    since: Since,
}

/// The extra timestamp field: its name depends on the list.
#[derive(Debug)]
struct Since {
    field: &'static str,
    at: String,
}

impl Serialize for Since {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.field, &self.at)?;
        map.end()
    }
}

/// A listed account as its list shows it, with `field` naming when it was listed.
pub fn listed_object(listed: &rookery_domain::Listed<ProfileView>, field: &'static str) -> ListedObject {
    ListedObject { profile: ProfileObject::from(&listed.item), since: Since { field, at: rfc3339(listed.since) } }
}

/// A page of listed accounts, as the follower, following and block lists answer it.
#[derive(Debug, Serialize)]
pub struct UsersPage {
    pub users: Vec<ListedObject>,
    pub total: i64,
    pub page: Option<u32>,
    pub page_size: u32,
    pub has_more: bool,
    /// `None` leaves the field out (the block list has no cursor); `Some(None)` is
    /// `null` (a follow list's last page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<Option<String>>,
}

/// Which enrichment prefix a request list uses.
#[derive(Debug, Clone, Copy)]
pub enum Counterpart {
    /// `requester_*` fields (received requests).
    Requester,
    /// `target_*` fields (sent requests).
    Target,
}

/// A follow request with the other account's name, avatar and badge, flattened
/// under the seed's `requester_` or `target_` prefix.
pub fn request_object(listing: &RequestListing, side: Counterpart) -> serde_json::Value {
    let r = &listing.request;
    let c = &listing.counterpart;
    let prefix = match side {
        Counterpart::Requester => "requester",
        Counterpart::Target => "target",
    };
    let mut object = serde_json::json!({
        "id": r.id.to_string(),
        "requester_id": r.requester.to_string(),
        "target_id": r.target.to_string(),
        "status": r.status.as_str(),
        "created_at": rfc3339(r.created_at),
        "updated_at": r.updated_at.map(rfc3339),
    });
    if let Some(map) = object.as_object_mut() {
        map.insert(format!("{prefix}_username"), c.username.as_str().into());
        map.insert(format!("{prefix}_full_name"), c.full_name.clone().into());
        map.insert(format!("{prefix}_profile_image_url"), c.profile_image_url.clone().into());
        map.insert(format!("{prefix}_is_verified"), c.is_verified.into());
    }
    object
}
