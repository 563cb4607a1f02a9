//! Webhooks (issue 24): endpoints, signed deliveries per Standard Webhooks checked by a
//! receiver with its own verifier, retries, disabling, the log, and refusing internal
//! destinations.

use base64::Engine;
use reqwest::{Method, StatusCode};
use rookery_tests::fake_receiver::FakeReceiver;
use rookery_tests::{TestApp, TestUser, spawn_app, spawn_app_with};
use serde_json::{Value, json};

/// A server that may deliver to the local receiver, retrying fast.
async fn app_with(schedule: &str, disable_after: u32) -> TestApp {
    let schedule = schedule.to_owned();
    spawn_app_with(move |s| {
        s.webhooks.allow_private = true;
        s.webhooks.retry_schedule = schedule;
        s.webhooks.disable_after_failures = disable_after;
    })
    .await
}

async fn create(app: &TestApp, admin: &TestUser, url: &str, events: Value) -> Value {
    let reply = app.admin_call(Method::POST, "/webhooks", admin, Some(json!({ "url": url, "events": events }))).await;
    assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    reply.body
}

#[tokio::test]
async fn endpoints_are_created_read_changed_and_deleted() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let created =
        create(&app, &admin, "https://hooks.example/rookery", json!(["follow.created", "block.created"])).await;
    let secret = created["secret"].as_str().unwrap();
    let raw = base64::engine::general_purpose::STANDARD.decode(secret.strip_prefix("whsec_").unwrap()).unwrap();
    assert_eq!(raw.len(), 32);
    assert_eq!(created["enabled"], true);
    assert!(created["created_at"].is_string());
    let id = created["id"].as_str().unwrap();

    let one = app.admin_call(Method::GET, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.get("secret").is_none(), "the secret is shown only once");
    assert_eq!(one.body["events"], json!(["follow.created", "block.created"]));
    let list = app.admin_call(Method::GET, "/webhooks", &admin, None).await;
    assert_eq!(list.body["webhooks"].as_array().unwrap().len(), 1);
    assert!(list.body["webhooks"][0].get("secret").is_none());

    let patch = json!({ "url": "https://hooks.example/v2", "events": ["*"], "enabled": false });
    let changed = app.admin_call(Method::PATCH, &format!("/webhooks/{id}"), &admin, Some(patch)).await;
    assert_eq!(changed.status, StatusCode::OK, "{changed:?}");
    assert_eq!(changed.body["url"], "https://hooks.example/v2");
    assert_eq!(changed.body["events"], json!(["*"]));
    assert_eq!(changed.body["enabled"], false);

    for (body, what) in [
        (json!({ "url": "ftp://hooks.example", "events": ["*"] }), "scheme"),
        (json!({ "url": "https://hooks.example", "events": [] }), "no events"),
        (json!({ "url": "https://hooks.example", "events": ["follow.made"] }), "unknown event"),
        (json!({ "events": ["*"] }), "no url"),
    ] {
        let reply = app.admin_call(Method::POST, "/webhooks", &admin, Some(body)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{what}: {reply:?}");
    }
    let user = app.user("mallory").await;
    let reply = app.admin_call(Method::GET, "/webhooks", &user, None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);

    let deleted = app.admin_call(Method::DELETE, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.admin_call(Method::GET, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let missing = app.admin_call(Method::DELETE, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn deliveries_are_signed_and_logged() {
    let receiver = FakeReceiver::start().await;
    let app = app_with("1s", 50).await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let hook = create(&app, &admin, &receiver.url, json!(["follow.created"])).await;
    let (id, secret) = (hook["id"].as_str().unwrap(), hook["secret"].as_str().unwrap());

    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    let got = receiver.wait_for(1).await;
    let delivery = &got[0];
    assert!(delivery.verifies(secret), "the signature verifies: {delivery:?}");
    assert!(!delivery.verifies("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), "and only with the secret");
    assert_eq!(delivery.content_type, "application/json");
    let body = delivery.json();
    assert_eq!(body["id"], delivery.id.as_str(), "webhook-id is the event id");
    assert_eq!(body["type"], "follow.created");
    assert_eq!(body["data"]["follower_id"], alice.id.to_string());
    let sent_at: i64 = delivery.timestamp.parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - sent_at).abs() < 60);

    let log = app.deliveries_when(&admin, id, |log| log.first().is_some_and(|d| d["status"] == "delivered")).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["event_id"], delivery.id.as_str());
    assert_eq!(log[0]["event_type"], "follow.created");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 200);
    assert!(log[0]["delivered_at"].is_string());

    let test = app.admin_call(Method::POST, &format!("/webhooks/{id}/test"), &admin, None).await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{test:?}");
    let got = receiver.wait_for(2).await;
    assert_eq!(got[1].json()["type"], "webhook.test");
    assert!(got[1].verifies(secret));

    // Only the subscribed types, and each event once.
    let reply = app.call(Method::POST, "/block", &alice, Some(json!({ "user_id": bob.id }))).await;
    assert!(reply.status.is_success());
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(receiver.received().len(), 2);
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("rookery_webhook_deliveries_total{outcome=\"delivered\"} 2"), "{metrics}");
    assert!(metrics.contains("rookery_webhook_queue_depth 0"), "{metrics}");
    assert!(metrics.contains("rookery_webhook_delivery_latency_seconds_count 2"), "{metrics}");
}

#[tokio::test]
async fn deliveries_one_after_another_share_a_connection() {
    let receiver = FakeReceiver::start().await;
    let app = app_with("1s", 50).await;
    let admin = app.admin("root").await;
    let alice = app.user("alice").await;
    let hook = create(&app, &admin, &receiver.url, json!(["follow.created"])).await;
    let id = hook["id"].as_str().unwrap();
    // Each answered with a body, and recorded, before the next is sent: the sender
    // reads the body, and its connection goes back to the pool for the next one.
    for (n, name) in ["b1", "b2", "b3", "b4", "b5"].into_iter().enumerate() {
        let followee = app.user(name).await;
        assert_eq!(app.follow(&alice, &followee).await.status, StatusCode::OK);
        app.deliveries_when(&admin, id, |log| log.iter().filter(|d| d["status"] == "delivered").count() > n).await;
    }
    assert_eq!(receiver.connections(), 1, "five deliveries, one connection");
}

#[tokio::test]
async fn failures_are_retried_then_failed_and_the_endpoint_disabled() {
    let receiver = FakeReceiver::start().await;
    receiver.answer(500);
    let app = app_with("100ms,100ms", 2).await;
    let admin = app.admin("root").await;
    let (alice, bob, carol) = (app.user("alice").await, app.user("bob").await, app.user("carol").await);
    let hook = create(&app, &admin, &receiver.url, json!(["follow.created"])).await;
    let id = hook["id"].as_str().unwrap();

    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    let log = app.deliveries_when(&admin, id, |log| log.first().is_some_and(|d| d["status"] == "failed")).await;
    assert_eq!(log[0]["attempts"], 3, "the first attempt and one per delay");
    assert_eq!(log[0]["last_status_code"], 500);
    assert!(log[0]["last_error"].as_str().unwrap().contains("500"));
    let got = receiver.received();
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(|r| r.id == got[0].id), "every attempt carries the same webhook-id");
    let endpoint = app.admin_call(Method::GET, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(endpoint.body["enabled"], true, "one failed delivery is not two in a row");

    assert_eq!(app.follow(&carol, &bob).await.status, StatusCode::OK);
    app.deliveries_when(&admin, id, |log| log.len() == 2 && log.iter().all(|d| d["status"] == "failed")).await;
    let endpoint = app.admin_call(Method::GET, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(endpoint.body["enabled"], false, "two failed deliveries in a row disable it");

    // The receiver is back: enable the endpoint and send the first delivery again.
    receiver.answer(204);
    let enable =
        app.admin_call(Method::PATCH, &format!("/webhooks/{id}"), &admin, Some(json!({ "enabled": true }))).await;
    assert_eq!(enable.status, StatusCode::OK);
    let failed = app.admin_call(Method::GET, &format!("/webhooks/{id}/deliveries?status=failed"), &admin, None).await;
    let first = failed.body["deliveries"].as_array().unwrap().last().unwrap()["id"].as_str().unwrap().to_owned();
    let retry = app.admin_call(Method::POST, &format!("/webhooks/{id}/deliveries/{first}/retry"), &admin, None).await;
    assert_eq!(retry.status, StatusCode::ACCEPTED, "{retry:?}");
    assert_eq!(retry.body["status"], "pending");
    receiver.wait_for(7).await;
    let delivered = app.deliveries_when(&admin, id, |log| log.iter().any(|d| d["status"] == "delivered")).await;
    let done = delivered.iter().find(|d| d["status"] == "delivered").unwrap();
    assert_eq!(done["id"], first.as_str());
    assert_eq!(done["last_status_code"], 204);
    let missing = app
        .admin_call(Method::POST, &format!("/webhooks/{id}/deliveries/{}/retry", uuid::Uuid::now_v7()), &admin, None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_410_disables_the_endpoint_at_once() {
    let receiver = FakeReceiver::start().await;
    receiver.answer(410);
    let app = app_with("100ms", 50).await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let hook = create(&app, &admin, &receiver.url, json!(["*"])).await;
    let id = hook["id"].as_str().unwrap();
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    let log = app.deliveries_when(&admin, id, |log| log.first().is_some_and(|d| d["status"] == "failed")).await;
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status_code"], 410);
    let endpoint = app.admin_call(Method::GET, &format!("/webhooks/{id}"), &admin, None).await;
    assert_eq!(endpoint.body["enabled"], false);
}

#[tokio::test]
async fn internal_destinations_are_refused_unless_allowed() {
    let receiver = FakeReceiver::start().await;
    let app = spawn_app_with(|s| s.webhooks.retry_schedule = "100ms".into()).await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let localhost = receiver.url.replace("127.0.0.1", "localhost");
    let mut hooks = Vec::new();
    for url in
        [receiver.url.as_str(), localhost.as_str(), "http://169.254.169.254/latest/meta-data", "http://[::1]:9/x"]
    {
        hooks.push(create(&app, &admin, url, json!(["follow.created"])).await["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    for id in &hooks {
        let log = app.deliveries_when(&admin, id, |log| log.first().is_some_and(|d| d["status"] == "failed")).await;
        let error = log[0]["last_error"].as_str().unwrap();
        assert!(error.starts_with("destination refused"), "{id}: {error}");
        assert!(log[0]["last_status_code"].is_null());
    }
    assert!(receiver.received().is_empty(), "nothing reached the loopback receiver");
}
