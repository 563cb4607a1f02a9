//! Followers and following lists, relationships.

use std::collections::HashSet;

use futures::future::join_all;
use reqwest::{Method, StatusCode};
use rookery_tests::spawn_app;
use serde_json::json;

#[tokio::test]
async fn lists_are_newest_first_with_the_viewers_relation() {
    let app = spawn_app().await;
    let (star, alice, bob, carol) =
        (app.user("star").await, app.user("alice").await, app.user("bob").await, app.user("carol").await);
    app.follow(&alice, &star).await;
    app.follow(&bob, &star).await;
    app.follow(&carol, &star).await;
    app.follow(&carol, &bob).await;
    app.follow(&bob, &carol).await;

    // Carol looks at the star's followers.
    let reply = app.call(Method::GET, &format!("/users/{}/followers?page=1&page_size=20", star.id), &carol, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["success"], true);
    let data = reply.data();
    assert_eq!(
        (data["total"].clone(), data["page"].clone(), data["page_size"].clone()),
        (json!(3), json!(1), json!(20))
    );
    assert_eq!(data["has_more"], false);
    let users = data["users"].as_array().unwrap();
    let names: Vec<_> = users.iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["carol", "bob", "alice"]);
    assert_eq!(users[0]["is_self"], true);
    assert_eq!((users[1]["is_following"].clone(), users[1]["follows_viewer"].clone()), (json!(true), json!(true)));
    assert_eq!((users[2]["is_following"].clone(), users[2]["follows_viewer"].clone()), (json!(false), json!(false)));
    assert_eq!(users[1]["user_id"], bob.id.to_string());
    assert!(users[0]["followed_at"].as_str().unwrap().ends_with('Z'));

    let following = app.call(Method::GET, &format!("/users/{}/following", carol.id), &alice, None).await;
    let names: Vec<_> = following.data()["users"].as_array().unwrap().iter().map(|u| u["username"].clone()).collect();
    assert_eq!(names, [json!("bob"), json!("star")]);
    assert_eq!(following.data()["total"], 2);
}

