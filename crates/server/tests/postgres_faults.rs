//! Two instances on a PostgreSQL that has its backends terminated, restarts, and goes
//! down for a while, all under load: no 500, every acknowledged change present, counts
//! exact (`rookery check` clean), and every acknowledged follow reaches the stream held
//! open on the other instance (delivered live, or replayed after the stream ended).
//!
//! Runs with `ROOKERY_TEST_DATABASE=postgres` (`make test-postgres`) on a private
//! cluster started by `scripts/private-postgres.sh`, never on the shared server; it
//! fails, saying why, when PostgreSQL's server binaries are missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

const SECRET: &str = "postgres-faults-secret-of-at-least-32-bytes";
const BIN: &str = env!("CARGO_BIN_EXE_rookery");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/private-postgres.sh");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A private cluster, destroyed on drop.
struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
}

impl Cluster {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The cluster runs as `postgres` when the tests run as root: let it in.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cluster = Self { dir, port: free_port() };
        cluster.run(&["start", &cluster.port.to_string()]);
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("cluster").display().to_string()
    }

    fn run(&self, args: &[&str]) {
        let (command, rest) = args.split_first().unwrap();
        let out = Command::new("bash").arg(SCRIPT).arg(command).arg(self.data()).args(rest).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/private-postgres.sh {command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }

    /// Ends every client connection, as `pg_terminate_backend` from an operator would.
    fn terminate_backends(&self) {
        let mut admin = diesel::PgConnection::establish(&self.url()).unwrap();
        admin
            .batch_execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'",
            )
            .unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(SCRIPT).arg("destroy").arg(self.data()).status();
    }
}

struct Instance {
    child: Child,
    base: String,
}

