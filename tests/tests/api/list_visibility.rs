//! Who sees an account's lists and counts: every audience from every kind of viewer,
//! in every dialect that has lists.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

/// The three dialects' list endpoints for one list of `owner`, as `viewer` (or nobody).
async fn lists(app: &TestApp, viewer: Option<&TestUser>, owner: &TestUser, list: &str) -> [Reply; 3] {
    let urls = [
        app.community(&format!("/users/{}/{list}", owner.id)),
        app.url(&format!("/api/{list}/{}", owner.id)),
        app.url(&format!("/users/{}/follows?type={list}", owner.id)),
    ];
    let mut replies = Vec::new();
    for url in urls {
        let mut request = app.client.get(url);
        if let Some(viewer) = viewer {
            request = request.bearer_auth(&viewer.token);
        }
        replies.push(app.send(request).await);
    }
    replies.try_into().unwrap()
}

/// Each dialect's total: community `total`, rgram `pagination.totalCount`, anchor
/// `pagination.total`.
fn totals(replies: &[Reply; 3]) -> [Value; 3] {
    [
        replies[0].data()["total"].clone(),
        replies[1].body["data"]["pagination"]["totalCount"].clone(),
        replies[2].body["data"]["pagination"]["total"].clone(),
    ]
}

fn statuses(replies: &[Reply; 3]) -> [StatusCode; 3] {
    [replies[0].status, replies[1].status, replies[2].status]
}

async fn set_privacy(app: &TestApp, owner: &TestUser, body: Value) {
    let reply = app.call(Method::PATCH, "/profiles/me", owner, Some(body)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn every_audience_from_every_viewer_in_every_dialect() {
    let app = spawn_app().await;
    let (owner, fan, stranger, pest) =
        (app.user("owner").await, app.user("fan").await, app.user("stranger").await, app.user("pest").await);
    app.follow(&fan, &owner).await;
    app.follow(&pest, &owner).await;
    app.follow(&owner, &fan).await;
    let forbidden = [StatusCode::FORBIDDEN; 3];
    let ok = [StatusCode::OK; 3];

    // The community dialect always wants a token; the other two read without one.
    let anonymous_ok = [StatusCode::UNAUTHORIZED, StatusCode::OK, StatusCode::OK];
    let anonymous_refused = [StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN, StatusCode::FORBIDDEN];
    // Defaults: everyone reads both, counts included.
    assert_eq!(statuses(&lists(&app, None, &owner, "followers").await), anonymous_ok);
    assert_eq!(totals(&lists(&app, Some(&stranger), &owner, "followers").await), [json!(2), json!(2), json!(2)]);

    // An account the owner blocks reads neither list, in any dialect.
    app.call(Method::POST, "/block", &owner, Some(json!({ "user_id": pest.id }))).await;
    for list in ["followers", "following"] {
        let replies = lists(&app, Some(&pest), &owner, list).await;
        assert_eq!(statuses(&replies), forbidden, "{list}: {replies:?}");
    }

    set_privacy(
        &app,
        &owner,
        json!({ "followers_visibility": "followers", "following_visibility": "self", "counts_visible": false }),
    )
    .await;
    let me = app.call(Method::GET, "/profiles/me", &owner, None).await;
    assert_eq!((me.data()["followers_count"].clone(), me.data()["following_count"].clone()), (json!(1), json!(1)));

    // Followers list: the owner and its followers; nobody else, anonymous included.
    let mine = lists(&app, Some(&owner), &owner, "followers").await;
    assert_eq!(statuses(&mine), ok);
    assert_eq!(totals(&mine), [json!(1), json!(1), json!(1)], "the owner sees its own counts");
    let fans = lists(&app, Some(&fan), &owner, "followers").await;
    assert_eq!(statuses(&fans), ok);
    assert_eq!(totals(&fans), [Value::Null, Value::Null, Value::Null], "hidden counts stay hidden in totals");
    assert_eq!(fans[1].body["data"]["pagination"]["totalPages"], Value::Null);
    assert_eq!(fans[2].body["data"]["pagination"]["totalPages"], Value::Null);
    assert_eq!(statuses(&lists(&app, Some(&stranger), &owner, "followers").await), forbidden);
    assert_eq!(statuses(&lists(&app, None, &owner, "followers").await), anonymous_refused);

    // Following list: the owner alone.
    assert_eq!(statuses(&lists(&app, Some(&owner), &owner, "following").await), ok);
    for viewer in [&fan, &stranger] {
        assert_eq!(statuses(&lists(&app, Some(viewer), &owner, "following").await), forbidden);
    }
    assert_eq!(statuses(&lists(&app, None, &owner, "following").await), anonymous_refused);
    // Each dialect's own envelope.
    let refused = lists(&app, Some(&stranger), &owner, "following").await;
    assert_eq!(refused[0].body["success"], false);
    assert_eq!(refused[0].body["status_code"], 403);
    assert_eq!(refused[1].body, json!({ "success": false, "message": "This list is not visible to you" }));
    assert_eq!(refused[2].body["code"], "LIST_HIDDEN");

    // Counts: null for others in profile objects, numbers for the owner.
    let seen = app.profile(&fan, &owner).await;
    assert_eq!((seen["followers_count"].clone(), seen["following_count"].clone()), (Value::Null, Value::Null));
    // Anchor's follow answer: the target's count is null rather than a number.
    let url = app.url(&format!("/users/{}/follow", owner.id));
    let acted = app.send(app.client.post(url).bearer_auth(&stranger.token).json(&json!({ "action": "follow" }))).await;
    assert_eq!(acted.status, StatusCode::OK, "{acted:?}");
    assert_eq!(acted.body["data"]["targetUser"]["followerCount"], Value::Null);
    assert_eq!(acted.body["data"]["currentUser"]["followingCount"], 1);

    // Back to the defaults: open again.
    set_privacy(
        &app,
        &owner,
        json!({ "followers_visibility": "everyone", "following_visibility": "everyone", "counts_visible": true }),
    )
    .await;
    assert_eq!(statuses(&lists(&app, None, &owner, "following").await), anonymous_ok);
    assert_eq!(app.profile(&stranger, &owner).await["followers_count"], 2);
}

#[tokio::test]
async fn a_private_account_shows_its_lists_to_followers_at_most() {
    let app = spawn_app().await;
    let (owner, fan, stranger) = (app.private_user("owner").await, app.user("fan").await, app.user("stranger").await);
    app.follow(&fan, &owner).await;
    let id = app.received_request_id(&owner).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &owner, None).await;
    // `everyone` on a private account still means its accepted followers.
    assert_eq!(statuses(&lists(&app, Some(&fan), &owner, "followers").await), [StatusCode::OK; 3]);
    let strangers = lists(&app, Some(&stranger), &owner, "followers").await;
    assert_eq!(statuses(&strangers), [StatusCode::FORBIDDEN; 3]);
    assert_eq!(strangers[0].body["message"], "This account is private");
    set_privacy(&app, &owner, json!({ "followers_visibility": "self" })).await;
    assert_eq!(statuses(&lists(&app, Some(&fan), &owner, "followers").await), [StatusCode::FORBIDDEN; 3]);
}

#[tokio::test]
async fn bad_visibility_values_are_refused() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    for body in [
        json!({ "followers_visibility": "friends" }),
        json!({ "following_visibility": 3 }),
        json!({ "counts_visible": "no" }),
    ] {
        let reply = app.call(Method::PATCH, "/profiles/me", &owner, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
    }
}
