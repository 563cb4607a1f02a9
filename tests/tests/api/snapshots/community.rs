//! Seed 002, the canonical API (`/api/v1/community`): every endpoint's answers and
//! the seed's error table, plus the refusals every route shares.

use reqwest::Method;
use rookery_tests::{TestApp, TestUser, now_secs, spawn_app, spawn_app_with};
use serde_json::json;
use uuid::Uuid;

use super::{Case, Table, oversized};

/// `method path` on the canonical API as `user`.
fn call(app: &TestApp, user: &TestUser, method: Method, path: &str) -> reqwest::RequestBuilder {
    app.client.request(method, app.community(path)).bearer_auth(&user.token)
}

#[tokio::test]
async fn community_answers() {
    let app = spawn_app().await;
    let admin = app.admin("root").await;
    let (alice, bob, frank, hank) =
        (app.user("alice").await, app.user("bob").await, app.user("frank").await, app.user("hank").await);
    let (carol, dave, gina) =
        (app.private_user("carol").await, app.private_user("dave").await, app.private_user("gina").await);
    let (eve, ghost, zed) = (app.user("eve").await, app.user("ghost").await, app.user("zed").await);
    let unknown = Uuid::now_v7();

    // The state the cases start from: eve blocks alice; dave has two requests waiting;
    // alice has one pending to gina and three followers; ghost and zed are deleted.
    app.call(Method::POST, "/block", &eve, Some(json!({ "user_id": alice.id }))).await;
    app.follow(&bob, &dave).await;
    app.follow(&frank, &dave).await;
    app.follow(&alice, &gina).await;
    app.follow(&frank, &alice).await;
    app.follow(&hank, &alice).await;
    app.follow(&bob, &alice).await;
    for doomed in [&ghost, &zed] {
        app.admin_call(Method::DELETE, &format!("/users/{}", doomed.id), &admin, None).await;
    }
    let received = app.call(Method::GET, "/follow-requests/received", &dave, None).await;
    let request_from = |who: &TestUser| {
        received.body["data"]["requests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["requester_id"] == who.id.to_string())
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (from_bob, from_frank) = (request_from(&bob), request_from(&frank));
    let first = app.call(Method::GET, &format!("/users/{}/followers?limit=2", alice.id), &alice, None).await;
    let cursor = first.body["data"]["next_cursor"].as_str().unwrap().to_owned();

    let mut table = Table::new(&app, "community");
    for user in [&admin, &alice, &bob, &frank, &hank, &carol, &dave, &gina, &eve, &ghost, &zed] {
        table.name(user.id, &user.username);
    }
    table
        .name(&cursor, "cursor")
        .name(unknown, "unknown")
        .name(&from_bob, "request bob->dave")
        .name(&from_frank, "request frank->dave");

    let a = |method: Method, path: &str| call(&app, &alice, method, path);
    let expired =
        app.token(&json!({ "sub": alice.id.to_string(), "exp": now_secs() - 3600, "iat": now_secs() - 7200 }));
    let cases: Vec<Case> = vec![
        // POST /follow
        ("follow_public", a(Method::POST, "/follow").json(&json!({ "user_id": bob.id }))),
        ("follow_public_again", a(Method::POST, "/follow").json(&json!({ "user_id": bob.id }))),
        ("follow_private", a(Method::POST, "/follow").json(&json!({ "user_id": carol.id }))),
        ("follow_private_again", a(Method::POST, "/follow").json(&json!({ "user_id": carol.id }))),
        ("follow_self", a(Method::POST, "/follow").json(&json!({ "user_id": alice.id }))),
        ("follow_unknown_user", a(Method::POST, "/follow").json(&json!({ "user_id": unknown }))),
        ("follow_deleted_user", a(Method::POST, "/follow").json(&json!({ "user_id": ghost.id }))),
        ("follow_invalid_id", a(Method::POST, "/follow").json(&json!({ "user_id": "12" }))),
        ("follow_blocked", a(Method::POST, "/follow").json(&json!({ "user_id": eve.id }))),
        ("follow_by_deleted_account", call(&app, &zed, Method::POST, "/follow").json(&json!({ "user_id": bob.id }))),
        (
            "follow_malformed_json",
            a(Method::POST, "/follow").header("Content-Type", "application/json").body("{\"user_id\":"),
        ),
        ("follow_missing_field", a(Method::POST, "/follow").json(&json!({}))),
        ("follow_wrong_type", a(Method::POST, "/follow").json(&json!({ "user_id": 42 }))),
        (
            "follow_not_json",
            a(Method::POST, "/follow").header("Content-Type", "text/plain").body("{\"user_id\": \"x\"}"),
        ),
        (
            "follow_too_large",
            a(Method::POST, "/follow").header("Content-Type", "application/json").body(oversized("user_id")),
        ),
        ("follow_no_token", app.client.post(app.community("/follow")).json(&json!({ "user_id": bob.id }))),
        (
            "follow_invalid_token",
            app.client.post(app.community("/follow")).bearer_auth("not-a-jwt").json(&json!({ "user_id": bob.id })),
        ),
        (
            "follow_expired_token",
            app.client.post(app.community("/follow")).bearer_auth(&expired).json(&json!({ "user_id": bob.id })),
        ),
        ("follow_wrong_method", a(Method::GET, "/follow")),
        // GET /follow/status/{user_id}
        ("follow_status", a(Method::GET, &format!("/follow/status/{}", bob.id))),
        ("follow_status_none", a(Method::GET, &format!("/follow/status/{}", hank.id))),
        ("follow_status_invalid_id", a(Method::GET, "/follow/status/12")),
        ("follow_status_unknown_user", a(Method::GET, &format!("/follow/status/{unknown}"))),
        // GET /follow-requests/status/{user_id}
        ("request_status_pending", a(Method::GET, &format!("/follow-requests/status/{}", carol.id))),
        ("request_status_none", a(Method::GET, &format!("/follow-requests/status/{}", bob.id))),
        ("request_status_invalid_id", a(Method::GET, "/follow-requests/status/12")),
        ("request_status_unknown_user", a(Method::GET, &format!("/follow-requests/status/{unknown}"))),
        // GET /follow-requests/received and /sent
        ("requests_received", call(&app, &dave, Method::GET, "/follow-requests/received")),
        ("requests_received_paged", call(&app, &dave, Method::GET, "/follow-requests/received?page=2&page_size=1")),
        ("requests_received_empty", a(Method::GET, "/follow-requests/received")),
        ("requests_received_page_zero", a(Method::GET, "/follow-requests/received?page=0")),
        ("requests_received_page_size_too_big", a(Method::GET, "/follow-requests/received?page_size=101")),
        ("requests_received_bad_query", a(Method::GET, "/follow-requests/received?page=x")),
        ("requests_sent", a(Method::GET, "/follow-requests/sent")),
        ("requests_sent_empty", call(&app, &eve, Method::GET, "/follow-requests/sent")),
        // POST /follow-requests/accept|decline/{request_id}
        ("accept", call(&app, &dave, Method::POST, &format!("/follow-requests/accept/{from_bob}"))),
        ("accept_again", call(&app, &dave, Method::POST, &format!("/follow-requests/accept/{from_bob}"))),
        ("accept_not_yours", a(Method::POST, &format!("/follow-requests/accept/{from_frank}"))),
        ("accept_unknown_request", call(&app, &dave, Method::POST, &format!("/follow-requests/accept/{unknown}"))),
        ("accept_invalid_id", call(&app, &dave, Method::POST, "/follow-requests/accept/12")),
        ("accept_wrong_method", call(&app, &dave, Method::GET, &format!("/follow-requests/accept/{from_bob}"))),
        ("decline", call(&app, &dave, Method::POST, &format!("/follow-requests/decline/{from_frank}"))),
        ("decline_again", call(&app, &dave, Method::POST, &format!("/follow-requests/decline/{from_frank}"))),
        ("accept_declined", call(&app, &dave, Method::POST, &format!("/follow-requests/accept/{from_frank}"))),
        ("decline_accepted", call(&app, &dave, Method::POST, &format!("/follow-requests/decline/{from_bob}"))),
        ("decline_invalid_id", call(&app, &dave, Method::POST, "/follow-requests/decline/12")),
        // DELETE /follow-requests/cancel/{user_id}
        ("cancel_request", a(Method::DELETE, &format!("/follow-requests/cancel/{}", carol.id))),
        ("cancel_request_again", a(Method::DELETE, &format!("/follow-requests/cancel/{}", carol.id))),
        ("cancel_request_invalid_id", a(Method::DELETE, "/follow-requests/cancel/12")),
        // GET /profiles/me, /profiles/{user_id}
        ("profile_me", a(Method::GET, "/profiles/me")),
        ("profile_public", a(Method::GET, &format!("/profiles/{}", bob.id))),
        ("profile_private_requested", a(Method::GET, &format!("/profiles/{}", gina.id))),
        ("profile_private", a(Method::GET, &format!("/profiles/{}", dave.id))),
        ("profile_unknown_user", a(Method::GET, &format!("/profiles/{unknown}"))),
        ("profile_invalid_id", a(Method::GET, "/profiles/12")),
        ("profile_me_deleted_account", call(&app, &zed, Method::GET, "/profiles/me")),
        // PATCH|PUT /profiles/me, POST|PUT|PATCH /profiles
        (
            "profile_update",
            a(Method::PATCH, "/profiles/me").json(
                &json!({ "full_name": "Alice A.", "bio": "hi", "profile_image_url": "https://img.example/a.png" }),
            ),
        ),
        ("profile_update_put", a(Method::PUT, "/profiles").json(&json!({ "bio": null, "settings": {} }))),
        ("profile_create", a(Method::POST, "/profiles").json(&json!({ "username": "alice" }))),
        ("profile_update_invalid_username", a(Method::PATCH, "/profiles/me").json(&json!({ "username": "no spaces" }))),
        ("profile_update_username_taken", a(Method::PATCH, "/profiles/me").json(&json!({ "username": "bob" }))),
        (
            "profile_update_bad_image_url",
            a(Method::PATCH, "/profiles/me").json(&json!({ "profile_image_url": "ftp://x" })),
        ),
        ("profile_update_wrong_type", a(Method::PATCH, "/profiles/me").json(&json!({ "is_private": "yes" }))),
        ("profile_wrong_method", a(Method::DELETE, "/profiles/me")),
        // GET /users/{user_id}/followers|following, GET /relationships
        ("followers", a(Method::GET, &format!("/users/{}/followers", alice.id))),
        ("followers_keyset", a(Method::GET, &format!("/users/{}/followers?limit=1", alice.id))),
        (
            "followers_keyset_last_page",
            a(Method::GET, &format!("/users/{}/followers?limit=2&cursor={cursor}", alice.id)),
        ),
        ("followers_search", a(Method::GET, &format!("/users/{}/followers?search_query=FR", alice.id))),
        ("followers_of_private_refused", a(Method::GET, &format!("/users/{}/followers", dave.id))),
        ("followers_page_zero", a(Method::GET, &format!("/users/{}/followers?page=0", alice.id))),
        ("followers_bad_cursor", a(Method::GET, &format!("/users/{}/followers?cursor=zz", alice.id))),
        ("followers_invalid_id", a(Method::GET, "/users/12/followers")),
        ("followers_unknown_user", a(Method::GET, &format!("/users/{unknown}/followers"))),
        ("following", a(Method::GET, &format!("/users/{}/following", alice.id))),
        ("relationships", a(Method::GET, &format!("/relationships?ids={},{},{unknown}", bob.id, frank.id))),
        ("relationships_invalid_id", a(Method::GET, "/relationships?ids=12")),
        ("relationships_no_ids", a(Method::GET, "/relationships")),
        // POST /block, DELETE /block/{user_id}, GET /block/status/{user_id}, GET /blocks
        ("block", a(Method::POST, "/block").json(&json!({ "user_id": hank.id, "reason": "spam" }))),
        ("block_again", a(Method::POST, "/block").json(&json!({ "user_id": hank.id }))),
        ("block_self", a(Method::POST, "/block").json(&json!({ "user_id": alice.id }))),
        ("block_unknown_user", a(Method::POST, "/block").json(&json!({ "user_id": unknown }))),
        ("block_invalid_id", a(Method::POST, "/block").json(&json!({ "user_id": "12" }))),
        ("block_missing_field", a(Method::POST, "/block").json(&json!({}))),
        ("block_status", a(Method::GET, &format!("/block/status/{}", hank.id))),
        ("block_status_blocked_by", a(Method::GET, &format!("/block/status/{}", eve.id))),
        ("block_status_invalid_id", a(Method::GET, "/block/status/12")),
        ("blocks", a(Method::GET, "/blocks")),
        ("blocks_page_zero", a(Method::GET, "/blocks?page=0")),
        ("unblock", a(Method::DELETE, &format!("/block/{}", hank.id))),
        ("unblock_again", a(Method::DELETE, &format!("/block/{}", hank.id))),
        ("unblock_invalid_id", a(Method::DELETE, "/block/12")),
        // DELETE /followers/{user_id}
        ("remove_follower", a(Method::DELETE, &format!("/followers/{}", frank.id))),
        ("remove_follower_again", a(Method::DELETE, &format!("/followers/{}", frank.id))),
        ("remove_follower_invalid_id", a(Method::DELETE, "/followers/12")),
        // DELETE /follow/{user_id}
        ("unfollow", a(Method::DELETE, &format!("/follow/{}", bob.id))),
        ("unfollow_not_following", a(Method::DELETE, &format!("/follow/{}", bob.id))),
        ("unfollow_withdraws_request", a(Method::DELETE, &format!("/follow/{}", gina.id))),
        ("unfollow_invalid_id", a(Method::DELETE, "/follow/12")),
        ("unfollow_unknown_user", a(Method::DELETE, &format!("/follow/{unknown}"))),
        // GET /notifications, /notifications/unread-count; POST /notifications/mark-as-seen
        ("notifications", a(Method::GET, "/notifications")),
        ("notifications_of_a_type", a(Method::GET, "/notifications?type=follow_request&limit=5&offset=0")),
        ("notifications_accepted", call(&app, &bob, Method::GET, "/notifications?type=follow_request_accepted")),
        ("notifications_requests", call(&app, &dave, Method::GET, "/notifications?type=follow_request")),
        ("notifications_limit_zero", a(Method::GET, "/notifications?limit=0")),
        ("notifications_bad_query", a(Method::GET, "/notifications?limit=x")),
        ("unread_count", a(Method::GET, "/notifications/unread-count")),
        ("mark_as_seen_invalid_id", a(Method::POST, "/notifications/mark-as-seen").json(&json!({ "ids": ["12"] }))),
        ("mark_as_seen_malformed", a(Method::POST, "/notifications/mark-as-seen").body("{")),
        ("mark_as_seen", a(Method::POST, "/notifications/mark-as-seen")),
        ("unread_count_after_seen", a(Method::GET, "/notifications/unread-count")),
        ("stream_no_token", app.client.get(app.community("/notifications/stream"))),
        // POST /devices, DELETE /devices/{token}
        (
            "register_device",
            a(Method::POST, "/devices").json(&json!({ "token": "device-token-1", "platform": "Android" })),
        ),
        (
            "register_device_bad_platform",
            a(Method::POST, "/devices").json(&json!({ "token": "device-token-2", "platform": "palm" })),
        ),
        ("register_device_empty_token", a(Method::POST, "/devices").json(&json!({ "token": " ", "platform": "ios" }))),
        ("register_device_missing_field", a(Method::POST, "/devices").json(&json!({ "token": "device-token-3" }))),
        ("remove_device", a(Method::DELETE, "/devices/device-token-1")),
        ("remove_device_again", a(Method::DELETE, "/devices/device-token-1")),
        // No route.
        ("unknown_path", a(Method::GET, "/nowhere")),
        ("unknown_path_trailing_slash", a(Method::POST, "/follow/").json(&json!({ "user_id": bob.id }))),
        ("unknown_path_outside_every_dialect", app.client.get(app.url("/nothing")).bearer_auth(&alice.token)),
    ];
    table.run(cases).await;
}

#[tokio::test]
async fn community_rate_limited() {
    let app = spawn_app_with(|s| s.follows_per_hour = 1).await;
    let (alice, bob, carol) = (app.user("alice").await, app.user("bob").await, app.user("carol").await);
    app.follow(&alice, &bob).await;
    let mut table = Table::new(&app, "community");
    table.name(alice.id, "alice").name(bob.id, "bob").name(carol.id, "carol");
    table
        .run(vec![(
            "follow_rate_limited",
            call(&app, &alice, Method::POST, "/follow").json(&json!({ "user_id": carol.id })),
        )])
        .await;
}

/// The notification stream's events (`GET /notifications/stream`), as `data:` lines
/// with their `id:`: the first event, each kind of notification, the unread count.
#[tokio::test]
async fn community_stream_events() {
    let app = spawn_app().await;
    let (alice, bob) = (app.private_user("alice").await, app.user("bob").await);
    let mut table = Table::new(&app, "community");
    table.name(alice.id, "alice").name(bob.id, "bob");
    let event = |e: rookery_tests::SseEvent| json!({ "id": e.id, "data": e.data });

    let (mut alices, mut bobs) = (app.stream(&alice).await, app.stream(&bob).await);
    table.check("stream_connected", event(alices.expect("connected").await));
    bobs.expect("connected").await;
    app.follow(&bob, &alice).await;
    table.check("stream_follow_request", event(alices.expect("follow_request").await));
    let request = app.received_request_id(&alice).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{request}"), &alice, None).await;
    table.check("stream_follow_request_accepted", event(bobs.expect("follow_request_accepted").await));
    app.follow(&alice, &bob).await;
    table.check("stream_follow", event(bobs.expect("follow").await));
    app.call(Method::POST, "/notifications/mark-as-seen", &bob, None).await;
    table.check("stream_unread_count", event(bobs.expect("unread_count").await));
}

/// The admin API (`/api/v1/admin/users/{user_id}`), in the canonical envelope.
#[tokio::test]
async fn community_admin_answers() {
    let app = spawn_app().await;
    let (admin, alice, bob) = (app.admin("root").await, app.user("alice").await, app.user("bob").await);
    let created = Uuid::now_v7();
    let mut table = Table::new(&app, "community");
    table.name(admin.id, "root").name(alice.id, "alice").name(bob.id, "bob").name(created, "created");
    let admin_path = |id: &dyn ToString| format!("{}/api/v1/admin/users/{}", app.address, id.to_string());
    let as_admin =
        |method: Method, id: &dyn ToString| app.client.request(method, admin_path(id)).bearer_auth(&admin.token);
    let cases: Vec<Case> = vec![
        ("admin_create", as_admin(Method::PUT, &created).json(&json!({ "username": "made", "is_verified": true }))),
        ("admin_update", as_admin(Method::PUT, &created).json(&json!({ "posts_count": 3, "bio": "made by root" }))),
        ("admin_create_without_username", as_admin(Method::PUT, &Uuid::nil()).json(&json!({ "bio": "x" }))),
        ("admin_negative_posts_count", as_admin(Method::PUT, &created).json(&json!({ "posts_count": -1 }))),
        ("admin_username_taken", as_admin(Method::PUT, &created).json(&json!({ "username": "bob" }))),
        ("admin_invalid_id", as_admin(Method::PUT, &"12").json(&json!({ "bio": "x" }))),
        ("admin_malformed_json", as_admin(Method::PUT, &created).header("Content-Type", "application/json").body("{")),
        (
            "admin_not_admin",
            app.client.put(admin_path(&created)).bearer_auth(&alice.token).json(&json!({ "bio": "x" })),
        ),
        ("admin_no_token", app.client.delete(admin_path(&bob.id))),
        ("admin_wrong_method", as_admin(Method::GET, &bob.id)),
        ("admin_delete", as_admin(Method::DELETE, &bob.id)),
        ("admin_delete_again", as_admin(Method::DELETE, &bob.id)),
        ("admin_update_deleted", as_admin(Method::PUT, &bob.id).json(&json!({ "bio": "x" }))),
        ("admin_delete_invalid_id", as_admin(Method::DELETE, &"12")),
    ];
    table.run(cases).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL: make test-postgres"]
async fn community_unavailable_postgres() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let mut table = Table::new(&app, "community");
    table.name(alice.id, "alice").name(bob.id, "bob");
    let follow = call(&app, &alice, Method::POST, "/follow").json(&json!({ "user_id": bob.id }));
    super::run_without_database(&table, vec![("follow_database_down", follow)]).await;
}
