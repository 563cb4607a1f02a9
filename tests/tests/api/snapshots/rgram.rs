//! Seed 003, "Rgram" (`/api/follow-request/*`, `/api/follow/{id}`,
//! `/api/followers/{id}`, `/api/following/{id}`): every endpoint's answers and each
//! error of the seed's lists, plus the refusals every route shares.

use reqwest::Method;
use rookery_tests::{TestApp, TestUser, now_secs, spawn_app, spawn_app_with};
use serde_json::json;
use uuid::Uuid;

use super::{Case, Table, oversized};

/// `method path` as `user`.
fn call(app: &TestApp, user: &TestUser, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.url(path)).bearer_auth(&user.token)
}

/// The id of the pending request `from` sent `to`, read from `to`'s received list.
async fn request_id(app: &TestApp, from: &TestUser, to: &TestUser) -> String {
    let received = app.call(Method::GET, "/follow-requests/received", to, None).await;
    received.body["data"]["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["requester_id"] == from.id.to_string())
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .unwrap()
}

#[tokio::test]
async fn rgram_answers() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (me, star, other, blocker, ghost, zed) = (
        app.user("me").await,
        app.user("star").await,
        app.user("other").await,
        app.user("blocker").await,
        app.user("ghost").await,
        app.user("zed").await,
    );
    let (pat, quinn, ria, sam, tess, uma, wes) = (
        app.private_user("pat").await,
        app.private_user("quinn").await,
        app.private_user("ria").await,
        app.private_user("sam").await,
        app.private_user("tess").await,
        app.private_user("uma").await,
        app.private_user("wes").await,
    );
    let unknown = Uuid::now_v7();

    // other waits on pat and quinn; me waits on sam, was accepted by tess and
    // declined by uma; blocker blocks me; ghost and zed are deleted.
    for (from, to) in [(&other, &pat), (&other, &quinn), (&me, &sam), (&me, &tess), (&me, &uma)] {
        app.follow(from, to).await;
    }
    let (other_pat, other_quinn) = (request_id(&app, &other, &pat).await, request_id(&app, &other, &quinn).await);
    let (me_sam, me_tess, me_uma) =
        (request_id(&app, &me, &sam).await, request_id(&app, &me, &tess).await, request_id(&app, &me, &uma).await);
    app.call(Method::POST, &format!("/follow-requests/accept/{me_tess}"), &tess, None).await;
    app.call(Method::POST, &format!("/follow-requests/decline/{me_uma}"), &uma, None).await;
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    for doomed in [&ghost, &zed] {
        app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    }

    let mut table = Table::new(&app, "rgram");
    table.millisecond_timestamps();
    for user in [&admin, &me, &star, &other, &blocker, &ghost, &zed, &pat, &quinn, &ria, &sam, &tess, &uma, &wes] {
        table.name(user.id, &user.username);
    }
    table
        .name(unknown, "unknown")
        .name(&other_pat, "request other->pat")
        .name(&other_quinn, "request other->quinn")
        .name(&me_sam, "request me->sam")
        .name(&me_tess, "request me->tess")
        .name(&me_uma, "request me->uma");

    let m = |method: Method, path: &str| call(&app, &me, method, path);
    let send = |body: serde_json::Value| m(Method::POST, "/api/follow-request/send").json(&body);
    let raw = |content_type: &str, body: String| {
        m(Method::POST, "/api/follow-request/send").header("Content-Type", content_type).body(body)
    };
    let answer = |user: &TestUser, verb: &str, id: &str| {
        call(&app, user, Method::POST, &format!("/api/follow-request/{verb}")).json(&json!({ "followRequestId": id }))
    };
    let expired = app.token(&json!({ "sub": me.id.to_string(), "exp": now_secs() - 3600, "iat": now_secs() - 7200 }));
    let unknown_id = unknown.to_string();
    let cases: Vec<Case> = vec![
        // POST /api/follow-request/send
        ("send_private", send(json!({ "targetUserId": ria.id }))),
        ("send_private_again", send(json!({ "targetUserId": ria.id }))),
        ("send_public", send(json!({ "targetUserId": star.id }))),
        ("send_already_following", send(json!({ "targetUserId": star.id }))),
        ("send_self", send(json!({ "targetUserId": me.id }))),
        ("send_unknown_user", send(json!({ "targetUserId": unknown }))),
        ("send_deleted_user", send(json!({ "targetUserId": ghost.id }))),
        ("send_blocked", send(json!({ "targetUserId": blocker.id }))),
        (
            "send_by_deleted_account",
            call(&app, &zed, Method::POST, "/api/follow-request/send").json(&json!({ "targetUserId": star.id })),
        ),
        ("send_missing_id", send(json!({}))),
        ("send_null_id", send(json!({ "targetUserId": null }))),
        ("send_empty_id", send(json!({ "targetUserId": "" }))),
        ("send_invalid_id", send(json!({ "targetUserId": "nope" }))),
        ("send_number_id", send(json!({ "targetUserId": 7 }))),
        ("send_malformed_json", raw("application/json", "{\"targetUserId\":".into())),
        ("send_not_json", raw("text/plain", format!("{{\"targetUserId\": \"{}\"}}", star.id))),
        ("send_too_large", raw("application/json", oversized("targetUserId"))),
        (
            "send_no_token",
            app.client.post(app.url("/api/follow-request/send")).json(&json!({ "targetUserId": star.id })),
        ),
        (
            "send_invalid_token",
            app.client
                .post(app.url("/api/follow-request/send"))
                .bearer_auth("not-a-jwt")
                .json(&json!({ "targetUserId": star.id })),
        ),
        (
            "send_expired_token",
            app.client
                .post(app.url("/api/follow-request/send"))
                .bearer_auth(&expired)
                .json(&json!({ "targetUserId": star.id })),
        ),
        ("send_wrong_method", m(Method::GET, "/api/follow-request/send")),
        // GET /api/follow-request/pending
        ("pending", call(&app, &pat, Method::GET, "/api/follow-request/pending")),
        ("pending_empty", m(Method::GET, "/api/follow-request/pending")),
        ("pending_second_page", call(&app, &pat, Method::GET, "/api/follow-request/pending?page=2&limit=1")),
        ("pending_page_zero", m(Method::GET, "/api/follow-request/pending?page=0")),
        ("pending_limit_too_big", m(Method::GET, "/api/follow-request/pending?limit=101")),
        ("pending_no_token", app.client.get(app.url("/api/follow-request/pending"))),
        // GET /api/follow-request/sent
        ("sent", m(Method::GET, "/api/follow-request/sent")),
        ("sent_pending", m(Method::GET, "/api/follow-request/sent?status=pending&limit=1")),
        ("sent_rejected", m(Method::GET, "/api/follow-request/sent?status=rejected")),
        ("sent_accepted", m(Method::GET, "/api/follow-request/sent?status=accepted")),
        ("sent_bad_status", m(Method::GET, "/api/follow-request/sent?status=nope")),
        ("sent_no_token", app.client.get(app.url("/api/follow-request/sent"))),
        // POST /api/follow-request/accept
        ("accept", answer(&pat, "accept", &other_pat)),
        ("accept_again", answer(&pat, "accept", &other_pat)),
        ("accept_not_yours", answer(&me, "accept", &other_quinn)),
        ("accept_unknown_request", answer(&pat, "accept", &unknown_id)),
        ("accept_missing_id", call(&app, &pat, Method::POST, "/api/follow-request/accept").json(&json!({}))),
        ("accept_invalid_id", answer(&pat, "accept", "nope")),
        (
            "accept_no_token",
            app.client.post(app.url("/api/follow-request/accept")).json(&json!({ "followRequestId": other_quinn })),
        ),
        // POST /api/follow-request/reject
        ("reject", answer(&quinn, "reject", &other_quinn)),
        ("reject_again", answer(&quinn, "reject", &other_quinn)),
        ("accept_rejected", answer(&quinn, "accept", &other_quinn)),
        ("reject_accepted", answer(&pat, "reject", &other_pat)),
        ("reject_not_yours", answer(&me, "reject", &me_sam)),
        ("reject_unknown_request", answer(&pat, "reject", &unknown_id)),
        (
            "reject_missing_id",
            call(&app, &pat, Method::POST, "/api/follow-request/reject").json(&json!({ "followRequestId": "" })),
        ),
        (
            "reject_no_token",
            app.client.post(app.url("/api/follow-request/reject")).json(&json!({ "followRequestId": other_quinn })),
        ),
        // DELETE /api/follow-request/cancel?followRequestId=
        ("cancel", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={me_sam}"))),
        ("cancel_again", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={me_sam}"))),
        ("cancel_accepted", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={me_tess}"))),
        ("cancel_rejected", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={me_uma}"))),
        ("cancel_not_yours", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={other_quinn}"))),
        ("cancel_unknown_request", m(Method::DELETE, &format!("/api/follow-request/cancel?followRequestId={unknown}"))),
        ("cancel_missing_id", m(Method::DELETE, "/api/follow-request/cancel")),
        ("cancel_invalid_id", m(Method::DELETE, "/api/follow-request/cancel?followRequestId=nope")),
        (
            "cancel_no_token",
            app.client.delete(app.url(&format!("/api/follow-request/cancel?followRequestId={me_sam}"))),
        ),
        // POST /api/follow/{user_id}
        ("follow_public", m(Method::POST, &format!("/api/follow/{}", other.id))),
        ("follow_already_following", m(Method::POST, &format!("/api/follow/{}", other.id))),
        ("follow_private", m(Method::POST, &format!("/api/follow/{}", wes.id))),
        ("follow_private_again", m(Method::POST, &format!("/api/follow/{}", wes.id))),
        ("follow_self", m(Method::POST, &format!("/api/follow/{}", me.id))),
        ("follow_unknown_user", m(Method::POST, &format!("/api/follow/{unknown}"))),
        ("follow_blocked", m(Method::POST, &format!("/api/follow/{}", blocker.id))),
        ("follow_invalid_id", m(Method::POST, "/api/follow/12")),
        ("follow_no_token", app.client.post(app.url(&format!("/api/follow/{}", other.id)))),
        ("follow_wrong_method", m(Method::GET, &format!("/api/follow/{}", other.id))),
        // DELETE /api/follow/{user_id}
        ("unfollow", m(Method::DELETE, &format!("/api/follow/{}", other.id))),
        ("unfollow_not_following", m(Method::DELETE, &format!("/api/follow/{}", other.id))),
        ("unfollow_pending_request", m(Method::DELETE, &format!("/api/follow/{}", wes.id))),
        ("unfollow_unknown_user", m(Method::DELETE, &format!("/api/follow/{unknown}"))),
        ("unfollow_invalid_id", m(Method::DELETE, "/api/follow/12")),
        ("unfollow_no_token", app.client.delete(app.url(&format!("/api/follow/{}", other.id)))),
        // GET /api/followers/{user_id}, /api/following/{user_id}
        ("followers_anonymous", app.client.get(app.url(&format!("/api/followers/{}", star.id)))),
        ("followers", m(Method::GET, &format!("/api/followers/{}", star.id))),
        ("followers_empty", m(Method::GET, &format!("/api/followers/{}", me.id))),
        ("following", m(Method::GET, &format!("/api/following/{}", me.id))),
        ("following_paged", m(Method::GET, &format!("/api/following/{}?page=2&limit=1", me.id))),
        ("followers_private_anonymous", app.client.get(app.url(&format!("/api/followers/{}", pat.id)))),
        ("followers_private_refused", m(Method::GET, &format!("/api/followers/{}", pat.id))),
        ("followers_private_as_follower", call(&app, &other, Method::GET, &format!("/api/followers/{}", pat.id))),
        ("followers_unknown_user", m(Method::GET, &format!("/api/followers/{unknown}"))),
        ("following_unknown_user", app.client.get(app.url(&format!("/api/following/{unknown}")))),
        ("followers_invalid_id", m(Method::GET, "/api/followers/12")),
        ("followers_page_zero", m(Method::GET, &format!("/api/followers/{}?page=0", star.id))),
        ("followers_bad_limit", m(Method::GET, &format!("/api/followers/{}?limit=1.5", star.id))),
        (
            "followers_invalid_token",
            app.client.get(app.url(&format!("/api/followers/{}", star.id))).bearer_auth("not-a-jwt"),
        ),
        ("followers_wrong_method", m(Method::DELETE, &format!("/api/followers/{}", star.id))),
        // No route under the dialect's prefixes.
        ("unknown_path", m(Method::GET, "/api/follow-request/nope")),
    ];
    table.run(cases).await;
}

#[tokio::test]
async fn rgram_rate_limited() {
    let app = spawn_app_with(|s| s.follows_per_hour = 1).await;
    let (me, star, other) = (app.user("me").await, app.user("star").await, app.user("other").await);
    app.follow(&me, &star).await;
    let mut table = Table::new(&app, "rgram");
    table.name(me.id, "me").name(star.id, "star").name(other.id, "other");
    table
        .run(vec![
            (
                "send_rate_limited",
                call(&app, &me, Method::POST, "/api/follow-request/send").json(&json!({ "targetUserId": other.id })),
            ),
            ("follow_rate_limited", call(&app, &me, Method::POST, &format!("/api/follow/{}", other.id))),
        ])
        .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: make test-postgres"]
async fn rgram_unavailable_postgres() {
    let app = spawn_app().await;
    let (me, star) = (app.user("me").await, app.user("star").await);
    let mut table = Table::new(&app, "rgram");
    table.name(me.id, "me").name(star.id, "star");
    let send = call(&app, &me, Method::POST, "/api/follow-request/send").json(&json!({ "targetUserId": star.id }));
    super::run_without_database(&table, vec![("send_database_down", send)]).await;
}
