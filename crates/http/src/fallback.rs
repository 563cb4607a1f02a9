//! JSON answers where actix would answer in plain text: malformed bodies, paths and
//! query strings, unknown routes and wrong methods.

use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::BODY_LIMIT;
use crate::community::envelope::ApiError;

pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default().limit(BODY_LIMIT).error_handler(|err, _req| {
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, format!("Request body is larger than {BODY_LIMIT} bytes"))
            }
            JsonPayloadError::ContentType => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json")
            }
            JsonPayloadError::Deserialize(e) if e.is_data() => {
                ApiError::bad_request(format!("Invalid request body: {e}"))
            }
            JsonPayloadError::Deserialize(e) => ApiError::bad_request(format!("Malformed JSON: {e}")),
            other => ApiError::bad_request(format!("Invalid request body: {other}")),
        };
        api.into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|err: PathError, _req| ApiError::bad_request(format!("Invalid path: {err}")).into())
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err: QueryPayloadError, _req| {
        ApiError::bad_request(format!("Invalid query string: {err}")).into()
    })
}

/// No route matched.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    crate::community::envelope::error(StatusCode::NOT_FOUND, &format!("No route for {} {}", req.method(), req.path()))
}

/// The route exists but not with this method.
pub async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    crate::community::envelope::error(
        StatusCode::METHOD_NOT_ALLOWED,
        &format!("Method {} is not allowed on {}", req.method(), req.path()),
    )
}

/// A resource whose unmatched methods answer 405 in JSON.
pub fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
