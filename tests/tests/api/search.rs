//! Account search: prefixes of usernames and of display-name words, the ranking, the
//! exclusions, and cursor paging.

use reqwest::{Method, StatusCode};
use rookery_tests::{TestApp, TestUser, spawn_app};
use serde_json::{Value, json};

async fn search(app: &TestApp, who: &TestUser, query: &str) -> Value {
    let reply = app.call(Method::GET, &format!("/users/search?{query}"), who, None).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {reply:?}");
    reply.data().clone()
}

fn names(data: &Value) -> Vec<String> {
    data["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn ranking_exclusions_and_pages() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let (ada, adam, adalove, zed) =
        (app.user("ada").await, app.user("adam").await, app.user("adalove").await, app.user("zed").await);
    let (blocker, gone) = (app.user("adablocker").await, app.user("adagone").await);
    let admin = app.admin("root").await;
    // zed's display name has a word starting with "ada"; usernames match case-insensitively.
    app.call(Method::PATCH, "/profiles/me", &zed, Some(json!({ "full_name": "Zed ADAlbert" }))).await;
    app.follow(&me, &adam).await;
    for fan in [app.user("fan1").await, app.user("fan2").await] {
        app.follow(&fan, &adalove).await;
    }
    app.call(Method::POST, "/block", &blocker, Some(json!({ "user_id": me.id }))).await;
    app.admin_call(Method::DELETE, &format!("/users/{}", gone.id), &admin, None).await;
    let _ = &ada;

    let all = search(&app, &me, "q=Ada").await;
    // The exact username, then whom I follow, then by followers.
    assert_eq!(names(&all), ["ada", "adam", "adalove", "zed"], "{all}");
    assert_eq!(all["users"][1]["is_following"], true);
    assert_eq!(all["next_cursor"], Value::Null);
    // A word of the display name, and a leading @.
    assert_eq!(names(&search(&app, &me, "q=adalb").await), ["zed"]);
    assert_eq!(names(&search(&app, &me, "q=%40adal").await), ["adalove", "zed"]);
    assert!(names(&search(&app, &me, "q=nobody").await).is_empty());
    // The blocker is found by others.
    assert!(names(&search(&app, &ada, "q=adab").await).contains(&"adablocker".to_owned()));

    // Cursor paging walks the same ranking.
    let first = search(&app, &me, "q=ada&limit=2").await;
    assert_eq!(names(&first), ["ada", "adam"]);
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second = search(&app, &me, &format!("q=ada&limit=2&cursor={cursor}")).await;
    assert_eq!(names(&second), ["adalove", "zed"]);
}

#[tokio::test]
async fn bad_searches_are_400() {
    let app = spawn_app().await;
    let me = app.user("me").await;
    let long = "a".repeat(65);
    for query in ["", "q=", "q=%20%20", &format!("q={long}"), "q=a&limit=0", "q=a&limit=101", "q=a&cursor=zzz"] {
        let reply = app.call(Method::GET, &format!("/users/search?{query}"), &me, None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {reply:?}");
    }
    // Wildcards are literal.
    let reply = app.call(Method::GET, "/users/search?q=%25", &me, None).await;
    assert_eq!((reply.status, reply.data()["users"].clone()), (StatusCode::OK, json!([])));
}
