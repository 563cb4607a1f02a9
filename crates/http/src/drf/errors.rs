//! Django REST framework's error shapes: `{"detail": ...}` for most errors,
//! `{"<field>": ["..."]}` for field validation.

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use rookery_domain::GraphError;
use rookery_domain::ports::StoreError;
use serde_json::{Value, json};

use crate::auth::AuthError;
use crate::dialect::{BadInput, Dialect};

/// The dialect.
#[derive(Debug)]
pub struct Drf;

impl Dialect for Drf {
    type Error = DrfError;
}

/// A DRF error response.
#[derive(Debug, thiserror::Error)]
#[error("{status}: {body}")]
pub struct DrfError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl DrfError {
    /// `{"detail": message}`.
    pub fn detail(status: StatusCode, message: &str) -> Self {
        Self { status, body: json!({ "detail": message }), retry_after: None }
    }

    /// `{"<field>": [message]}`, as a serializer's validation error.
    pub fn field(field: &str, message: &str) -> Self {
        Self { status: StatusCode::BAD_REQUEST, body: json!({ field: [message] }), retry_after: None }
    }
}

impl ResponseError for DrfError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status).json(&self.body);
        if self.status == StatusCode::UNAUTHORIZED {
            // DRF names the scheme the client should use.
            response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"api\""));
        }
        crate::dialect::add_refusal_headers(&mut response, self.retry_after);
        response
    }
}

impl From<AuthError> for DrfError {
    fn from(error: AuthError) -> Self {
        let message = match error {
            AuthError::Missing => "Authentication credentials were not provided.",
            AuthError::Invalid => "Given token not valid for any token type",
        };
        Self::detail(StatusCode::UNAUTHORIZED, message)
    }
}

impl From<BadInput> for DrfError {
    fn from(bad: BadInput) -> Self {
        let status = bad.status();
        match bad {
            BadInput::NotFound(_) | BadInput::Path(_) => Self::detail(StatusCode::NOT_FOUND, "Not found."),
            BadInput::MethodNotAllowed(route) => {
                let method = route.split_once(' ').map_or(route.as_str(), |(m, _)| m);
                Self::detail(status, &format!("Method \"{method}\" not allowed."))
            }
            BadInput::MalformedJson(e) => Self::detail(status, &format!("JSON parse error - {e}")),
            BadInput::ContentType => Self::detail(status, "Unsupported media type in request."),
            other => Self::detail(status, &other.message()),
        }
    }
}

/// The one place where this dialect renders the domain's errors.
impl From<GraphError> for DrfError {
    fn from(error: GraphError) -> Self {
        match error {
            GraphError::InvalidInput(message) => Self::detail(StatusCode::BAD_REQUEST, &message),
            GraphError::CannotFollowSelf => Self::detail(StatusCode::BAD_REQUEST, "You cannot follow yourself."),
            GraphError::UserNotFound => Self::detail(StatusCode::NOT_FOUND, "Not found."),
            GraphError::Blocked | GraphError::PrivateAccount | GraphError::AccountDeleted => {
                Self::detail(StatusCode::FORBIDDEN, "You do not have permission to perform this action.")
            }
            GraphError::Store(StoreError::Unavailable(_)) => {
                Self::detail(StatusCode::SERVICE_UNAVAILABLE, "Service temporarily unavailable, try again later.")
            }
            GraphError::RateLimited { retry_after_secs } => {
                // Django REST framework's throttling message.
                let message = format!("Request was throttled. Expected available in {retry_after_secs} seconds.");
                Self { retry_after: Some(retry_after_secs), ..Self::detail(StatusCode::TOO_MANY_REQUESTS, &message) }
            }
            GraphError::Store(StoreError::Conflict(_) | StoreError::Failure(_)) => {
                tracing::error!(%error, "request failed");
                Self::detail(StatusCode::INTERNAL_SERVER_ERROR, "A server error occurred.")
            }
            // Not produced by this dialect's use cases; rendered plainly all the same.
            other => Self::detail(StatusCode::BAD_REQUEST, &other.to_string()),
        }
    }
}
