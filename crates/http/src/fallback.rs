//! JSON answers where actix would answer in plain text — malformed bodies, paths and
//! query strings, wrong methods — each in the dialect's envelope.

use actix_web::{HttpRequest, HttpResponse, ResponseError, web};

use crate::BODY_LIMIT;
use crate::dialect::{BadInput, Dialect};

/// JSON bodies: size limit and refusals in `D`'s envelope.
pub fn json_config<D: Dialect>() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(BODY_LIMIT)
        .error_handler(|err, _req| D::Error::from(BadInput::from_json(&err)).into())
}

/// Path segments: refusals in `D`'s envelope.
pub fn path_config<D: Dialect>() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| D::Error::from(BadInput::from_path(&err)).into())
}

/// Query strings: refusals in `D`'s envelope.
pub fn query_config<D: Dialect>() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| D::Error::from(BadInput::from_query(&err)).into())
}

fn route(req: &HttpRequest) -> String {
    format!("{} {}", req.method(), req.path())
}

/// No route matched.
pub async fn not_found<D: Dialect>(req: HttpRequest) -> HttpResponse {
    D::Error::from(BadInput::NotFound(route(&req))).error_response()
}

/// The route exists but not with this method.
pub async fn method_not_allowed<D: Dialect>(req: HttpRequest) -> HttpResponse {
    D::Error::from(BadInput::MethodNotAllowed(route(&req))).error_response()
}

/// A resource of dialect `D`: unmatched methods answer 405 and refused input answers
/// 4xx, both in `D`'s envelope.
pub fn resource<D: Dialect>(path: &str) -> actix_web::Resource {
    web::resource(path)
        .app_data(json_config::<D>())
        .app_data(path_config::<D>())
        .app_data(query_config::<D>())
        .default_service(web::to(method_not_allowed::<D>))
}
