//! The `rgram` dialect (seed 003): `/api/follow-request/*`, `/api/follow/{id}`,
//! `/api/followers/{id}`, `/api/following/{id}`, in `{"success","message","data"}`.

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app};
use serde_json::{Value, json};
use uuid::Uuid;

fn url(app: &TestApp, path: &str) -> String {
    format!("{}/api{path}", app.address)
}

/// Calls the dialect; `user` `None` sends no token. The request is built before the
/// future is returned, so `path` may be a temporary.
fn rgram<'a>(
    app: &'a TestApp,
    method: Method,
    path: &str,
    user: Option<&TestUser>,
    body: Option<Value>,
) -> impl Future<Output = Reply> + use<'a> {
    let mut request = app.client.request(method, url(app, path));
    if let Some(user) = user {
        request = request.bearer_auth(&user.token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request)
}

async fn send(app: &TestApp, who: &TestUser, target: impl ToString) -> Reply {
    let body = json!({ "targetUserId": target.to_string() });
    rgram(app, Method::POST, "/follow-request/send", Some(who), Some(body)).await
}

async fn answer(app: &TestApp, verb: &str, who: &TestUser, id: &str) -> Reply {
    let body = json!({ "followRequestId": id });
    rgram(app, Method::POST, &format!("/follow-request/{verb}"), Some(who), Some(body)).await
}

async fn cancel(app: &TestApp, who: &TestUser, id: &str) -> Reply {
    rgram(app, Method::DELETE, &format!("/follow-request/cancel?followRequestId={id}"), Some(who), None).await
}

/// Asserts a success answer and returns it.
fn success(reply: Reply, message: &str) -> Reply {
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"));
    assert_eq!(reply.body["success"], true, "{reply:?}");
    assert_eq!(reply.body["message"], message, "{reply:?}");
    reply
}

/// Asserts the exact error body of the dialect.
fn error(reply: &Reply, status: StatusCode, message: &str) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"), "{reply:?}");
    assert_eq!(reply.body, json!({ "success": false, "message": message }), "{reply:?}");
}

/// An error in the envelope whose message is not pinned (parser texts).
fn refused(reply: &Reply, status: StatusCode) {
    assert_eq!(reply.status, status, "{reply:?}");
    assert_eq!(reply.content_type.as_deref(), Some("application/json"), "{reply:?}");
    assert_eq!(reply.body["success"], false, "{reply:?}");
    assert!(reply.body["message"].as_str().is_some_and(|m| !m.is_empty()), "{reply:?}");
    assert_eq!(reply.body.as_object().map(serde_json::Map::len), Some(2), "{reply:?}");
}

/// `2024-01-01T00:00:00.000Z`, as the seed writes times.
fn assert_time(value: &Value) {
    let text = value.as_str().unwrap_or_else(|| panic!("not a time: {value}"));
    assert_eq!(text.len(), 24, "{text}");
    assert!(text.ends_with('Z') && text.as_bytes()[19] == b'.', "{text}");
    chrono::DateTime::parse_from_rfc3339(text).unwrap();
}

/// A private `bob` with a bio and an avatar, and a pending request from `alice`.
async fn requested(app: &TestApp) -> (TestUser, TestUser, String) {
    let alice = app.user("alice").await;
    let bob = app.private_user("bob").await;
    let profile = json!({ "bio": "Bob's bio", "profile_image_url": "https://img.example/bob.png" });
    assert_eq!(app.call(Method::PATCH, "/profiles/me", &bob, Some(profile)).await.status, StatusCode::OK);
    let reply = success(send(app, &alice, bob.id).await, "Follow request sent successfully");
    let id = reply.data()["followRequest"]["_id"].as_str().unwrap().to_owned();
    (alice, bob, id)
}

#[tokio::test]
async fn rgram_send_to_a_private_account_creates_a_populated_pending_request() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;
    assert!(id.parse::<Uuid>().is_ok());

    // Again, as the seed's "already sent" row.
    let again = send(&app, &alice, bob.id).await;
    error(&again, StatusCode::BAD_REQUEST, "Follow request already sent");

    let pending = rgram(&app, Method::GET, "/follow-request/pending", Some(&bob), None).await;
    let request =
        &success(pending, "Pending follow requests retrieved successfully").body["data"]["pendingRequests"][0];
    assert_eq!(request["_id"], id.as_str());

    // The send answer itself, field by field.
    let carol = app.user("carol").await;
    let reply = success(send(&app, &carol, bob.id).await, "Follow request sent successfully");
    let object = &reply.data()["followRequest"];
    assert_eq!(
        object["follower"],
        json!({ "_id": carol.id.to_string(), "username": "carol", "fullName": "carol Example", "avatar": "" })
    );
    assert_eq!(
        object["following"],
        json!({
            "_id": bob.id.to_string(),
            "username": "bob",
            "fullName": "bob Example",
            "avatar": "https://img.example/bob.png",
        })
    );
    assert_eq!(object["status"], "pending");
    for field in ["requestedAt", "createdAt", "updatedAt"] {
        assert_time(&object[field]);
    }
    assert_eq!(object["requestedAt"], object["createdAt"]);
    assert_eq!(object["updatedAt"], object["createdAt"]);
    assert!(object.get("respondedAt").is_none(), "{object}");
    let mut keys: Vec<&str> = object.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["_id", "createdAt", "follower", "following", "requestedAt", "status", "updatedAt"]);
    // A request is not a follow.
    assert_eq!(app.counts(&bob).await, (0, 0));
}