#[tokio::test]
async fn a_cursor_walk_has_no_gaps_and_no_duplicates() {
    let app = spawn_app().await;
    let star = app.user("star").await;
    let fans = join_all((0..25).map(|i| app.user_owned(format!("fan{i:02}")))).await;
    for fan in &fans {
        app.follow(fan, &star).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let query = cursor.as_ref().map_or("limit=10".to_owned(), |c| format!("limit=10&cursor={c}"));
        let reply = app.call(Method::GET, &format!("/users/{}/followers?{query}", star.id), &star, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        assert_eq!(reply.data()["total"], 25);
        assert_eq!(reply.data()["page_size"], 10);
        seen.extend(
            reply.data()["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        cursor = reply.data()["next_cursor"].as_str().map(str::to_owned);
        assert_eq!(reply.data()["has_more"], cursor.is_some());
        if cursor.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..25).rev().map(|i| format!("fan{i:02}")).collect();
    assert_eq!(seen, expected);
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 25);

    // Offset pages pick their edges before joining the accounts: the same order, on both sides.
    let hub = app.user("hub").await;
    for fan in &fans {
        app.follow(&hub, fan).await;
    }
    for (list, owner) in [("followers", &star), ("following", &hub)] {
        let mut paged = Vec::new();
        for page in 1..=4 {
            let path = format!("/users/{}/{list}?page={page}&page_size=10", owner.id);
            let reply = app.call(Method::GET, &path, &star, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            assert_eq!((reply.data()["page"].clone(), reply.data()["total"].clone()), (json!(page), json!(25)));
            assert_eq!(reply.data()["has_more"], page < 3, "{list} page {page}");
            let users = reply.data()["users"].as_array().unwrap().clone();
            assert_eq!(users.len(), [10, 10, 5, 0][page - 1], "{list} page {page}");
            paged.extend(users.iter().map(|u| u["username"].as_str().unwrap().to_owned()));
        }
        assert_eq!(paged, expected, "{list}");
    }

    let bad = app.call(Method::GET, &format!("/users/{}/followers?cursor=nonsense", star.id), &star, None).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["message"], "invalid cursor");
    let too_many = app.call(Method::GET, &format!("/users/{}/followers?limit=101", star.id), &star, None).await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn search_filters_by_username_or_name_prefix() {
    let app = spawn_app().await;
    let star = app.user("star").await;
    for name in ["anna", "annabel", "bob", "Annie_x"] {
        let fan = app.user(name).await;
        app.follow(&fan, &star).await;
    }
    let reply = app.call(Method::GET, &format!("/users/{}/followers?search_query=ANN", star.id), &star, None).await;
    let mut names: Vec<_> =
        reply.data()["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["Annie_x", "anna", "annabel"]);
    assert_eq!(reply.data()["total"], 3);
    // Display names count too ("bob Example").
    let by_name =
        app.call(Method::GET, &format!("/users/{}/followers?search_query=bob%20ex", star.id), &star, None).await;
    assert_eq!(by_name.data()["total"], 1);
    // Wildcards are literal.
    let literal = app.call(Method::GET, &format!("/users/{}/followers?search_query=%25", star.id), &star, None).await;
    assert_eq!(literal.data()["total"], 0);
}

#[tokio::test]
async fn search_folds_non_ascii_capitals_in_display_names() {
    let app = spawn_app().await;
    let star = app.user("star").await;
    // Usernames unlike the names, so only the display name can match.
    let mut fans = Vec::new();
    for (username, full_name) in [("zola", "Émile Zola"), ("nowak", "ŁUKASZ Nowak"), ("docs", "Ärzte ohne Grenzen")]
    {
        let fan = app.user(username).await;
        let reply = app.call(Method::PATCH, "/profiles/me", &fan, Some(json!({ "full_name": full_name }))).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        app.follow(&fan, &star).await;
        fans.push(fan);
    }
    // Zola and Nowak are mutual; the doctors are not followed back.
    app.follow(&star, &fans[0]).await;
    app.follow(&star, &fans[1]).await;
    for (list, query, expected) in [
        ("followers", "search_query=Émile", "zola"),
        ("followers", "search_query=émile", "zola"),
        ("followers", "search_query=ÉMILE", "zola"),
        ("followers", "search_query=ÉMILE%20z", "zola"),
        ("followers", "filter=mutual&search_query=ÉMILE", "zola"),
        ("followers", "filter=mutual&search_query=émile&limit=5", "zola"),
        ("followers", "search_query=ärzte", "docs"),
        ("followers", "filter=not_followed_back&search_query=ÄRZ", "docs"),
        ("following", "search_query=łukasz", "nowak"),
        ("following", "filter=mutual&search_query=Łuk", "nowak"),
        ("following", "search_query=émile", "zola"),
    ] {
        let reply = app.call(Method::GET, &format!("/users/{}/{list}?{query}", star.id), &star, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{list}?{query}: {reply:?}");
        let names: Vec<_> = reply.data()["users"].as_array().unwrap().iter().map(|u| u["username"].clone()).collect();
        assert_eq!((names, reply.data()["total"].clone()), (vec![json!(expected)], json!(1)), "{list}?{query}");
    }
    // Case folds, accents do not: `emile` is another prefix.
    let plain = app.call(Method::GET, &format!("/users/{}/followers?search_query=emile", star.id), &star, None).await;
    assert_eq!(plain.data()["total"], 0);
}

#[tokio::test]
async fn private_lists_answer_only_to_the_owner_and_accepted_followers() {
    let app = spawn_app().await;
    let (owner, follower, stranger) =
        (app.private_user("owner").await, app.user("follower").await, app.user("stranger").await);
    app.follow(&follower, &owner).await;
    let id = app.received_request_id(&owner).await;
    app.call(Method::POST, &format!("/follow-requests/accept/{id}"), &owner, None).await;

    for path in ["followers", "following"] {
        let url = format!("/users/{}/{path}", owner.id);
        assert_eq!(app.call(Method::GET, &url, &owner, None).await.status, StatusCode::OK);
        assert_eq!(app.call(Method::GET, &url, &follower, None).await.status, StatusCode::OK);
        let refused = app.call(Method::GET, &url, &stranger, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            refused.body,
            json!({ "status": "error", "success": false, "message": "This account is private", "status_code": 403 })
        );
    }
    let missing = app.call(Method::GET, &format!("/users/{}/followers", uuid::Uuid::now_v7()), &owner, None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn relationships_for_many_ids_at_once() {
    let app = spawn_app().await;
    let (me, mutual, fan, idol, private) = (
        app.user("me").await,
        app.user("mutual").await,
        app.user("fan").await,
        app.user("idol").await,
        app.private_user("private").await,
    );
    app.follow(&me, &mutual).await;
    app.follow(&mutual, &me).await;
    app.follow(&fan, &me).await;
    app.follow(&me, &idol).await;
    app.follow(&me, &private).await;
    let unknown = uuid::Uuid::now_v7();
    let ids = [mutual.id, fan.id, idol.id, private.id, unknown, me.id].map(|i| i.to_string()).join(",");

    let reply = app.call(Method::GET, &format!("/relationships?ids={ids}"), &me, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let rels = reply.data()["relationships"].as_array().unwrap();
    assert_eq!(rels.len(), 5, "the unknown id is left out");
    assert_eq!(rels[0]["user_id"], mutual.id.to_string());
    assert_eq!(rels[0]["is_mutual"], true);
    assert_eq!((rels[1]["is_followed_by"].clone(), rels[1]["is_following"].clone()), (json!(true), json!(false)));
    assert_eq!((rels[2]["is_following"].clone(), rels[2]["is_mutual"].clone()), (json!(true), json!(false)));
    assert_eq!(rels[3]["follow_request_status"], "pending");
    assert_eq!(rels[4]["is_self"], true);

    let theirs = app.call(Method::GET, &format!("/relationships?ids={}", me.id), &private, None).await;
    assert_eq!(theirs.data()["relationships"][0]["incoming_request_status"], "pending");

    let none = app.call(Method::GET, "/relationships", &me, None).await;
    assert_eq!(none.status, StatusCode::BAD_REQUEST);
    let too_many = (0..101).map(|_| uuid::Uuid::now_v7().to_string()).collect::<Vec<_>>().join(",");
    let reply = app.call(Method::GET, &format!("/relationships?ids={too_many}"), &me, None).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let malformed = app.call(Method::GET, "/relationships?ids=abc", &me, None).await;
    assert_eq!(malformed.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn removing_a_follower() {
    let app = spawn_app().await;
    let (me, fan) = (app.user("me").await, app.user("fan").await);
    app.follow(&fan, &me).await;
    let reply = app.call(Method::DELETE, &format!("/followers/{}", fan.id), &me, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["removed"], true);
    assert_eq!(app.counts(&me).await, (0, 0));
    assert_eq!(app.counts(&fan).await, (0, 0));
    let again = app.call(Method::DELETE, &format!("/followers/{}", fan.id), &me, None).await;
    assert_eq!((again.status, again.data()["removed"].clone()), (StatusCode::OK, json!(false)));
    // The fan may follow again.
    assert_eq!(app.follow(&fan, &me).await.body["message"], "Successfully followed user");
}

#[tokio::test]
async fn lists_can_be_served_by_a_read_replica() {
    // The "replica" is the primary under a second pool, which exercises the wiring
    // (list reads on one pool, decisions on the other); the real streaming replicas
    // are crates/server/tests/replicas.rs's.
    let app = rookery_tests::spawn_app_with(|s| s.database.read_url = Some(s.database.url.clone())).await;
    let (star, fan) = (app.user("star").await, app.user("fan").await);
    app.follow(&fan, &star).await;
    let reply = app.call(Method::GET, &format!("/users/{}/followers", star.id), &fan, None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.data()["users"][0]["username"], "fan");
    let wrong = rookery::startup::open_database(&rookery::settings::DatabaseSettings {
        url: app.database_url.clone(),
        read_url: Some("mysql://nope".into()),
        replica_max_lag: std::time::Duration::from_secs(5),
        max_connections: 1,
        writers: None,
    });
    assert!(wrong.is_err());
}
