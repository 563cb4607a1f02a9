//! Cross-origin access for browsers (`ROOKERY_CORS_ORIGINS`).
//!
//! A request whose `Origin` is allowed gets that origin echoed back (never the whole
//! list) with `Vary: Origin`; a preflight from it is answered directly, allowing the
//! API's methods and the `Authorization`, `Content-Type` and `Last-Event-ID` headers by
//! name. Requests from other origins are served as if no CORS were configured: without
//! CORS headers, so the browser keeps the answer from the page.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

const ALLOWED_METHODS: &str = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Last-Event-ID";
const MAX_AGE_SECS: &str = "3600";

/// Which origins may call the API from a browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CorsPolicy {
    /// None: no CORS headers at all.
    #[default]
    Off,
    /// Any origin (`*`), still echoed one at a time.
    AnyOrigin,
    /// These origins exactly (scheme, host and port).
    Origins(Vec<String>),
}

impl CorsPolicy {
    /// Reads `ROOKERY_CORS_ORIGINS`: empty for none, `*` for any, or a comma-separated
    /// list such as `https://app.example.com,http://localhost:3000`.
    #[must_use]
    pub fn parse(setting: &str) -> Self {
        let origins: Vec<String> =
            setting.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
        if origins.iter().any(|o| o == "*") {
            Self::AnyOrigin
        } else if origins.is_empty() {
            Self::Off
        } else {
            Self::Origins(origins)
        }
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Off => false,
            Self::AnyOrigin => true,
            Self::Origins(list) => list.iter().any(|o| o == origin),
        }
    }
}

/// The middleware (`actix_web::middleware::from_fn(cors)`); reads the policy from the
/// app data.
///
/// # Errors
/// Whatever the wrapped service fails with.
pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let allowed = req
        .headers()
        .get(header::ORIGIN)
        .filter(|origin| {
            let policy = req.app_data::<web::Data<CorsPolicy>>();
            origin.to_str().is_ok_and(|o| policy.is_some_and(|p| p.allows(o)))
        })
        .cloned();
    let Some(origin) = allowed else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let response = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, ALLOWED_METHODS))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, MAX_AGE_SECS))
            .insert_header((header::VARY, "Origin"))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    Ok(response.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings() {
        assert_eq!(CorsPolicy::parse(""), CorsPolicy::Off);
        assert_eq!(CorsPolicy::parse(" * "), CorsPolicy::AnyOrigin);
        let list = CorsPolicy::parse("https://a.example, http://localhost:3000/");
        assert!(list.allows("http://localhost:3000") && list.allows("https://a.example"));
        assert!(!list.allows("https://evil.example"));
    }
}
