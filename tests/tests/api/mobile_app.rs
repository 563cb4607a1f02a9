//! The published seed-002 app (insteptech/nepika-app-v1), call by call, sent as it
//! sends them (Dio: `Content-Type: application/json` on every request, bodies only
//! where it has one) and judged by its own acceptance checks and parsers.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

/// The app's Dio client: default JSON content type, bearer token, body only if given.
async fn dio(app: &TestApp, method: Method, path: &str, user: &TestUser, body: Option<Value>) -> Reply {
    let mut request = app
        .client
        .request(method, app.community(path))
        .header("Content-Type", "application/json")
        .bearer_auth(&user.token);
    if let Some(body) = body {
        request = request.body(body.to_string());
    }
    app.send(request).await
}

/// `statusCode == 200 && data['success'] == true` (follow, unfollow, profiles, lists).
fn success_true(reply: &Reply, code: StatusCode) {
    assert_eq!(reply.status, code, "{reply:?}");
    assert_eq!(reply.body["success"], json!(true), "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
}

/// `statusCode == 200 && data['status'] == 'success'` (follow requests).
fn status_success(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.body["status"], json!("success"), "{reply:?}");
}

/// `CommunityProfileEntity.fromJson`: `as bool?`, `as num?` and `DateTime.parse` throw on
/// the wrong types, so check them exactly.
fn community_profile_entity(p: &Value) {
    for key in ["id", "user_id", "username"] {
        assert!(p[key].is_string(), "{key}: {p}");
    }
    for key in ["is_private", "is_verified", "is_self", "is_following", "follows_viewer"] {
        assert!(p[key].is_boolean(), "{key}: {p}");
    }
    for key in ["followers_count", "following_count", "posts_count"] {
        assert!(p[key].is_i64(), "{key}: {p}");
    }
    for key in ["full_name", "bio", "profile_image_url", "banner_image_url", "follow_request_status"] {
        assert!(p[key].is_string() || p[key].is_null(), "{key}: {p}");
    }
    for key in ["created_at", "updated_at"] {
        chrono::DateTime::parse_from_rfc3339(p[key].as_str().unwrap()).unwrap();
    }
    assert!(p.get("settings").is_none_or(|s| s.is_object() || s.is_null()));
}

/// `FollowResponseEntity.fromJson`: `data.is_following as bool?`, `data.message`.
fn follow_response_entity(reply: &Reply, following: bool, request: Value) {
    assert_eq!(reply.data()["is_following"], json!(following));
    assert_eq!(reply.data()["follow_request_status"], request);
    assert!(reply.data()["message"].is_string());
}

/// `FollowRequestsListEntity.fromJson` with `FollowRequestEntity.fromJson` items.
fn follow_requests_list_entity(reply: &Reply, prefix: &str) {
    let data = reply.data();
    assert!(data["total"].is_i64() && data["page"].is_i64() && data["page_size"].is_i64());
    assert!(data["has_more"].is_boolean());
    for r in data["requests"].as_array().unwrap() {
        for key in ["id", "requester_id", "target_id", "status", "created_at"] {
            assert!(r[key].is_string(), "{key}: {r}");
        }
        chrono::DateTime::parse_from_rfc3339(r["created_at"].as_str().unwrap()).unwrap();
        assert!(r[format!("{prefix}_username")].is_string());
        assert!(r[format!("{prefix}_is_verified")].is_boolean());
    }
}

/// `FollowRequestActionEntity.fromJson`: `data.success as bool?`, `data.status`.
fn follow_request_action_entity(reply: &Reply, status: &str) {
    assert_eq!(reply.data()["success"], json!(true));
    assert_eq!(reply.data()["status"], json!(status));
    assert!(reply.data()["message"].is_string());
}

