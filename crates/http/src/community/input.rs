//! Ids in paths and bodies: parsed at the edge, with this dialect's messages.

use rookery_domain::{AccountId, RequestId};

use super::errors::ApiError;

/// A user id from a path segment or body field.
pub fn user_id(raw: &str) -> Result<AccountId, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request("Invalid user ID: must be a UUID"))
}

/// A follow-request id from a path segment.
pub fn request_id(raw: &str) -> Result<RequestId, ApiError> {
    raw.parse().map_err(|_| ApiError::bad_request("Invalid request ID: must be a UUID"))
}
