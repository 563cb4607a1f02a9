//! Blocks and their effects, both ways.

use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn a_block_removes_edges_and_requests_both_ways() {
    let app = spawn_app().await;
    let (me, pest, other) = (app.private_user("me").await, app.user("pest").await, app.user("other").await);
    app.follow(&me, &pest).await;
    app.follow(&pest, &me).await; // a pending request to my private account
    app.follow(&other, &pest).await;
    assert_eq!(app.counts(&pest).await, (2, 0));

    let reply = app.call(Method::POST, "/block", &me, Some(json!({ "user_id": pest.id, "reason": "spam" }))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.data()["is_blocked"], true);
    assert_eq!(app.counts(&pest).await, (1, 0));
    assert_eq!(app.counts(&me).await, (0, 0));
    let received = app.call(Method::GET, "/follow-requests/received", &me, None).await;
    assert_eq!(received.data()["total"], 0);

    // Follows are refused both ways.
    for (who, whom) in [(&me, &pest), (&pest, &me)] {
        let refused = app.follow(who, whom).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(refused.body["message"], "You cannot follow this user");
    }

    let mine = app.call(Method::GET, &format!("/block/status/{}", pest.id), &me, None).await;
    assert_eq!(mine.data(), &json!({ "is_blocked": true, "is_blocked_by": false }));
    let theirs = app.call(Method::GET, &format!("/block/status/{}", me.id), &pest, None).await;
    assert_eq!(theirs.data(), &json!({ "is_blocked": false, "is_blocked_by": true }));

    let again = app.call(Method::POST, "/block", &me, Some(json!({ "user_id": pest.id }))).await;
    assert_eq!((again.status, again.data()["is_blocked"].clone()), (StatusCode::OK, json!(true)));

    let list = app.call(Method::GET, "/blocks?page=1&page_size=20", &me, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.data()["total"], 1);
    assert_eq!(list.data()["users"][0]["user_id"], pest.id.to_string());
    assert!(list.data()["users"][0]["blocked_at"].is_string());

    let lifted = app.call(Method::DELETE, &format!("/block/{}", pest.id), &me, None).await;
    assert_eq!((lifted.status, lifted.data()["is_blocked"].clone()), (StatusCode::OK, json!(false)));
    assert_eq!(app.follow(&me, &pest).await.status, StatusCode::OK);
    assert_eq!(app.call(Method::GET, "/blocks", &me, None).await.data()["total"], 0);
}

#[tokio::test]
async fn blocking_oneself_or_nobody() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let myself = app.call(Method::POST, "/block", &me, Some(json!({ "user_id": me.id }))).await;
    assert_eq!(myself.status, StatusCode::BAD_REQUEST);
    assert_eq!(myself.body["message"], "Cannot block yourself");
    let nobody = app.call(Method::POST, "/block", &me, Some(json!({ "user_id": uuid::Uuid::now_v7() }))).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let malformed = app.call(Method::POST, "/block", &me, Some(json!({ "user_id": "x" }))).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}
