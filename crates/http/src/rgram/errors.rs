//! How seed 003 refuses: `{"success": false, "message": ...}`, and the one place
//! the domain's errors get this dialect's words.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rookery_domain::GraphError;
use rookery_domain::ports::StoreError;

use crate::auth::AuthError;
use crate::dialect::{BadInput, Dialect};

/// The dialect.
#[derive(Debug)]
pub struct Rgram;

impl Dialect for Rgram {
    type Error = RgramError;
}

/// An error of this dialect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct RgramError {
    /// HTTP status.
    pub status: StatusCode,
    /// The seed's message.
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

impl RgramError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after: None }
    }

    /// A 400 with the seed's wording.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// The domain's errors as `accept` or `reject` words them (`verb` is one of the two).
    pub fn answering(error: GraphError, verb: &str) -> Self {
        match error {
            GraphError::RequestNotYours => {
                Self::new(StatusCode::FORBIDDEN, format!("You can only {verb} follow requests sent to you"))
            }
            other => other.into(),
        }
    }

    /// The domain's errors as `cancel` words them.
    pub fn cancelling(error: GraphError) -> Self {
        match error {
            GraphError::RequestNotYours => {
                Self::new(StatusCode::FORBIDDEN, "You can only cancel follow requests sent by you")
            }
            GraphError::RequestAlreadyAccepted => {
                Self::bad_request("Cannot cancel follow request that is already accepted")
            }
            GraphError::RequestAlreadyDeclined => {
                Self::bad_request("Cannot cancel follow request that is already rejected")
            }
            other => other.into(),
        }
    }

    /// The domain's errors as the followers and following lists word them. A private
    /// account's lists are 401 to a caller without a token (a token might open them)
    /// and 403 to one whose token does not.
    pub fn listing(error: GraphError, authenticated: bool) -> Self {
        match error {
            GraphError::PrivateAccount if !authenticated => {
                Self::new(StatusCode::UNAUTHORIZED, "Authentication required")
            }
            GraphError::PrivateAccount => Self::new(StatusCode::FORBIDDEN, "This account is private"),
            GraphError::UserNotFound => Self::new(StatusCode::NOT_FOUND, "User not found"),
            other => other.into(),
        }
    }
}

/// The error envelope.
#[derive(serde::Serialize)]
struct ErrorBody<'a> {
    success: bool,
    message: &'a str,
}

impl ResponseError for RgramError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status).json(ErrorBody { success: false, message: &self.message });
        crate::dialect::add_refusal_headers(&mut response, self.retry_after);
        response
    }
}

impl From<AuthError> for RgramError {
    fn from(_: AuthError) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Authentication required")
    }
}

impl From<BadInput> for RgramError {
    fn from(bad: BadInput) -> Self {
        Self::new(bad.status(), bad.message())
    }
}

/// The one place where this dialect renders the domain's errors.
impl From<GraphError> for RgramError {
    fn from(error: GraphError) -> Self {
        let (status, message) = match &error {
            GraphError::InvalidInput(detail) => (StatusCode::BAD_REQUEST, detail.as_str()),
            GraphError::CannotFollowSelf => (StatusCode::BAD_REQUEST, "Cannot follow yourself"),
            GraphError::UserNotFound => (StatusCode::NOT_FOUND, "Target user not found"),
            GraphError::RequestAlreadyPending => (StatusCode::BAD_REQUEST, "Follow request already sent"),
            GraphError::RequestNotFound | GraphError::NoPendingRequest => {
                (StatusCode::NOT_FOUND, "Follow request not found")
            }
            // Each endpoint words this one itself (`RgramError::answering`, `cancelling`).
            GraphError::RequestNotYours => (StatusCode::FORBIDDEN, "This follow request is not yours to act on"),
            GraphError::RequestAlreadyAccepted => (StatusCode::BAD_REQUEST, "Follow request is already accepted"),
            GraphError::RequestAlreadyDeclined => (StatusCode::BAD_REQUEST, "Follow request is already rejected"),
            GraphError::Blocked => (StatusCode::FORBIDDEN, "You cannot follow this user"),
            GraphError::PrivateAccount => (StatusCode::FORBIDDEN, "This account is private"),
            GraphError::CannotBlockSelf => (StatusCode::BAD_REQUEST, "Cannot block yourself"),
            GraphError::AccountDeleted => (StatusCode::FORBIDDEN, "This account has been deleted"),
            GraphError::UsernameTaken => (StatusCode::CONFLICT, "Username already taken"),
            GraphError::RateLimited { retry_after_secs } => {
                let message = "Too many follow requests, please try again later";
                return Self {
                    retry_after: Some(*retry_after_secs),
                    ..Self::new(StatusCode::TOO_MANY_REQUESTS, message)
                };
            }
            GraphError::Store(StoreError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable, please retry")
            }
            GraphError::Store(StoreError::Conflict(_) | StoreError::Failure(_)) => {
                tracing::error!(%error, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")
            }
        };
        Self::new(status, message)
    }
}
