//! How the canonical dialect refuses: seed 002's error envelope
//! (`{"status":"error","success":false,"message":..,"status_code":N}`), the one
//! function turning the domain's errors into it, and the refusals every operation
//! of the document shares.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use rookery_domain::GraphError;
use rookery_domain::ports::StoreError;
use serde::Serialize;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, Object, Ref, RefOr};
use utoipa::{ToResponse, ToSchema};

use super::answers::constant;
use crate::auth::AuthError;
use crate::dialect::{BadInput, Dialect};

/// Seed 002's error envelope. `status_code` repeats the HTTP status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    /// Always `error`.
    #[schema(schema_with = error_tag)]
    status: &'static str,
    /// Always `false`.
    #[schema(schema_with = false_value)]
    success: bool,
    /// What went wrong, for people.
    message: String,
    /// The HTTP status again.
    #[schema(minimum = 400, maximum = 599)]
    status_code: u16,
}

fn error_tag() -> Object {
    constant("error")
}

fn false_value() -> Object {
    ObjectBuilder::new().schema_type(Type::Boolean).enum_values(Some([false])).build()
}

/// An error answer.
pub fn error(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(ErrorEnvelope {
        status: "error",
        success: false,
        message: message.to_owned(),
        status_code: status.as_u16(),
    })
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
        crate::dialect::add_refusal_headers(&mut response, self.retry_after);
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

// ---------------------------------------------------------------------------------
// Refusals shared by many operations, for the document.

/// An error answer with `status_code` pinned to its HTTP status.
fn error_answer(status: u16, description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(pinned_error(status))).build())
        .build()
}

/// `ErrorEnvelope` whose `status_code` can only be `status`.
#[must_use]
pub fn pinned_error(status: u16) -> Schema {
    let pin = ObjectBuilder::new()
        .property("status_code", ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some([status])))
        .required("status_code");
    AllOfBuilder::new().item(Ref::from_schema_name(ErrorEnvelope::name())).item(pin).build().into()
}

/// 401: no token, or one that does not verify.
pub struct Unauthorized;

impl<'r> ToResponse<'r> for Unauthorized {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = "`Authentication required`: no `Authorization` header. `Invalid or expired token`: a header \
                    that is not `Bearer <token>`, a bad signature, another algorithm (`none` included), an `exp` \
                    more than 30 s past, a `sub` that is not a UUID, or the wrong `iss`/`aud`.";
        let mut answer = error_answer(401, text);
        let challenge = HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::String))
            .description(Some("`Bearer`: the scheme to authenticate with (RFC 9110)."))
            .build();
        answer.headers.insert("WWW-Authenticate".to_owned(), challenge);
        ("Unauthorized", answer.into())
    }
}

/// 403: an admin route called with a token without `role: admin`, or whose account was
/// deleted.
pub struct AdminRequired;

impl<'r> ToResponse<'r> for AdminRequired {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "AdminRequired",
            error_answer(
                403,
                "`Admin access required`: the token has no `role: admin`. `This account has been deleted`: the token's account was deleted.",
            )
            .into(),
        )
    }
}

/// 403: the caller's own account was deleted.
pub struct AccountDeleted;

impl<'r> ToResponse<'r> for AccountDeleted {
    fn response() -> (&'r str, RefOr<Response>) {
        (
            "AccountDeleted",
            error_answer(403, "`This account has been deleted`: the token's account was deleted.").into(),
        )
    }
}

/// 503: no database connection in time, or a relationship that kept changing.
pub struct Unavailable;

impl<'r> ToResponse<'r> for Unavailable {
    fn response() -> (&'r str, RefOr<Response>) {
        let text = "`Service temporarily unavailable, please retry`: no database connection in time, a \
                    relationship that kept changing under four attempts, or shutdown.";
        ("Unavailable", error_answer(503, text).into())
    }
}

/// 413: a body over the limit.
pub struct TooLarge;

impl<'r> ToResponse<'r> for TooLarge {
    fn response() -> (&'r str, RefOr<Response>) {
        ("TooLarge", error_answer(413, "`Request body is larger than 65536 bytes`.").into())
    }
}

/// 415: a body that is not JSON.
pub struct NotJson;

impl<'r> ToResponse<'r> for NotJson {
    fn response() -> (&'r str, RefOr<Response>) {
        ("NotJson", error_answer(415, "`Content-Type must be application/json`.").into())
    }
}
