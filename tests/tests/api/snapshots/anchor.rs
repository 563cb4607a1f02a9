//! Seed 004, "Anchor" (`/users/{id}/follow`, `/users/{id}/follow/status`,
//! `/users/{id}/follows`, also under `/api/v1`): every endpoint's answers and each
//! row of the seed's error tables, plus the refusals every route shares.

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
async fn anchor_answers() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (me, star, fan, blocker, ghost, zed) = (
        app.user("me").await,
        app.user("star").await,
        app.user("fan").await,
        app.user("blocker").await,
        app.user("ghost").await,
        app.user("zed").await,
    );
    let locked = app.private_user("locked").await;
    let unknown = Uuid::now_v7();
    // star and fan follow me; fan follows star; blocker blocks me; ghost and zed are
    // deleted.
    for (from, to) in [(&star, &me), (&fan, &me), (&fan, &star)] {
        app.follow(from, to).await;
    }
    app.call(Method::PATCH, "/profiles/me", &fan, Some(json!({ "bio": "a fan", "full_name": null }))).await;
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    for doomed in [&ghost, &zed] {
        app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    }

    let mut table = Table::new(&app, "anchor");
    for user in [&admin, &me, &star, &fan, &blocker, &ghost, &zed, &locked] {
        table.name(user.id, &user.username);
    }
    table.name(unknown, "unknown");

    let m = |method: Method, path: &str| call(&app, &me, method, path);
    let act = |target: &dyn ToString, action: &str| {
        m(Method::POST, &format!("/users/{}/follow", target.to_string())).json(&json!({ "action": action }))
    };
    let raw = |content_type: &str, body: String| {
        m(Method::POST, &format!("/users/{}/follow", star.id)).header("Content-Type", content_type).body(body)
    };
    let expired = app.token(&json!({ "sub": me.id.to_string(), "exp": now_secs() - 3600, "iat": now_secs() - 7200 }));
    let cases: Vec<Case> = vec![
        // POST /users/{id}/follow {"action"}
        ("follow", act(&star.id, "follow")),
        ("follow_again", act(&star.id, "follow")),
        ("follow_private", act(&locked.id, "follow")),
        ("follow_private_again", act(&locked.id, "follow")),
        ("unfollow", act(&star.id, "unfollow")),
        ("unfollow_again", act(&star.id, "unfollow")),
        ("unfollow_withdraws_request", act(&locked.id, "unfollow")),
        (
            "follow_under_api_v1",
            m(Method::POST, &format!("/api/v1/users/{}/follow", star.id)).json(&json!({ "action": "follow" })),
        ),
        ("follow_self", act(&me.id, "follow")),
        ("unfollow_self", act(&me.id, "unfollow")),
        ("follow_unknown_user", act(&unknown, "follow")),
        ("unfollow_unknown_user", act(&unknown, "unfollow")),
        ("follow_deleted_user", act(&ghost.id, "follow")),
        ("follow_blocked", act(&blocker.id, "follow")),
        (
            "follow_by_deleted_account",
            call(&app, &zed, Method::POST, &format!("/users/{}/follow", star.id)).json(&json!({ "action": "follow" })),
        ),
        ("follow_invalid_id", act(&"12", "follow")),
        ("follow_invalid_action", act(&star.id, "like")),
        ("follow_missing_action", m(Method::POST, &format!("/users/{}/follow", star.id)).json(&json!({}))),
        (
            "follow_action_not_a_string",
            m(Method::POST, &format!("/users/{}/follow", star.id)).json(&json!({ "action": 1 })),
        ),
        ("follow_malformed_json", raw("application/json", "{\"action\":".into())),
        ("follow_not_json", raw("text/plain", "{\"action\": \"follow\"}".into())),
        ("follow_too_large", raw("application/json", oversized("action"))),
        (
            "follow_no_token",
            app.client.post(app.url(&format!("/users/{}/follow", star.id))).json(&json!({ "action": "follow" })),
        ),
        (
            "follow_invalid_token",
            app.client
                .post(app.url(&format!("/users/{}/follow", star.id)))
                .bearer_auth("not-a-jwt")
                .json(&json!({ "action": "follow" })),
        ),
        (
            "follow_expired_token",
            app.client
                .post(app.url(&format!("/users/{}/follow", star.id)))
                .bearer_auth(&expired)
                .json(&json!({ "action": "follow" })),
        ),
        ("follow_wrong_method", m(Method::GET, &format!("/users/{}/follow", star.id))),
        // GET /users/{id}/follow/status
        ("status_mutual", m(Method::GET, &format!("/users/{}/follow/status", star.id))),
        ("status_followed_by", m(Method::GET, &format!("/users/{}/follow/status", fan.id))),
        ("status_none", m(Method::GET, &format!("/users/{}/follow/status", locked.id))),
        ("status_under_api_v1", m(Method::GET, &format!("/api/v1/users/{}/follow/status", star.id))),
        ("status_invalid_id", m(Method::GET, "/users/12/follow/status")),
        ("status_unknown_user", m(Method::GET, &format!("/users/{unknown}/follow/status"))),
        ("status_deleted_user", m(Method::GET, &format!("/users/{}/follow/status", ghost.id))),
        ("status_no_token", app.client.get(app.url(&format!("/users/{}/follow/status", star.id)))),
        ("status_wrong_method", m(Method::POST, &format!("/users/{}/follow/status", star.id))),
        // GET /users/{id}/follows?type=&page=&limit=
        ("followers", m(Method::GET, &format!("/users/{}/follows?type=followers", me.id))),
        ("followers_anonymous", app.client.get(app.url(&format!("/users/{}/follows?type=followers", me.id)))),
        ("following", m(Method::GET, &format!("/users/{}/follows?type=following", fan.id))),
        ("followers_paged", m(Method::GET, &format!("/users/{}/follows?type=followers&page=2&limit=1", me.id))),
        ("following_empty", m(Method::GET, &format!("/users/{}/follows?type=following", blocker.id))),
        ("follows_under_api_v1", m(Method::GET, &format!("/api/v1/users/{}/follows?type=following", me.id))),
        ("follows_missing_type", m(Method::GET, &format!("/users/{}/follows", me.id))),
        ("follows_invalid_type", m(Method::GET, &format!("/users/{}/follows?type=friends", me.id))),
        ("follows_page_zero", m(Method::GET, &format!("/users/{}/follows?type=followers&page=0", me.id))),
        ("follows_limit_too_big", m(Method::GET, &format!("/users/{}/follows?type=followers&limit=51", me.id))),
        ("follows_limit_not_a_number", m(Method::GET, &format!("/users/{}/follows?type=followers&limit=x", me.id))),
        ("follows_invalid_id", m(Method::GET, "/users/12/follows?type=followers")),
        ("follows_unknown_user", m(Method::GET, &format!("/users/{unknown}/follows?type=followers"))),
        ("follows_deleted_user", m(Method::GET, &format!("/users/{}/follows?type=followers", ghost.id))),
        ("follows_private_account", app.client.get(app.url(&format!("/users/{}/follows?type=followers", locked.id)))),
        (
            "follows_private_account_authenticated",
            m(Method::GET, &format!("/users/{}/follows?type=following", locked.id)),
        ),
        (
            "follows_invalid_token",
            app.client.get(app.url(&format!("/users/{}/follows?type=followers", me.id))).bearer_auth("not-a-jwt"),
        ),
        ("follows_wrong_method", m(Method::DELETE, &format!("/users/{}/follows", me.id))),
        // No route under the dialect's prefixes.
        ("unknown_path", m(Method::GET, &format!("/users/{}/likes", me.id))),
        ("unknown_path_under_api_v1", m(Method::GET, "/api/v1/users/x/y/z")),
    ];
    table.run(cases).await;
}

#[tokio::test]
async fn anchor_rate_limited() {
    let app = spawn_app_with(|s| s.follows_per_hour = 1).await;
    let (me, star, other) = (app.user("me").await, app.user("star").await, app.user("other").await);
    app.follow(&me, &star).await;
    let mut table = Table::new(&app, "anchor");
    table.name(me.id, "me").name(star.id, "star").name(other.id, "other");
    let request =
        call(&app, &me, Method::POST, &format!("/users/{}/follow", other.id)).json(&json!({ "action": "follow" }));
    table.run(vec![("follow_rate_limited", request)]).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: make test-postgres"]
async fn anchor_unavailable_postgres() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.user("star").await);
    let mut table = Table::new(&app, "anchor");
    table.name(me.id, "me").name(star.id, "star");
    let follow =
        call(&app, &me, Method::POST, &format!("/users/{}/follow", star.id)).json(&json!({ "action": "follow" }));
    super::run_without_database(&table, vec![("follow_database_down", follow)]).await;
}
