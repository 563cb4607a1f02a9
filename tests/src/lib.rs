//! The black-box harness: the real server, built as `main` builds it, on an ephemeral
//! port over a fresh database per test, driven over real HTTP with real tokens.
//!
//! `ROOKERY_TEST_DATABASE=postgres` runs against PostgreSQL
//! (`ROOKERY_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`),
//! creating a database per test and dropping it afterwards; otherwise each test gets a
//! SQLite file in its own temporary directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

pub mod fake_fcm;
pub mod fake_idp;
pub mod fake_receiver;
pub mod pg_faults;

use std::sync::LazyLock;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings, WebhookSettings};
use rookery::{Application, Settings};
use serde_json::{Value, json};
use uuid::Uuid;

/// Which backend the tests run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestBackend {
    /// A SQLite file per test.
    Sqlite,
    /// A PostgreSQL database per test.
    Postgres,
}

/// The backend chosen by `ROOKERY_TEST_DATABASE`.
pub fn backend() -> TestBackend {
    match std::env::var("ROOKERY_TEST_DATABASE").as_deref() {
        Ok("postgres") => TestBackend::Postgres,
        _ => TestBackend::Sqlite,
    }
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ROOKERY_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var("TEST_LOG").is_ok() {
        let _ = rookery::cli::init_tracing();
    }
});

/// A database that exists for one test.
pub enum TestDatabase {
    /// Removed with its directory.
    Sqlite(tempfile::TempDir),
    /// Dropped on `Drop`.
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh, empty database and its URL.
    pub fn create() -> (Self, String) {
        match backend() {
            TestBackend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("rookery.db").display());
                (Self::Sqlite(dir), url)
            }
            TestBackend::Postgres => {
                let admin_url = postgres_admin_url();
                let name = format!("rookery_test_{}", Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&admin_url).expect("PostgreSQL is reachable");
                admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(base, _)| base);
                let url = format!("{base}/{name}");
                (Self::Postgres { admin_url, name }, url)
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Self::Postgres { admin_url, name } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Off the async runtime: a blocking connect inside it would stall its thread.
            let _ = std::thread::spawn(move || {
                if let Ok(mut admin) = PgConnection::establish(&admin_url) {
                    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            })
            .join();
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The database URL the server uses.
    pub database_url: String,
    /// A keep-alive client.
    pub client: reqwest::Client,
    secret: String,
    /// Dropped with the first instance only.
    _database: Option<TestDatabase>,
    /// The settings it was started with (a sibling starts with the same).
    settings: Settings,
}

/// An account as the tests know it: its id and a token for it.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// The account id.
    pub id: Uuid,
    /// The username it was provisioned with.
    pub username: String,
    /// A valid bearer token.
    pub token: String,
}

/// Starts the server on a fresh database.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the server on a fresh database, with settings adjusted by `adjust`.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    LazyLock::force(&TRACING);
    let (database, database_url) = TestDatabase::create();
    let secret = format!("test-secret-{}", Uuid::new_v4());
    let mut settings = settings_for(&database_url, &secret);
    adjust(&mut settings);
    let app = Application::build(&settings).expect("the application starts");
    let settings = settings.clone();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp { address, database_url, client: reqwest::Client::new(), secret, _database: Some(database), settings }
}

fn settings_for(database_url: &str, secret: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        workers: 2,
        dialects: "community,drf,rgram,anchor".into(),
        cors_origins: None,
        follows_per_hour: 100,
        database: DatabaseSettings {
            url: database_url.to_owned(),
            read_url: None,
            replica_max_lag: std::time::Duration::from_secs(5),
            max_connections: 8,
            writers: None,
        },
        jwt: JwtSettings { secret: Some(secret.to_owned()), ..JwtSettings::default() },
        streams: StreamSettings::default(),
        shutdown_grace_secs: 10,
        push: PushSettings::default(),
        webhooks: WebhookSettings::default(),
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp()).unwrap()
}

/// The response of a call: status and JSON body (`Value::Null` when not JSON).
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The JSON body.
    pub body: Value,
    /// Every response header (snapshots pin `Retry-After`, `Allow`, `WWW-Authenticate`).
    pub headers: reqwest::header::HeaderMap,
    /// The body as sent, for answers that are not JSON.
    pub text: String,
}

