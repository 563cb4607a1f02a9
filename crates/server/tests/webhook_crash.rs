//! Deliveries across a crash and a deploy (issue 24), with the receiver holding a
//! delivery's request unanswered: killed with SIGKILL, the server sends it again after
//! a restart, with the same `webhook-id`, once its lease lapses (at least once);
//! stopped with SIGTERM, it waits for the answer and records it, and the next server
//! sends nothing again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/test_db.rs"]
mod test_db;
use test_db::Db;

const SECRET: &str = "webhook-crash-secret-of-at-least-32-bytes";
const BIN: &str = env!("CARGO_BIN_EXE_rookery");

/// A receiver on a plain socket: records each request's `webhook-id`; a request that
/// comes while `hang` is set is held unanswered (the connection open) until `hang` is
/// cleared, then answered 200 like every later one.
struct Receiver {
    url: String,
    ids: Arc<Mutex<Vec<String>>>,
    hang: Arc<AtomicBool>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://127.0.0.1:{}/hook", listener.local_addr().unwrap().port());
        let (ids, hang) = (Arc::new(Mutex::new(Vec::new())), Arc::new(AtomicBool::new(true)));
        let (seen, hanging) = (Arc::clone(&ids), Arc::clone(&hang));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if let Some(id) = read_request(&mut stream) {
                    seen.lock().unwrap().push(id);
                }
                let hanging = Arc::clone(&hanging);
                std::thread::spawn(move || {
                    while hanging.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    // The sender may be gone (killed): nothing to answer then.
                    let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                });
            }
        });
        Self { url, ids, hang }
    }

    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }

    fn wait_for(&self, n: usize, within: Duration) -> Vec<String> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.ids().len() >= n {
                return self.ids();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the receiver got {:?}, not {n} requests", self.ids());
    }
}

/// Reads one request's head and body; answers its `webhook-id`.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut data = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let header = |name: &str| {
                head.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
                })
            };
            let length: usize = header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            if data.len() >= end + 4 + length {
                return header("webhook-id");
            }
        }
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(db: &Db) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .env("DATABASE_URL", &db.url)
            .env("ROOKERY_JWT_SECRET", SECRET)
            .env("ROOKERY_WEBHOOK_ALLOW_PRIVATE", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::blocking_get_ok(&format!("{base}/readyz")) {
                return Self { child, base };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not come up");
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Blocking helpers over reqwest's async client, on a runtime of their own.
mod reqwest {
    pub use ::reqwest::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
    }

    pub fn blocking_get_ok(url: &str) -> bool {
        runtime().block_on(async { Client::new().get(url).send().await.is_ok_and(|r| r.status().is_success()) })
    }

    pub fn call(
        method: Method,
        url: &str,
        token: &str,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        runtime().block_on(async {
            let mut request = Client::new().request(method, url).bearer_auth(token);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let reply = request.send().await.unwrap();
            let status = reply.status();
            (status, reply.json().await.unwrap_or(serde_json::Value::Null))
        })
    }
}

fn token(db: &Db, id: uuid::Uuid, admin: bool) -> String {
    // A username of its own: ids made in one millisecond share their first digits.
    let username = format!("u{}", &id.simple().to_string()[20..]);
    let mut args =
        vec!["token".to_owned(), id.to_string(), "--provision".to_owned(), "--username".to_owned(), username];
    if admin {
        args.push("--admin".into());
    }
    let out =
        Command::new(BIN).args(&args).env("DATABASE_URL", &db.url).env("ROOKERY_JWT_SECRET", SECRET).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A server on `db` with an endpoint on `receiver` for follows, and one follow made:
/// answers the server, an admin token and the endpoint's id.
fn server_with_a_delivery(db: &Db, receiver: &Receiver) -> (Server, String, String) {
    let server = Server::start(db);
    let admin = token(db, uuid::Uuid::now_v7(), true);
    let (a, b) = (uuid::Uuid::now_v7(), uuid::Uuid::now_v7());
    let (token_a, token_b) = (token(db, a, false), token(db, b, false));
    for t in [&token_a, &token_b] {
        let (status, _) =
            reqwest::call(reqwest::Method::GET, &format!("{}/api/v1/community/profiles/me", server.base), t, None);
        assert!(status.is_success(), "{status}");
    }
    let body = json!({ "url": receiver.url, "events": ["follow.created"] });
    let (status, hook) =
        reqwest::call(reqwest::Method::POST, &format!("{}/api/v1/admin/webhooks", server.base), &admin, Some(body));
    assert_eq!(status, 201, "{hook}");
    let follow = json!({ "user_id": b });
    let (status, _) = reqwest::call(
        reqwest::Method::POST,
        &format!("{}/api/v1/community/follow", server.base),
        &token_a,
        Some(follow),
    );
    assert!(status.is_success());
    (server, admin, hook["id"].as_str().unwrap().to_owned())
}

/// The endpoint's delivery log.
fn deliveries(server: &Server, admin: &str, hook: &str) -> Value {
    let url = format!("{}/api/v1/admin/webhooks/{hook}/deliveries", server.base);
    reqwest::call(reqwest::Method::GET, &url, admin, None).1
}

#[test]
fn sigkill_mid_delivery_redelivers_after_restart() {
    let db = Db::new("hookcrash");
    let receiver = Receiver::start();
    let (server, admin, id) = server_with_a_delivery(&db, &receiver);

    // The delivery is in flight, unanswered: kill the server now.
    let first = receiver.wait_for(1, Duration::from_secs(20));
    server.kill();
    receiver.hang.store(false, Ordering::SeqCst);
    let server = Server::start(&db);
    let again = receiver.wait_for(2, Duration::from_secs(60));
    assert_eq!(again[1], first[0], "the same event again (receivers dedupe on webhook-id)");

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = deliveries(&server, &admin, &id);
        if log["deliveries"][0]["status"] == "delivered" {
            assert_eq!(log["deliveries"].as_array().unwrap().len(), 1);
            break;
        }
        assert!(Instant::now() < deadline, "the delivery is logged delivered: {log}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A deploy is a SIGTERM: the server stops taking work, but the delivery it is sending
/// lands and is recorded before it exits, so the next one sends nothing twice (and
/// nothing waits for a lease to lapse).
#[test]
fn sigterm_mid_delivery_lets_it_land_and_records_it() {
    let db = Db::new("hookterm");
    let receiver = Receiver::start();
    let (mut server, admin, id) = server_with_a_delivery(&db, &receiver);

    let first = receiver.wait_for(1, Duration::from_secs(20));
    let pid = server.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // Still in flight after the signal: the server waits for it.
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.child.try_wait().unwrap().is_none(), "the server waits for the delivery in flight");
    receiver.hang.store(false, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the server exits once the delivery landed");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{exit:?}");

    let server = Server::start(&db);
    let log = deliveries(&server, &admin, &id);
    let logged = log["deliveries"].as_array().unwrap();
    assert_eq!(logged.len(), 1, "{log}");
    assert_eq!(logged[0]["status"], "delivered", "recorded before the exit: {log}");
    assert_eq!(logged[0]["attempts"], 1, "{log}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(receiver.ids(), first, "nothing sent again");
}
