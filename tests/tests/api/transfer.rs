//! A graph built through the API (follows, requests answered every way, a block, read
//! and unread notifications, a device, a deleted account, a webhook endpoint and its
//! deliveries) moves whole: `rookery export`, `rookery import --strict` into an empty
//! database, `rookery export` again gives the same bytes, and the copy passes `rookery
//! check`; a server on the copy lists the endpoint, its deliveries and the requests'
//! fates, delivers to the endpoint what happens after the move, and sends a delivery
//! that was still waiting for its retry when the file was made. The commands run
//! in-process through the same `rookery::cli::run` as the binary, beside the server.

use std::process::ExitCode;

use clap::Parser;
use reqwest::{Method, StatusCode};
use rookery_tests::fake_receiver::FakeReceiver;
use rookery_tests::{TestApp, TestDatabase, TestUser, spawn_app_with};
use serde_json::{Value, json};

/// Runs `rookery ARGS` on a blocking thread.
async fn rookery(args: Vec<String>) -> ExitCode {
    tokio::task::spawn_blocking(move || {
        let cli = rookery::cli::Cli::try_parse_from(std::iter::once("rookery".to_owned()).chain(args)).unwrap();
        rookery::cli::run(cli).unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|&a| a.to_owned()).collect()
}

/// The endpoint's delivery log, once `n` deliveries are all delivered (up to 20 s).
async fn delivered(app: &TestApp, admin: &TestUser, hook: &str, n: usize) -> Vec<Value> {
    app.deliveries_when(admin, hook, |log| log.len() == n && log.iter().all(|d| d["status"] == "delivered")).await
}

/// `user` on `app`: the same account, with a token `app` signs.
fn on(app: &TestApp, user: &TestUser) -> TestUser {
    TestUser { token: app.token(&TestApp::claims(user.id, &user.username)), ..user.clone() }
}

/// The `follow_request` notification `actor` caused `target`, as `app` lists it.
async fn request_notification(app: &TestApp, target: &TestUser, actor: &TestUser) -> Value {
    let reply = app.call(Method::GET, "/notifications?type=follow_request", target, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let items = reply.data()["notifications"].as_array().cloned().unwrap_or_default();
    items.into_iter().find(|n| n["actor"]["id"] == json!(actor.id.to_string())).expect("the request's notification")
}

#[tokio::test]
async fn a_graph_built_through_the_api_moves_whole() {
    let receiver = FakeReceiver::start().await;
    let app = spawn_app_with(|s| s.webhooks.allow_private = true).await;
    let admin = app.admin("root").await;
    let (alice, dave, erin, frank) =
        (app.user("alice").await, app.user("dave").await, app.user("erin").await, app.user("frank").await);
    let (bob, carol) = (app.private_user("bob").await, app.private_user("carol").await);
    assert_eq!(app.follow(&alice, &dave).await.status, StatusCode::OK);
    app.follow(&dave, &alice).await;
    app.follow(&frank, &alice).await;
    // Requests: accepted, declined, pending.
    app.follow(&alice, &bob).await;
    let accepted = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{accepted}"), &bob, None).await;
    app.follow(&dave, &bob).await;
    let declined = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/decline/{declined}"), &bob, None).await;
    app.follow(&erin, &carol).await;
    // A block, notifications read and unread, a device, a deleted account.
    let block = app.call(Method::POST, "/block", &erin, Some(json!({ "user_id": dave.id, "reason": "spam" }))).await;
    assert_eq!(block.status, StatusCode::OK, "{block:?}");
    app.call(Method::POST, "/notifications/mark-as-seen", &alice, Some(json!({}))).await;
    let device =
        app.call(Method::POST, "/devices", &alice, Some(json!({ "token": "tok-a_1", "platform": "ios" }))).await;
    assert!(device.status.is_success(), "{device:?}");
    // A mute and list audiences (issue 25) travel too.
    let mute = json!({ "user_id": erin.id, "duration_secs": 86_400, "notifications": false });
    assert_eq!(app.call(Method::POST, "/mute", &alice, Some(mute)).await.status, StatusCode::OK);
    let audiences =
        json!({ "followers_visibility": "followers", "following_visibility": "self", "counts_visible": false });
    assert_eq!(app.call(Method::PATCH, "/profiles/me", &dave, Some(audiences)).await.status, StatusCode::OK);
    // A suggestion dismissed for good (issue 23) stays dismissed in the copy.
    let dismissed = app.call(Method::DELETE, &format!("/suggestions/{}", carol.id), &alice, None).await;
    assert_eq!(dismissed.status, StatusCode::OK, "{dismissed:?}");
    let gone = app.admin_call(Method::DELETE, &format!("/users/{}", frank.id), &admin, None).await;
    assert!(gone.status.is_success(), "{gone:?}");
    // A webhook endpoint (issue 24), created at the feed's head, and its two
    // deliveries: a test, and a follow made after it.
    let endpoint = json!({ "url": receiver.url, "events": ["follow.created"], "description": "the backend" });
    let created = app.admin_call(Method::POST, "/webhooks", &admin, Some(endpoint)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let (hook, secret) = (created.body["id"].as_str().unwrap(), created.body["secret"].as_str().unwrap());
    let test = app.admin_call(Method::POST, &format!("/webhooks/{hook}/test"), &admin, None).await;
    assert_eq!(test.status, StatusCode::ACCEPTED, "{test:?}");
    assert_eq!(app.follow(&erin, &alice).await.status, StatusCode::OK);
    let log = delivered(&app, &admin, hook, 2).await;
    assert_eq!(receiver.wait_for(2).await.len(), 2);
    // A second endpoint whose receiver is down: its delivery of the same follow waits
    // for a retry (the default schedule's first, a minute away) when the file is made.
    let down = FakeReceiver::start().await;
    down.answer(503);
    let endpoint = json!({ "url": down.url, "events": ["block.created"] });
    let created = app.admin_call(Method::POST, "/webhooks", &admin, Some(endpoint)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    let (retried, retried_secret) = (created.body["id"].as_str().unwrap(), created.body["secret"].as_str().unwrap());
    let unblock = app.call(Method::DELETE, &format!("/block/{}", dave.id), &erin, None).await;
    assert_eq!(unblock.status, StatusCode::OK, "{unblock:?}");
    let reblock = app.call(Method::POST, "/block", &erin, Some(json!({ "user_id": dave.id, "reason": "spam" }))).await;
    assert_eq!(reblock.status, StatusCode::OK, "{reblock:?}");
    let waiting = app.deliveries_when(&admin, retried, |log| log.len() == 1 && log[0]["attempts"] == 1).await;
    assert_eq!(waiting[0]["status"], "pending", "{waiting:?}");
    assert_eq!(down.wait_for(1).await.len(), 1);
    let endpoints = app.admin_call(Method::GET, "/webhooks", &admin, None).await.body["webhooks"].clone();

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl").display().to_string();
    let second = dir.path().join("second.jsonl").display().to_string();
    let source = app.database_url.clone();
    assert_eq!(rookery(args(&["export", "--output", &first, "--database-url", &source])).await, ExitCode::SUCCESS);
    let exported = std::fs::read_to_string(&first).unwrap();
    for kind in [
        "account",
        "follow",
        "follow_request",
        "block",
        "notification",
        "device",
        "mute",
        "suggestion_dismissal",
        "webhook",
        "webhook_delivery",
    ] {
        assert!(exported.contains(&format!(r#"{{"type":"{kind}","#)), "no {kind} in:\n{exported}");
    }
    for status in ["accepted", "declined", "pending"] {
        assert!(exported.contains(&format!(r#""status":"{status}""#)), "{status}:\n{exported}");
    }
    assert!(exported.contains(r#""read_at":"2"#), "a read notification:\n{exported}");
    assert!(exported.contains(r#""read_at":null"#), "an unread notification:\n{exported}");
    assert!(exported.contains(&format!(r#""id":"{}","username":"frank""#, frank.id)), "{exported}");
    assert!(
        exported.contains(r#""followers_visibility":"followers","following_visibility":"self","counts_visible":false"#),
        "dave's audiences:\n{exported}"
    );
    for fate in ["accepted", "declined", "pending"] {
        assert!(exported.contains(&format!(r#""request_status":"{fate}"}}"#)), "{fate}:\n{exported}");
    }
    assert!(exported.contains(&format!(r#""secret":"{secret}""#)), "the signing secret:\n{exported}");

    let (_target, target) = TestDatabase::create();
    assert_eq!(rookery(args(&["import", &first, "--strict", "--database-url", &target])).await, ExitCode::SUCCESS);
    assert_eq!(rookery(args(&["export", "--output", &second, "--database-url", &target])).await, ExitCode::SUCCESS);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), exported);
    assert_eq!(rookery(args(&["check", "--database-url", &target])).await, ExitCode::SUCCESS);
    // A second import adds nothing.
    assert_eq!(rookery(args(&["import", &first, "--strict", "--database-url", &target])).await, ExitCode::SUCCESS);
    let again = dir.path().join("again.jsonl").display().to_string();
    assert_eq!(rookery(args(&["export", "--output", &again, "--database-url", &target])).await, ExitCode::SUCCESS);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), exported);

    // A server on the copy: the endpoint, its log and the requests' fates are there.
    let copy = spawn_app_with(|s| {
        s.database.url = target.clone();
        s.webhooks.allow_private = true;
    })
    .await;
    let operator = copy.admin("operator").await;
    let listed = copy.admin_call(Method::GET, "/webhooks", &operator, None).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    assert_eq!(listed.body["webhooks"], endpoints, "the endpoints, as the source listed them");
    let first = endpoints.as_array().unwrap().iter().find(|e| e["id"] == hook).expect("the first endpoint");
    assert_eq!(first["url"], receiver.url.as_str());
    assert_eq!(first["events"], json!(["follow.created"]));
    assert_eq!(first["enabled"], true);
    let copied = copy.admin_call(Method::GET, &format!("/webhooks/{hook}/deliveries"), &operator, None).await;
    assert_eq!(copied.body["deliveries"], json!(log), "the log, as the source listed it");
    let bob_there = on(&copy, &bob);
    for (actor, fate) in [(&alice, "accepted"), (&dave, "declined")] {
        let notification = request_notification(&copy, &bob_there, actor).await;
        assert_eq!(notification["request_status"], fate, "{notification}");
    }
    assert_eq!(request_notification(&copy, &on(&copy, &carol), &erin).await["request_status"], "pending");

    // What happens after the move reaches the endpoint, signed with its secret, and
    // nothing from before is sent again.
    assert_eq!(copy.follow(&on(&copy, &alice), &on(&copy, &erin)).await.status, StatusCode::OK);
    let got = receiver.wait_for(3).await;
    let after = &got[2];
    assert!(after.verifies(secret), "{after:?}");
    assert_eq!(after.json()["type"], "follow.created");
    assert_eq!(after.json()["data"]["follower_id"], alice.id.to_string());
    let log = delivered(&copy, &operator, hook, 3).await;
    assert_eq!(log[0]["event_id"], after.id.as_str(), "the newest first");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 3);

    // The delivery still waiting when the file was made waits on the copy too, and the
    // copy sends it (asked to now, rather than in a minute): the same event, signed
    // with the same secret, so the receiver can tell it from a new one.
    down.answer(204);
    let pending = copy.admin_call(Method::GET, &format!("/webhooks/{retried}/deliveries"), &operator, None).await;
    assert_eq!(pending.body["deliveries"], json!(waiting), "the waiting delivery, as the source listed it");
    let id = waiting[0]["id"].as_str().unwrap();
    let again =
        copy.admin_call(Method::POST, &format!("/webhooks/{retried}/deliveries/{id}/retry"), &operator, None).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{again:?}");
    let got = down.wait_for(2).await;
    assert_eq!(got[1].id, got[0].id, "the same event: receivers dedupe on webhook-id");
    assert!(got[1].verifies(retried_secret), "{:?}", got[1]);
    assert_eq!(got[1].json()["type"], "block.created");
    let landed = copy.deliveries_when(&operator, retried, |log| log[0]["status"] == "delivered").await;
    assert_eq!(landed[0]["attempts"], 2, "{landed:?}");
}
