//! How seed 004 refuses: `{"success":false,"statusCode","message","code"}` with a
//! machine-readable `code`, and the one place the domain's errors get its words.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rookery_domain::GraphError;
use rookery_domain::ports::StoreError;
use serde::Serialize;

use crate::auth::AuthError;
use crate::dialect::{BadInput, Dialect};

/// The dialect.
#[derive(Debug)]
pub struct Anchor;

impl Dialect for Anchor {
    type Error = AnchorError;
}

/// An error: status, code and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct AnchorError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl AnchorError {
    /// An error with its code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), retry_after: None }
    }

    /// `INVALID_ID`.
    pub fn invalid_id() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_ID", "Invalid user ID format")
    }
}

/// The error envelope, with the machine-readable `code`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody<'a> {
    success: bool,
    status_code: u16,
    message: &'a str,
    code: &'static str,
}

impl ResponseError for AnchorError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let body =
            ErrorBody { success: false, status_code: self.status.as_u16(), message: &self.message, code: self.code };
        let mut response = HttpResponse::build(self.status).json(body);
        crate::dialect::add_refusal_headers(&mut response, self.retry_after);
        response
    }
}

impl From<AuthError> for AnchorError {
    fn from(_: AuthError) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Authentication required")
    }
}

impl From<BadInput> for AnchorError {
    fn from(bad: BadInput) -> Self {
        let status = bad.status();
        match bad {
            // The only body is `{"action"}`: anything wrong with it is a bad action.
            BadInput::MalformedJson(_) | BadInput::InvalidBody(_) => {
                Self::new(status, "INVALID_ACTION", "Action must be 'follow' or 'unfollow'")
            }
            BadInput::Query(_) => Self::new(status, "INVALID_PAGINATION", "page must be at least 1 and limit 1 to 50"),
            BadInput::Path(_) => Self::invalid_id(),
            BadInput::TooLarge => Self::new(status, "PAYLOAD_TOO_LARGE", bad.message()),
            BadInput::ContentType => Self::new(status, "UNSUPPORTED_MEDIA_TYPE", bad.message()),
            BadInput::NotFound(_) => Self::new(status, "NOT_FOUND", bad.message()),
            BadInput::MethodNotAllowed(_) => Self::new(status, "METHOD_NOT_ALLOWED", bad.message()),
        }
    }
}

/// The one place where this dialect renders the domain's errors.
impl From<GraphError> for AnchorError {
    fn from(error: GraphError) -> Self {
        match &error {
            GraphError::InvalidInput(detail) => {
                Self::new(StatusCode::BAD_REQUEST, "INVALID_PAGINATION", detail.clone())
            }
            GraphError::CannotFollowSelf => {
                Self::new(StatusCode::BAD_REQUEST, "CANNOT_FOLLOW_SELF", "You cannot follow yourself")
            }
            GraphError::UserNotFound => Self::new(StatusCode::NOT_FOUND, "USER_NOT_FOUND", "User not found"),
            GraphError::PrivateAccount => {
                Self::new(StatusCode::FORBIDDEN, "PRIVATE_ACCOUNT", "This account is private")
            }
            GraphError::Blocked => Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", "You cannot follow this user"),
            // The caller's own account was deleted: said as such, on every endpoint,
            // not as a block (the seed has no code for it).
            GraphError::AccountDeleted => {
                Self::new(StatusCode::FORBIDDEN, "ACCOUNT_DELETED", "This account has been deleted")
            }
            GraphError::Store(StoreError::Unavailable(_)) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
            }
            GraphError::Store(StoreError::Conflict(_) | StoreError::Failure(_)) => {
                tracing::error!(%error, "request failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_ERROR", "An unexpected error occurred")
            }
            // Not produced by this dialect's use cases; rendered plainly all the same.
            GraphError::RateLimited { retry_after_secs } => Self {
                retry_after: Some(*retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "Too many follows; try again later")
            },
            other => Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", other.to_string()),
        }
    }
}
