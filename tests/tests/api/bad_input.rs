//! Bad input in every dialect: a clear 4xx, in the dialect's own JSON envelope, never a
//! 5xx, never plain text.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::Value;

/// How a dialect's error body looks.
fn envelope_ok(dialect: &str, status: StatusCode, body: &Value) -> bool {
    match dialect {
        "community" => {
            body["status"] == "error"
                && body["success"] == false
                && body["status_code"] == status.as_u16()
                && body["message"].is_string()
        }
        "drf" => {
            body["detail"].is_string()
                || body.as_object().is_some_and(|o| !o.is_empty() && o.values().all(Value::is_array))
        }
        "rgram" => body["success"] == false && body["message"].is_string(),
        "anchor" => body["success"] == false && body["statusCode"] == status.as_u16() && body["code"].is_string(),
        other => panic!("unknown dialect {other}"),
    }
}

struct Case {
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Option<String>,
    expect: StatusCode,
}

fn case(
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Option<&str>,
    expect: StatusCode,
) -> Case {
    Case { method, path, content_type, body: body.map(str::to_owned), expect }
}

async fn send(app: &TestApp, user: &TestUser, case: &Case) -> Reply {
    let mut request = app.client.request(case.method.clone(), app.url(&case.path)).bearer_auth(&user.token);
    if let Some(content_type) = case.content_type {
        request = request.header("Content-Type", content_type);
    }
    if let Some(body) = &case.body {
        request = request.body(body.clone());
    }
    app.send(request).await
}

fn battery(target: &str) -> Vec<(&'static str, Case)> {
    use Method as M;
    use StatusCode as S;
    let json = Some("application/json");
    let text = Some("text/plain");
    let huge = format!("{{\"x\": \"{}\"}}", "y".repeat(70 * 1024));
    let huge = huge.as_str();
    vec![
        ("community", case(M::POST, "/api/v1/community/follow".into(), json, Some("{\"user_id\":"), S::BAD_REQUEST)),
        ("community", case(M::POST, "/api/v1/community/follow".into(), text, Some("{}"), S::UNSUPPORTED_MEDIA_TYPE)),
        ("community", case(M::POST, "/api/v1/community/follow".into(), json, Some("{\"user_id\": 5}"), S::BAD_REQUEST)),
        ("community", case(M::POST, "/api/v1/community/follow".into(), json, Some(huge), S::PAYLOAD_TOO_LARGE)),
        ("community", case(M::GET, "/api/v1/community/profiles/not-a-uuid".into(), None, None, S::BAD_REQUEST)),
        (
            "community",
            case(
                M::GET,
                "/api/v1/community/follow-requests/received?page_size=1000".into(),
                None,
                None,
                S::BAD_REQUEST,
            ),
        ),
        (
            "community",
            case(M::GET, format!("/api/v1/community/users/{target}/followers?page=-1"), None, None, S::BAD_REQUEST),
        ),
        ("community", case(M::GET, "/api/v1/community/no-such-thing".into(), None, None, S::NOT_FOUND)),
        ("community", case(M::PUT, "/api/v1/community/follow".into(), None, None, S::METHOD_NOT_ALLOWED)),
        ("drf", case(M::POST, "/api/follows/".into(), json, Some("{\"followed_id\":"), S::BAD_REQUEST)),
        ("drf", case(M::POST, "/api/follows/".into(), text, Some("{}"), S::UNSUPPORTED_MEDIA_TYPE)),
        ("drf", case(M::POST, "/api/follows/".into(), json, Some("{\"followed_id\": 5}"), S::BAD_REQUEST)),
        ("drf", case(M::POST, "/api/follows/".into(), json, Some(huge), S::PAYLOAD_TOO_LARGE)),
        ("drf", case(M::DELETE, "/api/follows/not-a-uuid/".into(), None, None, S::NOT_FOUND)),
        ("drf", case(M::GET, "/api/follows/a/b/c".into(), None, None, S::NOT_FOUND)),
        ("drf", case(M::GET, "/api/follows/".into(), None, None, S::METHOD_NOT_ALLOWED)),
        ("rgram", case(M::POST, "/api/follow-request/send".into(), json, Some("{\"targetUserId\":"), S::BAD_REQUEST)),
        ("rgram", case(M::POST, "/api/follow-request/send".into(), text, Some("{}"), S::UNSUPPORTED_MEDIA_TYPE)),
        (
            "rgram",
            case(M::POST, "/api/follow-request/send".into(), json, Some("{\"targetUserId\": 5}"), S::BAD_REQUEST),
        ),
        ("rgram", case(M::POST, "/api/follow-request/send".into(), json, Some(huge), S::PAYLOAD_TOO_LARGE)),
        ("rgram", case(M::POST, "/api/follow/not-a-uuid".into(), None, None, S::BAD_REQUEST)),
        ("rgram", case(M::GET, format!("/api/followers/{target}?limit=1000"), None, None, S::BAD_REQUEST)),
        ("rgram", case(M::GET, "/api/follow-request/no-such-thing".into(), None, None, S::NOT_FOUND)),
        ("rgram", case(M::PUT, "/api/follow-request/send".into(), None, None, S::METHOD_NOT_ALLOWED)),
        ("anchor", case(M::POST, format!("/users/{target}/follow"), json, Some("{\"action\":"), S::BAD_REQUEST)),
        ("anchor", case(M::POST, format!("/users/{target}/follow"), text, Some("{}"), S::UNSUPPORTED_MEDIA_TYPE)),
        ("anchor", case(M::POST, format!("/users/{target}/follow"), json, Some("{\"action\": 5}"), S::BAD_REQUEST)),
        ("anchor", case(M::POST, format!("/api/v1/users/{target}/follow"), json, Some(huge), S::PAYLOAD_TOO_LARGE)),
        (
            "anchor",
            case(M::POST, "/users/not-a-uuid/follow".into(), json, Some("{\"action\":\"follow\"}"), S::BAD_REQUEST),
        ),
        (
            "anchor",
            case(M::GET, format!("/users/{target}/follows?type=followers&limit=99"), None, None, S::BAD_REQUEST),
        ),
        ("anchor", case(M::GET, format!("/users/{target}/no-such-thing"), None, None, S::NOT_FOUND)),
        ("anchor", case(M::DELETE, format!("/users/{target}/follow"), None, None, S::METHOD_NOT_ALLOWED)),
    ]
}

