//! Issue 23's graph queries: relationship filters and time windows on the lists,
//! known followers and pending request counts on profiles, suggestions, and bulk
//! follows. Every expected set is written out by hand from the follows made.

use std::collections::HashSet;

use reqwest::{Method, StatusCode};
use rookery_tests::{Reply, TestApp, TestUser, spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn names(reply: &Reply) -> Vec<String> {
    reply.data()["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

async fn list(app: &TestApp, viewer: &TestUser, owner: &TestUser, list: &str, query: &str) -> Reply {
    app.call(Method::GET, &format!("/users/{}/{list}?{query}", owner.id), viewer, None).await
}

/// Follows made in order, so `followed_at` orders them.
async fn follows(app: &TestApp, pairs: &[(&TestUser, &TestUser)]) {
    for (who, whom) in pairs {
        let reply = app.follow(who, whom).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    }
}

#[tokio::test]
async fn relationship_filters_keep_exact_sets_in_list_order() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let [a, b, c, d, e, viewer] = [
        app.user("ann").await,
        app.user("ben").await,
        app.user("cat").await,
        app.user("dan").await,
        app.user("eve").await,
        app.user("viewer").await,
    ];
    // Followers of owner: ann, ben, cat, dan (in that order). Owner follows ben, dan, eve.
    // Viewer follows ann and dan.
    follows(&app, &[(&a, &owner), (&b, &owner), (&c, &owner), (&owner, &e), (&owner, &b), (&d, &owner), (&owner, &d)])
        .await;
    follows(&app, &[(&viewer, &a), (&viewer, &d)]).await;

    let all = list(&app, &viewer, &owner, "followers", "").await;
    assert_eq!(names(&all), ["dan", "cat", "ben", "ann"]);

    let mutual = list(&app, &viewer, &owner, "followers", "filter=mutual").await;
    assert_eq!(mutual.status, StatusCode::OK, "{mutual:?}");
    assert_eq!(names(&mutual), ["dan", "ben"]);
    assert_eq!(mutual.data()["total"], 2);
    // The same set on the following list, in its order (when owner followed them).
    let mutual_following = list(&app, &viewer, &owner, "following", "filter=mutual").await;
    assert_eq!(names(&mutual_following), ["dan", "ben"]);
    assert_eq!(mutual_following.data()["total"], 2);

    let not_back = list(&app, &viewer, &owner, "followers", "filter=not_followed_back").await;
    assert_eq!(names(&not_back), ["cat", "ann"]);
    assert_eq!(not_back.data()["total"], 2);
    let not_following_back = list(&app, &viewer, &owner, "following", "filter=not_following_back").await;
    assert_eq!(names(&not_following_back), ["eve"]);
    assert_eq!(not_following_back.data()["total"], 1);

    let known = list(&app, &viewer, &owner, "followers", "filter=followed_by_me").await;
    assert_eq!(names(&known), ["dan", "ann"]);
    assert_eq!(known.data()["total"], 2);
    assert_eq!(known.data()["users"][0]["is_following"], true);

    // Filters page by cursor and by offset, with the exact total on every page.
    let first = list(&app, &viewer, &owner, "followers", "filter=not_followed_back&limit=1").await;
    assert_eq!(
        (names(&first), first.data()["total"].clone(), first.data()["has_more"].clone()),
        (vec!["cat".to_owned()], json!(2), json!(true))
    );
    let cursor = first.data()["next_cursor"].as_str().unwrap().to_owned();
    let second =
        list(&app, &viewer, &owner, "followers", &format!("filter=not_followed_back&limit=1&cursor={cursor}")).await;
    assert_eq!(names(&second), ["ann"]);
    assert_eq!(second.data()["has_more"], false);
    assert_eq!(second.data()["next_cursor"], Value::Null);
    let page2 = list(&app, &viewer, &owner, "followers", "filter=mutual&page=2&page_size=1").await;
    assert_eq!((names(&page2), page2.data()["total"].clone()), (vec!["ben".to_owned()], json!(2)));
    // With a search too.
    let searched = list(&app, &viewer, &owner, "followers", "filter=mutual&search_query=b").await;
    assert_eq!((names(&searched), searched.data()["total"].clone()), (vec!["ben".to_owned()], json!(1)));
}

#[tokio::test]
async fn bad_filters_and_windows_are_400_and_private_lists_stay_closed() {
    let app = spawn_app().await;
    let (owner, stranger) = (app.private_user("owner").await, app.user("stranger").await);
    for (which, query, message) in [
        (
            "followers",
            "filter=friends",
            "filter must be one of mutual, not_followed_back, not_following_back, followed_by_me",
        ),
        ("followers", "filter=not_following_back", "filter=not_following_back does not apply to the followers list"),
        ("following", "filter=not_followed_back", "filter=not_followed_back does not apply to the following list"),
        ("following", "filter=followed_by_me", "filter=followed_by_me does not apply to the following list"),
        ("followers", "since=yesterday", "since must be an RFC 3339 date-time"),
        ("following", "until=2026-13-01T00:00:00Z", "until must be an RFC 3339 date-time"),
    ] {
        let reply = list(&app, &owner, &owner, which, query).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {reply:?}");
        assert_eq!(reply.body["message"], message);
        assert_eq!(reply.body["status_code"], 400);
        assert_eq!(reply.body["success"], false);
    }
    for query in ["filter=mutual", "filter=followed_by_me", "since=2020-01-01T00:00:00Z"] {
        let reply = list(&app, &stranger, &owner, "followers", query).await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{query}: {reply:?}");
    }
    let anonymous = app
        .send(app.client.get(app.community(&format!("/users/{}/followers?filter=followed_by_me", stranger.id))))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.body["status_code"], 401);
}

#[tokio::test]
async fn time_windows_cut_both_lists_with_cursors_and_filters() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let mut fans = Vec::new();
    for i in 0..5 {
        let fan = app.user(&format!("fan{i}")).await;
        follows(&app, &[(&fan, &owner)]).await;
        fans.push(fan);
    }
    follows(&app, &[(&owner, &fans[1]), (&owner, &fans[3])]).await;
    let all = list(&app, &owner, &owner, "followers", "").await;
    let at: Vec<String> =
        all.data()["users"].as_array().unwrap().iter().map(|u| u["followed_at"].as_str().unwrap().to_owned()).collect();
    // Newest first: fan4, fan3, fan2, fan1, fan0. Window (fan0, fan3]: fan3, fan2, fan1.
    let (since, until) = (&at[4], &at[1]);
    let window = format!("since={}&until={}", urlencode(since), urlencode(until));
    let reply = list(&app, &owner, &owner, "followers", &window).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(names(&reply), ["fan3", "fan2", "fan1"]);
    assert_eq!(reply.data()["total"], 3);
    let first = list(&app, &owner, &owner, "followers", &format!("{window}&limit=2")).await;
    assert_eq!(names(&first), ["fan3", "fan2"]);
    let cursor = first.data()["next_cursor"].as_str().unwrap().to_owned();
    let rest = list(&app, &owner, &owner, "followers", &format!("{window}&limit=2&cursor={cursor}")).await;
    assert_eq!((names(&rest), rest.data()["total"].clone()), (vec!["fan1".to_owned()], json!(3)));
    let mutual = list(&app, &owner, &owner, "followers", &format!("{window}&filter=mutual")).await;
    assert_eq!(
        (names(&mutual), mutual.data()["total"].clone()),
        (vec!["fan3".to_owned(), "fan1".to_owned()], json!(2))
    );
    let only_since = list(&app, &owner, &owner, "followers", &format!("since={}", urlencode(&at[1]))).await;
    assert_eq!(names(&only_since), ["fan4"]);
    // The following list has windows too.
    let following = list(&app, &owner, &owner, "following", &format!("until={}", urlencode(&at[0]))).await;
    assert_eq!((following.data()["total"].clone(), names(&following).len()), (json!(0), 0));
    let following = list(&app, &owner, &owner, "following", &format!("since={}", urlencode(&at[0]))).await;
    assert_eq!(names(&following), ["fan3", "fan1"]);
}

