//! Push delivery through a local fake FCM: one message per notification per device,
//! dead tokens dropped, and a failing FCM never failing the request.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rookery_tests::fake_fcm::{FakeFcm, Mode};
use rookery_tests::{TestApp, spawn_app, spawn_app_with};
use serde_json::json;

async fn with_push(fake: &FakeFcm) -> TestApp {
    let (path, send_url) = (fake.service_account.path().to_owned(), fake.send_url());
    spawn_app_with(move |s| {
        s.push.service_account = Some(path);
        s.push.send_url = Some(send_url);
    })
    .await
}

#[tokio::test]
async fn each_device_gets_one_message_per_notification() {
    let fake = FakeFcm::start(Mode::Healthy).await;
    let app = with_push(&fake).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    for (token, platform) in [("bob-phone", "android"), ("bob-tablet", "ios")] {
        let reply =
            app.call(Method::POST, "/devices", &bob, Some(json!({ "token": token, "platform": platform }))).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{reply:?}");
    }

    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    assert!(fake.wait_for(|seen| seen.messages.len() >= 2).await, "two messages arrive");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = fake.seen.lock().unwrap();
    assert_eq!(seen.messages.len(), 2, "exactly one per device");
    assert_eq!(seen.unauthorized, 0);
    assert_eq!(seen.token_requests, 1, "the access token is cached");
    let mut tokens: Vec<_> = seen.messages.iter().map(|m| m["message"]["token"].as_str().unwrap().to_owned()).collect();
    tokens.sort();
    assert_eq!(tokens, ["bob-phone", "bob-tablet"]);
    let message = &seen.messages[0]["message"];
    assert_eq!(message["notification"], json!({ "title": "New Follower", "body": "alice started following you" }));
    assert_eq!(message["data"]["type"], "follow");
    assert_eq!(message["data"]["actor_id"], alice.id.to_string());
    assert_eq!(message["data"]["actor_username"], "alice");
    assert_eq!(message["data"]["actor_profile_image_url"], "");
}

#[tokio::test]
async fn unregistered_devices_are_removed() {
    let fake = FakeFcm::start(Mode::Healthy).await;
    let app = with_push(&fake).await;
    let (alice, carol, bob) = (app.user("alice").await, app.user("carol").await, app.private_user("bob").await);
    app.call(Method::POST, "/devices", &bob, Some(json!({ "token": "dead-token", "platform": "android" }))).await;

    app.follow(&alice, &bob).await;
    assert!(fake.wait_for(|seen| seen.messages.len() == 1).await);
    assert_eq!(fake.seen.lock().unwrap().messages[0]["message"]["notification"]["title"], "New Follow Request");
    tokio::time::sleep(Duration::from_millis(500)).await;
    app.follow(&carol, &bob).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(fake.seen.lock().unwrap().messages.len(), 1, "the dead device got nothing more");
    let removed = app.call(Method::DELETE, "/devices/dead-token", &bob, None).await;
    assert_eq!(removed.data()["removed"], false, "it was already gone");
}

#[tokio::test]
async fn a_failing_fcm_never_fails_the_request() {
    let fake = FakeFcm::start(Mode::Down).await;
    let app = with_push(&fake).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.call(Method::POST, "/devices", &bob, Some(json!({ "token": "bob-phone", "platform": "android" }))).await;
    let reply = app.follow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Successfully followed user");
    assert!(fake.wait_for(|seen| !seen.messages.is_empty()).await, "it was tried");
    assert_eq!(app.counts(&bob).await, (1, 0));
}

#[tokio::test]
async fn devices_are_validated_and_removable() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    for body in [
        json!({ "platform": "android" }),
        json!({ "token": "", "platform": "android" }),
        json!({ "token": "x", "platform": "nokia" }),
    ] {
        let reply = app.call(Method::POST, "/devices", &bob, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}");
    }
    app.call(Method::POST, "/devices", &bob, Some(json!({ "token": "t1", "platform": "web" }))).await;
    let removed = app.call(Method::DELETE, "/devices/t1", &bob, None).await;
    assert_eq!((removed.status, removed.data()["removed"].clone()), (StatusCode::OK, json!(true)));
}

#[tokio::test]
async fn nobody_removes_another_accounts_device() {
    let app = spawn_app().await;
    let (bob, eve) = (app.user("bob").await, app.user("eve").await);
    app.call(Method::POST, "/devices", &bob, Some(json!({ "token": "bob-phone", "platform": "android" }))).await;
    let theirs = app.call(Method::DELETE, "/devices/bob-phone", &eve, None).await;
    assert_eq!((theirs.status, theirs.data()["removed"].clone()), (StatusCode::OK, json!(false)));
    let mine = app.call(Method::DELETE, "/devices/bob-phone", &bob, None).await;
    assert_eq!(mine.data()["removed"], true, "it was still there");
}
