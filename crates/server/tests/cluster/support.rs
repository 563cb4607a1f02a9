//! A private primary with streaming standbys (scripts/pg-cluster.sh), `rookery serve`
//! instances on it, and the accounts and calls the tests make.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{Value, json};

pub const SECRET: &str = "cluster-tests-secret-of-at-least-32-bytes!";
pub const BIN: &str = env!("CARGO_BIN_EXE_rookery");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster.sh");

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Whether PostgreSQL's server binaries are here; when not, says so on stderr (the
/// test then passes without running: the Makefile says so too).
pub fn binaries_or_skip(test: &str) -> bool {
    let ok = Command::new("bash").arg(SCRIPT).arg("available").status().is_ok_and(|s| s.success());
    if !ok {
        eprintln!("SKIPPED {test}: no PostgreSQL server binaries (initdb, pg_basebackup); set PG_BIN");
    }
    ok
}

/// A primary and its standbys, destroyed on drop (also when the test fails).
pub struct Cluster {
    dir: tempfile::TempDir,
    pub primary: u16,
    pub replicas: Vec<u16>,
}

impl Cluster {
    /// A primary and `replicas` streaming standbys; `sync` makes them synchronous.
    pub fn start(replicas: usize, sync: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        // The nodes run as `postgres` when the tests run as root: let them in.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let cluster = Self { dir, primary: free_port(), replicas: (0..replicas).map(|_| free_port()).collect() };
        let mut args = vec![if sync { "1" } else { "0" }.to_owned(), cluster.primary.to_string()];
        args.extend(cluster.replicas.iter().map(ToString::to_string));
        cluster.run("start", &args.iter().map(String::as_str).collect::<Vec<_>>());
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("cluster").display().to_string()
    }

    /// Runs `scripts/pg-cluster.sh COMMAND DIR ARGS...`.
    pub fn run(&self, command: &str, args: &[&str]) {
        let out = Command::new("bash").arg(SCRIPT).arg(command).arg(self.data()).args(args).output().unwrap();
        assert!(
            out.status.success(),
            "scripts/pg-cluster.sh {command}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn url(port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable")
    }

    pub fn primary_url(&self) -> String {
        Self::url(self.primary)
    }

    /// The replicas' URLs, as `ROOKERY_READ_DATABASE_URL` takes them.
    pub fn read_urls(&self) -> String {
        self.replicas.iter().map(|port| Self::url(*port)).collect::<Vec<_>>().join(",")
    }

    /// Runs `sql` on the node at `port`.
    pub fn sql(port: u16, sql: &str) {
        let mut conn = PgConnection::establish(&Self::url(port)).unwrap();
        conn.batch_execute(sql).unwrap();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(SCRIPT).arg("destroy").arg(self.data()).status();
    }
}

/// A `rookery serve` process, killed on drop.
pub struct Instance {
    child: Child,
    pub base: String,
}

impl Instance {
    /// Serves on `url`, with `env` besides.
    pub async fn start(url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--workers", "2"])
            .env("DATABASE_URL", url)
            .env("ROOKERY_JWT_SECRET", SECRET)
            .env("ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR", "0")
            .env_remove("ROOKERY_READ_DATABASE_URL")
            .envs(env.iter().copied())
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

    /// `/readyz`'s replicas.
    pub async fn replicas(&self) -> Vec<Value> {
        let ready: Value = reqwest::get(format!("{}/readyz", self.base)).await.unwrap().json().await.unwrap();
        ready["replicas"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until `/readyz`'s replicas satisfy `condition`.
    pub async fn wait_replicas(&self, what: &str, condition: impl Fn(&[Value]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let replicas = self.replicas().await;
            if condition(&replicas) {
                return;
            }
            assert!(Instant::now() < deadline, "{what}: {replicas:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A gauge of `/metrics`.
    pub async fn metric(&self, name: &str) -> f64 {
        let text = reqwest::get(format!("{}/metrics", self.base)).await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|line| line.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics"))
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
pub struct Account {
    pub id: uuid::Uuid,
    pub token: String,
}

pub async fn provision(base: &str, n: usize) -> Vec<Account> {
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

/// `who` follows `whom` through `base`; the status.
pub async fn follow(client: &reqwest::Client, base: &str, who: &Account, whom: &Account) -> reqwest::Response {
    client
        .post(format!("{base}/api/v1/community/follow"))
        .bearer_auth(&who.token)
        .json(&json!({ "user_id": whom.id }))
        .send()
        .await
        .unwrap()
}

/// The ids in `owner`'s `list` (followers or following) as `viewer` reads it.
pub async fn list(client: &reqwest::Client, base: &str, viewer: &Account, owner: &Account, list: &str) -> Vec<String> {
    let reply = client
        .get(format!("{base}/api/v1/community/users/{}/{list}?page_size=100", owner.id))
        .bearer_auth(&viewer.token)
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200, "{list} of {}", owner.id);
    let body: Value = reply.json().await.unwrap();
    body["data"]["users"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|u| u["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}
