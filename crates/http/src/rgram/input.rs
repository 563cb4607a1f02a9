//! Reading ids, paging and the status filter from bodies, paths and query strings,
//! refused with seed 003's wording.
//!
//! Ids are UUIDs. One that is missing (absent, `null` or empty) gets the seed's
//! "... ID is required"; one that is present but not a UUID is 400 "Invalid ... ID"
//! (it could never name anything, so it is bad input rather than "not found").

use rookery_domain::{AccountId, PageRequest, RequestId, RequestStatus};
use serde::Deserialize;
use serde_json::Value;

use super::errors::RgramError;

/// A required id field of a JSON body: missing, `null` or `""` is `required`; anything
/// else that is not a UUID string is `invalid`.
fn body_id<T: std::str::FromStr>(body: &Value, field: &str, required: &str, invalid: &str) -> Result<T, RgramError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(RgramError::bad_request(required)),
        Some(Value::String(text)) if text.trim().is_empty() => Err(RgramError::bad_request(required)),
        Some(Value::String(text)) => text.parse().map_err(|_| RgramError::bad_request(invalid)),
        Some(_) => Err(RgramError::bad_request(invalid)),
    }
}

/// `targetUserId` of `POST /follow-request/send`.
pub fn target_user_id(body: &Value) -> Result<AccountId, RgramError> {
    body_id(body, "targetUserId", "Target user ID is required", "Invalid target user ID")
}

/// `followRequestId` of accept and reject.
pub fn follow_request_id(body: &Value) -> Result<RequestId, RgramError> {
    body_id(body, "followRequestId", "Follow request ID is required", "Invalid follow request ID")
}

/// `followRequestId` of cancel's query string.
pub fn query_request_id(raw: Option<&str>) -> Result<RequestId, RgramError> {
    match raw.map(str::trim) {
        None | Some("") => Err(RgramError::bad_request("Follow request ID is required")),
        Some(text) => text.parse().map_err(|_| RgramError::bad_request("Invalid follow request ID")),
    }
}

/// A user id in a path.
pub fn path_user_id(raw: &str) -> Result<AccountId, RgramError> {
    raw.parse().map_err(|_| RgramError::bad_request("Invalid user ID"))
}

/// `?page&limit`: page from 1 (default 1), limit 1..=100 (default 20). An empty
/// value counts as absent.
#[derive(Debug, Deserialize)]
pub struct PageParams {
    page: Option<String>,
    limit: Option<String>,
}

impl PageParams {
    /// The validated page.
    pub fn parse(&self) -> Result<PageRequest, RgramError> {
        page_request(self.page.as_deref(), self.limit.as_deref())
    }
}

fn present(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|text| !text.is_empty())
}

fn page_request(page: Option<&str>, limit: Option<&str>) -> Result<PageRequest, RgramError> {
    let page = present(page)
        .map(|text| text.parse::<u32>().ok().filter(|p| *p >= 1))
        .map(|parsed| parsed.ok_or_else(|| RgramError::bad_request("page must be a positive integer")))
        .transpose()?;
    let limit = present(limit)
        .map(|text| text.parse::<u32>().ok().filter(|l| (1..=PageRequest::MAX_SIZE).contains(l)))
        .map(|parsed| {
            parsed.ok_or_else(|| {
                RgramError::bad_request(format!("limit must be an integer between 1 and {}", PageRequest::MAX_SIZE))
            })
        })
        .transpose()?;
    PageRequest::new(page.map(i64::from), limit.map(i64::from)).map_err(RgramError::from)
}

/// `GET /follow-request/sent?page&limit&status`.
#[derive(Debug, Deserialize)]
pub struct SentParams {
    page: Option<String>,
    limit: Option<String>,
    status: Option<String>,
}

impl SentParams {
    /// The validated page.
    pub fn page(&self) -> Result<PageRequest, RgramError> {
        page_request(self.page.as_deref(), self.limit.as_deref())
    }

    /// The status filter in the seed's words (`rejected` is our declined); absent or
    /// empty is no filter.
    pub fn status(&self) -> Result<Option<RequestStatus>, RgramError> {
        match present(self.status.as_deref()) {
            None => Ok(None),
            Some("pending") => Ok(Some(RequestStatus::Pending)),
            Some("accepted") => Ok(Some(RequestStatus::Accepted)),
            Some("rejected") => Ok(Some(RequestStatus::Declined)),
            Some(_) => Err(RgramError::bad_request("Invalid status. Must be one of: pending, accepted, rejected")),
        }
    }
}

/// `DELETE /follow-request/cancel?followRequestId`.
#[derive(Debug, Deserialize)]
pub struct CancelParams {
    #[serde(rename = "followRequestId")]
    follow_request_id: Option<String>,
}

impl CancelParams {
    /// The request to cancel.
    pub fn id(&self) -> Result<RequestId, RgramError> {
        query_request_id(self.follow_request_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn ids_are_required_then_must_be_uuids() {
        let required = |body: Value| target_user_id(&body).unwrap_err().message;
        assert_eq!(required(json!({})), "Target user ID is required");
        assert_eq!(required(json!({ "targetUserId": null })), "Target user ID is required");
        assert_eq!(required(json!({ "targetUserId": " " })), "Target user ID is required");
        assert_eq!(required(json!([])), "Target user ID is required");
        assert_eq!(required(json!({ "targetUserId": "nope" })), "Invalid target user ID");
        assert_eq!(required(json!({ "targetUserId": 7 })), "Invalid target user ID");
        let id = uuid::Uuid::now_v7();
        assert_eq!(target_user_id(&json!({ "targetUserId": id.to_string() })).unwrap().as_uuid(), id);
        assert_eq!(query_request_id(None).unwrap_err().message, "Follow request ID is required");
        assert_eq!(query_request_id(Some("x")).unwrap_err().message, "Invalid follow request ID");
    }

    #[test]
    fn pages_default_and_bound() {
        assert_eq!(page_request(None, None).unwrap(), PageRequest::default());
        assert_eq!(page_request(Some(""), Some("")).unwrap(), PageRequest::default());
        assert_eq!(page_request(Some("3"), Some("100")).unwrap().offset(), 200);
        for (page, limit) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("x"), None),
            (None, Some("0")),
            (None, Some("101")),
            (None, Some("1.5")),
        ] {
            assert!(page_request(page, limit).is_err(), "{page:?} {limit:?}");
        }
    }
}
