//! A graph built through the API (follows, requests answered every way, a block, read
//! and unread notifications, a device, a deleted account) moves whole: `rookery
//! export`, `rookery import --strict` into an empty database, `rookery export` again
//! gives the same bytes, and the copy passes `rookery check`. The commands run
//! in-process through the same `rookery::cli::run` as the binary, beside the server.

use std::process::ExitCode;

use clap::Parser;
use reqwest::{Method, StatusCode};
use rookery_tests::{TestDatabase, spawn_app};
use serde_json::json;

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

#[tokio::test]
async fn a_graph_built_through_the_api_moves_whole() {
    let app = spawn_app().await;
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

    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.jsonl").display().to_string();
    let second = dir.path().join("second.jsonl").display().to_string();
    let source = app.database_url.clone();
    assert_eq!(rookery(args(&["export", "--output", &first, "--database-url", &source])).await, ExitCode::SUCCESS);
    let exported = std::fs::read_to_string(&first).unwrap();
    for kind in
        ["account", "follow", "follow_request", "block", "notification", "device", "mute", "suggestion_dismissal"]
    {
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

    let (_target, target) = TestDatabase::create();
    assert_eq!(rookery(args(&["import", &first, "--strict", "--database-url", &target])).await, ExitCode::SUCCESS);
    assert_eq!(rookery(args(&["export", "--output", &second, "--database-url", &target])).await, ExitCode::SUCCESS);
    assert_eq!(std::fs::read_to_string(&second).unwrap(), exported);
    assert_eq!(rookery(args(&["check", "--database-url", &target])).await, ExitCode::SUCCESS);
}