#[tokio::test]
async fn rgram_send_to_a_public_account_follows_at_once() {
    let app = spawn_app().await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);
    let reply = success(send(&app, &alice, bob.id).await, "Successfully followed user");
    assert_eq!(reply.body, json!({ "success": true, "message": "Successfully followed user" }));
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    // No request was made.
    let sent = rgram(&app, Method::GET, "/follow-request/sent", Some(&alice), None).await;
    assert_eq!(success(sent, "Sent follow requests retrieved successfully").data()["sentRequests"], json!([]));

    error(&send(&app, &alice, bob.id).await, StatusCode::BAD_REQUEST, "Already following this user");
}

#[tokio::test]
async fn rgram_send_errors() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let path = "/follow-request/send";
    for body in [json!({}), json!({ "targetUserId": null }), json!({ "targetUserId": "" }), json!([])] {
        let reply = rgram(&app, Method::POST, path, Some(&alice), Some(body.clone())).await;
        error(&reply, StatusCode::BAD_REQUEST, "Target user ID is required");
    }
    for bad in [json!("not-a-uuid"), json!(42), json!({ "id": 1 })] {
        let reply = rgram(&app, Method::POST, path, Some(&alice), Some(json!({ "targetUserId": bad }))).await;
        error(&reply, StatusCode::BAD_REQUEST, "Invalid target user ID");
    }
    error(&send(&app, &alice, alice.id).await, StatusCode::BAD_REQUEST, "Cannot follow yourself");
    error(&send(&app, &alice, Uuid::now_v7()).await, StatusCode::NOT_FOUND, "Target user not found");
    // A block either way refuses the follow (blocks are made through the canonical API).
    let carol = app.user("carol").await;
    let blocked = app.call(Method::POST, "/block", &carol, Some(json!({ "user_id": alice.id }))).await;
    assert!(blocked.status.is_success(), "{blocked:?}");
    error(&send(&app, &alice, carol.id).await, StatusCode::FORBIDDEN, "You cannot follow this user");
    let by_path = rgram(&app, Method::POST, &format!("/follow/{}", alice.id), Some(&carol), None).await;
    error(&by_path, StatusCode::FORBIDDEN, "You cannot follow this user");

    let anonymous = rgram(&app, Method::POST, path, None, Some(json!({ "targetUserId": alice.id }))).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
    let forged = app.client.post(url(&app, path)).bearer_auth("not.a.token").json(&json!({ "targetUserId": alice.id }));
    error(&app.send(forged).await, StatusCode::UNAUTHORIZED, "Authentication required");

    let raw = |body: &'static str, content_type: &'static str| {
        app.client.post(url(&app, path)).bearer_auth(&alice.token).header("Content-Type", content_type).body(body)
    };
    refused(&app.send(raw("{\"targetUserId\":", "application/json")).await, StatusCode::BAD_REQUEST);
    refused(&app.send(raw("", "application/json")).await, StatusCode::BAD_REQUEST);
    error(
        &app.send(raw("{\"targetUserId\":\"x\"}", "text/plain")).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Content-Type must be application/json",
    );
    let huge = format!("{{\"targetUserId\": \"{}\"}}", "x".repeat(70 * 1024));
    let reply = app
        .send(
            app.client
                .post(url(&app, path))
                .bearer_auth(&alice.token)
                .header("Content-Type", "application/json")
                .body(huge),
        )
        .await;
    refused(&reply, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn rgram_accept_makes_the_follow_and_answers_the_populated_request() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;

    let reply = success(answer(&app, "accept", &bob, &id).await, "Follow request accepted successfully");
    let object = &reply.data()["followRequest"];
    assert_eq!(object["_id"], id.as_str());
    assert_eq!(object["status"], "accepted");
    assert_eq!(object["follower"]["_id"], alice.id.to_string());
    assert_eq!(object["follower"]["username"], "alice");
    assert_eq!(object["following"]["_id"], bob.id.to_string());
    assert_eq!(object["following"]["avatar"], "https://img.example/bob.png");
    for field in ["requestedAt", "respondedAt", "createdAt", "updatedAt"] {
        assert_time(&object[field]);
    }
    assert_eq!(object["respondedAt"], object["updatedAt"]);
    assert!(object["respondedAt"].as_str() >= object["requestedAt"].as_str());
    assert_eq!(app.counts(&bob).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));

    error(&answer(&app, "accept", &bob, &id).await, StatusCode::BAD_REQUEST, "Follow request is already accepted");
    error(&answer(&app, "reject", &bob, &id).await, StatusCode::BAD_REQUEST, "Follow request is already accepted");
    // The pending list is empty again.
    let pending = rgram(&app, Method::GET, "/follow-request/pending", Some(&bob), None).await;
    assert_eq!(success(pending, "Pending follow requests retrieved successfully").data()["pendingRequests"], json!([]));
}

