//! Bad input: every answer is JSON in the dialect's envelope, with a 4xx that says
//! what was wrong. Exact bodies are pinned as snapshots.

use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;

use crate::snapshots::snapshot;

#[tokio::test]
async fn malformed_bodies() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.community("/follow"))
            .bearer_auth(&alice.token)
            .header("Content-Type", content_type)
            .body(body)
    };

    insta::assert_json_snapshot!(snapshot(&app.send(post("{\"user_id\":", "application/json")).await), @r#"
    {
      "status": 400,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Malformed JSON: EOF while parsing a value at line 1 column 11",
        "status_code": 400
      }
    }
    "#);
    insta::assert_json_snapshot!(snapshot(&app.send(post("{}", "application/json")).await), @r#"
    {
      "status": 400,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Invalid request body: missing field `user_id` at line 1 column 2",
        "status_code": 400
      }
    }
    "#);
    insta::assert_json_snapshot!(snapshot(&app.send(post("{\"user_id\": 42}", "application/json")).await), @r#"
    {
      "status": 400,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Invalid request body: invalid type: integer `42`, expected a string at line 1 column 14",
        "status_code": 400
      }
    }
    "#);
    insta::assert_json_snapshot!(snapshot(&app.send(post("{\"user_id\": \"x\"}", "text/plain")).await), @r#"
    {
      "status": 415,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Content-Type must be application/json",
        "status_code": 415
      }
    }
    "#);
    let huge = format!("{{\"user_id\": \"{}\"}}", "x".repeat(70 * 1024));
    let reply = app
        .send(
            app.client
                .post(app.community("/follow"))
                .bearer_auth(&alice.token)
                .header("Content-Type", "application/json")
                .body(huge),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.body["status_code"], 413);
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    insta::assert_json_snapshot!(snapshot(&app.call(Method::GET, "/nowhere", &alice, None).await), @r#"
    {
      "status": 404,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "No route for GET /api/v1/community/nowhere",
        "status_code": 404
      }
    }
    "#);
    insta::assert_json_snapshot!(snapshot(&app.call(Method::GET, "/follow", &alice, None).await), @r#"
    {
      "status": 405,
      "headers": {
        "content-type": "application/json",
        "allow": "POST"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Method GET is not allowed on /api/v1/community/follow",
        "status_code": 405
      }
    }
    "#);
    insta::assert_json_snapshot!(snapshot(&app.call(Method::DELETE, "/follow/12", &alice, None).await), @r#"
    {
      "status": 400,
      "headers": {
        "content-type": "application/json"
      },
      "body": {
        "status": "error",
        "success": false,
        "message": "Invalid user ID: must be a UUID",
        "status_code": 400
      }
    }
    "#);
}

#[tokio::test]
async fn health_probes() {
    let app = spawn_app().await;
    let health = app.send(app.client.get(format!("{}/healthz", app.address))).await;
    assert_eq!((health.status, health.body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let ready = app.send(app.client.get(format!("{}/readyz", app.address))).await;
    assert_eq!((ready.status, ready.body["status"].as_str()), (StatusCode::OK, Some("ready")));
}
