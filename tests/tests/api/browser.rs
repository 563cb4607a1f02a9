//! Browsers: CORS as SPEC 6 and 9 describe it, and a real headless Chromium on
//! another origin receiving a follow through `EventSource` with `access_token`.

use std::process::Stdio;
use std::sync::Mutex;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use reqwest::StatusCode;
use rookery_tests::{TestApp, spawn_app_with};

async fn with_origins(origins: &str) -> TestApp {
    let origins = origins.to_owned();
    spawn_app_with(move |s| s.cors_origins = Some(origins)).await
}

#[tokio::test]
async fn allowed_origins_are_echoed_and_others_get_nothing() {
    let app = with_origins("https://app.example, http://localhost:3000").await;
    let me = app.user("me").await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.community("/follow"))
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], "http://localhost:3000");
    assert!(h["access-control-allow-headers"].to_str().unwrap().contains("Authorization"));
    assert!(h["access-control-allow-headers"].to_str().unwrap().contains("Content-Type"));
    assert!(h["access-control-allow-methods"].to_str().unwrap().contains("POST"));

    let allowed = app
        .client
        .get(app.community("/profiles/me"))
        .bearer_auth(&me.token)
        .header("Origin", "https://app.example")
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    assert!(allowed.headers().get_all("vary").iter().any(|v| v == "Origin"));

    let other = app
        .client
        .get(app.community("/profiles/me"))
        .bearer_auth(&me.token)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK, "served, but without CORS headers");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    let other_preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.community("/follow"))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(other_preflight.headers().get("access-control-allow-origin").is_none());
}

/// What the page reported back.
#[derive(Default)]
struct Reports(Vec<String>);

async fn report(reports: web::Data<Mutex<Reports>>, query: web::Query<Vec<(String, String)>>) -> HttpResponse {
    let line = query.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&");
    reports.lock().unwrap().0.push(line);
    HttpResponse::NoContent().finish()
}

#[tokio::test]
async fn a_browser_on_another_origin_receives_a_follow() {
    let Ok(chromium) = which_chromium() else {
        panic!("headless Chromium is needed: run scripts/ensure-chromium.sh (make test does)");
    };
    // The page's own server: another port, so another origin.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let page_origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let app = with_origins(&page_origin).await;
    let (alice, bob) = (app.user("alice").await, app.user("bob").await);

    let page = include_str!("browser_page.html")
        .replace("{API}", &app.address)
        .replace("{TOKEN_A}", &alice.token)
        .replace("{TOKEN_B}", &bob.token)
        .replace("{B_ID}", &bob.id.to_string());
    let reports = web::Data::new(Mutex::new(Reports::default()));
    let served = reports.clone();
    let server = HttpServer::new(move || {
        let page = page.clone();
        App::new()
            .app_data(served.clone())
            .route(
                "/",
                web::get().to(move || {
                    let page = page.clone();
                    async move { HttpResponse::Ok().content_type("text/html").body(page) }
                }),
            )
            .route("/report", web::get().to(report))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);

    let profile = tempfile::tempdir().unwrap();
    let mut browser = tokio::process::Command::new(chromium)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("{page_origin}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let mut event = None;
    for _ in 0..300 {
        if let Some(line) = reports.lock().unwrap().0.iter().find(|l| l.starts_with("step=event")) {
            event = Some(line.clone());
        }
        if event.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = browser.kill().await;
    let log = reports.lock().unwrap().0.join("\n");
    assert!(log.contains("step=followed&status=200"), "the cross-origin follow went through:\n{log}");
    let event = event.unwrap_or_else(|| panic!("no follow event reached the page:\n{log}"));
    assert!(event.contains("actor=alice"), "{event}");
    assert!(!event.ends_with("id="), "the event carried an id: {event}");
}

fn which_chromium() -> Result<String, ()> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| (*p).to_owned())
        .ok_or(())
}