#[tokio::test]
async fn rgram_accept_and_reject_errors() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;
    let mallory = app.user("mallory").await;
    for verb in ["accept", "reject"] {
        let path = format!("/follow-request/{verb}");
        for body in [json!({}), json!({ "followRequestId": null }), json!({ "followRequestId": "" })] {
            let reply = rgram(&app, Method::POST, &path, Some(&bob), Some(body)).await;
            error(&reply, StatusCode::BAD_REQUEST, "Follow request ID is required");
        }
        error(&answer(&app, verb, &bob, "nope").await, StatusCode::BAD_REQUEST, "Invalid follow request ID");
        error(
            &answer(&app, verb, &bob, &Uuid::now_v7().to_string()).await,
            StatusCode::NOT_FOUND,
            "Follow request not found",
        );
        let not_mine = format!("You can only {verb} follow requests sent to you");
        // Neither the requester nor a stranger may answer it.
        error(&answer(&app, verb, &alice, &id).await, StatusCode::FORBIDDEN, &not_mine);
        error(&answer(&app, verb, &mallory, &id).await, StatusCode::FORBIDDEN, &not_mine);
        let anonymous = rgram(&app, Method::POST, &path, None, Some(json!({ "followRequestId": id }))).await;
        error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
        refused(
            &app.send(
                app.client
                    .post(url(&app, &path))
                    .bearer_auth(&bob.token)
                    .header("Content-Type", "application/json")
                    .body("{"),
            )
            .await,
            StatusCode::BAD_REQUEST,
        );
    }
    // Still pending after all that.
    let pending = rgram(&app, Method::GET, "/follow-request/pending", Some(&bob), None).await;
    assert_eq!(pending.data()["pendingRequests"][0]["status"], "pending");
}

#[tokio::test]
async fn rgram_reject_marks_it_rejected_and_the_requester_may_ask_again() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;

    let reply = success(answer(&app, "reject", &bob, &id).await, "Follow request rejected successfully");
    let object = &reply.data()["followRequest"];
    assert_eq!(object["status"], "rejected");
    assert_eq!(object["follower"]["_id"], alice.id.to_string());
    assert_eq!(object["following"]["_id"], bob.id.to_string());
    assert_time(&object["respondedAt"]);
    assert_eq!(app.counts(&bob).await, (0, 0));

    error(&answer(&app, "reject", &bob, &id).await, StatusCode::BAD_REQUEST, "Follow request is already rejected");
    error(&answer(&app, "accept", &bob, &id).await, StatusCode::BAD_REQUEST, "Follow request is already rejected");
    error(
        &cancel(&app, &alice, &id).await,
        StatusCode::BAD_REQUEST,
        "Cannot cancel follow request that is already rejected",
    );

    let rejected = rgram(&app, Method::GET, "/follow-request/sent?status=rejected", Some(&alice), None).await;
    let rejected = success(rejected, "Sent follow requests retrieved successfully");
    assert_eq!(rejected.data()["sentRequests"][0]["_id"], id.as_str());
    assert_eq!(rejected.data()["sentRequests"][0]["status"], "rejected");
    assert_time(&rejected.data()["sentRequests"][0]["respondedAt"]);

    // Asking again makes a new pending request, which replaces the rejected one.
    let again = success(send(&app, &alice, bob.id).await, "Follow request sent successfully");
    let new_id = again.data()["followRequest"]["_id"].as_str().unwrap().to_owned();
    assert_ne!(new_id, id);
    let all = rgram(&app, Method::GET, "/follow-request/sent", Some(&alice), None).await;
    assert_eq!(all.data()["pagination"]["totalCount"], 1);
    assert_eq!(all.data()["sentRequests"][0]["_id"], new_id.as_str());
    error(&answer(&app, "accept", &bob, &id).await, StatusCode::NOT_FOUND, "Follow request not found");
}

