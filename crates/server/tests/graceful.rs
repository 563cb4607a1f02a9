//! SIGTERM keeps its word: every request already received is answered (its change
//! committed) before the process exits 0, and a closed log pipe stops nothing. With
//! `ROOKERY_TEST_DATABASE=postgres`, on PostgreSQL as well as SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::json;

#[path = "support/test_db.rs"]
mod test_db;
use test_db::Db;

const SECRET: &str = "graceful-test-secret-of-at-least-32-bytes";
const BIN: &str = env!("CARGO_BIN_EXE_rookery");

impl Db {
    /// Holds the lock every follow needs until `release` says so: SQLite's write lock,
    /// or the follow tables on PostgreSQL. Returns once it is held.
    fn hold_lock(&self, release: mpsc::Receiver<()>) -> std::thread::JoinHandle<()> {
        let (held, acquired) = mpsc::channel();
        let (url, postgres) = (self.url.clone(), self.pg.is_some());
        let holder = std::thread::spawn(move || {
            if postgres {
                let mut conn = diesel::PgConnection::establish(&url).unwrap();
                conn.batch_execute("BEGIN; LOCK TABLE follows, follow_quota IN ACCESS EXCLUSIVE MODE").unwrap();
                held.send(()).unwrap();
                let _ = release.recv();
                conn.batch_execute("COMMIT").unwrap();
            } else {
                let path = url.trim_start_matches("sqlite://");
                let mut conn = diesel::SqliteConnection::establish(path).unwrap();
                conn.batch_execute("BEGIN IMMEDIATE").unwrap();
                held.send(()).unwrap();
                let _ = release.recv();
                conn.batch_execute("COMMIT").unwrap();
            }
        });
        acquired.recv().unwrap();
        holder
    }
}

fn serve(db: &Db, stderr: Stdio) -> (Child, String) {
    serve_with(db, stderr, "10")
}

fn serve_with(db: &Db, stderr: Stdio, grace_secs: &str) -> (Child, String) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(BIN)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
        .env("ROOKERY_SHUTDOWN_GRACE_SECS", grace_secs)
        .env("DATABASE_URL", &db.url)
        .env("ROOKERY_JWT_SECRET", SECRET)
        .env("ROOKERY_LOG", "info")
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"))
}

