//! Racing requests over real HTTP leave exactly the right edges and counts.

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_identical_follows_make_one_edge() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let replies = join_all((0..50).map(|_| app.follow(&alice, &bob))).await;
    let mut followed = 0;
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.data()["is_following"], true);
        if reply.body["message"] == "Successfully followed user" {
            followed += 1;
        }
    }
    assert_eq!(followed, 1, "exactly one request created the edge");
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_follow_then_half_unfollow_at_once() {
    let app = spawn_app().await;
    let star = app.user("star").await;
    let fans = join_all((0..30).map(|i| app.user_owned(format!("fan{i}")))).await;

    let follows = join_all(fans.iter().map(|fan| app.follow(fan, &star))).await;
    assert!(follows.iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(app.counts(&star).await, (30, 0));

    let unfollows = join_all(fans.iter().take(15).map(|fan| app.unfollow(fan, &star))).await;
    assert!(
        unfollows.iter().all(|r| r.status == StatusCode::OK && r.body["message"] == "Successfully unfollowed user")
    );
    assert_eq!(app.counts(&star).await, (15, 0));
    for (i, fan) in fans.iter().enumerate() {
        let expected = if i < 15 { 0 } else { 1 };
        assert_eq!(app.counts(fan).await, (0, expected), "fan{i}");
        let status = app.call(Method::GET, &format!("/follow/status/{}", star.id), fan, None).await;
        assert_eq!(status.data()["is_following"], i >= 15);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_requests_to_a_private_account_make_one_request() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.private_user("bob").await);
    let replies = join_all((0..20).map(|_| app.follow(&alice, &bob))).await;
    let sent = replies.iter().filter(|r| r.body["message"] == "Follow request sent").count();
    let pending = replies.iter().filter(|r| r.body["message"] == "Follow request already pending").count();
    assert_eq!((sent, pending), (1, 19));
    let received = app.call(Method::GET, "/follow-requests/received", &bob, None).await;
    assert_eq!(received.data()["total"], 1);
}
