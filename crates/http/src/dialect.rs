//! What makes a dialect: an error type that renders the domain's errors, refused
//! tokens and refused input in the dialect's own envelope. Handlers of every dialect
//! run the same use cases; only parsing and rendering differ.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, ResponseError};
use rookery_domain::GraphError;

use crate::BODY_LIMIT;
use crate::auth::Caller;
use crate::auth::{AuthError, Authenticating, authenticating};

/// Input refused before a handler ran, or a request no handler takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadInput {
    /// The body is over [`BODY_LIMIT`].
    TooLarge,
    /// A body that is not `application/json`.
    ContentType,
    /// Not JSON at all.
    MalformedJson(String),
    /// JSON of the wrong shape: a missing or mistyped field.
    InvalidBody(String),
    /// A path segment of the wrong type.
    Path(String),
    /// A query string of the wrong shape.
    Query(String),
    /// No route.
    NotFound(String),
    /// A route, but not with this method.
    MethodNotAllowed(String),
}

impl BadInput {
    /// The status every dialect answers with.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::MalformedJson(_) | Self::InvalidBody(_) | Self::Path(_) | Self::Query(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
        }
    }

    /// A message for clients.
    #[must_use]
    pub fn message(&self) -> String {
        match self {
            Self::TooLarge => format!("Request body is larger than {BODY_LIMIT} bytes"),
            Self::ContentType => "Content-Type must be application/json".into(),
            Self::MalformedJson(e) => format!("Malformed JSON: {e}"),
            Self::InvalidBody(e) => format!("Invalid request body: {e}"),
            Self::Path(e) => format!("Invalid path: {e}"),
            Self::Query(e) => format!("Invalid query string: {e}"),
            Self::NotFound(route) => format!("No route for {route}"),
            Self::MethodNotAllowed(route) => format!("Method not allowed: {route}"),
        }
    }

    pub(crate) fn from_json(error: &JsonPayloadError) -> Self {
        match error {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => Self::TooLarge,
            JsonPayloadError::ContentType => Self::ContentType,
            JsonPayloadError::Deserialize(e) if e.is_data() => Self::InvalidBody(e.to_string()),
            JsonPayloadError::Deserialize(e) => Self::MalformedJson(e.to_string()),
            other => Self::InvalidBody(other.to_string()),
        }
    }

    pub(crate) fn from_path(error: &PathError) -> Self {
        Self::Path(error.to_string())
    }

    pub(crate) fn from_query(error: &QueryPayloadError) -> Self {
        Self::Query(error.to_string())
    }
}

/// A dialect: its error type renders everything that can go wrong in its envelope.
pub trait Dialect: 'static {
    /// The dialect's error response.
    type Error: ResponseError + From<GraphError> + From<AuthError> + From<BadInput> + 'static;
}

/// The authenticated caller, refused in dialect `D`'s envelope: the one extractor
/// of every dialect (authentication itself knows no dialect).
pub struct Authed<D>(pub Caller, PhantomData<D>);

/// A handler reads the caller through its extractor as it would the caller itself.
impl<D> std::ops::Deref for Authed<D> {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<D: Dialect> FromRequest for Authed<D> {
    type Error = D::Error;
    type Future = Authenticating<Self, D::Error>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        authenticating(req, |result| result.map(|caller| Self(caller, PhantomData)).map_err(D::Error::from))
    }
}

/// The caller if a token was sent (an invalid one is still refused), for endpoints
/// where authentication is optional.
pub struct MaybeAuthed<D>(pub Option<Caller>, PhantomData<D>);

impl<D: Dialect> FromRequest for MaybeAuthed<D> {
    type Error = D::Error;
    type Future = Authenticating<Self, D::Error>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        authenticating(req, |result| match result {
            Ok(caller) => Ok(Self(Some(caller), PhantomData)),
            Err(AuthError::Missing) => Ok(Self(None, PhantomData)),
            Err(error) => Err(D::Error::from(error)),
        })
    }
}

/// Seconds a 503 asks the client to wait: a lost database connection is replaced on
/// the next try, and a restarting database or instance is back within seconds.
pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 1;

/// The headers a refusal carries in every dialect: `Retry-After` on one that has a
/// wait, and on every 503 (a lost database, a server shutting down), so the client
/// knows the failure is temporary and when to try again; and on a 401 the challenge
/// RFC 9110 requires (`WWW-Authenticate: Bearer`), unless the dialect set its own.
pub fn add_refusal_headers(response: &mut actix_web::HttpResponse, retry_after: Option<u64>) {
    use actix_web::http::StatusCode;
    use actix_web::http::header::{HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
    let status = response.status();
    let retry_after =
        retry_after.or_else(|| (status == StatusCode::SERVICE_UNAVAILABLE).then_some(UNAVAILABLE_RETRY_AFTER_SECS));
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    if status == StatusCode::UNAUTHORIZED && !response.headers().contains_key(WWW_AUTHENTICATE) {
        response.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
}