fn urlencode(text: &str) -> String {
    text.replace('+', "%2B").replace(':', "%3A")
}

#[tokio::test]
async fn profiles_carry_pending_counts_for_oneself_and_known_followers() {
    let app = spawn_app().await;
    let (me, private, other) =
        (app.private_user("me").await, app.private_user("private").await, app.user("other").await);
    let (x, y) = (app.user("xavier").await, app.user("yann").await);
    // Two requests to me, one from me.
    follows(&app, &[(&x, &me), (&y, &me), (&me, &private)]).await;
    let mine = app.profile(&me, &me).await;
    assert_eq!((mine["pending_requests_count"].clone(), mine["sent_requests_count"].clone()), (json!(2), json!(1)));
    let seen = app.profile(&x, &me).await;
    assert_eq!(
        (seen["pending_requests_count"].clone(), seen["sent_requests_count"].clone()),
        (Value::Null, Value::Null)
    );
    // A declined request is no longer pending.
    let request = app.received_request_id(&me).await;
    let declined = app.call(Method::POST, &format!("/follow-requests/decline/{request}"), &me, None).await;
    assert_eq!(declined.status, StatusCode::OK);
    assert_eq!(app.profile(&me, &me).await["pending_requests_count"], 1);

    // Known followers: x and y follow other; me follows x and y... me follows x only.
    let viewer = app.user("viewer").await;
    let (k1, k2, k3, k4) = (app.user("k1").await, app.user("k2").await, app.user("k3").await, app.user("k4").await);
    follows(&app, &[(&viewer, &k1), (&viewer, &k2), (&viewer, &k3), (&viewer, &k4)]).await;
    follows(&app, &[(&k1, &other), (&k3, &other), (&x, &other), (&k2, &other), (&k4, &other)]).await;
    let profile = app.profile(&viewer, &other).await;
    let known = &profile["known_followers"];
    assert_eq!(known["count"], 4, "{profile}");
    let sample: Vec<_> = known["sample"].as_array().unwrap().iter().map(|s| s["username"].as_str().unwrap()).collect();
    assert_eq!(sample, ["k4", "k2", "k3"]);
    let first = &known["sample"][0];
    assert_eq!(first["id"], k4.id.to_string());
    assert!(first.get("full_name").is_some() && first.get("profile_image_url").is_some());
    // None known: zero and an empty sample.
    let none = app.profile(&y, &other).await;
    assert_eq!(none["known_followers"], json!({ "count": 0, "sample": [] }));
    // A private account the viewer may not list: null.
    assert_eq!(app.profile(&viewer, &private).await["known_followers"], Value::Null);
    // Absent from list items; the caller's own item in a list has its counts.
    follows(&app, &[(&viewer, &other)]).await;
    let followers = list(&app, &viewer, &other, "followers", "").await;
    for user in followers.data()["users"].as_array().unwrap() {
        assert!(user.get("known_followers").is_none(), "{user}");
        if user["is_self"] == true {
            assert_eq!(
                (user["pending_requests_count"].clone(), user["sent_requests_count"].clone()),
                (json!(0), json!(0))
            );
        } else {
            assert_eq!(user["pending_requests_count"], Value::Null);
        }
    }
}

