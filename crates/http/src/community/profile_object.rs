//! The profile object (SPEC section 5): an account as a viewer sees it, in every
//! answer that shows an account.

use rookery_domain::ProfileView;
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
    #[schema(required = true)]
    pub follow_request_status: Option<RequestState>,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
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
            follow_request_status: r.request_status.map(RequestState::from),
            created_at: rfc3339(a.created_at),
            updated_at: rfc3339(a.updated_at),
        }
    }
}
