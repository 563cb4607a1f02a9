//! Seed 002's envelope, plus the `success` flag its mobile client checks:
//! `{"status":"success","success":true,"message":..,"data":..}` and
//! `{"status":"error","success":false,"message":..,"status_code":N}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rookery_domain::GraphError;

use crate::auth::AuthError;
use crate::dialect::{BadInput, Dialect};
use rookery_domain::ports::StoreError;
use serde::Serialize;
use serde_json::json;

/// The success envelope, serialized straight from `data` (through `json!` the whole
/// answer was first copied into a `serde_json::Value` of ordered maps, a tenth of a
/// list request's CPU).
#[derive(Serialize)]
struct Success<'a, T> {
    status: &'static str,
    success: bool,
    message: &'a str,
    data: T,
}

/// A success answer with `data`.
pub fn ok<T: Serialize>(status: StatusCode, message: &str, data: T) -> HttpResponse {
    HttpResponse::build(status).json(Success { status: "success", success: true, message, data })
}

/// An error answer.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({
        "status": "error",
        "success": false,
        "message": message,
        "status_code": status.as_u16(),
    }))
}

/// An error of this dialect: a status and the message a client shows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, in seed 002's words.
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` (rate limits).
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self { status, message: message.into(), retry_after: None }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error(self.status, &self.message);
        crate::dialect::add_retry_after(&mut response, self.retry_after);
        response
    }
}

/// The canonical dialect.
#[derive(Debug)]
pub struct Community;

impl Dialect for Community {
    type Error = ApiError;
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, error.to_string())
    }
}

impl From<BadInput> for ApiError {
    fn from(bad: BadInput) -> Self {
        let message = match &bad {
            BadInput::NotFound(route) => format!("No route for {route}"),
            BadInput::MethodNotAllowed(route) => {
                let (method, path) = route.split_once(' ').unwrap_or(("", route));
                format!("Method {method} is not allowed on {path}")
            }
            other => other.message(),
        };
        Self::new(bad.status(), message)
    }
}

/// The one place where this dialect turns a domain error into status and message.
impl From<GraphError> for ApiError {
    fn from(error: GraphError) -> Self {
        let (status, message) = match &error {
            GraphError::InvalidInput(detail) => (StatusCode::BAD_REQUEST, detail.as_str()),
            GraphError::CannotFollowSelf => (StatusCode::BAD_REQUEST, "Cannot follow yourself"),
            GraphError::UserNotFound => (StatusCode::NOT_FOUND, "User not found"),
            GraphError::RequestAlreadyPending => (StatusCode::BAD_REQUEST, "Follow request already pending"),
            // The seed answers both alike: the caller learns nothing of others' requests.
            GraphError::RequestNotFound | GraphError::RequestNotYours => {
                (StatusCode::NOT_FOUND, "Follow request not found or you are not authorized to access it")
            }
            GraphError::RequestAlreadyAccepted => (StatusCode::BAD_REQUEST, "Follow request already accepted"),
            GraphError::RequestAlreadyDeclined => (StatusCode::BAD_REQUEST, "Follow request already declined"),
            GraphError::NoPendingRequest => (StatusCode::NOT_FOUND, "No pending follow request found for this user"),
            GraphError::Blocked => (StatusCode::FORBIDDEN, "You cannot follow this user"),
            GraphError::PrivateAccount => (StatusCode::FORBIDDEN, "This account is private"),
            GraphError::ListHidden => (StatusCode::FORBIDDEN, "This account does not show this list to you"),
            GraphError::CannotMuteSelf => (StatusCode::BAD_REQUEST, "Cannot mute yourself"),
            GraphError::CannotBlockSelf => (StatusCode::BAD_REQUEST, "Cannot block yourself"),
            GraphError::AccountDeleted => (StatusCode::FORBIDDEN, "This account has been deleted"),
            GraphError::UsernameTaken => (StatusCode::CONFLICT, "Username already taken"),
            GraphError::RateLimited { retry_after_secs } => {
                let mut limited = Self::new(StatusCode::TOO_MANY_REQUESTS, "Too many follow requests; try again later");
                limited.retry_after = Some(*retry_after_secs);
                return limited;
            }
            GraphError::Store(StoreError::Unavailable(_)) => {
                (StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable, please retry")
            }
            GraphError::Store(StoreError::Conflict(_) | StoreError::Failure(_)) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "An unexpected error occurred")
            }
        };
        if status.is_server_error() {
            tracing::error!(%error, "request failed");
        }
        Self::new(status, message)
    }
}
