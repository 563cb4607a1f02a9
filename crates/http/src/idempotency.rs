//! `Idempotency-Key` on the community dialect's writes (SPEC section 8, Stripe's
//! convention): the first answer to a POST, PUT, PATCH or DELETE sent with a key is
//! kept 24 h per account and key; a retry of the same method, path and body gets it
//! again with `Idempotent-Replayed: true`; the key with another request is 422; a
//! retry while the first is still running is 409 (it does not wait: a client retries
//! later and then gets the kept answer). Server errors and rate limits are not kept,
//! so a retry runs again. Without the header nothing changes.
//!
//! The key is per account, so the caller's token is verified first; a request whose
//! token does not verify goes on untouched and is refused by its handler.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use rookery_domain::replay::{Claim, KeptAnswer, ReplayKey, ReplayStore, RequestPrint};
use sha2::{Digest, Sha256};

use crate::community::errors::{self, Community};
use crate::dialect::Authed;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";

/// The kept answers, as the server registers them (`app_data`); without them the
/// header is ignored (an embedder that did not wire a store).
pub type Replays = web::Data<dyn ReplayStore>;

/// Wraps `store` for `app_data`.
#[must_use]
pub fn replays(store: Arc<dyn ReplayStore>) -> Replays {
    web::Data::from(store)
}

fn is_write(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
}

fn refuse(status: StatusCode, message: &str) -> HttpResponse {
    errors::error(status, message)
}

/// The middleware (see the module's documentation).
///
/// # Errors
/// Those of the wrapped service.
pub async fn keep_answers(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let raw_key = req.headers().get(IDEMPOTENCY_KEY).map(|v| v.to_str().map(str::to_owned));
    let store = req.app_data::<Replays>().cloned();
    let (Some(raw_key), Some(store), true) = (raw_key, store, is_write(req.method())) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let Ok(caller) = req.extract::<Authed<Community>>().await else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = match raw_key.ok().map(|raw| ReplayKey::parse(caller.identity.id, &raw)) {
        Some(Ok(key)) => key,
        Some(Err(_)) | None => {
            let message = format!("Idempotency-Key must be 1 to {} visible ASCII characters", ReplayKey::MAX_LEN);
            return Ok(req.into_response(refuse(StatusCode::BAD_REQUEST, &message)));
        }
    };
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(_) => {
            let message = format!("Request body too large (limit {} bytes)", crate::BODY_LIMIT);
            return Ok(req.into_response(refuse(StatusCode::PAYLOAD_TOO_LARGE, &message)));
        }
    };
    let print = RequestPrint {
        method: req.method().to_string(),
        path: req.uri().path_and_query().map_or_else(|| req.path().to_owned(), |p| p.as_str().to_owned()),
        body_hash: Sha256::digest(&body).iter().map(|b| format!("{b:02x}")).collect(),
    };
    req.set_payload(Payload::from(body));

    let claimed = {
        let (store, key) = (store.clone(), key.clone());
        web::block(move || store.claim(&key, &print, chrono::Utc::now())).await
    };
    let claim = match claimed {
        Ok(Ok(claim)) => claim,
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not claim an idempotency key");
            return Ok(req.into_response(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service temporarily unavailable, please retry",
            )));
        }
        Err(_) => return Ok(req.into_response(refuse(StatusCode::SERVICE_UNAVAILABLE, "The server is shutting down"))),
    };
    match claim {
        Claim::Replay(answer) => Ok(req.into_response(replayed(&answer))),
        Claim::Mismatch => Ok(req.into_response(refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Idempotency-Key was already used for another request",
        ))),
        Claim::InProgress => Ok(req.into_response(refuse(
            StatusCode::CONFLICT,
            "A request with this Idempotency-Key is still in progress; retry later",
        ))),
        Claim::Fresh => run_and_keep(req, next, store, key).await,
    }
}

/// Runs the first request of a key and keeps its answer.
async fn run_and_keep(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
    store: Replays,
    key: ReplayKey,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let answered = next.call(req).await;
    let response = match answered {
        Ok(response) => response,
        Err(error) => {
            forget(store, key).await;
            return Err(error);
        }
    };
    let status = response.status();
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body).await else {
        forget(store, key).await;
        return Ok(ServiceResponse::new(
            request,
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "An unexpected error occurred"),
        ));
    };
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        forget(store, key).await;
    } else {
        let answer = KeptAnswer { status: status.as_u16(), body: bytes.to_vec() };
        let kept = web::block(move || store.keep(&key, &answer)).await;
        if !matches!(kept, Ok(Ok(()))) {
            tracing::warn!("could not keep an idempotent answer; a retry will run again");
        }
    }
    Ok(ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body()))
}

async fn forget(store: Replays, key: ReplayKey) {
    let released = web::block(move || store.release(&key)).await;
    if !matches!(released, Ok(Ok(()))) {
        tracing::warn!("could not release an idempotency key");
    }
}

fn replayed(answer: &KeptAnswer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    HttpResponse::build(status)
        .insert_header((CONTENT_TYPE, HeaderValue::from_static("application/json")))
        .insert_header((HeaderName::from_static(REPLAYED), HeaderValue::from_static("true")))
        .body(answer.body.clone())
}
