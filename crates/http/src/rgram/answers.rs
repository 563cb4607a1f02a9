//! Every answer of seed 003, as the types serialized: its envelope, users as a
//! Mongoose `populate` shows them, the follow-request document, the pagination block.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use chrono::SecondsFormat;
use rookery_domain::{Account, AccountId, FollowRequest, PageRequest, RequestStatus, Timestamp};
use serde::Serialize;

/// Timestamps as JavaScript's `Date.toISOString()` writes them, as the seed shows:
/// `2024-01-01T00:00:00.000Z` (milliseconds, UTC).
pub fn iso(at: Timestamp) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The seed's status words: our `declined` is its `rejected`.
pub const fn status_word(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Pending => "pending",
        RequestStatus::Accepted => "accepted",
        RequestStatus::Declined => "rejected",
    }
}

/// Which fields of a user are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserFields {
    /// `_id`, `username`, `fullName`, `avatar` (requests, as send/accept/reject show them).
    Brief,
    /// The same and `bio` (request lists and follow lists).
    WithBio,
}

/// A populated user. Text fields the account has not set are `""`, so a client can
/// always treat them as strings.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(rename = "_id")]
    id: String,
    username: String,
    full_name: String,
    avatar: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    bio: Option<String>,
}

impl User {
    /// `account` with `fields`.
    pub fn of(account: &Account, fields: UserFields) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Self {
            id: account.id.to_string(),
            username: account.username.to_string(),
            full_name: text(&account.full_name),
            avatar: text(&account.profile_image_url),
            bio: (fields == UserFields::WithBio).then(|| text(&account.bio)),
        }
    }
}

/// One side of a request: populated, or only the id (the caller's own side in lists).
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Side {
    /// The account, populated.
    Populated(User),
    /// The id as a string.
    Id(String),
}

impl Side {
    /// `account`, populated with `fields`.
    pub fn populated(account: &Account, fields: UserFields) -> Self {
        Self::Populated(User::of(account, fields))
    }

    /// Only the id.
    pub fn id(id: AccountId) -> Self {
        Self::Id(id.to_string())
    }
}

/// The follow-request document. `respondedAt` appears once the request was answered;
/// `updatedAt` is the answer's time, or the creation time while pending.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestDocument {
    #[serde(rename = "_id")]
    id: String,
    follower: Side,
    following: Side,
    status: &'static str,
    requested_at: String,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    responded_at: Option<String>,
}

impl RequestDocument {
    /// `request` with its two sides.
    pub fn of(request: &FollowRequest, follower: Side, following: Side) -> Self {
        let created = iso(request.created_at);
        let answered = request.updated_at.filter(|_| request.status != RequestStatus::Pending).map(iso);
        Self {
            id: request.id.to_string(),
            follower,
            following,
            status: status_word(request.status),
            requested_at: created.clone(),
            updated_at: answered.clone().unwrap_or_else(|| created.clone()),
            created_at: created,
            responded_at: answered,
        }
    }
}

/// `{"followRequest": {...}}`: send, accept and reject answer one request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OneRequest {
    /// The request, both sides populated.
    pub follow_request: RequestDocument,
}

/// `{currentPage, totalPages, totalCount, hasNextPage, hasPrevPage}`; an empty list
/// has 0 pages, as `Math.ceil(0 / limit)` gives.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Pagination {
    current_page: i64,
    total_pages: i64,
    total_count: i64,
    has_next_page: bool,
    has_prev_page: bool,
}

impl Pagination {
    /// Where `page` stands in a list of `total`.
    pub fn of(page: PageRequest, total: i64) -> Self {
        let limit = page.limit().max(1);
        let total_pages = total.max(0).saturating_add(limit - 1) / limit;
        let current = i64::from(page.page());
        Self {
            current_page: current,
            total_pages,
            total_count: total,
            has_next_page: current < total_pages,
            has_prev_page: current > 1,
        }
    }
}

/// `{"pendingRequests": [...], "pagination": {...}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PendingRequests {
    pub pending_requests: Vec<RequestDocument>,
    pub pagination: Pagination,
}

/// `{"sentRequests": [...], "pagination": {...}}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SentRequests {
    pub sent_requests: Vec<RequestDocument>,
    pub pagination: Pagination,
}

/// `{"followers": [...], "pagination": {...}}`.
#[derive(Debug, Serialize)]
pub struct Followers {
    pub followers: Vec<User>,
    pub pagination: Pagination,
}

/// `{"following": [...], "pagination": {...}}`.
#[derive(Debug, Serialize)]
pub struct Following {
    pub following: Vec<User>,
    pub pagination: Pagination,
}

/// Seed 003's success envelope; `data` is left out when there is none.
#[derive(Debug, Serialize)]
struct Envelope<'a, T> {
    success: bool,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// A success answer; `data` is left out when `None`.
pub fn ok<T: Serialize>(status: StatusCode, message: &str, data: Option<T>) -> HttpResponse {
    HttpResponse::build(status).json(Envelope { success: true, message, data })
}

/// A success answer without `data`.
pub fn done(message: &str) -> HttpResponse {
    ok::<()>(StatusCode::OK, message, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(page: i64, limit: i64, total: i64) -> serde_json::Value {
        serde_json::to_value(Pagination::of(PageRequest::new(Some(page), Some(limit)).unwrap(), total)).unwrap()
    }

    #[test]
    fn pagination_counts_pages() {
        assert_eq!(
            pages(1, 20, 0),
            serde_json::json!({"currentPage": 1, "totalPages": 0, "totalCount": 0, "hasNextPage": false, "hasPrevPage": false})
        );
        assert_eq!(pages(1, 20, 100)["totalPages"], 5);
        assert_eq!(pages(1, 20, 101)["totalPages"], 6);
        assert_eq!(pages(2, 2, 5)["hasNextPage"], true);
        assert_eq!(pages(3, 2, 5)["hasNextPage"], false);
        assert_eq!(pages(3, 2, 5)["hasPrevPage"], true);
        assert_eq!(pages(9, 2, 5)["hasNextPage"], false);
    }

    #[test]
    fn timestamps_have_milliseconds_and_z() {
        let at = chrono::DateTime::from_timestamp_micros(1_704_067_200_123_456).unwrap();
        assert_eq!(iso(at), "2024-01-01T00:00:00.123Z");
    }
}
