//! Seed 000, Django REST framework style (`/api/follows/`): the task card's test list
//! (201, 401, self-follow 400, idempotent 200/204, unknown user 404) and the
//! refusals DRF gives for everything else.

use reqwest::Method;
use rookery_tests::{TestApp, TestUser, now_secs, spawn_app, spawn_app_with};
use serde_json::json;
use uuid::Uuid;

use super::{Case, Table, oversized};

/// `method path` as `user`.
fn call(app: &TestApp, user: &TestUser, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(&user.token)
}

#[tokio::test]
async fn drf_answers() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (me, star, blocker, ghost) =
        (app.user("me").await, app.user("star").await, app.user("blocker").await, app.user("ghost").await);
    let (locked, zed) = (app.private_user("locked").await, app.user("zed").await);
    let unknown = Uuid::now_v7();
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    for doomed in [&ghost, &zed] {
        app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    }

    let mut table = Table::new(&app, "drf");
    for user in [&admin, &me, &star, &blocker, &ghost, &locked, &zed] {
        table.name(user.id, &user.username);
    }
    table.name(unknown, "unknown");

    let post = |body: serde_json::Value| call(&app, &me, Method::POST, "/api/follows/").json(&body);
    let raw = |content_type: &str, body: String| {
        call(&app, &me, Method::POST, "/api/follows/").header("Content-Type", content_type).body(body)
    };
    let delete = |path: String| call(&app, &me, Method::DELETE, &path);
    let expired = app.token(&json!({ "sub": me.id.to_string(), "exp": now_secs() - 3600, "iat": now_secs() - 7200 }));
    let cases: Vec<Case> = vec![
        // POST /api/follows/
        ("follow_created", post(json!({ "followed_id": star.id }))),
        ("follow_duplicate", post(json!({ "followed_id": star.id }))),
        (
            "follow_without_slash",
            call(&app, &me, Method::POST, "/api/follows").json(&json!({ "followed_id": star.id })),
        ),
        ("follow_private_requested", post(json!({ "followed_id": locked.id }))),
        ("follow_private_already_requested", post(json!({ "followed_id": locked.id }))),
        ("follow_self", post(json!({ "followed_id": me.id }))),
        ("follow_unknown_user", post(json!({ "followed_id": unknown }))),
        ("follow_deleted_user", post(json!({ "followed_id": ghost.id }))),
        ("follow_blocked", post(json!({ "followed_id": blocker.id }))),
        (
            "follow_by_deleted_account",
            call(&app, &zed, Method::POST, "/api/follows/").json(&json!({ "followed_id": star.id })),
        ),
        ("follow_missing_field", post(json!({}))),
        ("follow_null_field", post(json!({ "followed_id": null }))),
        ("follow_invalid_id", post(json!({ "followed_id": "12" }))),
        ("follow_wrong_type", post(json!({ "followed_id": 12 }))),
        ("follow_malformed_json", raw("application/json", "{\"followed_id\":".into())),
        ("follow_not_json", raw("text/plain", format!("{{\"followed_id\": \"{}\"}}", star.id))),
        ("follow_too_large", raw("application/json", oversized("followed_id"))),
        ("follow_no_token", app.client.post(app.url("/api/follows/")).json(&json!({ "followed_id": star.id }))),
        (
            "follow_invalid_token",
            app.client.post(app.url("/api/follows/")).bearer_auth("not-a-jwt").json(&json!({ "followed_id": star.id })),
        ),
        (
            "follow_expired_token",
            app.client.post(app.url("/api/follows/")).bearer_auth(&expired).json(&json!({ "followed_id": star.id })),
        ),
        ("follow_wrong_method", call(&app, &me, Method::GET, "/api/follows/")),
        // DELETE /api/follows/{followed_user_id}/
        ("unfollow", delete(format!("/api/follows/{}/", star.id))),
        ("unfollow_not_following", delete(format!("/api/follows/{}/", star.id))),
        ("unfollow_without_slash", delete(format!("/api/follows/{}", star.id))),
        ("unfollow_withdraws_request", delete(format!("/api/follows/{}/", locked.id))),
        ("unfollow_unknown_user", delete(format!("/api/follows/{unknown}/"))),
        ("unfollow_invalid_id", delete("/api/follows/12/".into())),
        ("unfollow_no_token", app.client.delete(app.url(&format!("/api/follows/{}/", star.id)))),
        (
            "unfollow_invalid_token",
            app.client.delete(app.url(&format!("/api/follows/{}/", star.id))).bearer_auth("not-a-jwt"),
        ),
        ("unfollow_wrong_method", call(&app, &me, Method::GET, &format!("/api/follows/{}/", star.id))),
        // No route under the dialect's prefix.
        ("unknown_path", call(&app, &me, Method::GET, "/api/follows/a/b/c")),
    ];
    table.run(cases).await;
}

#[tokio::test]
async fn drf_rate_limited() {
    let app = spawn_app_with(|s| s.follows_per_hour = 1).await;
    let (me, star, other) = (app.user("me").await, app.user("star").await, app.user("other").await);
    app.follow(&me, &star).await;
    let mut table = Table::new(&app, "drf");
    table.name(me.id, "me").name(star.id, "star").name(other.id, "other");
    let request = call(&app, &me, Method::POST, "/api/follows/").json(&json!({ "followed_id": other.id }));
    table.run(vec![("follow_rate_limited", request)]).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: make test-postgres"]
async fn drf_unavailable_postgres() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.user("star").await);
    let mut table = Table::new(&app, "drf");
    table.name(me.id, "me").name(star.id, "star");
    let follow = call(&app, &me, Method::POST, "/api/follows/").json(&json!({ "followed_id": star.id }));
    super::run_without_database(&table, vec![("follow_database_down", follow)]).await;
}
