//! `GET /openapi.json` tells the truth about the routes, and `GET /docs` renders it in
//! a real headless Chromium from assets the binary serves itself.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rookery_tests::{TestApp, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

/// Every route `community::routes`, `admin::routes`, `events::routes` and
/// `health::routes` register, as written there (crates/http/src/community/mod.rs,
/// admin.rs, events/mod.rs, health.rs).
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v1/community/follow"),
    ("POST", "/api/v1/community/follow/batch"),
    ("POST", "/api/v1/community/unfollow/batch"),
    ("GET", "/api/v1/community/suggestions"),
    ("DELETE", "/api/v1/community/suggestions/{user_id}"),
    ("GET", "/api/v1/community/follow/status/{user_id}"),
    ("DELETE", "/api/v1/community/follow/{user_id}"),
    ("GET", "/api/v1/community/follow-requests/received"),
    ("GET", "/api/v1/community/follow-requests/sent"),
    ("POST", "/api/v1/community/follow-requests/accept/{request_id}"),
    ("POST", "/api/v1/community/follow-requests/decline/{request_id}"),
    ("DELETE", "/api/v1/community/follow-requests/cancel/{user_id}"),
    ("GET", "/api/v1/community/follow-requests/status/{user_id}"),
    ("GET", "/api/v1/community/profiles/me"),
    ("PATCH", "/api/v1/community/profiles/me"),
    ("PUT", "/api/v1/community/profiles/me"),
    ("POST", "/api/v1/community/profiles"),
    ("PUT", "/api/v1/community/profiles"),
    ("PATCH", "/api/v1/community/profiles"),
    ("GET", "/api/v1/community/profiles/{user_id}"),
    ("GET", "/api/v1/community/users/{user_id}/followers"),
    ("GET", "/api/v1/community/users/{user_id}/following"),
    ("GET", "/api/v1/community/relationships"),
    ("DELETE", "/api/v1/community/followers/{user_id}"),
    ("POST", "/api/v1/community/block"),
    ("GET", "/api/v1/community/block/status/{user_id}"),
    ("DELETE", "/api/v1/community/block/{user_id}"),
    ("GET", "/api/v1/community/blocks"),
    ("POST", "/api/v1/community/mute"),
    ("DELETE", "/api/v1/community/mute/{user_id}"),
    ("GET", "/api/v1/community/mutes"),
    ("GET", "/api/v1/community/users/search"),
    ("GET", "/api/v1/community/notifications"),
    ("GET", "/api/v1/community/notifications/stream"),
    ("GET", "/api/v1/community/notifications/unread-count"),
    ("POST", "/api/v1/community/notifications/mark-as-seen"),
    ("POST", "/api/v1/community/devices"),
    ("DELETE", "/api/v1/community/devices/{token}"),
    ("PUT", "/api/v1/admin/users/{user_id}"),
    ("DELETE", "/api/v1/admin/users/{user_id}"),
    ("GET", "/api/v1/admin/events"),
    ("GET", "/api/v1/admin/events/stream"),
    ("POST", "/api/v1/admin/webhooks"),
    ("GET", "/api/v1/admin/webhooks"),
    ("GET", "/api/v1/admin/webhooks/{id}"),
    ("PATCH", "/api/v1/admin/webhooks/{id}"),
    ("DELETE", "/api/v1/admin/webhooks/{id}"),
    ("POST", "/api/v1/admin/webhooks/{id}/test"),
    ("GET", "/api/v1/admin/webhooks/{id}/deliveries"),
    ("POST", "/api/v1/admin/webhooks/{id}/deliveries/{delivery_id}/retry"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

/// `(METHOD, path)` of every `resource("...").method(...)` in a routes source file,
/// under `base`.
fn registered_in(source: &str, base: &str) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for chunk in source.split("resource(\"").skip(1) {
        let Some((path, rest)) = chunk.split_once('"') else { continue };
        for method in METHODS {
            if rest.contains(&format!(".{method}(")) {
                found.insert((method.to_uppercase(), format!("{base}{path}")));
            }
        }
    }
    found
}

