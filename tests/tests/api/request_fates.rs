//! A `follow_request` notification names its request and follows its fate: answered
//! or withdrawn, it says so and is marked read.

use reqwest::{Method, StatusCode};
use rookery_tests::{TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

async fn request_notification(app: &TestApp, target: &TestUser, actor: &TestUser) -> Value {
    let reply = app.call(Method::GET, "/notifications?type=follow_request", target, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    let items = reply.data()["notifications"].as_array().cloned().unwrap_or_default();
    items.into_iter().find(|n| n["actor"]["id"] == json!(actor.id.to_string())).expect("the request's notification")
}

#[tokio::test]
async fn request_notifications_follow_their_request() {
    let app = spawn_app().await;
    let (star, alice, carol, dave) =
        (app.private_user("star").await, app.user("alice").await, app.user("carol").await, app.user("dave").await);
    let mut stream = app.stream(&star).await;
    stream.expect("connected").await;
    for fan in [&alice, &carol, &dave] {
        app.follow(fan, &star).await;
    }
    let live = stream.expect("follow_request").await;
    assert!(live.data["request_id"].is_string());
    assert_eq!(live.data["request_status"], "pending");

    let pending = request_notification(&app, &star, &alice).await;
    assert_eq!((pending["request_status"].clone(), pending["is_read"].clone()), (json!("pending"), json!(false)));
    let request_id = pending["request_id"].as_str().unwrap().to_owned();
    let accepted = app.call(Method::POST, &format!("/follow-requests/accept/{request_id}"), &star, None).await;
    assert_eq!(accepted.status, StatusCode::OK);
    let after = request_notification(&app, &star, &alice).await;
    assert_eq!((after["request_status"].clone(), after["is_read"].clone()), (json!("accepted"), json!(true)));

    let carols = request_notification(&app, &star, &carol).await["request_id"].as_str().unwrap().to_owned();
    app.call(Method::POST, &format!("/follow-requests/decline/{carols}"), &star, None).await;
    let declined = request_notification(&app, &star, &carol).await;
    assert_eq!((declined["request_status"].clone(), declined["is_read"].clone()), (json!("declined"), json!(true)));

    let withdrawn = app.call(Method::DELETE, &format!("/follow-requests/cancel/{}", star.id), &dave, None).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{withdrawn:?}");
    let cancelled = request_notification(&app, &star, &dave).await;
    assert_eq!((cancelled["request_status"].clone(), cancelled["is_read"].clone()), (json!("cancelled"), json!(true)));
    let unread = app.call(Method::GET, "/notifications/unread-count", &star, None).await;
    assert_eq!(unread.data()["unread_count"], 0);
}
