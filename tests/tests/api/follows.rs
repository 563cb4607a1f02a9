//! Seed 002 section 1, unfollow, and `GET /follow/status/{id}`.

use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn following_a_public_account_follows_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let reply = app.follow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "status": "success",
            "success": true,
            "message": "Successfully followed user",
            "data": { "is_following": true, "follow_request_status": null, "message": "Successfully followed user" }
        })
    );
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    let seen = app.profile(&alice, &bob).await;
    assert_eq!(seen["is_following"], true);
    assert_eq!(seen["follow_request_status"], json!(null));
}

#[tokio::test]
async fn following_twice_is_idempotent() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.follow(&alice, &bob).await;

    let reply = app.follow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Already following this user");
    assert_eq!(reply.data()["is_following"], true);
    assert_eq!(app.counts(&bob).await, (1, 0));
}

#[tokio::test]
async fn following_a_private_account_sends_a_request() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);

    let reply = app.follow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Follow request sent");
    assert_eq!(
        reply.data(),
        &json!({ "is_following": false, "follow_request_status": "pending", "message": "Follow request sent" })
    );
    assert_eq!(app.counts(&bob).await, (0, 0));
    assert_eq!(app.profile(&alice, &bob).await["follow_request_status"], "pending");

    let again = app.follow(&alice, &bob).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        again.body,
        json!({ "status": "error", "success": false, "message": "Follow request already pending", "status_code": 400 })
    );
}

#[tokio::test]
async fn self_follow_and_unknown_users_are_refused() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let reply = app.follow(&alice, &alice).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.body["message"], "Cannot follow yourself");

    let body = json!({ "user_id": uuid::Uuid::now_v7() });
    let reply = app.call(Method::POST, "/follow", &alice, Some(body)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(reply.body["message"], "User not found");
    assert_eq!(reply.body["status_code"], 404);
}

#[tokio::test]
async fn unfollow_removes_the_edge_and_the_counts() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.follow(&alice, &bob).await;

    let reply = app.unfollow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["message"], "Successfully unfollowed user");
    assert_eq!(reply.data()["is_following"], false);
    assert_eq!(app.counts(&bob).await, (0, 0));
    assert_eq!(app.counts(&alice).await, (0, 0));

    // Not following any more: still 200, so the app's button does not revert.
    let again = app.unfollow(&alice, &bob).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["message"], "Not following this user");
}

#[tokio::test]
async fn unfollow_withdraws_a_pending_request() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    app.follow(&alice, &bob).await;

    let reply = app.unfollow(&alice, &bob).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Follow request cancelled");
    let received = app.call(Method::GET, "/follow-requests/received", &bob, None).await;
    assert_eq!(received.data()["total"], 0);
    assert_eq!(app.follow(&alice, &bob).await.body["message"], "Follow request sent");
}

#[tokio::test]
async fn unfollow_after_an_accept_clears_the_request_status() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    app.follow(&alice, &bob).await;
    let id = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    assert_eq!(app.profile(&alice, &bob).await["follow_request_status"], "accepted");

    app.unfollow(&alice, &bob).await;
    let status = app.call(Method::GET, &format!("/follow-requests/status/{}", bob.id), &alice, None).await;
    assert_eq!(status.data(), &json!({ "status": null, "has_request": false }));
    assert_eq!(app.counts(&bob).await, (0, 0));
}

#[tokio::test]
async fn follow_status_reports_both_directions() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.follow(&alice, &bob).await;
    let path = format!("/follow/status/{}", bob.id);

    let one_way = app.call(Method::GET, &path, &alice, None).await;
    assert_eq!(one_way.status, StatusCode::OK);
    assert_eq!(
        one_way.data(),
        &json!({ "is_following": true, "is_followed_by": false, "is_mutual": false, "follow_request_status": null })
    );
    app.follow(&bob, &alice).await;
    let mutual = app.call(Method::GET, &path, &alice, None).await;
    assert_eq!(mutual.data()["is_mutual"], true);
    assert_eq!(mutual.data()["is_followed_by"], true);

    let missing = app.call(Method::GET, &format!("/follow/status/{}", uuid::Uuid::now_v7()), &alice, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
