//! Mutes: private to the muter, silencing notifications (stored, streamed, pushed)
//! while they last, and gone when they expire without anything having run.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rookery_tests::fake_fcm::{FakeFcm, Mode};
use rookery_tests::{TestApp, TestUser, spawn_app, spawn_app_with};
use serde_json::{Value, json};

async fn mute(app: &TestApp, who: &TestUser, whom: &TestUser, body: Value) -> rookery_tests::Reply {
    let mut body = body;
    body["user_id"] = json!(whom.id);
    app.call(Method::POST, "/mute", who, Some(body)).await
}

async fn relationship(app: &TestApp, viewer: &TestUser, target: &TestUser) -> Value {
    let reply = app.call(Method::GET, &format!("/relationships?ids={}", target.id), viewer, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.data()["relationships"][0].clone()
}

async fn notification_kinds(app: &TestApp, user: &TestUser) -> Vec<(String, String)> {
    let reply = app.call(Method::GET, "/notifications", user, None).await;
    let items = reply.data()["notifications"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .map(|n| {
            (
                n["type"].as_str().unwrap_or_default().to_owned(),
                n["actor"]["username"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn muting_answers_its_state_and_shows_only_to_the_muter() {
    let app = spawn_app().await;
    let (me, loud) = (app.user("me").await, app.user("loud").await);

    let muted = mute(&app, &me, &loud, json!({ "duration_secs": 3600, "notifications": false })).await;
    assert_eq!(muted.status, StatusCode::OK, "{muted:?}");
    assert_eq!(muted.data()["is_muting"], true);
    assert_eq!(muted.data()["muting_notifications"], false);
    assert!(muted.data()["mute_expires_at"].is_string());

    // Muting again updates it: until unmuted, with notifications.
    let again = mute(&app, &me, &loud, json!({})).await;
    assert_eq!(again.data(), &json!({ "is_muting": true, "muting_notifications": true, "mute_expires_at": null }));

    let mine = relationship(&app, &me, &loud).await;
    assert_eq!((mine["is_muting"].clone(), mine["muting_notifications"].clone()), (json!(true), json!(true)));
    assert_eq!(mine["mute_expires_at"], Value::Null);
    let profile = app.profile(&me, &loud).await;
    assert_eq!(profile["is_muting"], true);
    // Nothing the muted account reads changes.
    let theirs = relationship(&app, &loud, &me).await;
    assert_eq!(theirs["is_muting"], false);
    assert_eq!(app.profile(&loud, &me).await["is_muting"], false);

    let list = app.call(Method::GET, "/mutes", &me, None).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.data()["total"], 1);
    assert_eq!(list.data()["users"][0]["user_id"], loud.id.to_string());
    assert!(list.data()["users"][0]["muted_at"].is_string());
    assert_eq!(list.data()["users"][0]["mute_expires_at"], Value::Null);

    let lifted = app.call(Method::DELETE, &format!("/mute/{}", loud.id), &me, None).await;
    assert_eq!((lifted.status, lifted.data().clone()), (StatusCode::OK, json!({ "is_muting": false })));
    let twice = app.call(Method::DELETE, &format!("/mute/{}", loud.id), &me, None).await;
    assert_eq!((twice.status, twice.data().clone()), (StatusCode::OK, json!({ "is_muting": false })));
    assert_eq!(app.call(Method::GET, "/mutes", &me, None).await.data()["total"], 0);
}

#[tokio::test]
async fn bad_mutes_are_refused() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let myself = mute(&app, &me, &me, json!({})).await;
    assert_eq!(
        (myself.status, myself.body["message"].clone()),
        (StatusCode::BAD_REQUEST, json!("Cannot mute yourself"))
    );
    let nobody = app.call(Method::POST, "/mute", &me, Some(json!({ "user_id": uuid::Uuid::now_v7() }))).await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let other = app.user("other").await;
    for duration in [json!(0), json!(31_536_001), json!("soon")] {
        let bad = mute(&app, &me, &other, json!({ "duration_secs": duration })).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{duration}: {bad:?}");
    }
    let longest = mute(&app, &me, &other, json!({ "duration_secs": 31_536_000 })).await;
    assert_eq!(longest.status, StatusCode::OK);
    let malformed = app.call(Method::DELETE, "/mute/x", &me, None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_mute_silences_stored_and_streamed_notifications_but_not_requests() {
    let app = spawn_app().await;
    let (me, loud, quiet) = (app.private_user("me").await, app.user("loud").await, app.user("quiet").await);
    assert_eq!(mute(&app, &me, &loud, json!({})).await.status, StatusCode::OK);
    let mut stream = app.stream(&me).await;
    stream.expect("connected").await;

    app.follow(&loud, &me).await;
    app.follow(&quiet, &me).await;
    // The stream's next notification is quiet's: loud's never became one.
    let event = stream.expect("follow_request").await;
    assert_eq!(event.data["actor"]["username"], "quiet", "{event:?}");
    assert_eq!(notification_kinds(&app, &me).await, [("follow_request".to_owned(), "quiet".to_owned())]);
    // The muted account's request is still there to answer.
    let received = app.call(Method::GET, "/follow-requests/received", &me, None).await;
    assert_eq!(received.data()["total"], 2);

    // A mute without notifications silences nothing.
    assert_eq!(mute(&app, &me, &loud, json!({ "notifications": false })).await.status, StatusCode::OK);
    app.unfollow(&loud, &me).await;
    app.follow(&loud, &me).await;
    let event = stream.expect("follow_request").await;
    assert_eq!(event.data["actor"]["username"], "loud");
}

#[tokio::test]
async fn a_mute_silences_acceptances_the_muter_would_get() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.private_user("star").await);
    app.follow(&me, &star).await;
    assert_eq!(mute(&app, &me, &star, json!({})).await.status, StatusCode::OK);
    let id = app.received_request_id(&star).await;
    let accepted = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &star, None).await;
    assert_eq!(accepted.status, StatusCode::OK);
    assert!(notification_kinds(&app, &me).await.is_empty());
    assert_eq!(app.counts(&star).await.0, 1, "the change itself happened");
}

#[tokio::test]
async fn an_expired_mute_is_gone_without_any_job() {
    let app = spawn_app().await;
    let (me, loud) = (app.user("me").await, app.user("loud").await);
    assert_eq!(mute(&app, &me, &loud, json!({ "duration_secs": 1 })).await.status, StatusCode::OK);
    assert_eq!(relationship(&app, &me, &loud).await["is_muting"], true);
    // Wait for the expiry as the relationship reports it, then nothing is silenced.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while relationship(&app, &me, &loud).await["is_muting"] == true {
        assert!(tokio::time::Instant::now() < deadline, "the mute expires");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.call(Method::GET, "/mutes", &me, None).await.data()["total"], 0);
    assert_eq!(app.profile(&me, &loud).await["mute_expires_at"], Value::Null);
    app.follow(&loud, &me).await;
    assert_eq!(notification_kinds(&app, &me).await, [("follow".to_owned(), "loud".to_owned())]);
}

#[tokio::test]
async fn a_mute_keeps_pushes_out_of_the_outbox() {
    let fake = FakeFcm::start(Mode::Healthy).await;
    let (path, send_url) = (fake.service_account.path().to_owned(), fake.send_url());
    let app = spawn_app_with(move |s| {
        s.push.service_account = Some(path);
        s.push.send_url = Some(send_url);
    })
    .await;
    let (me, loud, quiet) = (app.user("me").await, app.user("loud").await, app.user("quiet").await);
    app.call(Method::POST, "/devices", &me, Some(json!({ "token": "my-phone", "platform": "android" }))).await;
    assert_eq!(mute(&app, &me, &loud, json!({})).await.status, StatusCode::OK);
    app.follow(&loud, &me).await;
    app.follow(&quiet, &me).await;
    assert!(fake.wait_for(|seen| !seen.messages.is_empty()).await, "quiet's push arrives");
    let seen = fake.seen.lock().unwrap();
    let actors: Vec<_> = seen.messages.iter().map(|m| m["message"]["data"]["actor_username"].clone()).collect();
    assert_eq!(actors, [json!("quiet")], "loud's follow was never pushed");
}
