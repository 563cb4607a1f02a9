//! Seed 002 section 8 and SPEC section 5's profile endpoints.

use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn a_profile_carries_every_field_of_the_profile_object() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    app.follow(&alice, &bob).await;

    let reply = app.call(Method::GET, &format!("/profiles/{}", bob.id), &alice, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["message"], "Profile retrieved successfully");
    let profile = reply.data();
    let keys: Vec<&str> = profile.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "id",
            "user_id",
            "username",
            "full_name",
            "bio",
            "profile_image_url",
            "banner_image_url",
            "is_private",
            "is_verified",
            "followers_count",
            "following_count",
            "posts_count",
            "is_self",
            "is_following",
            "follows_viewer",
            "follow_request_status",
            "is_muting",
            "muting_notifications",
            "mute_expires_at",
            "created_at",
            "updated_at",
            "pending_requests_count",
            "sent_requests_count",
            "known_followers"
        ]
    );
    assert_eq!(profile["known_followers"], serde_json::Value::Null, "private, and alice's request is pending");
    assert_eq!(profile["pending_requests_count"], serde_json::Value::Null);
    assert_eq!(profile["id"], bob.id.to_string());
    assert_eq!(profile["user_id"], bob.id.to_string());
    assert_eq!(profile["username"], "bob");
    assert_eq!(profile["full_name"], "bob Example");
    assert_eq!(profile["is_private"], true);
    assert_eq!(profile["is_self"], false);
    assert_eq!(profile["follow_request_status"], "pending");
    let created = profile["created_at"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'), "{created}");
}

#[tokio::test]
async fn own_profile_through_me_and_through_the_id() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let me = app.call(Method::GET, "/profiles/me", &alice, None).await;
    assert_eq!(me.data()["is_self"], true);
    let by_id = app.call(Method::GET, &format!("/profiles/{}", alice.id), &alice, None).await;
    assert_eq!(by_id.data(), me.data());

    let missing = app.call(Method::GET, &format!("/profiles/{}", uuid::Uuid::now_v7()), &alice, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["message"], "User not found");
    let malformed = app.call(Method::GET, "/profiles/not-a-uuid", &alice, None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn updates_through_every_alias() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;

    let patch =
        app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ "bio": "hello", "full_name": "Alice A" }))).await;
    assert_eq!(patch.status, StatusCode::OK);
    assert_eq!(patch.body["message"], "Profile updated successfully");
    assert_eq!(patch.data()["bio"], "hello");

    let put = app
        .call(
            Method::PUT,
            "/profiles",
            &alice,
            Some(json!({ "profile_image_url": "https://img/a.png", "settings": {} })),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK);
    assert_eq!(put.data()["profile_image_url"], "https://img/a.png");
    assert_eq!(put.data()["bio"], "hello", "absent fields are left alone");

    let cleared = app.call(Method::PATCH, "/profiles", &alice, Some(json!({ "bio": null }))).await;
    assert_eq!(cleared.data()["bio"], json!(null));
    assert_eq!(cleared.data()["full_name"], "Alice A");
}

#[tokio::test]
async fn creating_a_profile_answers_201() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let body = json!({ "username": "alice_b", "bio": "new here", "is_private": false });
    let reply = app.call(Method::POST, "/profiles", &alice, Some(body)).await;
    assert_eq!(reply.status, StatusCode::CREATED);
    assert_eq!(reply.body["success"], true);
    assert_eq!(reply.body["message"], "Profile created successfully");
    assert_eq!(reply.data()["username"], "alice_b");
    assert_eq!(reply.data()["bio"], "new here");
}

#[tokio::test]
async fn usernames_are_unique_and_valid() {
    let app = spawn_app().await;
    let (alice, _bob) = (app.user("alice").await, app.user("bob").await);
    let taken = app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ "username": "BOB" }))).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.body["message"], "Username already taken");
    let invalid = app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ "username": "no spaces" }))).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    let long = app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ "bio": "x".repeat(501) }))).await;
    assert_eq!(long.status, StatusCode::BAD_REQUEST);
    assert_eq!(long.body["message"], "bio must be at most 500 characters");
}

#[tokio::test]
async fn going_public_accepts_every_pending_request() {
    let app = spawn_app().await;
    let bob = app.private_user("bob").await;
    let mut fans = Vec::new();
    for i in 0..4 {
        let fan = app.user(&format!("fan{i}")).await;
        app.follow(&fan, &bob).await;
        fans.push(fan);
    }
    // One of them had been declined: it stays declined.
    let newest = app.received_request_id(&bob).await;
    app.call(Method::POST, &format!("/follow-requests/decline/{newest}"), &bob, None).await;

    let reply = app.call(Method::PATCH, "/profiles/me", &bob, Some(json!({ "is_private": false }))).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["is_private"], false);
    assert_eq!(reply.data()["followers_count"], 3);
    for fan in &fans[..3] {
        assert_eq!(app.counts(fan).await, (0, 1));
        assert_eq!(app.profile(fan, &bob).await["follow_request_status"], "accepted");
    }
    assert_eq!(app.counts(&fans[3]).await, (0, 0));
    let received = app.call(Method::GET, "/follow-requests/received", &bob, None).await;
    assert_eq!(received.data()["total"], 0);

    // Going private again changes nothing for existing followers.
    app.call(Method::PATCH, "/profiles/me", &bob, Some(json!({ "is_private": true }))).await;
    assert_eq!(app.counts(&bob).await, (3, 0));
}

#[tokio::test]
async fn image_urls_must_be_http_or_https_on_every_route_that_writes_them() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let admin = app.admin("root").await;
    for field in ["profile_image_url", "banner_image_url"] {
        for bad in [
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "ftp://a.example/x.png",
            "//a.example/x.png",
        ] {
            for (method, path) in
                [(Method::PATCH, "/profiles/me"), (Method::PUT, "/profiles"), (Method::POST, "/profiles")]
            {
                let reply = app.call(method.clone(), path, &alice, Some(json!({ field: bad }))).await;
                assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{method} {path} {field}={bad}: {reply:?}");
                assert_eq!(reply.body["message"], format!("{field} must be an http or https URL"));
            }
            let admin_put =
                app.admin_call(Method::PUT, &format!("/users/{}", alice.id), &admin, Some(json!({ field: bad }))).await;
            assert_eq!(admin_put.status, StatusCode::BAD_REQUEST, "admin {field}={bad}: {admin_put:?}");
        }
        // Nothing was stored, and web URLs still are; an empty string clears the field.
        let profile = app.call(Method::GET, "/profiles/me", &alice, None).await;
        assert_eq!(profile.data()[field], serde_json::Value::Null);
        let ok =
            app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ field: "HTTPS://cdn.example/a.png" }))).await;
        assert_eq!(ok.status, StatusCode::OK, "{ok:?}");
        assert_eq!(ok.data()[field], "HTTPS://cdn.example/a.png");
        let cleared = app.call(Method::PATCH, "/profiles/me", &alice, Some(json!({ field: "" }))).await;
        assert_eq!(cleared.data()[field], serde_json::Value::Null);
    }
}
