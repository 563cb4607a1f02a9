//! Crash safety and several instances: a write load, the server killed with SIGKILL in
//! the middle of it, a restart, and then `rookery check` clean, every acknowledged
//! change present, nothing half-applied. With `ROOKERY_TEST_DATABASE=postgres`, also
//! two instances on one PostgreSQL under conflicting load.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/test_db.rs"]
mod test_db;
use test_db::Db;

const SECRET: &str = "crash-test-secret-of-at-least-32-bytes";
const BIN: &str = env!("CARGO_BIN_EXE_rookery");

impl Db {
    fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }
}

struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(db: &Db) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .env("DATABASE_URL", &db.url)
            .env("ROOKERY_JWT_SECRET", SECRET)
            .env("ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return Self { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the server did not come up");
    }

    fn kill(mut self) {
        // SIGKILL: no shutdown hook runs, in-flight transactions are cut off.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

fn token(db: &Db, id: uuid::Uuid) -> String {
    let out = Command::new(BIN)
        .args(["token", &id.to_string(), "--provision"])
        .env("DATABASE_URL", &db.url)
        .env("ROOKERY_JWT_SECRET", SECRET)
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn check(db: &Db) -> (bool, String) {
    let out = Command::new(BIN).arg("check").env("DATABASE_URL", &db.url).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

struct Account {
    id: uuid::Uuid,
    token: String,
}

async fn accounts(db: &Db, server: &Server, n: usize) -> Vec<Account> {
    let client = reqwest::Client::new();
    let mut list = Vec::new();
    for _ in 0..n {
        let id = uuid::Uuid::now_v7();
        let token = token(db, id);
        let reply = client
            .get(format!("{}/api/v1/community/profiles/me", server.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert!(reply.status().is_success());
        list.push(Account { id, token });
    }
    list
}

/// What the clients were told: per (follower, followee), the last acknowledged state,
/// or `None` when a request was cut off and its outcome is unknown.
type Acknowledged = Arc<Mutex<HashMap<(usize, usize), Option<bool>>>>;

async fn churn(
    base: String,
    accounts: Arc<Vec<Account>>,
    pairs: Vec<(usize, usize)>,
    acks: Acknowledged,
    stop: Instant,
) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
    let mut round = 0usize;
    while Instant::now() < stop {
        for &(a, b) in &pairs {
            let follow = round % 2 == 0;
            acks.lock().unwrap().insert((a, b), None);
            let request = if follow {
                client.post(format!("{base}/api/v1/community/follow")).json(&json!({ "user_id": accounts[b].id }))
            } else {
                client.delete(format!("{base}/api/v1/community/follow/{}", accounts[b].id))
            };
            match request.bearer_auth(&accounts[a].token).send().await {
                Ok(reply) if reply.status().is_success() => {
                    acks.lock().unwrap().insert((a, b), Some(follow));
                }
                // Refused, cut off or killed: the outcome stays unknown.
                _ => return,
            }
        }
        round += 1;
    }
}

async fn following(base: &str, accounts: &[Account], a: usize, b: usize) -> bool {
    let reply: Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/community/follow/status/{}", accounts[b].id))
        .bearer_auth(&accounts[a].token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["data"]["is_following"].as_bool().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_nothing_acknowledged() {
    let db = Db::new("crash");
    let server = Server::start(&db).await;
    let accounts = Arc::new(accounts(&db, &server, 12).await);
    let acks: Acknowledged = Arc::default();
    // Eight clients, each with its own pairs, so each pair's acknowledged order is known.
    let mut tasks = Vec::new();
    let stop = Instant::now() + Duration::from_secs(30);
    for worker in 0..8 {
        let pairs: Vec<(usize, usize)> = (0..12).filter(|b| *b != worker).map(|b| (worker, b)).collect();
        tasks.push(tokio::spawn(churn(server.base.clone(), Arc::clone(&accounts), pairs, Arc::clone(&acks), stop)));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill();
    for task in tasks {
        task.await.unwrap();
    }

    let (clean, report) = check(&db);
    assert!(clean, "rookery check after SIGKILL:\n{report}");
    let server = Server::start(&db).await;
    let acks = acks.lock().unwrap().clone();
    let known: Vec<_> = acks.iter().filter_map(|(pair, state)| state.map(|s| (*pair, s))).collect();
    assert!(known.len() > 20, "the load ran: {} acknowledged pairs", known.len());
    for ((a, b), expected) in known {
        assert_eq!(following(&server.base, &accounts, a, b).await, expected, "pair {a} -> {b}");
    }
    server.kill();
    let (clean, report) = check(&db);
    assert!(clean, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn two_instances_under_conflicting_load_stay_consistent() {
    let db = Db::new("crash");
    assert!(
        db.is_postgres(),
        "run with ROOKERY_TEST_DATABASE=postgres: Several instances share a PostgreSQL; SQLite has one serving process."
    );
    let (first, second) = (Server::start(&db).await, Server::start(&db).await);
    let accounts = Arc::new(accounts(&db, &first, 6).await);
    // Accounts 0 and 1 are private, so follows become requests that others answer.
    for private in &accounts[..2] {
        reqwest::Client::new()
            .patch(format!("{}/api/v1/community/profiles/me", first.base))
            .bearer_auth(&private.token)
            .json(&json!({ "is_private": true }))
            .send()
            .await
            .unwrap();
    }
    let stop = Instant::now() + Duration::from_secs(4);
    let mut tasks = Vec::new();
    for (n, base) in
        [first.base.clone(), second.base.clone(), first.base.clone(), second.base.clone()].into_iter().enumerate()
    {
        let accounts = Arc::clone(&accounts);
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = n;
            while Instant::now() < stop {
                i = i.wrapping_mul(31).wrapping_add(7);
                let (a, b) = (i % 6, (i / 6) % 6);
                if a == b {
                    continue;
                }
                let target = accounts[b].id;
                let request = match i % 5 {
                    0 | 1 => client.post(format!("{base}/api/v1/community/follow")).json(&json!({ "user_id": target })),
                    2 => client.delete(format!("{base}/api/v1/community/follow/{target}")),
                    3 => client.delete(format!("{base}/api/v1/community/follow-requests/cancel/{target}")),
                    _ => {
                        // The target accepts whatever is pending for it.
                        let list: Value = client
                            .get(format!("{base}/api/v1/community/follow-requests/received"))
                            .bearer_auth(&accounts[b].token)
                            .send()
                            .await
                            .unwrap()
                            .json()
                            .await
                            .unwrap();
                        for request in list["data"]["requests"].as_array().into_iter().flatten() {
                            let id = request["id"].as_str().unwrap();
                            let reply = client
                                .post(format!("{base}/api/v1/community/follow-requests/accept/{id}"))
                                .bearer_auth(&accounts[b].token)
                                .send()
                                .await
                                .unwrap();
                            assert!(reply.status().as_u16() < 500, "accept answered {}", reply.status());
                        }
                        continue;
                    }
                };
                let reply = request.bearer_auth(&accounts[a].token).send().await.unwrap();
                assert!(reply.status().as_u16() < 500, "answered {}", reply.status());
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    first.kill();
    second.kill();
    let (clean, report) = check(&db);
    assert!(clean, "rookery check after two instances:\n{report}");
}
