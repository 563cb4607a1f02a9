//! The `anchor` dialect (seed 004): envelope, codes, DTO names, both mount points.

use reqwest::StatusCode;
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

async fn act(app: &TestApp, mount: &str, user: &TestUser, target: impl ToString, body: Value) -> Reply {
    let url = app.url(&format!("{mount}/users/{}/follow", target.to_string()));
    app.send(app.client.post(url).bearer_auth(&user.token).json(&body)).await
}

fn error(status: u16, code: &str, message: &str) -> Value {
    json!({ "success": false, "statusCode": status, "message": message, "code": code })
}

#[tokio::test]
async fn follow_and_unfollow_report_counts_on_both_mounts() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.user("star").await);

    let followed = act(&app, "", &me, star.id, json!({ "action": "follow" })).await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(
        followed.body,
        json!({
            "success": true,
            "statusCode": 200,
            "message": "success",
            "data": {
                "isFollowing": true,
                "targetUser": { "id": star.id.to_string(), "username": "@star", "displayName": "star Example", "followerCount": 1 },
                "currentUser": { "followingCount": 1 }
            }
        })
    );
    // Idempotent, and the /api/v1 mount is the same handler.
    let again = act(&app, "/api/v1", &me, star.id, json!({ "action": "follow" })).await;
    assert_eq!(again.data()["targetUser"]["followerCount"], 1);

    let unfollowed = act(&app, "/api/v1", &me, star.id, json!({ "action": "unfollow" })).await;
    assert_eq!(unfollowed.data()["isFollowing"], false);
    assert_eq!(unfollowed.data()["targetUser"]["followerCount"], 0);
    assert_eq!(unfollowed.data()["currentUser"]["followingCount"], 0);
    let twice = act(&app, "", &me, star.id, json!({ "action": "unfollow" })).await;
    assert_eq!(twice.status, StatusCode::OK);
}

#[tokio::test]
async fn a_private_account_gets_a_pending_request() {
    let app = spawn_app().await;
    let (me, private) = (app.user("me").await, app.private_user("priv").await);
    let reply = act(&app, "", &me, private.id, json!({ "action": "follow" })).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["isFollowing"], false);
    assert_eq!(reply.data()["followRequestStatus"], "pending");
    let again = act(&app, "", &me, private.id, json!({ "action": "follow" })).await;
    assert_eq!(again.data()["followRequestStatus"], "pending");
}

