//! Request ids and metrics.

use reqwest::StatusCode;
use rookery_tests::spawn_app;

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let fresh = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = fresh.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    let kept = app.client.get(app.url("/nowhere")).header("X-Request-Id", "lb-1234").send().await.unwrap();
    assert_eq!(kept.status(), StatusCode::NOT_FOUND);
    assert_eq!(kept.headers()["x-request-id"], "lb-1234");
    let odd = app.client.get(app.url("/healthz")).header("X-Request-Id", "a b<script>").send().await.unwrap();
    assert_ne!(odd.headers()["x-request-id"], "a b<script>");
}

#[tokio::test]
async fn metrics_count_requests_per_route() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    app.follow(&alice, &bob).await;
    app.follow(&alice, &bob).await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"rookery_http_requests_total{method="POST",route="/api/v1/community/follow",status="200"} 2"#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"rookery_http_request_duration_seconds_count{method="POST",route="/api/v1/community/follow"} 2"#
        )
    );
    assert!(text.contains(r#"route="/api/v1/community/profiles/me""#));
    assert!(text.contains("rookery_db_pool_connections "));
    assert!(text.contains("rookery_sse_open_streams 0"));
}