#[tokio::test]
async fn rgram_pending_lists_requests_to_me_newest_first_with_pagination() {
    let app = spawn_app().await;
    let bob = app.private_user("bob").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = app.user(&format!("fan{i}")).await;
        let bio = json!({ "bio": format!("fan number {i}") });
        assert_eq!(app.call(Method::PATCH, "/profiles/me", &fan, Some(bio)).await.status, StatusCode::OK);
        success(send(&app, &fan, bob.id).await, "Follow request sent successfully");
        fans.push(fan);
    }

    let first = rgram(&app, Method::GET, "/follow-request/pending?page=1&limit=2", Some(&bob), None).await;
    let first = success(first, "Pending follow requests retrieved successfully");
    assert_eq!(
        first.data()["pagination"],
        json!({ "currentPage": 1, "totalPages": 3, "totalCount": 5, "hasNextPage": true, "hasPrevPage": false })
    );
    let items = first.data()["pendingRequests"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let item = &items[0];
    assert_eq!(
        item["follower"],
        json!({
            "_id": fans[4].id.to_string(),
            "username": "fan4",
            "fullName": "fan4 Example",
            "avatar": "",
            "bio": "fan number 4",
        })
    );
    assert_eq!(item["following"], bob.id.to_string());
    assert_eq!(item["status"], "pending");
    assert_time(&item["requestedAt"]);
    assert!(item.get("respondedAt").is_none());
    assert_eq!(items[1]["follower"]["username"], "fan3");

    let middle = rgram(&app, Method::GET, "/follow-request/pending?page=2&limit=2", Some(&bob), None).await;
    assert_eq!(
        middle.data()["pagination"],
        json!({ "currentPage": 2, "totalPages": 3, "totalCount": 5, "hasNextPage": true, "hasPrevPage": true })
    );
    let last = rgram(&app, Method::GET, "/follow-request/pending?page=3&limit=2", Some(&bob), None).await;
    assert_eq!(last.data()["pendingRequests"].as_array().unwrap().len(), 1);
    assert_eq!(last.data()["pendingRequests"][0]["follower"]["username"], "fan0");
    assert_eq!(last.data()["pagination"]["hasNextPage"], false);
    assert_eq!(last.data()["pagination"]["hasPrevPage"], true);

    // Defaults: page 1, limit 20.
    let all = rgram(&app, Method::GET, "/follow-request/pending", Some(&bob), None).await;
    assert_eq!(all.data()["pendingRequests"].as_array().unwrap().len(), 5);
    assert_eq!(all.data()["pagination"]["totalPages"], 1);
    let max = rgram(&app, Method::GET, "/follow-request/pending?limit=100", Some(&bob), None).await;
    assert_eq!(max.status, StatusCode::OK);

    // Nothing pending for someone else.
    let empty = rgram(&app, Method::GET, "/follow-request/pending", Some(&fans[0]), None).await;
    assert_eq!(
        success(empty, "Pending follow requests retrieved successfully").data(),
        &json!({
            "pendingRequests": [],
            "pagination": { "currentPage": 1, "totalPages": 0, "totalCount": 0, "hasNextPage": false, "hasPrevPage": false },
        })
    );

    for (query, message) in [
        ("page=0", "page must be a positive integer"),
        ("page=-1", "page must be a positive integer"),
        ("page=abc", "page must be a positive integer"),
        ("limit=0", "limit must be an integer between 1 and 100"),
        ("limit=101", "limit must be an integer between 1 and 100"),
        ("limit=ten", "limit must be an integer between 1 and 100"),
    ] {
        let reply = rgram(&app, Method::GET, &format!("/follow-request/pending?{query}"), Some(&bob), None).await;
        error(&reply, StatusCode::BAD_REQUEST, message);
    }
    let anonymous = rgram(&app, Method::GET, "/follow-request/pending", None, None).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
}

