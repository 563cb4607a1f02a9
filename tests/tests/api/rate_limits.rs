//! SPEC section 8: creating follows and requests is limited per account; past the
//! limit every dialect answers 429 with `Retry-After`, in its own envelope.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app_with};
use serde_json::json;

async fn limited(per_hour: u32) -> TestApp {
    spawn_app_with(move |s| s.follows_per_hour = per_hour).await
}

async fn fans(app: &TestApp, n: usize) -> Vec<TestUser> {
    let mut users = Vec::new();
    for i in 0..n {
        users.push(app.user(&format!("target{i}")).await);
    }
    users
}

fn retry_after(reply: &reqwest::Response) -> u64 {
    reply.headers()["retry-after"].to_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn the_limit_answers_429_with_retry_after_in_every_dialect() {
    let app = limited(2).await;
    let me = app.user("me").await;
    let targets = fans(&app, 6).await;
    for target in &targets[..2] {
        assert_eq!(app.follow(&me, target).await.status, StatusCode::OK);
    }

    let community = app
        .client
        .post(app.community("/follow"))
        .bearer_auth(&me.token)
        .json(&json!({ "user_id": targets[2].id }))
        .send()
        .await
        .unwrap();
    assert_eq!(community.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&community);
    assert!((1..=3600).contains(&wait), "{wait}");
    let body = TestApp::reply(community).await.body;
    assert_eq!(body["status"], "error");
    assert_eq!(body["status_code"], 429);

    let drf = app
        .client
        .post(app.url("/api/follows/"))
        .bearer_auth(&me.token)
        .json(&json!({ "followed_id": targets[3].id }))
        .send()
        .await
        .unwrap();
    assert_eq!(drf.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&drf) > 0);
    assert!(TestApp::reply(drf).await.body["detail"].as_str().unwrap().starts_with("Request was throttled"));

    let rgram = app
        .client
        .post(app.url(&format!("/api/follow/{}", targets[4].id)))
        .bearer_auth(&me.token)
        .send()
        .await
        .unwrap();
    assert_eq!(rgram.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(TestApp::reply(rgram).await.body["success"], false);

    let anchor = app
        .client
        .post(app.url(&format!("/users/{}/follow", targets[5].id)))
        .bearer_auth(&me.token)
        .json(&json!({ "action": "follow" }))
        .send()
        .await
        .unwrap();
    assert_eq!(anchor.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(TestApp::reply(anchor).await.body["code"], "RATE_LIMITED");

    // Nothing was created past the limit. An account past it is refused without a
    // commit (SPEC section 8), whatever the follow; unfollowing stays allowed.
    assert_eq!(app.counts(&me).await, (0, 2));
    let again: Reply = app.follow(&me, &targets[0]).await;
    assert_eq!(again.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.unfollow(&me, &targets[0]).await.status, StatusCode::OK);
    // Other accounts have their own budget.
    let other = app.user("other").await;
    assert_eq!(app.follow(&other, &targets[2]).await.status, StatusCode::OK);
}

#[tokio::test]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn the_limit_holds_across_instances() {
    assert!(
        rookery_tests::backend() == rookery_tests::TestBackend::Postgres,
        "run with ROOKERY_TEST_DATABASE=postgres: One SQLite file has one serving process (a second one refuses to start)."
    );
    let first = limited(3).await;
    let second = first.sibling().await;
    let me = first.user("me").await;
    let targets = fans(&first, 5).await;
    first.follow(&me, &targets[0]).await;
    second.follow(&me, &targets[1]).await;
    first.follow(&me, &targets[2]).await;
    assert_eq!(second.follow(&me, &targets[3]).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.follow(&me, &targets[4]).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn only_changes_spend_the_budget() {
    let app = limited(2).await;
    let me = app.user("me").await;
    let targets = fans(&app, 3).await;
    let blocker = app.user("blocker").await;
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    assert_eq!(app.follow(&me, &targets[0]).await.status, StatusCode::OK);
    // Following again, following oneself and a refused follow change nothing, and
    // cost nothing.
    for _ in 0..5 {
        let again = app.follow(&me, &targets[0]).await;
        assert_eq!(again.body["message"], "Already following this user");
        assert_eq!(app.follow(&me, &me).await.status, StatusCode::BAD_REQUEST);
        assert_eq!(app.follow(&me, &blocker).await.status, StatusCode::FORBIDDEN);
    }
    // A request to a private account is a change: it spends the second unit.
    let private = app.private_user("private").await;
    assert_eq!(app.follow(&me, &private).await.body["message"], "Follow request sent");
    assert_eq!(app.follow(&me, &targets[1]).await.status, StatusCode::TOO_MANY_REQUESTS);
    // Past the limit every follow is refused at once (nothing read or written), and
    // the window is unchanged: the idempotent follows before it spent nothing.
    assert_eq!(app.follow(&me, &targets[0]).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.counts(&me).await, (0, 1));
}

#[tokio::test]
async fn follows_racing_for_the_last_units_of_the_budget_get_exactly_what_is_left() {
    let app = limited(100).await;
    let me = app.user("me").await;
    let targets = fans(&app, 105).await;
    for target in &targets[..95] {
        assert_eq!(app.follow(&me, target).await.status, StatusCode::OK);
    }
    // The 96th to the 105th at once: five fit (the 100th among them), five do not.
    let replies = futures::future::join_all(targets[95..].iter().map(|target| app.follow(&me, target))).await;
    let ok = replies.iter().filter(|r| r.status == StatusCode::OK).count();
    let limited = replies.iter().filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, limited), (5, 5), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(app.counts(&me).await, (0, 100));
}
