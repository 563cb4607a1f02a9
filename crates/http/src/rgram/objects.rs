//! Seed 003's objects: users as a Mongoose `populate` shows them, the follow-request
//! document, and the pagination block.

use chrono::SecondsFormat;
use rookery_domain::{Account, AccountId, FollowRequest, PageRequest, RequestStatus, Timestamp};
use serde_json::{Value, json};

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
pub fn user(account: &Account, fields: UserFields) -> Value {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let mut user = json!({
        "_id": account.id.to_string(),
        "username": account.username.to_string(),
        "fullName": text(&account.full_name),
        "avatar": text(&account.profile_image_url),
    });
    if fields == UserFields::WithBio
        && let Some(map) = user.as_object_mut()
    {
        map.insert("bio".into(), text(&account.bio).into());
    }
    user
}

/// One side of a request: populated, or only the id (the caller's own side in lists).
pub enum Side<'a> {
    /// The account, populated.
    Populated(&'a Account, UserFields),
    /// The id as a string.
    Id(AccountId),
}

impl Side<'_> {
    fn render(&self) -> Value {
        match self {
            Self::Populated(account, fields) => user(account, *fields),
            Self::Id(id) => id.to_string().into(),
        }
    }
}

/// The follow-request document. `respondedAt` appears once the request was answered;
/// `updatedAt` is the answer's time, or the creation time while pending.
pub fn request(request: &FollowRequest, follower: &Side<'_>, following: &Side<'_>) -> Value {
    let created = iso(request.created_at);
    let answered = request.updated_at.filter(|_| request.status != RequestStatus::Pending).map(iso);
    let mut object = json!({
        "_id": request.id.to_string(),
        "follower": follower.render(),
        "following": following.render(),
        "status": status_word(request.status),
        "requestedAt": created,
        "createdAt": created,
        "updatedAt": answered.clone().unwrap_or_else(|| created.clone()),
    });
    if let (Some(at), Some(map)) = (answered, object.as_object_mut()) {
        map.insert("respondedAt".into(), at.into());
    }
    object
}

/// `{currentPage, totalPages, totalCount, hasNextPage, hasPrevPage}`; an empty list
/// has 0 pages, as `Math.ceil(0 / limit)` gives.
pub fn pagination(page: PageRequest, total: i64) -> Value {
    let limit = page.limit().max(1);
    let total_pages = total.max(0).saturating_add(limit - 1) / limit;
    let current = i64::from(page.page());
    json!({
        "currentPage": current,
        "totalPages": total_pages,
        "totalCount": total,
        "hasNextPage": current < total_pages,
        "hasPrevPage": current > 1,
    })
}

/// The pagination block of a list whose owner hides its counts from the caller:
/// `totalPages` and `totalCount` are `null` (see docs/api.md), the rest as usual.
pub fn hidden_pagination(page: PageRequest, has_more: bool) -> Value {
    let current = i64::from(page.page());
    json!({
        "currentPage": current,
        "totalPages": null,
        "totalCount": null,
        "hasNextPage": has_more,
        "hasPrevPage": current > 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages(page: i64, limit: i64, total: i64) -> Value {
        pagination(PageRequest::new(Some(page), Some(limit)).unwrap(), total)
    }

    #[test]
    fn pagination_counts_pages() {
        assert_eq!(
            pages(1, 20, 0),
            json!({"currentPage": 1, "totalPages": 0, "totalCount": 0, "hasNextPage": false, "hasPrevPage": false})
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