#[tokio::test]
async fn rgram_sent_lists_my_requests_filtered_by_status() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (bob, carol, dave) =
        (app.private_user("bob").await, app.private_user("carol").await, app.private_user("dave").await);
    let bio = json!({ "bio": "Carol here" });
    assert_eq!(app.call(Method::PATCH, "/profiles/me", &carol, Some(bio)).await.status, StatusCode::OK);
    let mut ids = Vec::new();
    for target in [&bob, &carol, &dave] {
        let reply = success(send(&app, &alice, target.id).await, "Follow request sent successfully");
        ids.push(reply.data()["followRequest"]["_id"].as_str().unwrap().to_owned());
    }
    success(answer(&app, "accept", &bob, &ids[0]).await, "Follow request accepted successfully");
    success(answer(&app, "reject", &dave, &ids[2]).await, "Follow request rejected successfully");

    let sent =
        |query: &'static str| rgram(&app, Method::GET, &format!("/follow-request/sent{query}"), Some(&alice), None);
    let all = success(sent("").await, "Sent follow requests retrieved successfully");
    assert_eq!(all.data()["pagination"]["totalCount"], 3);
    let statuses: Vec<&str> =
        all.data()["sentRequests"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    let mut sorted = statuses.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, ["accepted", "pending", "rejected"]);

    let pending = success(sent("?status=pending").await, "Sent follow requests retrieved successfully");
    let item = &pending.data()["sentRequests"][0];
    assert_eq!(pending.data()["sentRequests"].as_array().unwrap().len(), 1);
    assert_eq!(item["_id"], ids[1].as_str());
    assert_eq!(item["follower"], alice.id.to_string());
    assert_eq!(
        item["following"],
        json!({ "_id": carol.id.to_string(), "username": "carol", "fullName": "carol Example", "avatar": "", "bio": "Carol here" })
    );
    assert_eq!(item["status"], "pending");
    assert_eq!(
        pending.data()["pagination"],
        json!({ "currentPage": 1, "totalPages": 1, "totalCount": 1, "hasNextPage": false, "hasPrevPage": false })
    );

    let accepted = sent("?status=accepted&page=1&limit=10").await;
    assert_eq!(accepted.data()["sentRequests"][0]["_id"], ids[0].as_str());
    assert_eq!(accepted.data()["sentRequests"][0]["status"], "accepted");
    assert_time(&accepted.data()["sentRequests"][0]["respondedAt"]);
    let rejected = sent("?status=rejected").await;
    assert_eq!(rejected.data()["sentRequests"][0]["_id"], ids[2].as_str());

    let paged = sent("?limit=2&page=2").await;
    assert_eq!(paged.data()["sentRequests"].as_array().unwrap().len(), 1);
    assert_eq!(
        paged.data()["pagination"],
        json!({ "currentPage": 2, "totalPages": 2, "totalCount": 3, "hasNextPage": false, "hasPrevPage": true })
    );

    for bad in ["?status=declined", "?status=PENDING", "?status=all"] {
        error(&sent(bad).await, StatusCode::BAD_REQUEST, "Invalid status. Must be one of: pending, accepted, rejected");
    }
    error(&sent("?limit=101").await, StatusCode::BAD_REQUEST, "limit must be an integer between 1 and 100");
    let anonymous = rgram(&app, Method::GET, "/follow-request/sent", None, None).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
}

#[tokio::test]
async fn rgram_cancel_withdraws_my_pending_request() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;
    let mallory = app.user("mallory").await;

    error(&cancel(&app, &bob, &id).await, StatusCode::FORBIDDEN, "You can only cancel follow requests sent by you");
    error(&cancel(&app, &mallory, &id).await, StatusCode::FORBIDDEN, "You can only cancel follow requests sent by you");
    let missing = rgram(&app, Method::DELETE, "/follow-request/cancel", Some(&alice), None).await;
    error(&missing, StatusCode::BAD_REQUEST, "Follow request ID is required");
    let empty = rgram(&app, Method::DELETE, "/follow-request/cancel?followRequestId=", Some(&alice), None).await;
    error(&empty, StatusCode::BAD_REQUEST, "Follow request ID is required");
    error(&cancel(&app, &alice, "nope").await, StatusCode::BAD_REQUEST, "Invalid follow request ID");
    error(&cancel(&app, &alice, &Uuid::now_v7().to_string()).await, StatusCode::NOT_FOUND, "Follow request not found");
    let anonymous =
        rgram(&app, Method::DELETE, &format!("/follow-request/cancel?followRequestId={id}"), None, None).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");

    let reply = success(cancel(&app, &alice, &id).await, "Follow request cancelled successfully");
    assert_eq!(reply.body, json!({ "success": true, "message": "Follow request cancelled successfully" }));
    let pending = rgram(&app, Method::GET, "/follow-request/pending", Some(&bob), None).await;
    assert_eq!(pending.data()["pendingRequests"], json!([]));
    // A cancelled request is gone.
    error(&cancel(&app, &alice, &id).await, StatusCode::NOT_FOUND, "Follow request not found");

    // An accepted one can no longer be cancelled.
    let again = success(send(&app, &alice, bob.id).await, "Follow request sent successfully");
    let id = again.data()["followRequest"]["_id"].as_str().unwrap().to_owned();
    success(answer(&app, "accept", &bob, &id).await, "Follow request accepted successfully");
    error(
        &cancel(&app, &alice, &id).await,
        StatusCode::BAD_REQUEST,
        "Cannot cancel follow request that is already accepted",
    );
    assert_eq!(app.counts(&bob).await, (1, 0));
}

