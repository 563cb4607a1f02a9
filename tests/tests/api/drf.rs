//! The `drf` dialect (seed 000): status codes and Django REST framework's error shapes.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, user: Option<&TestUser>, body: &str) -> Reply {
    let mut request = app.client.post(app.url(path)).header("Content-Type", "application/json").body(body.to_owned());
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    app.send(request).await
}

async fn delete(app: &TestApp, path: &str, user: Option<&TestUser>) -> Reply {
    let mut request = app.client.delete(app.url(path));
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    app.send(request).await
}

fn follow_body(id: impl ToString) -> String {
    json!({ "followed_id": id.to_string() }).to_string()
}

#[tokio::test]
async fn follow_answers_201_then_200_and_202_for_private_accounts() {
    let app = spawn_app().await;
    let (me, public, private) = (app.user("me").await, app.user("pub").await, app.private_user("priv").await);

    let created = post(&app, "/api/follows/", Some(&me), &follow_body(public.id)).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body, json!({ "status": "success", "message": "Followed user." }));
    let again = post(&app, "/api/follows/", Some(&me), &follow_body(public.id)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["status"], "success");
    assert_eq!(app.counts(&public).await, (1, 0));

    let requested = post(&app, "/api/follows", Some(&me), &follow_body(private.id)).await;
    assert_eq!(requested.status, StatusCode::ACCEPTED);
    assert_eq!(requested.body, json!({ "status": "success", "message": "Follow request sent." }));
    let pending = post(&app, "/api/follows", Some(&me), &follow_body(private.id)).await;
    assert_eq!(pending.status, StatusCode::ACCEPTED);
}

#[tokio::test]
async fn follow_errors_use_drf_shapes() {
    let app = spawn_app().await;
    let me = app.user("me").await;

    let anonymous = post(&app, "/api/follows/", None, &follow_body(me.id)).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body, json!({ "detail": "Authentication credentials were not provided." }));
    let forged = app
        .send(app.client.post(app.url("/api/follows/")).bearer_auth("x.y.z").json(&json!({ "followed_id": me.id })))
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(forged.body["detail"].is_string());

    let myself = post(&app, "/api/follows/", Some(&me), &follow_body(me.id)).await;
    assert_eq!(
        (myself.status, myself.body.clone()),
        (StatusCode::BAD_REQUEST, json!({ "detail": "You cannot follow yourself." }))
    );

    let nobody = post(&app, "/api/follows/", Some(&me), &follow_body(uuid::Uuid::now_v7())).await;
    assert_eq!((nobody.status, nobody.body.clone()), (StatusCode::NOT_FOUND, json!({ "detail": "Not found." })));

    let missing = post(&app, "/api/follows/", Some(&me), "{}").await;
    assert_eq!(
        (missing.status, missing.body.clone()),
        (StatusCode::BAD_REQUEST, json!({ "followed_id": ["This field is required."] }))
    );
    for bad in [r#"{"followed_id": "abc"}"#, r#"{"followed_id": 7}"#] {
        let reply = post(&app, "/api/follows/", Some(&me), bad).await;
        assert_eq!(
            (reply.status, reply.body.clone()),
            (StatusCode::BAD_REQUEST, json!({ "followed_id": ["Must be a valid UUID."] }))
        );
    }
    let malformed = post(&app, "/api/follows/", Some(&me), "{").await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
    assert!(malformed.body["detail"].as_str().unwrap().starts_with("JSON parse error"));

    let wrong_method = app.send(app.client.get(app.url("/api/follows/")).bearer_auth(&me.token)).await;
    assert_eq!(
        (wrong_method.status, wrong_method.body.clone()),
        (StatusCode::METHOD_NOT_ALLOWED, json!({ "detail": "Method \"GET\" not allowed." }))
    );
}

#[tokio::test]
async fn delete_always_answers_204() {
    let app = spawn_app().await;
    let (me, them) = (app.user("me").await, app.user("them").await);
    post(&app, "/api/follows/", Some(&me), &follow_body(them.id)).await;

    for path in [format!("/api/follows/{}/", them.id), format!("/api/follows/{}", them.id)] {
        let reply = delete(&app, &path, Some(&me)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        assert_eq!(reply.body, Value::Null);
    }
    assert_eq!(app.counts(&them).await, (0, 0));
    let unknown = delete(&app, &format!("/api/follows/{}/", uuid::Uuid::now_v7()), Some(&me)).await;
    assert_eq!(unknown.status, StatusCode::NO_CONTENT);

    let malformed = delete(&app, "/api/follows/42/", Some(&me)).await;
    assert_eq!((malformed.status, malformed.body.clone()), (StatusCode::NOT_FOUND, json!({ "detail": "Not found." })));
    let anonymous = delete(&app, &format!("/api/follows/{}/", them.id), None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body["detail"], "Authentication credentials were not provided.");
    let _ = Method::DELETE;
}