/// The list above is the one the router registers: a route added to the dialect's
/// `routes` without adding it here (and so to the document, below) fails.
#[test]
fn openapi_route_list_matches_the_routes_in_the_source() {
    let mut registered = registered_in(include_str!("../../../crates/http/src/community/mod.rs"), "/api/v1/community");
    registered.extend(registered_in(include_str!("../../../crates/http/src/admin.rs"), "/api/v1/admin"));
    registered.extend(registered_in(include_str!("../../../crates/http/src/events/mod.rs"), "/api/v1/admin"));
    let health = include_str!("../../../crates/http/src/health.rs");
    for probe in ["/healthz", "/readyz"] {
        assert!(
            health.contains(&format!("resource::<Community>(\"{probe}\").get(")),
            "{probe} is not a GET route any more"
        );
        registered.insert(("GET".to_owned(), probe.to_owned()));
    }
    let listed: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())).collect();
    assert_eq!(listed, registered);
}

async fn document(app: &TestApp) -> Value {
    let response = app.client.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    serde_json::from_str(&response.text().await.unwrap()).expect("the document is JSON")
}

/// `(METHOD, path)` of every operation in the document.
fn operations(document: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(operation) = item.get(*method) {
                found.push((method.to_uppercase(), path.clone(), operation.clone()));
            }
        }
    }
    found
}

/// The whole document, pinned: every change to what it promises shows in review as
/// a change to this snapshot (`cargo insta review`).
#[tokio::test]
async fn openapi_document_as_served() {
    let app = spawn_app().await;
    insta::assert_json_snapshot!("openapi_document", document(&app).await);
}

#[tokio::test]
async fn openapi_document_is_3_1_and_lists_exactly_the_registered_routes() {
    let app = spawn_app().await;
    let document = document(&app).await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);

    let documented: BTreeSet<(String, String)> =
        operations(&document).into_iter().map(|(method, path, _)| (method, path)).collect();
    let registered: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(method, path)| ((*method).to_owned(), (*path).to_owned())).collect();
    let missing: Vec<_> = registered.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&registered).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing from the document: {missing:?}; not routed: {extra:?}");

    let mut ids = BTreeSet::new();
    for (method, path, operation) in operations(&document) {
        let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let responses = operation["responses"].as_object().unwrap();
        assert!(responses.keys().any(|s| s.starts_with('2')), "{method} {path} declares no success");
        if path.starts_with("/api/") {
            for status in ["401", "503"] {
                assert!(responses.contains_key(status), "{method} {path} does not declare {status}");
            }
            assert!(operation["security"].to_string().contains("bearer"), "{method} {path} has no bearer security");
        }
    }

    // The envelope, the security schemes, and the stream's media type and token parameter.
    let schemas = &document["components"]["schemas"];
    assert_eq!(schemas["ErrorEnvelope"]["properties"]["success"]["enum"], json!([false]));
    assert_eq!(schemas["Envelope_FollowAnswer"]["properties"]["success"]["enum"], json!([true]));
    assert_eq!(schemas["Envelope_FollowAnswer"]["properties"]["status"]["enum"], json!(["success"]));
    let security = &document["components"]["securitySchemes"];
    assert_eq!(security["bearer"]["scheme"], "bearer");
    assert_eq!(
        security["access_token"],
        json!({
            "type": "apiKey", "in": "query", "name": "access_token",
            "description": security["access_token"]["description"],
        })
    );
    let stream = &document["paths"]["/api/v1/community/notifications/stream"]["get"];
    assert!(stream["responses"]["200"]["content"]["text/event-stream"].is_object(), "{stream}");
    assert!(stream["security"].to_string().contains("access_token"), "{stream}");

    // Constraints the server enforces are in the document.
    let received = &document["paths"]["/api/v1/community/follow-requests/received"]["get"]["parameters"];
    let page_size = received.as_array().unwrap().iter().find(|p| p["name"] == "page_size").unwrap();
    assert_eq!(
        (page_size["schema"]["minimum"].as_i64(), page_size["schema"]["maximum"].as_i64()),
        (Some(1), Some(100))
    );
    let unfollow = &document["paths"]["/api/v1/community/follow/{user_id}"]["delete"]["parameters"][0];
    assert_eq!(unfollow["schema"]["format"], "uuid");
}

fn concrete(path: &str) -> String {
    path.replace("{user_id}", &Uuid::now_v7().to_string())
        .replace("{request_id}", &Uuid::now_v7().to_string())
        .replace("{token}", "no-such-device-token")
}

