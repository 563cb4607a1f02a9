//! Seed 000's success answer: `{"status": "success", "message": ...}`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Success<'a> {
    status: &'static str,
    message: &'a str,
}

/// A success answer with `message`, under `status`.
pub fn answer(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(Success { status: "success", message })
}