async fn batch(app: &TestApp, who: &TestUser, which: &str, ids: Value) -> (Reply, Option<u64>) {
    let response = app
        .client
        .post(app.community(&format!("/{which}/batch")))
        .bearer_auth(&who.token)
        .json(&json!({ "user_ids": ids }))
        .send()
        .await
        .unwrap();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().unwrap().parse().unwrap());
    (TestApp::reply(response).await, retry)
}

fn outcomes(reply: &Reply) -> Vec<(String, String, bool, Value)> {
    reply.data()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user_id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["is_following"].as_bool().unwrap(),
                r["follow_request_status"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn bulk_follows_report_each_outcome_in_order_and_move_counts_as_single_calls() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let (public, private, followed, asked, blocker, gone) = (
        app.user("public").await,
        app.private_user("private").await,
        app.user("followed").await,
        app.private_user("asked").await,
        app.user("blocker").await,
        app.user("gone").await,
    );
    follows(&app, &[(&me, &followed), (&me, &asked)]).await;
    let block = app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    assert_eq!(block.status, StatusCode::OK, "{block:?}");
    let admin = app.admin("root").await;
    let deleted = app.admin_call(Method::DELETE, &format!("/users/{}", gone.id), &admin, None).await;
    assert!(deleted.status.is_success(), "{deleted:?}");
    let unknown = uuid::Uuid::now_v7();

    let ids = json!([public.id, private.id, followed.id, asked.id, blocker.id, gone.id, me.id, unknown]);
    let (reply, retry) = batch(&app, &me, "follow", ids).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(retry, None);
    let pending = json!("pending");
    assert_eq!(
        outcomes(&reply),
        [
            (public.id.to_string(), "followed".into(), true, Value::Null),
            (private.id.to_string(), "requested".into(), false, pending.clone()),
            (followed.id.to_string(), "already_following".into(), true, Value::Null),
            (asked.id.to_string(), "already_requested".into(), false, pending),
            (blocker.id.to_string(), "blocked".into(), false, Value::Null),
            (gone.id.to_string(), "not_found".into(), false, Value::Null),
            (me.id.to_string(), "self".into(), false, Value::Null),
            (unknown.to_string(), "not_found".into(), false, Value::Null),
        ]
    );
    assert_eq!(app.counts(&me).await, (0, 2));
    assert_eq!(app.counts(&public).await, (1, 0));
    // The followee and the private account were told, as by single calls.
    let told = app.call(Method::GET, "/notifications", &public, None).await;
    assert_eq!(told.data()["notifications"][0]["type"], "follow", "{told:?}");
    let asked_told = app.call(Method::GET, "/follow-requests/received", &private, None).await;
    assert_eq!(asked_told.data()["requests"].as_array().unwrap().len(), 1);

    // Unfollow: the edge, the pending request, nothing, and an unknown id.
    let ids = json!([public.id, private.id, blocker.id, unknown, followed.id]);
    let (reply, _) = batch(&app, &me, "unfollow", ids).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let got: Vec<_> = outcomes(&reply).into_iter().map(|(_, o, f, s)| (o, f, s)).collect();
    assert_eq!(
        got,
        [
            ("unfollowed".into(), false, Value::Null),
            ("request_withdrawn".into(), false, Value::Null),
            ("not_following".into(), false, Value::Null),
            ("not_found".into(), false, Value::Null),
            ("unfollowed".into(), false, Value::Null),
        ]
    );
    assert_eq!(app.counts(&me).await, (0, 0));
    assert_eq!(app.counts(&public).await, (0, 0));
    assert_eq!(app.profile(&me, &me).await["sent_requests_count"], 1, "the request to `asked` stays");
}

#[tokio::test]
async fn bulk_calls_refuse_bad_bodies() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let one = uuid::Uuid::now_v7();
    let many: Vec<_> = (0..101).map(|_| uuid::Uuid::now_v7()).collect();
    for which in ["follow", "unfollow"] {
        for (ids, message) in [
            (json!([]), "user_ids must name 1 to 100 accounts"),
            (json!(many), "user_ids must name 1 to 100 accounts"),
            (json!([one, one]), "user_ids must not repeat an id"),
            (json!(["nope"]), "Invalid user ID: must be a UUID"),
        ] {
            let (reply, _) = batch(&app, &me, which, ids).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{which}: {reply:?}");
            assert_eq!(reply.body["message"], message);
        }
        let missing = app.call(Method::POST, &format!("/{which}/batch"), &me, Some(json!({}))).await;
        assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{missing:?}");
    }
}

