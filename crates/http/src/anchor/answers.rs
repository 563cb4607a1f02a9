//! Every answer of seed 004, as the types serialized: the envelope
//! `{"success","statusCode","message","data"}` and what goes in `data`.

use actix_web::HttpResponse;
use serde::Serialize;

/// The success envelope: always 200 and `message: "success"`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    success: bool,
    status_code: u16,
    message: &'static str,
    data: T,
}

/// A 200 answer with `data`.
pub fn ok<T: Serialize>(data: T) -> HttpResponse {
    HttpResponse::Ok().json(Envelope { success: true, status_code: 200, message: "success", data })
}

/// The account acted on, with its follower count after the action.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub follower_count: i64,
}

/// The caller's following count after the action.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentUser {
    pub following_count: i64,
}

/// The answer to a follow or an unfollow: where both accounts stand after it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionAnswer {
    pub is_following: bool,
    pub target_user: TargetUser,
    pub current_user: CurrentUser,
    /// `pending` when a private account was asked instead; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub follow_request_status: Option<&'static str>,
}

/// How the caller and an account stand.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FollowStatus {
    pub is_following: bool,
    pub is_followed_by: bool,
    pub is_mutual: bool,
}

/// An account in a followers or following list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedUser {
    pub id: String,
    pub username: String,
    pub display_name: String,
    pub profile_picture: Option<String>,
    pub bio: String,
    pub is_following: bool,
    pub followed_at: String,
}

/// Where a page stands in its list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    pub page: u32,
    pub limit: i64,
    pub total: i64,
    pub total_pages: i64,
    pub has_more: bool,
}

/// A page of a followers or following list.
#[derive(Debug, Serialize)]
pub struct ListPage {
    pub data: Vec<ListedUser>,
    pub pagination: Pagination,
}