#[tokio::test]
async fn every_profile_call_of_the_app() {
    let app = spawn_app().await;
    let (me, other) = (app.user("me").await, app.user("other").await);

    // createProfile: POST /community/profiles, 201 && success.
    let body = json!({ "username": "me_too", "bio": "hi", "is_private": false });
    let created = dio(&app, Method::POST, "/profiles", &me, Some(body)).await;
    success_true(&created, StatusCode::CREATED);
    community_profile_entity(created.data());

    // getMyProfile / getUserProfile: GET /community/profiles/<id>.
    let mine = dio(&app, Method::GET, &format!("/profiles/{}", me.id), &me, None).await;
    success_true(&mine, StatusCode::OK);
    community_profile_entity(mine.data());
    assert_eq!(mine.data()["is_self"], true);
    let theirs = dio(&app, Method::GET, &format!("/profiles/{}", other.id), &me, None).await;
    success_true(&theirs, StatusCode::OK);
    community_profile_entity(theirs.data());

    // updateProfile: PUT /community/profiles with only the non-null keys, settings included.
    let body =
        json!({ "username": "me_again", "profile_image_url": "https://cdn/me.png", "settings": { "theme": "dark" } });
    let updated = dio(&app, Method::PUT, "/profiles", &me, Some(body)).await;
    success_true(&updated, StatusCode::OK);
    community_profile_entity(updated.data());
    assert_eq!(updated.data()["username"], "me_again");
}

#[tokio::test]
async fn every_follow_call_of_the_app() {
    let app = spawn_app().await;
    let (me, public, private) = (app.user("me").await, app.user("pub").await, app.private_user("priv").await);

    let followed = dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": public.id }))).await;
    success_true(&followed, StatusCode::OK);
    follow_response_entity(&followed, true, Value::Null);

    let requested = dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": private.id }))).await;
    success_true(&requested, StatusCode::OK);
    follow_response_entity(&requested, false, json!("pending"));

    let status = dio(&app, Method::GET, &format!("/follow/status/{}", public.id), &me, None).await;
    success_true(&status, StatusCode::OK);
    assert_eq!(status.data()["is_following"], true);

    let unfollowed = dio(&app, Method::DELETE, &format!("/follow/{}", public.id), &me, None).await;
    success_true(&unfollowed, StatusCode::OK);
    follow_response_entity(&unfollowed, false, Value::Null);
    let not_following = dio(&app, Method::DELETE, &format!("/follow/{}", public.id), &me, None).await;
    success_true(&not_following, StatusCode::OK);
}

#[tokio::test]
async fn every_follow_request_call_of_the_app() {
    let app = spawn_app().await;
    let (me, target) = (app.user("me").await, app.private_user("target").await);
    dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": target.id }))).await;

    let sent = dio(&app, Method::GET, "/follow-requests/sent?page=1&page_size=20", &me, None).await;
    status_success(&sent);
    follow_requests_list_entity(&sent, "target");
    let received = dio(&app, Method::GET, "/follow-requests/received?page=1&page_size=20", &target, None).await;
    status_success(&received);
    follow_requests_list_entity(&received, "requester");
    let id = received.data()["requests"][0]["id"].as_str().unwrap().to_owned();

    let status = dio(&app, Method::GET, &format!("/follow-requests/status/{}", target.id), &me, None).await;
    status_success(&status);
    assert_eq!(status.data()["status"], "pending");
    assert_eq!(status.data()["has_request"], true);

    // accept/decline: POST with no body but the default JSON content type.
    let declined = dio(&app, Method::POST, &format!("/follow-requests/decline/{id}"), &target, None).await;
    status_success(&declined);
    follow_request_action_entity(&declined, "declined");

    dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": target.id }))).await;
    let cancelled = dio(&app, Method::DELETE, &format!("/follow-requests/cancel/{}", target.id), &me, None).await;
    status_success(&cancelled);
    follow_request_action_entity(&cancelled, "cancelled");

    dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": target.id }))).await;
    let id = app.received_request_id(&target).await;
    let accepted = dio(&app, Method::POST, &format!("/follow-requests/accept/{id}"), &target, None).await;
    status_success(&accepted);
    follow_request_action_entity(&accepted, "accepted");
    assert_eq!(accepted.data()["request_id"], id.as_str());

    // Also with an empty JSON object, as some clients send.
    dio(&app, Method::DELETE, &format!("/follow/{}", target.id), &me, None).await;
    dio(&app, Method::POST, "/follow", &me, Some(json!({ "user_id": target.id }))).await;
    let id = app.received_request_id(&target).await;
    let with_body = dio(&app, Method::POST, &format!("/follow-requests/accept/{id}"), &target, Some(json!({}))).await;
    status_success(&with_body);
}