/// Asks the running server, for every documented operation, whether its router takes
/// that method on that path (anything but its 404 "No route" and 405), and whether
/// the answer is one the document declares; and, for every documented path, that the
/// methods the document does not list are refused by the router.
#[tokio::test]
async fn openapi_every_documented_operation_is_routed_and_answers_as_declared() {
    let app = spawn_app().await;
    let me = app.user("reader").await;
    let document = document(&app).await;
    let operations = operations(&document);
    assert_eq!(operations.len(), ROUTES.len());

    for (method, path, operation) in &operations {
        let mut url = app.url(&concrete(path));
        if path.ends_with("/relationships") {
            url.push_str(&format!("?ids={}", Uuid::now_v7()));
        }
        let mut request =
            app.client.request(Method::from_bytes(method.as_bytes()).unwrap(), &url).bearer_auth(&me.token);
        if operation.get("requestBody").is_some() {
            request = request.json(&json!({}));
        }
        let response = tokio::time::timeout(Duration::from_secs(10), request.send())
            .await
            .unwrap_or_else(|_| panic!("{method} {path} did not answer"))
            .unwrap();
        let status = response.status();
        let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
        let declared = operation["responses"].as_object().unwrap();
        if content_type.as_deref() == Some("text/event-stream") {
            assert_eq!(status, StatusCode::OK, "{method} {path}");
            assert!(declared["200"]["content"]["text/event-stream"].is_object(), "{method} {path}");
            drop(response);
            continue;
        }
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap_or(Value::Null);
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {body}");
        assert!(
            !body["message"].as_str().unwrap_or_default().starts_with("No route for"),
            "{method} {path} is not routed: {body}"
        );
        assert!(declared.contains_key(status.as_str()), "{method} {path} answered {status}, not declared: {body}");
        assert_eq!(content_type.as_deref(), Some("application/json"), "{method} {path}");
    }

    // Methods the document does not list are not routed (405 in the envelope; the
    // probes, outside any dialect, answer 404).
    let paths: BTreeSet<&String> = operations.iter().map(|(_, path, _)| path).collect();
    for path in paths {
        let listed: BTreeSet<&str> =
            operations.iter().filter(|(_, p, _)| p == path).map(|(m, _, _)| m.as_str()).collect();
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            if listed.contains(method) {
                continue;
            }
            let url = app.url(&concrete(path));
            let response = app
                .client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .bearer_auth(&me.token)
                .send()
                .await
                .unwrap();
            let status = response.status();
            let expected = if path.starts_with("/api/") {
                vec![StatusCode::METHOD_NOT_ALLOWED]
            } else {
                vec![StatusCode::METHOD_NOT_ALLOWED, StatusCode::NOT_FOUND]
            };
            assert!(
                expected.contains(&status),
                "{method} {path}: the router answered {status}, so the document misses it"
            );
        }
    }
}

#[tokio::test]
async fn openapi_docs_page_is_self_contained() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    let csp = response.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
    let page = response.text().await.unwrap();
    assert!(
        !page.contains("http://") && !page.contains("https://") && !page.contains("src=\"//"),
        "the page names another origin"
    );
    assert!(!page.contains("<script src") && !page.contains("<link"), "every asset is inline");
}

#[tokio::test]
async fn openapi_docs_page_renders_the_follow_endpoint_in_headless_chromium() {
    let Some(chromium) =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|p| std::path::Path::new(p).exists())
    else {
        panic!("headless Chromium is needed: run scripts/ensure-chromium.sh (make test does)");
    };
    let app = spawn_app().await;
    let operations = operations(&document(&app).await).len();
    let profile = tempfile::tempdir().unwrap();
    let browser = tokio::process::Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=5000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(app.url("/docs"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let output = tokio::time::timeout(Duration::from_secs(90), browser.wait_with_output())
        .await
        .expect("chromium finished within 90 s")
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);

    // Rendered by the page's script from /openapi.json: these attributes exist only then.
    assert!(
        dom.contains(&format!("data-rendered=\"{operations}\"")),
        "not rendered:\n{}",
        dom.chars().take(3000).collect::<String>()
    );
    let follow = dom
        .split("<section ")
        .find(|section| section.contains("data-path=\"/api/v1/community/follow\""))
        .unwrap_or_else(|| {
            panic!("the follow endpoint is not on the page:\n{}", dom.chars().take(3000).collect::<String>())
        });
    assert!(follow.contains("data-method=\"post\""), "{follow}");
    assert!(follow.contains("Follow an account"), "the summary is shown: {follow}");
    assert!(dom.contains("data-path=\"/api/v1/admin/users/{user_id}\""));
}
