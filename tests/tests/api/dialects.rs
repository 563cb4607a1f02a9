//! `ROOKERY_DIALECTS` chooses what is mounted; unknown routes answer in the envelope
//! of the dialect their path belongs to.

use reqwest::StatusCode;
use rookery_tests::{spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn only_the_chosen_dialects_answer() {
    let app = spawn_app_with(|settings| settings.dialects = "community,anchor".into()).await;
    let (me, them) = (app.user("me").await, app.user("them").await);
    let anchor =
        app.send(app.client.get(app.url(&format!("/users/{}/follow/status", them.id))).bearer_auth(&me.token)).await;
    assert_eq!(anchor.status, StatusCode::OK);
    let drf = app
        .send(app.client.post(app.url("/api/follows/")).bearer_auth(&me.token).json(&json!({ "followed_id": them.id })))
        .await;
    assert_eq!(drf.status, StatusCode::NOT_FOUND);
    assert_eq!(drf.body, json!({ "detail": "Not found." }));
}

#[tokio::test]
async fn unknown_routes_answer_in_their_dialects_envelope() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let get = |path: &str| app.client.get(app.url(path)).bearer_auth(&me.token);
    assert_eq!(app.send(get("/api/follows/x/y")).await.body, json!({ "detail": "Not found." }));
    assert_eq!(app.send(get("/users/x/unknown")).await.body["code"], "NOT_FOUND");
    assert_eq!(app.send(get("/api/follow-request/nope")).await.body["success"], false);
    assert_eq!(app.send(get("/nowhere")).await.body["status"], "error");
}
