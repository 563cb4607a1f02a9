//! The event feed (issue 24): `GET /api/v1/admin/events` and its SSE stream.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rookery_tests::{SseStream, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

/// Every event after `after` (all when `None`), once at least `n` are there: on
/// PostgreSQL the feed holds an event back while an older write transaction of the
/// server is still running (other tests' included).
pub async fn events_after(
    app: &TestApp,
    admin: &TestUser,
    after: Option<&str>,
    types: &str,
    n: usize,
) -> (Vec<Value>, String) {
    for _ in 0..400 {
        let mut all = Vec::new();
        let mut cursor = after.map(str::to_owned);
        loop {
            let mut path = format!("/events?limit=2&types={types}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&after={c}"));
            }
            let reply = app.admin_call(Method::GET, &path, admin, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            let page = reply.body["events"].as_array().unwrap().clone();
            let next = reply.body["next_cursor"].as_str().unwrap().to_owned();
            if page.is_empty() {
                if all.len() >= n {
                    return (all, next);
                }
                break;
            }
            all.extend(page);
            cursor = Some(next);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} events arrived");
}

#[tokio::test]
async fn the_feed_pages_every_change_in_order() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    assert_eq!(app.unfollow(&alice, &bob).await.status, StatusCode::OK);

    let (events, cursor) = events_after(&app, &admin, None, "", 5).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["account.created", "account.created", "account.created", "follow.created", "follow.deleted"]);
    let follow = &events[3];
    assert_eq!(follow.as_object().unwrap().keys().collect::<Vec<_>>(), ["id", "type", "created_at", "data"]);
    assert_eq!(follow["data"]["follower_id"], alice.id.to_string());
    assert_eq!(follow["data"]["followee_id"], bob.id.to_string());
    assert_eq!(events[4]["data"]["reason"], "unfollow");

    // Nothing new: the same cursor back. Then a block shows up after it, alone.
    let reply = app.admin_call(Method::GET, &format!("/events?after={cursor}"), &admin, None).await;
    assert_eq!(reply.body, json!({ "events": [], "next_cursor": cursor }));
    // A cursor no page gave out, ahead of the feed (forged, or another database's) is
    // refused, not answered with an empty page forever.
    let (tx, seq) = cursor.split_once('-').unwrap();
    let ahead = format!("{}-{seq}", tx.parse::<i64>().unwrap() + 1_000_000_000);
    let reply = app.admin_call(Method::GET, &format!("/events?after={ahead}"), &admin, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    assert_eq!(reply.body["message"], "the cursor is ahead of this feed: it was not issued by this database's feed");
    let reply = app.call(Method::POST, "/block", &alice, Some(json!({ "user_id": bob.id }))).await;
    assert!(reply.status.is_success(), "{reply:?}");
    let (after, _) = events_after(&app, &admin, Some(&cursor), "block.created,block.deleted", 1).await;
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["data"], json!({ "blocker_id": alice.id.to_string(), "blocked_id": bob.id.to_string() }));
}

#[tokio::test]
async fn bad_feed_queries_are_4xx_and_only_admins_read() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    for (query, status) in [
        ("?limit=0", StatusCode::BAD_REQUEST),
        ("?limit=1001", StatusCode::BAD_REQUEST),
        ("?limit=x", StatusCode::BAD_REQUEST),
        ("?after=nope", StatusCode::BAD_REQUEST),
        ("?types=follow.made", StatusCode::BAD_REQUEST),
        ("?limit=1000", StatusCode::OK),
    ] {
        let reply = app.admin_call(Method::GET, &format!("/events{query}"), &admin, None).await;
        assert_eq!(reply.status, status, "{query}: {reply:?}");
    }
    let user = app.user("carol").await;
    let reply = app.admin_call(Method::GET, "/events", &user, None).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    // An admin whose account another admin deleted: its token opens nothing any more.
    let other = app.admin("other").await;
    let deleted = app.admin_call(Method::DELETE, &format!("/users/{}", admin.id), &other, None).await;
    assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
    for path in ["/events", "/webhooks"] {
        let reply = app.admin_call(Method::GET, path, &admin, None).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{path}: {reply:?}");
        assert_eq!(reply.body["message"], "This account has been deleted", "{path}");
    }
    assert_eq!(app.admin_call(Method::GET, "/events", &other, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_stream_follows_the_feed_and_resumes_after_last_event_id() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let open = |last: Option<String>| {
        let mut request = app.client.get(app.url("/api/v1/admin/events/stream")).bearer_auth(&admin.token);
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last);
        }
        SseStream::open(request)
    };
    let mut stream = open(None).await.expect("the stream opens");
    for _ in 0..3 {
        stream.expect("account.created").await;
    }
    let resume = stream.last_id.clone().expect("an id");
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    let follow = stream.expect("follow.created").await;
    assert_eq!(follow.data["data"]["follower_id"], alice.id.to_string());
    drop(stream);

    let mut resumed = open(Some(resume)).await.expect("the stream reopens");
    let again = resumed.next_within(Duration::from_secs(5)).await.expect("the follow again");
    assert_eq!(again.data["id"], follow.data["id"], "resumes right after the Last-Event-ID");
    let bad = open(Some("nope".into())).await.err().expect("a bad cursor is refused");
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

/// Mutes join the feed (issue 25 with issue 24): the app's backend hears them; an
/// unmute of nothing writes nothing.
#[tokio::test]
async fn mutes_and_unmutes_are_events() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mute = json!({ "user_id": bob.id, "duration_secs": 3600, "notifications": false });
    assert_eq!(app.call(Method::POST, "/mute", &alice, Some(mute)).await.status, StatusCode::OK);
    let path = format!("/mute/{}", bob.id);
    assert_eq!(app.call(Method::DELETE, &path, &alice, None).await.status, StatusCode::OK);
    assert_eq!(app.call(Method::DELETE, &path, &alice, None).await.status, StatusCode::OK);

    let (events, _) = events_after(&app, &admin, None, "mute.created,mute.deleted", 2).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["mute.created", "mute.deleted"]);
    assert_eq!(events[0]["data"]["muter_id"], alice.id.to_string());
    assert_eq!(events[0]["data"]["muted_id"], bob.id.to_string());
    assert_eq!(events[0]["data"]["notifications"], false);
    assert!(events[0]["data"]["expires_at"].is_string(), "{}", events[0]);
}
