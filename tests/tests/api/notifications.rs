//! Notifications: the list, unread counts, marking seen, and the live stream.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rookery_tests::{SseStream, spawn_app, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn a_follow_is_listed_and_counted_until_seen() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.follow(&alice, &bob).await;

    let list = app.call(Method::GET, "/notifications?limit=20&offset=0", &bob, None).await;
    assert_eq!(list.status, StatusCode::OK);
    let data = list.data();
    assert_eq!((data["total_count"].clone(), data["unread_count"].clone()), (json!(1), json!(1)));
    assert_eq!(
        (data["limit"].clone(), data["offset"].clone(), data["filter_type"].clone()),
        (json!(20), json!(0), json!(null))
    );
    let n = &data["notifications"][0];
    assert_eq!(n["type"], "follow");
    assert_eq!(n["id"], n["notification_id"]);
    assert_eq!(n["message"], "alice started following you");
    assert_eq!(n["actor"]["id"], alice.id.to_string());
    assert_eq!(n["actor"]["username"], "alice");
    assert_eq!(n["actor"]["full_name"], "alice Example");
    assert_eq!(n["actor"]["profile_picture_url"], n["actor"]["profile_image_url"]);
    assert_eq!(n["post_id"], json!(null));
    assert_eq!(n["is_read"], false);

    let unread = app.call(Method::GET, "/notifications/unread-count", &bob, None).await;
    assert_eq!(unread.data(), &json!({ "unread_count": 1 }));

    // The app posts with a JSON content type and no body.
    let seen = app
        .send(
            app.client
                .post(app.community("/notifications/mark-as-seen"))
                .bearer_auth(&bob.token)
                .header("Content-Type", "application/json"),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(seen.body["status"], "success");
    assert_eq!(seen.data(), &json!({ "unread_count": 0 }));
    let after = app.call(Method::GET, "/notifications", &bob, None).await;
    assert_eq!(
        (after.data()["unread_count"].clone(), after.data()["notifications"][0]["is_read"].clone()),
        (json!(0), json!(true))
    );
}