#[tokio::test]
async fn rgram_follow_by_path_public_private_and_repeated() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (public, private) = (app.user("pub").await, app.private_user("priv").await);
    let follow = |target: String| rgram(&app, Method::POST, &format!("/follow/{target}"), Some(&alice), None);

    let reply = success(follow(public.id.to_string()).await, "Successfully followed user");
    assert_eq!(reply.body, json!({ "success": true, "message": "Successfully followed user" }));
    assert_eq!(app.counts(&public).await, (1, 0));
    let again = success(follow(public.id.to_string()).await, "Already following this user");
    assert!(again.body.get("data").is_none());
    assert_eq!(app.counts(&public).await, (1, 0));

    let reply = success(follow(private.id.to_string()).await, "Follow request sent successfully (private account)");
    let object = &reply.data()["followRequest"];
    assert_eq!(object["status"], "pending");
    assert_eq!(object["follower"]["_id"], alice.id.to_string());
    assert_eq!(object["following"]["_id"], private.id.to_string());
    assert_eq!(object["following"]["username"], "priv");
    error(&follow(private.id.to_string()).await, StatusCode::BAD_REQUEST, "Follow request already sent");
    assert_eq!(app.counts(&private).await, (0, 0));

    error(&follow(alice.id.to_string()).await, StatusCode::BAD_REQUEST, "Cannot follow yourself");
    error(&follow(Uuid::now_v7().to_string()).await, StatusCode::NOT_FOUND, "Target user not found");
    error(&follow("not-a-uuid".into()).await, StatusCode::BAD_REQUEST, "Invalid user ID");
    let anonymous = rgram(&app, Method::POST, &format!("/follow/{}", public.id), None, None).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
    // A body, of any kind, is ignored.
    let with_body = app
        .client
        .post(url(&app, &format!("/follow/{}", public.id)))
        .bearer_auth(&alice.token)
        .header("Content-Type", "text/plain")
        .body("whatever");
    success(app.send(with_body).await, "Already following this user");
}

#[tokio::test]
async fn rgram_unfollow_undoes_only_an_accepted_follow() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    let (public, private) = (app.user("pub").await, app.private_user("priv").await);
    let unfollow = |target: String| rgram(&app, Method::DELETE, &format!("/follow/{target}"), Some(&alice), None);

    error(&unfollow(public.id.to_string()).await, StatusCode::BAD_REQUEST, "You are not following this user");
    success(send(&app, &alice, public.id).await, "Successfully followed user");
    let reply = success(unfollow(public.id.to_string()).await, "Successfully unfollowed user");
    assert_eq!(reply.body, json!({ "success": true, "message": "Successfully unfollowed user" }));
    assert_eq!(app.counts(&public).await, (0, 0));
    assert_eq!(app.counts(&alice).await, (0, 0));
    error(&unfollow(public.id.to_string()).await, StatusCode::BAD_REQUEST, "You are not following this user");

    // A pending request is left alone: cancel is for that.
    let requested = success(send(&app, &alice, private.id).await, "Follow request sent successfully");
    let id = requested.data()["followRequest"]["_id"].as_str().unwrap().to_owned();
    error(&unfollow(private.id.to_string()).await, StatusCode::BAD_REQUEST, "You are not following this user");
    let pending = rgram(&app, Method::GET, "/follow-request/pending", Some(&private), None).await;
    assert_eq!(pending.data()["pendingRequests"][0]["_id"], id.as_str());
    assert_eq!(pending.data()["pendingRequests"][0]["status"], "pending");
    let sent = rgram(&app, Method::GET, "/follow-request/sent?status=pending", Some(&alice), None).await;
    assert_eq!(sent.data()["pagination"]["totalCount"], 1);

    // Once accepted, unfollowing works, and the accepted request goes with the edge.
    success(answer(&app, "accept", &private, &id).await, "Follow request accepted successfully");
    assert_eq!(app.counts(&private).await, (1, 0));
    success(unfollow(private.id.to_string()).await, "Successfully unfollowed user");
    assert_eq!(app.counts(&private).await, (0, 0));
    let sent = rgram(&app, Method::GET, "/follow-request/sent", Some(&alice), None).await;
    assert_eq!(sent.data()["pagination"]["totalCount"], 0);

    error(&unfollow(alice.id.to_string()).await, StatusCode::BAD_REQUEST, "You are not following this user");
    error(&unfollow(Uuid::now_v7().to_string()).await, StatusCode::NOT_FOUND, "Target user not found");
    error(&unfollow("42".into()).await, StatusCode::BAD_REQUEST, "Invalid user ID");
    let anonymous = rgram(&app, Method::DELETE, &format!("/follow/{}", public.id), None, None).await;
    error(&anonymous, StatusCode::UNAUTHORIZED, "Authentication required");
}

