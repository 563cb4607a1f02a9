//! The admin API: upsert and soft delete, for admin tokens only.

use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn non_admins_are_refused() {
    let app = spawn_app().await;
    let (user, victim) = (app.user("user").await, app.user("victim").await);
    let put = app
        .admin_call(Method::PUT, &format!("/users/{}", victim.id), &user, Some(json!({ "is_verified": true })))
        .await;
    assert_eq!(put.status, StatusCode::FORBIDDEN);
    assert_eq!(
        put.body,
        json!({ "status": "error", "success": false, "message": "Admin access required", "status_code": 403 })
    );
    let delete = app.admin_call(Method::DELETE, &format!("/users/{}", victim.id), &user, None).await;
    assert_eq!(delete.status, StatusCode::FORBIDDEN);
    assert_eq!(app.profile(&user, &victim).await["is_verified"], false);
}

#[tokio::test]
async fn admins_upsert_accounts() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let id = Uuid::now_v7();
    let body = json!({ "username": "newbie", "full_name": "New Bie", "is_verified": true, "posts_count": 12 });
    let created = app.admin_call(Method::PUT, &format!("/users/{id}"), &admin, Some(body)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
    assert_eq!(created.data()["is_verified"], true);
    assert_eq!(created.data()["posts_count"], 12);
    assert_eq!(created.data()["username"], "newbie");

    let updated =
        app.admin_call(Method::PUT, &format!("/users/{id}"), &admin, Some(json!({ "posts_count": 13 }))).await;
    assert_eq!(updated.status, StatusCode::OK);
    assert_eq!(
        (updated.data()["posts_count"].clone(), updated.data()["is_verified"].clone()),
        (json!(13), json!(true))
    );

    let nameless = app.admin_call(Method::PUT, &format!("/users/{}", Uuid::now_v7()), &admin, Some(json!({}))).await;
    assert_eq!(nameless.status, StatusCode::BAD_REQUEST);
    let negative =
        app.admin_call(Method::PUT, &format!("/users/{id}"), &admin, Some(json!({ "posts_count": -1 }))).await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn soft_delete_cleans_the_graph_and_hides_the_account() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (doomed, fan, idol, private) =
        (app.user("doomed").await, app.user("fan").await, app.user("idol").await, app.private_user("priv").await);
    app.follow(&fan, &doomed).await;
    app.follow(&doomed, &idol).await;
    app.follow(&doomed, &private).await; // pending request
    app.call(Method::POST, "/block", &idol, Some(json!({ "user_id": fan.id }))).await;

    let reply = app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["deleted"], true);

    let gone = app.call(Method::GET, &format!("/profiles/{}", doomed.id), &fan, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(app.counts(&fan).await, (0, 0));
    assert_eq!(app.counts(&idol).await, (0, 0));
    let received = app.call(Method::GET, "/follow-requests/received", &private, None).await;
    assert_eq!(received.data()["total"], 0);
    assert_eq!(app.follow(&fan, &doomed).await.status, StatusCode::NOT_FOUND);
    // The deleted account's own token is refused from now on.
    let own = app.call(Method::GET, "/profiles/me", &doomed, None).await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    // Its follows and unfollows too: their write-first try reads nothing, and its guard
    // refuses a deleted follower, so the answer comes from the read after it.
    assert_eq!(app.follow(&doomed, &fan).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.unfollow(&doomed, &idol).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.counts(&fan).await, (0, 0));
    // Deleting twice: not found.
    let twice = app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    // The username is free again.
    let reuse = app.user("doomed").await;
    assert_eq!(app.profile(&reuse, &reuse).await["username"], "doomed");
}
