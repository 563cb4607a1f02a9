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
    ///
    /// # Errors
    /// [`BadOrigin`] naming the first entry that is not an origin (`scheme://host`
    /// with an optional port, `http` or `https`, no path, query or credentials): a
    /// browser sends nothing else in `Origin`, so such an entry would never match.
    pub fn parse(setting: &str) -> Result<Self, BadOrigin> {
        let entries: Vec<&str> = setting.split(',').map(str::trim).filter(|o| !o.is_empty()).collect();
        if entries.contains(&"*") {
            return Ok(Self::AnyOrigin);
        }
        if entries.is_empty() {
            return Ok(Self::Off);
        }
        let mut origins = Vec::with_capacity(entries.len());
        for entry in entries {
            origins.push(origin(entry).ok_or_else(|| BadOrigin(entry.to_owned()))?);
        }
        Ok(Self::Origins(origins))
    }

    fn allows(&self, origin: &str) -> bool {
        match self {
            Self::Off => false,
            Self::AnyOrigin => true,
            Self::Origins(list) => list.iter().any(|o| o == origin),
        }
    }
}

/// A `ROOKERY_CORS_ORIGINS` entry that is not an origin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ROOKERY_CORS_ORIGINS: {0:?} is not an origin (scheme://host[:port], http or https, nothing after)")]
pub struct BadOrigin(pub String);

/// `entry` as browsers write it in `Origin` (lowercase scheme and host, no trailing
/// slash), or `None` when it is not an origin.
fn origin(entry: &str) -> Option<String> {
    let entry = entry.strip_suffix('/').unwrap_or(entry);
    let (scheme, rest) = entry.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let (host, port) = match rest.rsplit_once(':') {
        // An IPv6 literal keeps its colons inside brackets.
        Some((host, port)) if !port.contains(']') => (host, Some(port)),
        _ => (rest, None),
    };
    let host_ok =
        !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    (host_ok && port_ok).then(|| format!("{scheme}://{}", rest.to_ascii_lowercase()))
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
        assert_eq!(CorsPolicy::parse(""), Ok(CorsPolicy::Off));
        assert_eq!(CorsPolicy::parse(" * "), Ok(CorsPolicy::AnyOrigin));
        let list = CorsPolicy::parse("https://a.example, http://localhost:3000/").unwrap();
        assert!(list.allows("http://localhost:3000") && list.allows("https://a.example"));
        assert!(!list.allows("https://evil.example"));
        assert!(CorsPolicy::parse("HTTP://[::1]:8080").unwrap().allows("http://[::1]:8080"));
    }

    #[test]
    fn entries_that_are_not_origins_are_refused_by_name() {
        for bad in [
            "example.com",
            "ftp://a.example",
            "https://a.example/app",
            "https://a.example:80x",
            "https://",
            "https://u@a.example",
        ] {
            assert_eq!(
                CorsPolicy::parse(&format!("https://ok.example,{bad}")),
                Err(BadOrigin(bad.to_owned())),
                "{bad}"
            );
        }
    }
}