#[tokio::test]
async fn errors_carry_codes() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    assert_eq!(
        act(&app, "", &me, "507f1f77bcf86cd799439011", json!({ "action": "follow" })).await.body,
        error(400, "INVALID_ID", "Invalid user ID format")
    );
    let invalid_action = error(400, "INVALID_ACTION", "Action must be 'follow' or 'unfollow'");
    assert_eq!(act(&app, "", &me, me.id, json!({ "action": "like" })).await.body, invalid_action);
    assert_eq!(act(&app, "", &me, me.id, json!({})).await.body, invalid_action);
    assert_eq!(
        act(&app, "", &me, me.id, json!({ "action": "follow" })).await.body,
        error(400, "CANNOT_FOLLOW_SELF", "You cannot follow yourself")
    );
    assert_eq!(
        act(&app, "", &me, me.id, json!({ "action": "unfollow" })).await.body,
        error(400, "CANNOT_FOLLOW_SELF", "You cannot follow yourself")
    );
    let nobody = uuid::Uuid::now_v7();
    assert_eq!(
        act(&app, "", &me, nobody, json!({ "action": "follow" })).await.body,
        error(404, "USER_NOT_FOUND", "User not found")
    );
    assert_eq!(
        act(&app, "", &me, nobody, json!({ "action": "unfollow" })).await.body,
        error(404, "USER_NOT_FOUND", "User not found")
    );
    let anonymous = app
        .send(app.client.post(app.url(&format!("/users/{}/follow", me.id))).json(&json!({ "action": "follow" })))
        .await;
    assert_eq!(anonymous.body, error(401, "UNAUTHORIZED", "Authentication required"));
    let status_anonymous = app.send(app.client.get(app.url(&format!("/users/{}/follow/status", me.id)))).await;
    assert_eq!(status_anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn status_detects_mutual_follows() {
    let app = spawn_app().await;
    let (me, them) = (app.user("me").await, app.user("them").await);
    act(&app, "", &me, them.id, json!({ "action": "follow" })).await;
    let url = |who: &TestUser| app.url(&format!("/users/{}/follow/status", who.id));
    let one_way = app.send(app.client.get(url(&them)).bearer_auth(&me.token)).await;
    assert_eq!(one_way.body["data"], json!({ "isFollowing": true, "isFollowedBy": false, "isMutual": false }));
    act(&app, "", &them, me.id, json!({ "action": "follow" })).await;
    let mutual = app.send(app.client.get(url(&them)).bearer_auth(&me.token)).await;
    assert_eq!(mutual.body["data"], json!({ "isFollowing": true, "isFollowedBy": true, "isMutual": true }));
    let nobody = app
        .send(app.client.get(app.url(&format!("/users/{}/follow/status", uuid::Uuid::now_v7()))).bearer_auth(&me.token))
        .await;
    assert_eq!(nobody.body["code"], "USER_NOT_FOUND");
    let bad = app.send(app.client.get(app.url("/users/zzz/follow/status")).bearer_auth(&me.token)).await;
    assert_eq!(bad.body["code"], "INVALID_ID");
}

#[tokio::test]
async fn lists_page_with_optional_auth() {
    let app = spawn_app().await;
    let (star, me) = (app.user("star").await, app.user("me").await);
    let mut fans = Vec::new();
    for i in 0..3 {
        let fan = app.user(&format!("fan{i}")).await;
        act(&app, "", &fan, star.id, json!({ "action": "follow" })).await;
        fans.push(fan);
    }
    act(&app, "", &me, fans[2].id, json!({ "action": "follow" })).await;
    let list = |query: &str| app.url(&format!("/api/v1/users/{}/follows?{query}", star.id));

    let anonymous = app.send(app.client.get(list("type=followers&page=1&limit=2"))).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    let data = anonymous.data();
    assert_eq!(data["pagination"], json!({ "page": 1, "limit": 2, "total": 3, "totalPages": 2, "hasMore": true }));
    let first = &data["data"][0];
    assert_eq!(first["username"], "@fan2");
    assert_eq!(first["displayName"], "fan2 Example");
    assert_eq!(first["profilePicture"], Value::Null);
    assert_eq!(first["bio"], "");
    assert_eq!(first["isFollowing"], false);
    assert!(first["followedAt"].as_str().unwrap().ends_with('Z'));

    let mine = app.send(app.client.get(list("type=followers")).bearer_auth(&me.token)).await;
    assert_eq!(mine.data()["data"][0]["isFollowing"], true, "I follow fan2");
    assert_eq!(mine.data()["pagination"]["limit"], 20);
    let page2 = app.send(app.client.get(list("type=followers&page=2&limit=2"))).await;
    assert_eq!(page2.data()["data"].as_array().unwrap().len(), 1);
    assert_eq!(page2.data()["pagination"]["hasMore"], false);
    let following = app.send(app.client.get(app.url(&format!("/users/{}/follows?type=following", me.id)))).await;
    assert_eq!(following.data()["pagination"]["total"], 1);

    for (query, code) in [
        ("", "INVALID_TYPE"),
        ("type=friends", "INVALID_TYPE"),
        ("type=followers&limit=51", "INVALID_PAGINATION"),
        ("type=followers&limit=0", "INVALID_PAGINATION"),
        ("type=followers&page=0", "INVALID_PAGINATION"),
        ("type=followers&page=x", "INVALID_PAGINATION"),
    ] {
        let reply = app.send(app.client.get(list(query))).await;
        assert_eq!((reply.status, reply.body["code"].as_str()), (StatusCode::BAD_REQUEST, Some(code)), "{query}");
    }
    let nobody =
        app.send(app.client.get(app.url(&format!("/users/{}/follows?type=followers", uuid::Uuid::now_v7())))).await;
    assert_eq!(nobody.body["code"], "USER_NOT_FOUND");
}

#[tokio::test]
async fn deleted_and_private_accounts() {
    let app = spawn_app().await;
    let (admin, me, private, doomed) =
        (app.admin("root").await, app.user("me").await, app.private_user("priv").await, app.user("doomed").await);
    app.admin_call(reqwest::Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    assert_eq!(act(&app, "", &me, doomed.id, json!({ "action": "follow" })).await.body["code"], "USER_NOT_FOUND");
    let list = app.send(app.client.get(app.url(&format!("/users/{}/follows?type=followers", private.id)))).await;
    assert_eq!(list.body, error(403, "PRIVATE_ACCOUNT", "This account is private"));
}

#[tokio::test]
async fn the_dialects_share_one_database() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.user("star").await);
    act(&app, "", &me, star.id, json!({ "action": "follow" })).await;
    assert_eq!(app.counts(&star).await, (1, 0));
    let drf = app.send(app.client.delete(app.url(&format!("/api/follows/{}/", star.id))).bearer_auth(&me.token)).await;
    assert_eq!(drf.status, StatusCode::NO_CONTENT);
    let status =
        app.send(app.client.get(app.url(&format!("/users/{}/follow/status", star.id))).bearer_auth(&me.token)).await;
    assert_eq!(status.data()["isFollowing"], false);
}