async fn wait_ready(base: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

fn token(id: uuid::Uuid) -> String {
    let exp = chrono::Utc::now().timestamp() + 3600;
    let claims = json!({ "sub": id.to_string(), "exp": exp, "username": format!("u{}", id.simple()) });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

async fn provision(base: &str, n: usize) -> Vec<(uuid::Uuid, String)> {
    let client = reqwest::Client::new();
    let mut accounts = Vec::new();
    for _ in 0..n {
        let id = uuid::Uuid::now_v7();
        let token = token(id);
        let reply =
            client.get(format!("{base}/api/v1/community/profiles/me")).bearer_auth(&token).send().await.unwrap();
        assert!(reply.status().is_success());
        accounts.push((id, token));
    }
    accounts
}

fn sigterm(child: &Child) {
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
}

/// Waits for the process to exit, at most `limit`.
fn exit_within(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the server counts at least `n` requests in flight besides the
/// `/metrics` request asking.
async fn wait_in_flight(base: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(format!("{base}/metrics")).await.unwrap().text().await.unwrap();
        let count = text
            .lines()
            .find_map(|line| line.strip_prefix("rookery_http_requests_in_flight "))
            .and_then(|v| v.trim().parse::<usize>().ok())
            .expect("the in-flight gauge");
        if count > n {
            return;
        }
        assert!(Instant::now() < deadline, "only {count} requests in flight after 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_answers_every_request_in_flight() {
    let db = Db::new("graceful");
    let (mut server, base) = serve(&db, Stdio::null());
    wait_ready(&base).await;
    let accounts = provision(&base, 21).await;
    let target = accounts[0].0;

    // Twenty follows wait behind a lock when SIGTERM arrives; it is released a second
    // later, well within the grace period.
    let (release, released) = mpsc::channel();
    let holder = db.hold_lock(released);
    let follows: Vec<_> = accounts[1..]
        .iter()
        .map(|(_, token)| {
            let (base, token) = (base.clone(), token.clone());
            tokio::spawn(async move {
                // A client of its own: a connection per request, as separate apps would.
                reqwest::Client::new()
                    .post(format!("{base}/api/v1/community/follow"))
                    .bearer_auth(token)
                    .json(&json!({ "user_id": target }))
                    .send()
                    .await
                    .map(|reply| reply.status().as_u16())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    // Every request has reached the server (a connection not yet accepted when SIGTERM
    // comes is refused, and that is right, so the test waits for all twenty).
    wait_in_flight(&base, follows.len()).await;
    let signalled = Instant::now();
    sigterm(&server);
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Still serving those it received; refusing new connections is fine.
    release.send(()).unwrap();
    holder.join().unwrap();
    for follow in follows {
        assert_eq!(follow.await.unwrap(), Ok(200), "every follow in flight is answered");
    }
    let status = tokio::task::spawn_blocking(move || exit_within(&mut server, Duration::from_secs(10))).await.unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(signalled.elapsed() < Duration::from_secs(8), "took {:?}", signalled.elapsed());

    let check = Command::new(BIN).arg("check").env("DATABASE_URL", &db.url).output().unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}");
    assert!(report.contains("and 20 follow edges"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_log_pipe_stops_neither_requests_nor_sigterm() {
    let db = Db::new("graceful");
    let (mut server, base) = serve(&db, Stdio::piped());
    // Read the first bytes of the log, then close the pipe, as `| head -3` does.
    let mut log = server.stderr.take().unwrap();
    let mut first = [0u8; 16];
    log.read_exact(&mut first).unwrap();
    drop(log);
    wait_ready(&base).await;

    let client = reqwest::Client::new();
    for _ in 0..50 {
        let reply = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(reply.status(), 200);
    }
    // Lines are dropped by the log writer thread as it meets the closed pipe: wait for
    // it to have met them all.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let metrics = client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        let dropped: f64 = metrics
            .lines()
            .find_map(|line| line.strip_prefix("rookery_log_lines_dropped "))
            .expect("the dropped lines are counted")
            .parse()
            .unwrap();
        if dropped >= 50.0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{dropped} lines dropped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    sigterm(&server);
    let status = tokio::task::spawn_blocking(move || exit_within(&mut server, Duration::from_secs(5))).await.unwrap();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_grace_period_is_configurable_and_bounds_the_wait() {
    let db = Db::new("graceful");
    let (mut server, base) = serve_with(&db, Stdio::null(), "1");
    wait_ready(&base).await;
    let accounts = provision(&base, 2).await;
    let (release, released) = mpsc::channel();
    let holder = db.hold_lock(released);
    let (target, token) = (accounts[0].0, accounts[1].1.clone());
    let stuck = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/community/follow"))
            .bearer_auth(token)
            .json(&json!({ "user_id": target }))
            .send()
            .await
            .map(|reply| reply.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled = Instant::now();
    sigterm(&server);
    let status = tokio::task::spawn_blocking(move || exit_within(&mut server, Duration::from_secs(5))).await.unwrap();
    let waited = signalled.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "waited {waited:?}");
    // Past the grace the request is cut off, never answered as if it had failed.
    assert!(!matches!(stuck.await.unwrap(), Ok(status) if status != 200));
    release.send(()).unwrap();
    holder.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_pipe_nobody_reads_stops_nothing() {
    let db = Db::new("graceful");
    // stderr is a pipe that is never read: it fills after a few hundred lines.
    let (mut server, base) = serve(&db, Stdio::piped());
    let _unread = server.stderr.take().unwrap();
    wait_ready(&base).await;
    let client = reqwest::Client::new();
    let started = Instant::now();
    for _ in 0..2000 {
        let reply = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(reply.status(), 200);
    }
    assert!(started.elapsed() < Duration::from_secs(30), "took {:?}", started.elapsed());
    sigterm(&server);
    let status = tokio::task::spawn_blocking(move || exit_within(&mut server, Duration::from_secs(5))).await.unwrap();
    assert!(status.success(), "exit status {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_signal_cuts_the_wait_short() {
    let db = Db::new("graceful");
    let (mut server, base) = serve(&db, Stdio::null());
    wait_ready(&base).await;
    let accounts = provision(&base, 2).await;
    let (release, released) = mpsc::channel();
    let holder = db.hold_lock(released);
    let (target, token) = (accounts[0].0, accounts[1].1.clone());
    let stuck = tokio::spawn(async move {
        reqwest::Client::new()
            .post(format!("{base}/api/v1/community/follow"))
            .bearer_auth(token)
            .json(&json!({ "user_id": target }))
            .send()
            .await
            .map(|reply| reply.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    sigterm(&server);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = Instant::now();
    assert!(Command::new("kill").args(["-INT", &server.id().to_string()]).status().unwrap().success());
    let status = tokio::task::spawn_blocking(move || exit_within(&mut server, Duration::from_secs(5))).await.unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(again.elapsed() < Duration::from_secs(2), "took {:?} after the second signal", again.elapsed());
    assert!(!matches!(stuck.await.unwrap(), Ok(status) if status != 200));
    release.send(()).unwrap();
    holder.join().unwrap();
}