#[tokio::test]
async fn rgram_lists_of_a_public_account_need_no_token() {
    let app = spawn_app().await;
    let star = app.user("star").await;
    let bio = json!({ "bio": "shining", "profile_image_url": "https://img.example/star.png" });
    assert_eq!(app.call(Method::PATCH, "/profiles/me", &star, Some(bio)).await.status, StatusCode::OK);
    let mut fans = Vec::new();
    for i in 0..3 {
        let fan = app.user(&format!("fan{i}")).await;
        success(send(&app, &fan, star.id).await, "Successfully followed user");
        fans.push(fan);
    }
    success(send(&app, &star, fans[0].id).await, "Successfully followed user");

    let followers = rgram(&app, Method::GET, &format!("/followers/{}", star.id), None, None).await;
    let followers = success(followers, "Followers retrieved");
    let items = followers.data()["followers"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(
        items[0],
        json!({ "_id": fans[2].id.to_string(), "username": "fan2", "fullName": "fan2 Example", "avatar": "", "bio": "" })
    );
    assert_eq!(items[2]["username"], "fan0");
    assert_eq!(
        followers.data()["pagination"],
        json!({ "currentPage": 1, "totalPages": 1, "totalCount": 3, "hasNextPage": false, "hasPrevPage": false })
    );

    let paged = rgram(&app, Method::GET, &format!("/followers/{}?page=2&limit=2", star.id), Some(&fans[1]), None).await;
    let paged = success(paged, "Followers retrieved");
    assert_eq!(paged.data()["followers"].as_array().unwrap().len(), 1);
    assert_eq!(paged.data()["followers"][0]["username"], "fan0");
    assert_eq!(
        paged.data()["pagination"],
        json!({ "currentPage": 2, "totalPages": 2, "totalCount": 3, "hasNextPage": false, "hasPrevPage": true })
    );

    let following = rgram(&app, Method::GET, &format!("/following/{}", fans[0].id), None, None).await;
    let following = success(following, "Following retrieved");
    assert_eq!(
        following.data()["following"],
        json!([{
            "_id": star.id.to_string(),
            "username": "star",
            "fullName": "star Example",
            "avatar": "https://img.example/star.png",
            "bio": "shining",
        }])
    );
    let theirs = rgram(&app, Method::GET, &format!("/followers/{}", fans[0].id), Some(&fans[2]), None).await;
    assert_eq!(success(theirs, "Followers retrieved").data()["followers"][0]["username"], "star");

    let loner = app.user("loner").await;
    let nobody = rgram(&app, Method::GET, &format!("/following/{}", loner.id), None, None).await;
    assert_eq!(
        success(nobody, "Following retrieved").data(),
        &json!({
            "following": [],
            "pagination": { "currentPage": 1, "totalPages": 0, "totalCount": 0, "hasNextPage": false, "hasPrevPage": false },
        })
    );
}

#[tokio::test]
async fn rgram_lists_of_a_private_account_answer_only_to_itself_and_its_followers() {
    let app = spawn_app().await;
    let (owner, friend, stranger) =
        (app.private_user("owner").await, app.user("friend").await, app.user("stranger").await);
    let requested = success(send(&app, &friend, owner.id).await, "Follow request sent successfully");
    let id = requested.data()["followRequest"]["_id"].as_str().unwrap().to_owned();

    for list in ["followers", "following"] {
        let path = format!("/{list}/{}", owner.id);
        error(&rgram(&app, Method::GET, &path, None, None).await, StatusCode::UNAUTHORIZED, "Authentication required");
        error(
            &rgram(&app, Method::GET, &path, Some(&stranger), None).await,
            StatusCode::FORBIDDEN,
            "This account is private",
        );
        // A pending request is not enough.
        error(
            &rgram(&app, Method::GET, &path, Some(&friend), None).await,
            StatusCode::FORBIDDEN,
            "This account is private",
        );
        // A token that does not verify is refused, not treated as anonymous.
        let forged = app.client.get(url(&app, &path)).bearer_auth("forged.token.here");
        error(&app.send(forged).await, StatusCode::UNAUTHORIZED, "Authentication required");
        assert_eq!(rgram(&app, Method::GET, &path, Some(&owner), None).await.status, StatusCode::OK);
    }

    success(answer(&app, "accept", &owner, &id).await, "Follow request accepted successfully");
    let followers = rgram(&app, Method::GET, &format!("/followers/{}", owner.id), Some(&friend), None).await;
    assert_eq!(success(followers, "Followers retrieved").data()["followers"][0]["username"], "friend");
    let following = rgram(&app, Method::GET, &format!("/following/{}", owner.id), Some(&friend), None).await;
    assert_eq!(success(following, "Following retrieved").data()["following"], json!([]));
    error(
        &rgram(&app, Method::GET, &format!("/followers/{}", owner.id), Some(&stranger), None).await,
        StatusCode::FORBIDDEN,
        "This account is private",
    );
}

#[tokio::test]
async fn rgram_list_errors() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for list in ["followers", "following"] {
        let unknown = rgram(&app, Method::GET, &format!("/{list}/{}", Uuid::now_v7()), None, None).await;
        error(&unknown, StatusCode::NOT_FOUND, "User not found");
        error(
            &rgram(&app, Method::GET, &format!("/{list}/xyz"), None, None).await,
            StatusCode::BAD_REQUEST,
            "Invalid user ID",
        );
        for (query, message) in [
            ("page=0", "page must be a positive integer"),
            ("limit=0", "limit must be an integer between 1 and 100"),
            ("limit=500", "limit must be an integer between 1 and 100"),
            ("page=x", "page must be a positive integer"),
        ] {
            let reply = rgram(&app, Method::GET, &format!("/{list}/{}?{query}", alice.id), Some(&alice), None).await;
            error(&reply, StatusCode::BAD_REQUEST, message);
        }
        let max = rgram(&app, Method::GET, &format!("/{list}/{}?limit=100&page=7", alice.id), None, None).await;
        let max = success(max, if list == "followers" { "Followers retrieved" } else { "Following retrieved" });
        assert_eq!(max.data()["pagination"]["currentPage"], 7);
        assert_eq!(max.data()["pagination"]["hasPrevPage"], true);
        assert_eq!(max.data()["pagination"]["hasNextPage"], false);
    }
}