impl Reply {
    /// `body.data`.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

impl TestApp {
    /// A second server on the same database and key, as a second instance behind a
    /// load balancer would be.
    pub async fn sibling(&self) -> TestApp {
        let app = Application::build(&self.settings).expect("the sibling starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            database_url: self.database_url.clone(),
            client: reqwest::Client::new(),
            secret: self.secret.clone(),
            _database: None,
            settings: self.settings.clone(),
        }
    }

    /// Any path on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The canonical API's base URL.
    pub fn community(&self, path: &str) -> String {
        format!("{}/api/v1/community{path}", self.address)
    }

    /// Signs claims with the server's secret (HS256).
    pub fn token(&self, claims: &Value) -> String {
        self.token_with(Algorithm::HS256, claims, &EncodingKey::from_secret(self.secret.as_bytes()))
    }

    /// Signs claims with any algorithm and key (for forgeries).
    pub fn token_with(&self, algorithm: Algorithm, claims: &Value, key: &EncodingKey) -> String {
        jsonwebtoken::encode(&Header::new(algorithm), claims, key).unwrap()
    }

    /// Claims for `id`, valid for an hour.
    pub fn claims(id: Uuid, username: &str) -> Value {
        json!({
            "sub": id.to_string(),
            "exp": now_secs() + 3600,
            "iat": now_secs(),
            "username": username,
            "name": format!("{username} Example"),
        })
    }