#[tokio::test]
async fn every_dialect_refuses_bad_input_in_its_own_envelope() {
    let app = spawn_app().await;
    let (me, target) = (app.user("me").await, app.user("target").await);
    let mut failures = Vec::new();
    for (dialect, case) in battery(&target.id.to_string()) {
        let reply = send(&app, &me, &case).await;
        let json = reply.content_type.as_deref() == Some("application/json");
        if reply.status != case.expect || !json || !envelope_ok(dialect, reply.status, &reply.body) {
            failures.push(format!(
                "{dialect} {} {}: expected {}, got {} {:?} {}",
                case.method,
                case.path.chars().take(60).collect::<String>(),
                case.expect,
                reply.status,
                reply.content_type,
                reply.body
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What the OpenAPI document states, the server holds to (schemathesis found both):
/// a URL field's 2048 characters count what was sent, white space included; offset
/// fields beside a cursor are still held to their range.
#[tokio::test]
async fn limits_hold_as_the_document_states_them() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let padded = format!("{}https://a.example/{}", " ".repeat(10), "x".repeat(2048 - 20));
    assert!(padded.trim().chars().count() <= 2048 && padded.chars().count() > 2048);
    let reply =
        app.call(Method::PATCH, "/profiles/me", &alice, Some(serde_json::json!({ "profile_image_url": padded }))).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    assert_eq!(reply.body["message"], "profile_image_url must be at most 2048 characters");

    let path = format!("/users/{}/followers?limit=5&page=0", alice.id);
    let reply = app.call(Method::GET, &path, &alice, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{:?}", reply.body);
    let path = format!("/users/{}/followers?limit=5&page=2", alice.id);
    assert_eq!(app.call(Method::GET, &path, &alice, None).await.status, StatusCode::OK);
}