#[tokio::test]
async fn rgram_bad_routes_and_methods_answer_in_the_envelope() {
    let app = spawn_app().await;
    let alice = app.user("alice").await;
    for (method, path) in [
        (Method::GET, "/follow-request"),
        (Method::GET, "/follow-request/nope"),
        (Method::POST, "/follow-request/send/extra"),
        (Method::GET, "/follow"),
        (Method::GET, "/follow/a/b"),
        (Method::GET, "/followers"),
        (Method::GET, "/following/a/b"),
    ] {
        let reply = rgram(&app, method.clone(), path, Some(&alice), None).await;
        error(&reply, StatusCode::NOT_FOUND, &format!("No route for {method} /api{path}"));
    }
    for (method, path) in [
        (Method::GET, "/follow-request/send"),
        (Method::GET, "/follow-request/accept"),
        (Method::PUT, "/follow-request/reject"),
        (Method::POST, "/follow-request/pending"),
        (Method::DELETE, "/follow-request/sent"),
        (Method::POST, "/follow-request/cancel"),
        (Method::GET, "/follow/0190a5a4-0000-7000-8000-000000000000"),
        (Method::PATCH, "/follow/0190a5a4-0000-7000-8000-000000000000"),
        (Method::POST, "/followers/0190a5a4-0000-7000-8000-000000000000"),
        (Method::DELETE, "/following/0190a5a4-0000-7000-8000-000000000000"),
    ] {
        let reply = rgram(&app, method.clone(), path, Some(&alice), None).await;
        error(&reply, StatusCode::METHOD_NOT_ALLOWED, &format!("Method not allowed: {method} /api{path}"));
    }
    // A duplicated query parameter is a bad query string, in the envelope.
    let reply = rgram(&app, Method::GET, "/follow-request/sent?page=1&page=2", Some(&alice), None).await;
    refused(&reply, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rgram_shares_the_database_with_the_other_dialects() {
    let app = spawn_app().await;
    let (alice, bob, id) = requested(&app).await;
    let carol = app.user("carol").await;

    // A follow made through rgram shows in the community profile counts.
    success(send(&app, &alice, carol.id).await, "Successfully followed user");
    assert_eq!(app.counts(&carol).await, (1, 0));
    assert_eq!(app.counts(&alice).await, (0, 1));
    let profile = app.profile(&alice, &carol).await;
    assert_eq!(profile["is_following"], true);

    // A request sent through rgram is the one the community dialect lists and answers.
    assert_eq!(app.received_request_id(&bob).await, id);
    let accepted = app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &bob, None).await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    assert_eq!(app.counts(&bob).await, (1, 0));
    let followers = rgram(&app, Method::GET, &format!("/followers/{}", bob.id), Some(&alice), None).await;
    assert_eq!(success(followers, "Followers retrieved").data()["followers"][0]["_id"], alice.id.to_string());

    // And the other way: a community unfollow is seen by rgram.
    assert_eq!(app.unfollow(&alice, &carol).await.status, StatusCode::OK);
    let unfollow = rgram(&app, Method::DELETE, &format!("/follow/{}", carol.id), Some(&alice), None).await;
    error(&unfollow, StatusCode::BAD_REQUEST, "You are not following this user");
}