#[tokio::test]
async fn mark_as_seen_takes_ids_and_ignores_others() {
    let app = spawn_app().await;
    let (alice, carol, bob) = (app.user("alice").await, app.user("carol").await, app.user("bob").await);
    app.follow(&alice, &bob).await;
    app.follow(&carol, &bob).await;
    app.follow(&bob, &alice).await;
    let list = app.call(Method::GET, "/notifications", &bob, None).await;
    let newest = list.data()["notifications"][0]["id"].clone();
    let alices = app.call(Method::GET, "/notifications", &alice, None).await.data()["notifications"][0]["id"].clone();

    let reply =
        app.call(Method::POST, "/notifications/mark-as-seen", &bob, Some(json!({ "ids": [newest, alices] }))).await;
    assert_eq!(reply.data()["unread_count"], 1);
    assert_eq!(app.call(Method::GET, "/notifications/unread-count", &alice, None).await.data()["unread_count"], 1);
    let bad = app.call(Method::POST, "/notifications/mark-as-seen", &bob, Some(json!({ "ids": ["nope"] }))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn filters_and_paging() {
    let app = spawn_app().await;
    let (alice, carol, bob) = (app.user("alice").await, app.user("carol").await, app.private_user("bob").await);
    app.follow(&alice, &bob).await; // follow_request
    let id = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await; // accepted, for alice
    app.call(Method::PATCH, "/profiles/me", &bob, Some(json!({ "is_private": false }))).await;
    app.follow(&carol, &bob).await; // follow

    let all = app.call(Method::GET, "/notifications", &bob, None).await;
    assert_eq!(all.data()["total_count"], 2);
    let follows = app.call(Method::GET, "/notifications?type=follow", &bob, None).await;
    assert_eq!(follows.data()["total_count"], 2, "follow covers every follow-related kind");
    let requests = app.call(Method::GET, "/notifications?type=follow_request", &bob, None).await;
    assert_eq!(requests.data()["notifications"][0]["message"], "alice wants to follow you");
    let likes = app.call(Method::GET, "/notifications?type=like", &bob, None).await;
    assert_eq!((likes.status, likes.data()["total_count"].clone()), (StatusCode::OK, json!(0)));
    let accepted = app.call(Method::GET, "/notifications", &alice, None).await;
    assert_eq!(accepted.data()["notifications"][0]["type"], "follow_request_accepted");
    assert_eq!(accepted.data()["notifications"][0]["message"], "bob accepted your follow request");

    let second = app.call(Method::GET, "/notifications?limit=1&offset=1", &bob, None).await;
    assert_eq!(second.data()["notifications"][0]["type"], "follow_request");
    for bad in ["limit=0", "limit=101", "offset=-1", "limit=x"] {
        let reply = app.call(Method::GET, &format!("/notifications?{bad}"), &bob, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_stream_delivers_follows_live_with_ids() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut stream = app.stream(&bob).await;
    let connected = stream.next_within(Duration::from_secs(2)).await.unwrap();
    assert_eq!(connected.data, json!({ "type": "connected", "unread_count": 0 }));
    assert_eq!(connected.id, None);

    app.follow(&alice, &bob).await;
    let event = stream.next_within(Duration::from_secs(1)).await.expect("the follow arrives within a second");
    let data = &event.data;
    assert_eq!(event.id.as_deref(), data["notification_id"].as_str());
    assert_eq!(data["type"], "follow");
    assert_eq!(data["message"], "alice started following you");
    assert_eq!(
        data["actor"],
        json!({ "id": alice.id.to_string(), "username": "alice", "full_name": "alice Example", "profile_image_url": null, "profile_picture_url": null })
    );
    assert_eq!(data["post_id"], json!(null));
    assert_eq!(data["unread_count"], 1);
    assert!(data["created_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn requests_and_acceptances_reach_both_sides() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    let mut bobs = app.stream(&bob).await;
    let mut alices = app.stream(&alice).await;
    bobs.expect("connected").await;
    alices.expect("connected").await;

    app.follow(&alice, &bob).await;
    let request = bobs.expect("follow_request").await;
    assert_eq!(request.data["message"], "alice wants to follow you");
    let id = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    let accepted = alices.expect("follow_request_accepted").await;
    assert_eq!(accepted.data["actor"]["id"], bob.id.to_string());
    assert_eq!(accepted.data["message"], "bob accepted your follow request");
}

#[tokio::test]
async fn browsers_pass_the_token_as_a_query_parameter() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let url = format!("{}?access_token={}", app.community("/notifications/stream"), bob.token);
    let mut stream = SseStream::open(app.client.get(url)).await.expect("opens");
    assert_eq!(stream.expect("connected").await.data["unread_count"], 0);

    let anonymous = SseStream::open(app.client.get(app.community("/notifications/stream"))).await.err().unwrap();
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let forged =
        SseStream::open(app.client.get(format!("{}?access_token=x.y.z", app.community("/notifications/stream"))))
            .await
            .err()
            .unwrap();
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_reconnect_replays_exactly_what_was_missed() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let fans = [app.user("fan0").await, app.user("fan1").await, app.user("fan2").await];
    let mut stream = app.stream(&bob).await;
    stream.expect("connected").await;
    app.follow(&fans[0], &bob).await;
    let first = stream.expect("follow").await;
    drop(stream);

    app.follow(&fans[1], &bob).await;
    app.follow(&fans[2], &bob).await;
    let request = app
        .client
        .get(app.community("/notifications/stream"))
        .bearer_auth(&bob.token)
        .header("Last-Event-ID", first.id.clone().unwrap());
    let mut resumed = SseStream::open(request).await.expect("opens");
    assert_eq!(resumed.expect("connected").await.data["unread_count"], 3);
    let missed: Vec<_> = [resumed.expect("follow").await, resumed.expect("follow").await]
        .iter()
        .map(|e| e.data["actor"]["username"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(missed, ["fan1", "fan2"]);
    assert_eq!(resumed.next_within(Duration::from_millis(300)).await, None, "nothing more, nothing twice");

    let bad = SseStream::open(
        app.client
            .get(app.community("/notifications/stream"))
            .bearer_auth(&bob.token)
            .header("Last-Event-ID", "garbage"),
    )
    .await
    .err()
    .unwrap();
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn reading_elsewhere_updates_every_stream() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut stream = app.stream(&bob).await;
    stream.expect("connected").await;
    app.follow(&alice, &bob).await;
    stream.expect("follow").await;
    app.call(Method::POST, "/notifications/mark-as-seen", &bob, None).await;
    let unread = stream.expect("unread_count").await;
    assert_eq!(unread.data, json!({ "type": "unread_count", "count": 0 }));
    assert_eq!(unread.id, None);
}

#[tokio::test]
async fn streams_per_account_are_capped_and_heartbeats_flow() {
    let app = spawn_app_with(|s| {
        s.streams.max_streams_per_account = 2;
        s.streams.heartbeat_secs = 1;
    })
    .await;
    let bob = app.user("bob").await;
    let mut first = app.stream(&bob).await;
    let _second = app.stream(&bob).await;
    let third = SseStream::open(app.client.get(app.community("/notifications/stream")).bearer_auth(&bob.token))
        .await
        .err()
        .unwrap();
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third.body["status"], "error");
    first.expect("connected").await;
    assert_eq!(first.next_within(Duration::from_millis(1500)).await, None);
    assert!(first.comments >= 1, "a heartbeat comment arrived");
    drop(first);
    // A closed stream frees its place, at the latest when the next heartbeat finds
    // the connection gone.
    let mut reopened = None;
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let request = app.client.get(app.community("/notifications/stream")).bearer_auth(&bob.token);
        if let Ok(stream) = SseStream::open(request).await {
            reopened = Some(stream);
            break;
        }
    }
    reopened.expect("the place is freed").expect("connected").await;
}

#[tokio::test]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn instances_on_one_postgres_share_their_events() {
    assert!(
        rookery_tests::backend() == rookery_tests::TestBackend::Postgres,
        "run with ROOKERY_TEST_DATABASE=postgres: One SQLite file has one serving process: nothing to fan out."
    );
    let first = spawn_app().await;
    let second = first.sibling().await;
    let (alice, bob) = (first.user("alice").await, first.user("bob").await);
    let mut on_second = second.stream(&bob).await;
    on_second.expect("connected").await;
    first.follow(&alice, &bob).await;
    let event = on_second.next_within(Duration::from_secs(1)).await.expect("the follow crosses instances");
    assert_eq!(event.data["type"], "follow");
    first.call(Method::POST, "/notifications/mark-as-seen", &bob, None).await;
    assert_eq!(on_second.expect("unread_count").await.data["count"], 0);
}

#[tokio::test]
async fn an_oversized_mark_as_seen_body_is_refused_in_the_envelope() {
    let app = spawn_app().await;
    let bob = app.user("bob").await;
    let ids: Vec<String> = (0..2500).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    let reply = app.call(Method::POST, "/notifications/mark-as-seen", &bob, Some(json!({ "ids": ids }))).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["status_code"], 413);
    let health = app.send(app.client.post(app.url("/healthz"))).await;
    assert_eq!(health.status, StatusCode::METHOD_NOT_ALLOWED);
}
