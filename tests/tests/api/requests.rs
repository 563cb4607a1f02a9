//! Seed 002 sections 2-7: follow requests.

use reqwest::{Method, StatusCode};
use rookery_tests::{TestApp, TestUser, spawn_app};
use serde_json::json;

async fn requested(app: &TestApp) -> (TestUser, TestUser, String) {
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    assert_eq!(app.follow(&alice, &bob).await.status, StatusCode::OK);
    let id = app.received_request_id(&bob).await;
    (alice, bob, id)
}

#[tokio::test]
async fn received_and_sent_lists_carry_the_other_side() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;

    let received = app.call(Method::GET, "/follow-requests/received?page=1&page_size=20", &bob, None).await;
    assert_eq!(received.status, StatusCode::OK);
    assert_eq!(received.body["status"], "success");
    assert_eq!(received.body["message"], "Received follow requests retrieved successfully");
    let data = received.data();
    assert_eq!(
        (data["total"].clone(), data["page"].clone(), data["page_size"].clone()),
        (json!(1), json!(1), json!(20))
    );
    assert_eq!(data["has_more"], false);
    let item = &data["requests"][0];
    assert_eq!(item["id"], id.as_str());
    assert_eq!(item["requester_id"], alice.id.to_string());
    assert_eq!(item["target_id"], bob.id.to_string());
    assert_eq!(item["status"], "pending");
    assert_eq!(item["updated_at"], json!(null));
    assert_eq!(item["requester_username"], "alice");
    assert_eq!(item["requester_is_verified"], false);
    assert!(item["requester_profile_image_url"].is_null());
    assert!(item["created_at"].as_str().unwrap().ends_with('Z'));

    let sent = app.call(Method::GET, "/follow-requests/sent", &alice, None).await;
    assert_eq!(sent.status, StatusCode::OK);
    assert_eq!(sent.body["message"], "Sent follow requests retrieved successfully");
    assert_eq!(sent.data()["requests"][0]["target_username"], "bob");
    assert_eq!(sent.data()["requests"][0]["id"], id.as_str());

    let empty = app.call(Method::GET, "/follow-requests/received", &alice, None).await;
    assert_eq!(empty.data(), &json!({ "requests": [], "total": 0, "page": 1, "page_size": 20, "has_more": false }));
}

#[tokio::test]
async fn lists_page_newest_first() {
    let app = spawn_app().await;
    let bob = app.private_user("bob").await;
    let mut requesters = Vec::new();
    for i in 0..5 {
        let user = app.user(&format!("fan{i}")).await;
        app.follow(&user, &bob).await;
        requesters.push(user);
    }
    let first = app.call(Method::GET, "/follow-requests/received?page=1&page_size=2", &bob, None).await;
    assert_eq!(first.data()["total"], 5);
    assert_eq!(first.data()["has_more"], true);
    assert_eq!(first.data()["requests"][0]["requester_username"], "fan4");
    assert_eq!(first.data()["requests"][1]["requester_username"], "fan3");
    let last = app.call(Method::GET, "/follow-requests/received?page=3&page_size=2", &bob, None).await;
    assert_eq!(last.data()["requests"].as_array().unwrap().len(), 1);
    assert_eq!(last.data()["requests"][0]["requester_username"], "fan0");
    assert_eq!(last.data()["has_more"], false);

    for bad in ["page=0", "page_size=0", "page_size=101", "page=abc"] {
        let reply = app.call(Method::GET, &format!("/follow-requests/received?{bad}"), &bob, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.body["status"], "error");
    }
}

#[tokio::test]
async fn accepting_creates_the_follow() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;

    let reply = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "status": "success",
            "success": true,
            "message": "Follow request accepted",
            "data": { "success": true, "message": "Follow request accepted", "status": "accepted", "request_id": id }
        })
    );
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    let seen = app.profile(&alice, &bob).await;
    assert_eq!((seen["is_following"].clone(), seen["follow_request_status"].clone()), (json!(true), json!("accepted")));

    let twice = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    assert_eq!(twice.status, StatusCode::BAD_REQUEST);
    assert_eq!(twice.body["message"], "Follow request already accepted");
    assert_eq!(app.counts(&bob).await, (1, 0));
}

#[tokio::test]
async fn declining_allows_a_new_request_later() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;

    let reply = app.call(Method::POST, &format!("/follow-requests/decline/{id}"), &bob, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Follow request declined");
    assert_eq!(reply.data()["status"], "declined");
    assert_eq!(reply.data()["request_id"], id.as_str());
    assert_eq!(app.counts(&bob).await, (0, 0));

    let status = app.call(Method::GET, &format!("/follow-requests/status/{}", bob.id), &alice, None).await;
    assert_eq!(status.data(), &json!({ "status": "declined", "has_request": true }));
    let answered = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    assert_eq!(answered.status, StatusCode::BAD_REQUEST);
    assert_eq!(answered.body["message"], "Follow request already declined");

    assert_eq!(app.follow(&alice, &bob).await.body["message"], "Follow request sent");
    let status = app.call(Method::GET, &format!("/follow-requests/status/{}", bob.id), &alice, None).await;
    assert_eq!(status.data()["status"], "pending");
}

#[tokio::test]
async fn only_the_target_may_answer() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;
    let eve = app.user("eve").await;
    let not_yours = json!({
        "status": "error",
        "success": false,
        "message": "Follow request not found or you are not authorized to access it",
        "status_code": 404
    });
    for who in [&alice, &eve] {
        let reply = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), who, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
        assert_eq!(reply.body, not_yours);
        let reply = app.call(Method::POST, &format!("/follow-requests/decline/{id}"), who, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND);
    }
    let unknown =
        app.call(Method::POST, &format!("/follow-requests/accept/{}", uuid::Uuid::now_v7()), &bob, None).await;
    assert_eq!(unknown.body, not_yours);
    let malformed = app.call(Method::POST, "/follow-requests/accept/123", &bob, None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert_eq!(malformed.body["message"], "Invalid request ID: must be a UUID");
    assert_eq!(app.counts(&bob).await, (0, 0));
}

#[tokio::test]
async fn cancel_withdraws_the_pending_request() {
    let app = spawn_app().await;
    let (alice, bob, _) = requested(&app).await;

    let reply = app.call(Method::DELETE, &format!("/follow-requests/cancel/{}", bob.id), &alice, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "status": "success",
            "success": true,
            "message": "Follow request cancelled",
            "data": { "success": true, "message": "Follow request cancelled", "status": "cancelled" }
        })
    );
    let again = app.call(Method::DELETE, &format!("/follow-requests/cancel/{}", bob.id), &alice, None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(
        again.body,
        json!({ "status": "error", "success": false, "message": "No pending follow request found for this user", "status_code": 404 })
    );
    let received = app.call(Method::GET, "/follow-requests/received", &bob, None).await;
    assert_eq!(received.data()["total"], 0);
}

#[tokio::test]
async fn status_of_no_request_is_null() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    let reply = app.call(Method::GET, &format!("/follow-requests/status/{}", bob.id), &alice, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.body,
        json!({
            "status": "success",
            "success": true,
            "message": "Follow request status retrieved successfully",
            "data": { "status": null, "has_request": false }
        })
    );
    app.follow(&alice, &bob).await;
    let pending = app.call(Method::GET, &format!("/follow-requests/status/{}", bob.id), &alice, None).await;
    assert_eq!(pending.data(), &json!({ "status": "pending", "has_request": true }));
}