    /// A new account, provisioned on its first request (made here: its own profile).
    pub async fn user(&self, username: &str) -> TestUser {
        let id = Uuid::now_v7();
        let token = self.token(&Self::claims(id, username));
        let user = TestUser { id, username: username.into(), token };
        let reply = self.call(Method::GET, "/profiles/me", &user, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        user
    }

    /// A new account whose token carries `role: admin`.
    pub async fn admin(&self, username: &str) -> TestUser {
        let id = Uuid::now_v7();
        let mut claims = Self::claims(id, username);
        claims["role"] = json!("admin");
        let user = TestUser { id, username: username.into(), token: self.token(&claims) };
        let reply = self.call(Method::GET, "/profiles/me", &user, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        user
    }

    /// Calls the admin API as `user`.
    pub async fn admin_call(&self, method: Method, path: &str, user: &TestUser, body: Option<Value>) -> Reply {
        let mut request =
            self.client.request(method, format!("{}/api/v1/admin{path}", self.address)).bearer_auth(&user.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request.send().await.unwrap()).await
    }

    /// A webhook endpoint's delivery log, newest first, once `done` holds of it (up to
    /// 20 s); `admin` is an admin token.
    pub async fn deliveries_when(&self, admin: &TestUser, hook: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        for _ in 0..400 {
            let reply = self.admin_call(Method::GET, &format!("/webhooks/{hook}/deliveries"), admin, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            let log = reply.body["deliveries"].as_array().cloned().unwrap_or_default();
            if done(&log) {
                return log;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the delivery log of {hook} never got there");
    }

    /// As [`TestApp::user`], taking the name by value (for `join_all`).
    pub async fn user_owned(&self, username: String) -> TestUser {
        self.user(&username).await
    }

    /// A new private account.
    pub async fn private_user(&self, username: &str) -> TestUser {
        let user = self.user(username).await;
        let reply = self.call(Method::PATCH, "/profiles/me", &user, Some(json!({ "is_private": true }))).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        user
    }

    /// Calls the canonical API as `user`.
    pub async fn call(&self, method: Method, path: &str, user: &TestUser, body: Option<Value>) -> Reply {
        let mut request = self.client.request(method, self.community(path)).bearer_auth(&user.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::reply(request.send().await.unwrap()).await
    }

    /// Sends a prepared request.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        Self::reply(request.send().await.unwrap()).await
    }

    pub async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let content_type =
            response.headers().get(reqwest::header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned());
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply { status, content_type, body, headers, text }
    }

    /// `POST /follow` as the app sends it.
    pub async fn follow(&self, who: &TestUser, target: &TestUser) -> Reply {
        self.call(Method::POST, "/follow", who, Some(json!({ "user_id": target.id }))).await
    }

    /// `DELETE /follow/{id}`.
    pub async fn unfollow(&self, who: &TestUser, target: &TestUser) -> Reply {
        self.call(Method::DELETE, &format!("/follow/{}", target.id), who, None).await
    }

    /// `GET /profiles/{id}` as `viewer`.
    pub async fn profile(&self, viewer: &TestUser, target: &TestUser) -> Value {
        let reply = self.call(Method::GET, &format!("/profiles/{}", target.id), viewer, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
        reply.body["data"].clone()
    }

    /// `(followers_count, following_count)` of `target`.
    pub async fn counts(&self, target: &TestUser) -> (i64, i64) {
        let profile = self.profile(target, target).await;
        (profile["followers_count"].as_i64().unwrap(), profile["following_count"].as_i64().unwrap())
    }

    /// The id of the newest pending request `target` received.
    pub async fn received_request_id(&self, target: &TestUser) -> String {
        let reply = self.call(Method::GET, "/follow-requests/received", target, None).await;
        reply.body["data"]["requests"][0]["id"].as_str().expect("a pending request").to_owned()
    }
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    /// The `id:` line, if any.
    pub id: Option<String>,
    /// The `data:` line, parsed.
    pub data: Value,
}

/// What a stream did next.
#[derive(Debug)]
pub enum Next {
    /// It sent an event.
    Event(SseEvent),
    /// The server ended it.
    Ended,
    /// It stayed open and sent no event.
    Silent,
}

/// An open event stream, read event by event.
pub struct SseStream {
    response: reqwest::Response,
    buffer: String,
    /// Comment lines seen so far (heartbeats).
    pub comments: usize,
    /// The last `id:` seen, with or without data: what an `EventSource` would send as
    /// `Last-Event-ID` when it reconnects.
    pub last_id: Option<String>,
}

impl SseStream {
    /// Opens `path` on the canonical API with the given request tweaks.
    pub async fn open(request: reqwest::RequestBuilder) -> Result<Self, Reply> {
        let response = request.header("Accept", "text/event-stream").send().await.unwrap();
        if response.status() != StatusCode::OK {
            return Err(TestApp::reply(response).await);
        }
        assert_eq!(response.headers()[reqwest::header::CONTENT_TYPE], "text/event-stream");
        Ok(Self { response, buffer: String::new(), comments: 0, last_id: None })
    }

    /// The next event, or `None` when none arrives within `wait` (or the stream ends).
    pub async fn next_within(&mut self, wait: std::time::Duration) -> Option<SseEvent> {
        match self.next_or_end(wait).await {
            Next::Event(event) => Some(event),
            Next::Ended | Next::Silent => None,
        }
    }

    /// The next event, or whether the stream ended or stayed silent for `wait`.
    pub async fn next_or_end(&mut self, wait: std::time::Duration) -> Next {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut data) = (None, None);
                for line in block.lines() {
                    if let Some(rest) = line.strip_prefix("id:") {
                        id = Some(rest.trim().to_owned());
                        self.last_id = id.clone();
                    } else if let Some(rest) = line.strip_prefix("data:") {
                        data = Some(serde_json::from_str(rest.trim()).expect("data lines are JSON"));
                    } else if line.starts_with(':') {
                        self.comments += 1;
                    } else if line.starts_with("event:") {
                        panic!("no event: lines, so EventSource.onmessage sees every event");
                    }
                }
                match data {
                    Some(data) => return Next::Event(SseEvent { id, data }),
                    None => continue,
                }
            }
            match tokio::time::timeout_at(deadline, self.response.chunk()).await {
                Err(_) => return Next::Silent,
                Ok(Ok(Some(chunk))) => self.buffer.push_str(std::str::from_utf8(&chunk).unwrap()),
                Ok(Ok(None) | Err(_)) => return Next::Ended,
            }
        }
    }

    /// The next event, within a second, of the given `type`, skipping others.
    pub async fn expect(&mut self, kind: &str) -> SseEvent {
        loop {
            let event =
                self.next_within(std::time::Duration::from_secs(2)).await.unwrap_or_else(|| panic!("no {kind} event"));
            if event.data["type"] == kind {
                return event;
            }
        }
    }
}

impl TestApp {
    /// Opens `user`'s notification stream with a bearer header.
    pub async fn stream(&self, user: &TestUser) -> SseStream {
        let request = self.client.get(self.community("/notifications/stream")).bearer_auth(&user.token);
        SseStream::open(request).await.expect("the stream opens")
    }
}
