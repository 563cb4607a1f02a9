//! `Idempotency-Key` on the community dialect's writes: replays, mismatches,
//! concurrent duplicates, and no change without the header.

use reqwest::{Method, StatusCode};
use rookery_tests::{TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

struct Answer {
    status: StatusCode,
    replayed: bool,
    body: Value,
}

async fn keyed(app: &TestApp, method: Method, path: &str, user: &TestUser, key: &str, body: Option<Value>) -> Answer {
    let mut request =
        app.client.request(method, app.community(path)).bearer_auth(&user.token).header("Idempotency-Key", key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let replayed = response.headers().get("idempotent-replayed").is_some_and(|v| v == "true");
    let body = response.json().await.unwrap_or(Value::Null);
    Answer { status, replayed, body }
}

#[tokio::test]
async fn a_retry_gets_the_first_answer_again() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    let first = keyed(&app, Method::POST, "/follow", &alice, "k-1", Some(json!({ "user_id": bob.id }))).await;
    assert_eq!((first.status, first.replayed), (StatusCode::OK, false));
    let retry = keyed(&app, Method::POST, "/follow", &alice, "k-1", Some(json!({ "user_id": bob.id }))).await;
    assert_eq!((retry.status, retry.replayed), (StatusCode::OK, true));
    assert_eq!(retry.body, first.body);

    // A repeated accept is 400 without a key; with one, the retry answers as the first did.
    let id = app.received_request_id(&bob).await;
    let path = format!("/follow-requests/accept/{id}");
    let accepted = keyed(&app, Method::POST, &path, &bob, "accept-1", None).await;
    assert_eq!(accepted.status, StatusCode::OK);
    let again = keyed(&app, Method::POST, &path, &bob, "accept-1", None).await;
    assert_eq!((again.status, again.replayed, again.body.clone()), (StatusCode::OK, true, accepted.body.clone()));
    let unkeyed = app.call(Method::POST, &path, &bob, None).await;
    assert_eq!(unkeyed.status, StatusCode::BAD_REQUEST, "without the header, answers stay as the seed says");

    // Errors are kept too (they are answers): a repeated 404 cancel replays its 404.
    let cancel = format!("/follow-requests/cancel/{}", bob.id);
    let missing = keyed(&app, Method::DELETE, &cancel, &alice, "cancel-1", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let replay = keyed(&app, Method::DELETE, &cancel, &alice, "cancel-1", None).await;
    assert_eq!((replay.status, replay.replayed), (StatusCode::NOT_FOUND, true));
}

#[tokio::test]
async fn a_key_with_another_request_is_422_and_keys_are_per_account() {
    let app = spawn_app().await;
    let (alice, bob, carol) = (app.user("alice").await, app.user("bob").await, app.user("carol").await);
    let first = keyed(&app, Method::POST, "/follow", &alice, "same", Some(json!({ "user_id": bob.id }))).await;
    assert_eq!(first.status, StatusCode::OK);
    let other_body = keyed(&app, Method::POST, "/follow", &alice, "same", Some(json!({ "user_id": carol.id }))).await;
    assert_eq!(other_body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other_body.body["success"], false);
    let other_path = keyed(&app, Method::DELETE, &format!("/follow/{}", bob.id), &alice, "same", None).await;
    assert_eq!(other_path.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Carol's "same" is her own key.
    let carols = keyed(&app, Method::POST, "/follow", &carol, "same", Some(json!({ "user_id": bob.id }))).await;
    assert_eq!((carols.status, carols.replayed), (StatusCode::OK, false));
    assert_eq!(app.counts(&bob).await.0, 2);

    for bad in [String::new(), "k".repeat(256)] {
        let refused = keyed(&app, Method::POST, "/follow", &alice, &bad, Some(json!({ "user_id": carol.id }))).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    // Reads ignore the header.
    let read = keyed(&app, Method::GET, "/profiles/me", &alice, "same", None).await;
    assert_eq!((read.status, read.replayed), (StatusCode::OK, false));
}

#[tokio::test]
async fn concurrent_duplicates_run_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let body = json!({ "user_id": bob.id });
    let answers = futures::future::join_all(
        (0..8).map(|_| keyed(&app, Method::POST, "/follow", &alice, "burst", Some(body.clone()))),
    )
    .await;
    let firsts = answers.iter().filter(|a| a.status == StatusCode::OK && !a.replayed).count();
    assert_eq!(firsts, 1, "exactly one ran");
    for answer in &answers {
        assert!(
            answer.status == StatusCode::CONFLICT || answer.status == StatusCode::OK,
            "a duplicate is refused with 409 or replayed: {}",
            answer.status
        );
    }
    // Once the first answered, every retry replays it.
    let later = keyed(&app, Method::POST, "/follow", &alice, "burst", Some(body)).await;
    assert_eq!((later.status, later.replayed), (StatusCode::OK, true));
    assert_eq!(app.counts(&bob).await.0, 1);
}