impl Instance {
    async fn start(url: &str) -> Self {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .env("DATABASE_URL", url)
            .env("ROOKERY_JWT_SECRET", SECRET)
            .env("ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR", "0")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if reqwest::get(format!("{base}/readyz")).await.is_ok_and(|r| r.status().is_success()) {
                return Self { child, base };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the instance did not come up");
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn token(id: uuid::Uuid) -> String {
    let exp = chrono::Utc::now().timestamp() + 3600;
    let claims = json!({ "sub": id.to_string(), "exp": exp, "username": format!("u{}", id.simple()) });
    let key = jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

#[derive(Clone)]
struct Account {
    id: uuid::Uuid,
    token: String,
}

async fn provision(base: &str, n: usize) -> Vec<Account> {
    let client = reqwest::Client::new();
    let mut accounts = Vec::new();
    for _ in 0..n {
        let id = uuid::Uuid::now_v7();
        let token = token(id);
        let reply =
            client.get(format!("{base}/api/v1/community/profiles/me")).bearer_auth(&token).send().await.unwrap();
        assert!(reply.status().is_success());
        accounts.push(Account { id, token });
    }
    accounts
}

/// What the run saw: answers 500 and up other than 503, and the acknowledged state of
/// each pair (`None` while an outcome is unknown: cut off, or 503).
#[derive(Default)]
struct Seen {
    server_errors: Mutex<Vec<String>>,
    pairs: Mutex<HashMap<(usize, usize), Option<bool>>>,
    acknowledged_fans: Mutex<HashSet<String>>,
    answered: AtomicUsize,
}

impl Seen {
    fn check(&self, what: &str, status: u16) {
        if status >= 500 && status != 503 {
            self.server_errors.lock().unwrap().push(format!("{what}: {status}"));
        }
    }
}

/// Follows and unfollows among `accounts`, through both instances in turn.
async fn churn(bases: Vec<String>, accounts: Arc<Vec<Account>>, me: usize, seen: Arc<Seen>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) {
        for other in (0..accounts.len()).filter(|o| *o != me) {
            let follow = round % 2 == 0;
            let base = &bases[(round + other) % bases.len()];
            seen.pairs.lock().unwrap().insert((me, other), None);
            let request = if follow {
                client.post(format!("{base}/api/v1/community/follow")).json(&json!({ "user_id": accounts[other].id }))
            } else {
                client.delete(format!("{base}/api/v1/community/follow/{}", accounts[other].id))
            };
            match request.bearer_auth(&accounts[me].token).send().await {
                Ok(reply) => {
                    let status = reply.status().as_u16();
                    seen.check("churn", status);
                    if status == 200 {
                        seen.pairs.lock().unwrap().insert((me, other), Some(follow));
                        seen.answered.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        round += 1;
    }
}

/// Fans follow the star one after another through the first instance.
async fn fans_follow(base: String, star: Account, fans: Vec<Account>, seen: Arc<Seen>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();
    for fan in fans {
        let reply = client
            .post(format!("{base}/api/v1/community/follow"))
            .bearer_auth(&fan.token)
            .json(&json!({ "user_id": star.id }))
            .send()
            .await;
        if let Ok(reply) = reply {
            let status = reply.status().as_u16();
            seen.check("fan", status);
            if status == 200 {
                seen.acknowledged_fans.lock().unwrap().insert(fan.id.to_string());
            }
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Holds the star's stream open on `base`, as a client would: when it ends, reconnects
/// with `Last-Event-ID`. Returns the actors of the follow events received.
async fn watch(base: String, star: Account, first_event: Arc<AtomicBool>, stop: Arc<AtomicBool>) -> HashSet<String> {
    let client = reqwest::Client::new();
    let mut actors = HashSet::new();
    let mut last_id: Option<String> = None;
    while !stop.load(Ordering::Relaxed) {
        let mut request = client.get(format!("{base}/api/v1/community/notifications/stream")).bearer_auth(&star.token);
        if let Some(id) = &last_id {
            request = request.header("Last-Event-ID", id);
        }
        let Ok(mut response) = request.send().await else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        if response.status() != 200 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        let mut buffer = String::new();
        loop {
            let chunk = tokio::time::timeout(Duration::from_millis(200), response.chunk()).await;
            match chunk {
                Err(_) if stop.load(Ordering::Relaxed) => return actors,
                Err(_) => continue,
                Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
                Ok(Ok(None) | Err(_)) => break,
            }
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                let mut data: Option<Value> = None;
                for line in block.lines() {
                    if let Some(id) = line.strip_prefix("id:") {
                        last_id = Some(id.trim().to_owned());
                    } else if let Some(rest) = line.strip_prefix("data:") {
                        data = serde_json::from_str(rest.trim()).ok();
                    }
                }
                if let Some(data) = data
                    && data["type"] == "follow"
                {
                    actors.insert(data["actor"]["id"].as_str().unwrap_or_default().to_owned());
                    first_event.store(true, Ordering::Relaxed);
                }
            }
        }
    }
    actors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "PostgreSQL only: `make test-postgres` runs it"]
async fn restarts_and_terminated_backends_lose_nothing() {
    let cluster = Cluster::start();
    let url = cluster.url();
    let first = Instance::start(&url).await;
    let second = Instance::start(&url).await;
    let bases = vec![first.base.clone(), second.base.clone()];
    let accounts = Arc::new(provision(&first.base, 6).await);
    let star = provision(&first.base, 1).await.remove(0);
    let fans = provision(&first.base, 40).await;
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));

    // The star's stream on the second instance has an event (so an id) before faults.
    let got_first = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(second.base.clone(), star.clone(), Arc::clone(&got_first), Arc::clone(&stop)));
    tokio::time::sleep(Duration::from_millis(300)).await;
    fans_follow(first.base.clone(), star.clone(), fans[..1].to_vec(), Arc::clone(&seen)).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while !got_first.load(Ordering::Relaxed) {
        assert!(Instant::now() < deadline, "the first follow reached the stream");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut load = Vec::new();
    for me in 0..accounts.len() {
        load.push(tokio::spawn(churn(bases.clone(), Arc::clone(&accounts), me, Arc::clone(&seen), Arc::clone(&stop))));
    }
    let fan_task = tokio::spawn(fans_follow(first.base.clone(), star.clone(), fans[1..].to_vec(), Arc::clone(&seen)));

    tokio::time::sleep(Duration::from_millis(800)).await;
    cluster.terminate_backends();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    cluster.run(&["restart"]);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    cluster.terminate_backends();
    tokio::time::sleep(Duration::from_millis(800)).await;
    cluster.run(&["stop"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.run(&["start", &cluster.port.to_string()]);
    fan_task.await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    // Live deliveries in flight arrive; nothing is replayed to an open stream.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let delivered = watcher.await.unwrap();

    let errors = seen.server_errors.lock().unwrap().clone();
    assert!(errors.is_empty(), "answers other than 503 for a lost database: {errors:?}");
    assert!(seen.answered.load(Ordering::Relaxed) > 20, "the load ran");
    let fans_acked = seen.acknowledged_fans.lock().unwrap().clone();
    assert!(fans_acked.len() > 10, "fans were acknowledged: {}", fans_acked.len());
    let missed: Vec<_> = fans_acked.difference(&delivered).collect();
    assert!(missed.is_empty(), "acknowledged follows the star's stream never showed: {missed:?}");

    let client = reqwest::Client::new();
    let pairs = seen.pairs.lock().unwrap().clone();
    for ((me, other), state) in pairs {
        let Some(following) = state else { continue };
        let status: Value = client
            .get(format!("{}/api/v1/community/follow/status/{}", first.base, accounts[other].id))
            .bearer_auth(&accounts[me].token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["data"]["is_following"], following, "pair {me} -> {other}");
    }
    drop((first, second));
    let check = Command::new(BIN).arg("check").env("DATABASE_URL", &url).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}