#[tokio::test]
async fn bulk_follows_past_the_budget_are_rate_limited_with_retry_after() {
    let app = spawn_app_with(|s| s.follows_per_hour = 3).await;
    let me = app.user("me").await;
    let mut targets = Vec::new();
    for i in 0..5 {
        targets.push(app.user(&format!("t{i}")).await);
    }
    follows(&app, &[(&me, &targets[0])]).await;
    let ids: Vec<_> = targets.iter().map(|t| t.id).collect();
    let (reply, retry) = batch(&app, &me, "follow", json!(ids)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let got: Vec<_> = outcomes(&reply).into_iter().map(|(_, o, _, _)| o).collect();
    assert_eq!(got, ["already_following", "followed", "followed", "rate_limited", "rate_limited"]);
    assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{retry:?}");
    assert_eq!(app.counts(&me).await, (0, 3));
    // Known spent: no write, the same answer; items that spend nothing still answer.
    let (again, retry) = batch(&app, &me, "follow", json!([targets[4].id, targets[1].id])).await;
    let got: Vec<_> = outcomes(&again).into_iter().map(|(_, o, _, _)| o).collect();
    assert_eq!(got, ["rate_limited", "already_following"]);
    assert!(retry.is_some());
    let (settled, retry) = batch(&app, &me, "follow", json!([targets[1].id])).await;
    assert_eq!(outcomes(&settled)[0].1, "already_following");
    assert_eq!(retry, None);
}

fn suggestion_names(reply: &Reply) -> Vec<String> {
    reply.data()["suggestions"].as_array().unwrap().iter().map(|s| s["username"].as_str().unwrap().to_owned()).collect()
}

/// A small graph is answered exactly however many accounts the caller follows: here
/// 250 (more than the 200 newest the walk once looked at), whose lists hold 40 edges in
/// all. The candidates are followed only by the caller's oldest followings.
#[tokio::test]
async fn suggestions_are_exact_on_a_small_graph_of_many_followings() {
    let app = spawn_app_with(|s| s.follows_per_hour = 100_000).await;
    let me = app.user("me").await;
    let mut old = Vec::new();
    for i in 0..8 {
        old.push(app.user(&format!("old{i}")).await);
    }
    let mut hidden = Vec::new();
    for i in 0..5 {
        hidden.push(app.user(&format!("hidden{i}")).await);
    }
    for (n, followed) in old.iter().enumerate() {
        follows(&app, &[(&me, followed)]).await;
        // The older the following, the more candidates it follows: hidden0 by all 8.
        for candidate in hidden.iter().take(5 - n * 5 / 8) {
            follows(&app, &[(followed, candidate)]).await;
        }
    }
    for i in 0..242 {
        let newer = app.user(&format!("newer{i}")).await;
        follows(&app, &[(&me, &newer)]).await;
    }
    let reply = app.call(Method::GET, "/suggestions?limit=5", &me, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let counts: Vec<(String, i64)> = reply.data()["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["username"].as_str().unwrap().to_owned(), s["reason"]["count"].as_i64().unwrap_or(0)))
        .collect();
    let expected: Vec<(String, i64)> = (0..5_usize)
        .map(|k| (format!("hidden{k}"), i64::try_from((0..8).filter(|n| k < 5 - n * 5 / 8).count()).unwrap()))
        .collect();
    assert_eq!(counts, expected, "{reply:?}");
}

#[tokio::test]
async fn suggestions_rank_two_hop_accounts_and_honour_every_exclusion() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let (f1, f2, f3) = (app.user("f1").await, app.user("f2").await, app.user("f3").await);
    let [top, mid, low, low2, asked, blocked, blocker, gone, dismissed] = [
        app.user("top").await,
        app.user("mid").await,
        app.user("low").await,
        app.user("low2").await,
        app.private_user("asked").await,
        app.user("blocked").await,
        app.user("blocker").await,
        app.user("gone").await,
        app.user("dismissed").await,
    ];
    follows(&app, &[(&me, &f1), (&me, &f2), (&me, &f3)]).await;
    // top: followed by f1, f2, f3; mid: f1, f2; low and low2: f3 (low2 has one more follower).
    follows(&app, &[(&f1, &top), (&f2, &top), (&f3, &top), (&f1, &mid), (&f2, &mid), (&f3, &low), (&f3, &low2)]).await;
    follows(&app, &[(&top, &low2)]).await;
    // f1 follows f2: f2 is followed by me already, never suggested; so is me.
    follows(&app, &[(&f1, &f2), (&f1, &me)]).await;
    for excluded in [&asked, &blocked, &blocker, &gone, &dismissed] {
        follows(&app, &[(&f1, excluded)]).await;
    }
    follows(&app, &[(&me, &asked)]).await; // a pending request
    app.call(Method::POST, "/block", &me, Some(json!({ "user_id": blocked.id }))).await;
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    let admin = app.admin("root").await;
    app.admin_call(Method::DELETE, &format!("/users/{}", gone.id), &admin, None).await;
    let dismiss = app.call(Method::DELETE, &format!("/suggestions/{}", dismissed.id), &me, None).await;
    assert_eq!(dismiss.status, StatusCode::OK, "{dismiss:?}");
    assert_eq!(dismiss.data()["dismissed"], true);
    let again = app.call(Method::DELETE, &format!("/suggestions/{}", dismissed.id), &me, None).await;
    assert_eq!(again.status, StatusCode::OK, "idempotent");

    let reply = app.call(Method::GET, "/suggestions", &me, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(suggestion_names(&reply), ["top", "mid", "low2", "low"]);
    let first = &reply.data()["suggestions"][0];
    assert_eq!(first["reason"]["type"], "followed_by");
    assert_eq!(first["reason"]["count"], 3);
    let sample: HashSet<_> =
        first["reason"]["sample"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(sample, HashSet::from(["f1", "f2", "f3"]));
    assert_eq!(first["is_following"], false);
    assert_eq!(first["followers_count"], 3);
    assert_eq!(
        reply.data()["suggestions"][3]["reason"],
        json!({ "type": "followed_by", "count": 1, "sample": ["f3"] })
    );
    let limited = app.call(Method::GET, "/suggestions?limit=2", &me, None).await;
    assert_eq!(suggestion_names(&limited), ["top", "mid"]);

    // Following no one: the most-followed accounts, never oneself or the excluded.
    let newcomer = app.user("newcomer").await;
    app.call(Method::DELETE, &format!("/suggestions/{}", top.id), &newcomer, None).await;
    let popular = app.call(Method::GET, "/suggestions?limit=3", &newcomer, None).await;
    assert_eq!(suggestion_names(&popular), ["f2", "mid", "low2"], "{popular:?}");
    assert_eq!(popular.data()["suggestions"][0]["reason"], json!({ "type": "popular" }));

    for bad in ["limit=0", "limit=51", "limit=x"] {
        let reply = app.call(Method::GET, &format!("/suggestions?{bad}"), &me, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}: {reply:?}");
    }
    let unknown = app.call(Method::DELETE, &format!("/suggestions/{}", uuid::Uuid::now_v7()), &me, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let bad = app.call(Method::DELETE, "/suggestions/nope", &me, None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn suggestions_past_the_sample_keep_exact_counts_and_ranks() {
    // More followings than the two-hop walk samples (200): the candidates come from the
    // newest 200, and their counts are taken again over all of them.
    let app = spawn_app_with(|s| s.follows_per_hour = 100_000).await;
    let me = app.user("me").await;
    let candidates =
        [app.user("c0").await, app.user("c1").await, app.user("c2").await, app.user("c3").await, app.user("c4").await];
    let mut hubs = Vec::new();
    for i in 0..210 {
        let hub = app.user(&format!("hub{i:03}")).await;
        // Hub i follows candidate k when k + 1 divides i.
        let ids: Vec<_> = candidates.iter().enumerate().filter(|(k, _)| i % (k + 1) == 0).map(|(_, c)| c.id).collect();
        let (reply, _) = batch(&app, &hub, "follow", json!(ids)).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        hubs.push(hub.id);
    }
    for chunk in hubs.chunks(100) {
        let (reply, _) = batch(&app, &me, "follow", json!(chunk)).await;
        assert!(outcomes(&reply).iter().all(|o| o.1 == "followed"), "{reply:?}");
    }
    assert_eq!(app.counts(&me).await, (0, 210));
    let reply = app.call(Method::GET, "/suggestions?limit=5", &me, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(suggestion_names(&reply), ["c0", "c1", "c2", "c3", "c4"]);
    let counts: Vec<_> =
        reply.data()["suggestions"].as_array().unwrap().iter().map(|s| s["reason"]["count"].clone()).collect();
    assert_eq!(counts, [json!(210), json!(105), json!(70), json!(53), json!(42)]);
}

#[tokio::test]
async fn filters_driven_from_a_small_set_page_and_count_like_the_scan() {
    // 40 followers, 5 of them followed back, and a viewer following 4 of them: both sets
    // are small beside the list, so their pages are read from the set.
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let viewer = app.user("viewer").await;
    let mut fans = Vec::new();
    for i in 0..40 {
        let fan = app.user(&format!("fan{i:02}")).await;
        follows(&app, &[(&fan, &owner)]).await;
        fans.push(fan);
    }
    for i in [3, 7, 11, 20, 35] {
        follows(&app, &[(&owner, &fans[i])]).await;
    }
    let outsider = app.user("outsider").await;
    for i in [1, 7, 20, 39] {
        follows(&app, &[(&viewer, &fans[i])]).await;
    }
    follows(&app, &[(&viewer, &outsider)]).await;

    let mutual = list(&app, &viewer, &owner, "followers", "filter=mutual").await;
    assert_eq!(names(&mutual), ["fan35", "fan20", "fan11", "fan07", "fan03"]);
    assert_eq!(mutual.data()["total"], 5);
    let known = list(&app, &viewer, &owner, "followers", "filter=followed_by_me").await;
    assert_eq!(names(&known), ["fan39", "fan20", "fan07", "fan01"]);
    assert_eq!(known.data()["total"], 4);
    assert_eq!(app.profile(&viewer, &owner).await["known_followers"]["count"], 4);

    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = list(&app, &viewer, &owner, "followers", &format!("filter=mutual&limit=2&cursor={cursor}")).await;
        assert_eq!(page.status, StatusCode::OK, "{page:?}");
        assert_eq!(page.data()["total"], 5);
        walked.extend(names(&page));
        match page.data()["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(walked, ["fan35", "fan20", "fan11", "fan07", "fan03"]);
    let offset = list(&app, &viewer, &owner, "followers", "filter=mutual&page=2&page_size=2").await;
    assert_eq!(
        (names(&offset), offset.data()["has_more"].clone()),
        (vec!["fan11".to_owned(), "fan07".to_owned()], json!(true))
    );

    let all = list(&app, &owner, &owner, "followers", "page_size=100").await;
    let at = |name: &str| -> String {
        let user = all.data()["users"].as_array().unwrap().iter().find(|u| u["username"] == name).unwrap();
        urlencode(user["followed_at"].as_str().unwrap())
    };
    let window = format!("filter=mutual&since={}&until={}", at("fan07"), at("fan35"));
    let windowed = list(&app, &viewer, &owner, "followers", &window).await;
    assert_eq!(
        (names(&windowed), windowed.data()["total"].clone()),
        (vec!["fan35".to_owned(), "fan20".to_owned(), "fan11".to_owned()], json!(3))
    );
    let searched = list(&app, &viewer, &owner, "followers", "filter=mutual&search_query=fan3").await;
    assert_eq!((names(&searched), searched.data()["total"].clone()), (vec!["fan35".to_owned()], json!(1)));
    // A follower deleted since: gone from the filtered page and its total.
    let admin = app.admin("root").await;
    app.admin_call(Method::DELETE, &format!("/users/{}", fans[20].id), &admin, None).await;
    let after = list(&app, &viewer, &owner, "followers", "filter=followed_by_me").await;
    assert_eq!(
        (names(&after), after.data()["total"].clone()),
        (vec!["fan39".to_owned(), "fan07".to_owned(), "fan01".to_owned()], json!(3))
    );
}

/// Every way an edge comes or goes keeps the mutual lists (a table of their own, kept
/// by the database's triggers) equal to the followers the owner follows back.
#[tokio::test]
async fn mutual_lists_follow_every_path_that_adds_or_removes_an_edge() {
    let app = spawn_app().await;
    let owner = app.user("owner").await;
    let [ann, ben, cat, dan, eve, gus, hal] = [
        app.user("ann").await,
        app.user("ben").await,
        app.user("cat").await,
        app.user("dan").await,
        app.user("eve").await,
        app.user("gus").await,
        app.user("hal").await,
    ];
    let fay = app.private_user("fay").await;
    let admin = app.admin("root").await;
    for fan in [&ann, &ben, &cat, &dan, &eve, &fay, &gus, &hal] {
        follows(&app, &[(fan, &owner)]).await;
    }
    // Followed back one by one, by an accepted request (fay is private), and in a batch.
    follows(&app, &[(&owner, &ann), (&owner, &ben), (&owner, &cat), (&owner, &dan), (&owner, &eve)]).await;
    app.follow(&owner, &fay).await;
    let request = app.received_request_id(&fay).await;
    let accepted = app.call(Method::POST, &format!("/follow-requests/accept/{request}"), &fay, None).await;
    assert_eq!(accepted.status, StatusCode::OK, "{accepted:?}");
    let batch = json!({ "user_ids": [gus.id, hal.id] });
    let reply = app.call(Method::POST, "/follow/batch", &owner, Some(batch)).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let mutual = list(&app, &owner, &owner, "followers", "filter=mutual").await;
    assert_eq!(names(&mutual), ["hal", "gus", "fay", "eve", "dan", "cat", "ben", "ann"]);
    assert_eq!(mutual.data()["total"], 8);

    // Then undone every way: ben unfollows, owner removes cat, owner blocks dan, eve's
    // account is deleted, owner unfollows hal in a batch.
    assert_eq!(app.unfollow(&ben, &owner).await.status, StatusCode::OK);
    let removed = app.call(Method::DELETE, &format!("/followers/{}", cat.id), &owner, None).await;
    assert_eq!(removed.status, StatusCode::OK, "{removed:?}");
    let blocked = app.call(Method::POST, "/block", &owner, Some(json!({ "user_id": dan.id }))).await;
    assert_eq!(blocked.status, StatusCode::OK, "{blocked:?}");
    app.admin_call(Method::DELETE, &format!("/users/{}", eve.id), &admin, None).await;
    let batch = json!({ "user_ids": [hal.id] });
    assert_eq!(app.call(Method::POST, "/unfollow/batch", &owner, Some(batch)).await.status, StatusCode::OK);

    let mutual = list(&app, &owner, &owner, "followers", "filter=mutual").await;
    assert_eq!(
        (names(&mutual), mutual.data()["total"].clone()),
        (vec!["gus".into(), "fay".into(), "ann".into()], json!(3))
    );
    // The following side, in the order owner followed them.
    let mutual_following = list(&app, &owner, &owner, "following", "filter=mutual").await;
    assert_eq!(names(&mutual_following), ["gus", "fay", "ann"]);
    assert_eq!(mutual_following.data()["total"], 3);
    let not_back = list(&app, &owner, &owner, "followers", "filter=not_followed_back").await;
    assert_eq!((names(&not_back), not_back.data()["total"].clone()), (vec!["hal".into()], json!(1)));
    // Owner still follows ben (who unfollowed) and cat (whom it removed).
    let not_following_back = list(&app, &owner, &owner, "following", "filter=not_following_back").await;
    assert_eq!(names(&not_following_back), ["cat", "ben"]);
    assert_eq!(not_following_back.data()["total"], 2);
    // Each side sees the other: ann's mutuals are owner.
    let theirs = list(&app, &ann, &ann, "followers", "filter=mutual").await;
    assert_eq!((names(&theirs), theirs.data()["total"].clone()), (vec!["owner".into()], json!(1)));
    // And a follow back made again counts again.
    follows(&app, &[(&ben, &owner)]).await;
    let mutual = list(&app, &owner, &owner, "followers", "filter=mutual&limit=2").await;
    assert_eq!((names(&mutual), mutual.data()["total"].clone()), (vec!["ben".into(), "gus".into()], json!(4)));
}
