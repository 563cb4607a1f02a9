//! `--replica-reads`: list reads per second through `rookery serve` on a private
//! primary with two streaming standbys (scripts/pg-cluster.sh), with no replica, one,
//! then two in `ROOKERY_READ_DATABASE_URL`. Accounts follow each other first; the
//! load is followers pages of random accounts read by random viewers, none of whom
//! writes meanwhile (so the fences let the replicas serve).
//!
//! Everything shares this machine's cores: the primary, the standbys, the server and
//! the client. The figure says what the replicas cost or save here, not what they
//! would add on machines of their own.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use rookery_domain::AccountId;

use crate::phase::Signer;
use crate::server::Server;
use crate::wire::{Connection, Request};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/pg-cluster.sh");
const SECRET: &str = "replica-bench-secret-of-at-least-32-bytes";
/// Accounts, and how many others each follows.
const ACCOUNTS: usize = 500;
const FOLLOWS_EACH: usize = 20;

/// The cluster, destroyed on drop.
struct Cluster {
    dir: tempfile::TempDir,
    ports: Vec<u16>,
}

impl Cluster {
    fn start(replicas: usize) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        let mut ports = Vec::new();
        for _ in 0..=replicas {
            ports.push(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port());
        }
        let cluster = Self { dir, ports };
        let out = Command::new("bash")
            .arg(SCRIPT)
            .arg("start")
            .arg(cluster.data())
            .arg("0")
            .args(cluster.ports.iter().map(ToString::to_string))
            .output()
            .context("running scripts/pg-cluster.sh")?;
        if !out.status.success() {
            bail!("scripts/pg-cluster.sh start: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(cluster)
    }

    fn data(&self) -> String {
        self.dir.path().join("cluster").display().to_string()
    }

    fn url(&self, node: usize) -> String {
        let port = self.ports.get(node).copied().unwrap_or_default();
        format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(SCRIPT).arg("destroy").arg(self.data()).status();
    }
}

/// Runs the measurement with `connections` keep-alive connections for `duration` per
/// configuration, and prints its table.
///
/// # Errors
/// The cluster, the server or the load failed.
pub fn run(binary: &Path, connections: usize, duration: Duration) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    runtime.block_on(measure(binary, connections, duration))
}

async fn measure(binary: &Path, connections: usize, duration: Duration) -> anyhow::Result<()> {
    let cluster = Cluster::start(2)?;
    let primary = cluster.url(0);
    let signer = Signer::new(SECRET);
    let ids: Vec<AccountId> = (0..ACCOUNTS).map(|_| AccountId::from_uuid(uuid::Uuid::new_v4())).collect();
    let tokens = signer.tokens(&ids)?;
    {
        let server = Server::start(binary, &primary, SECRET, &[]).await?;
        seed(server.port, &ids, &tokens).await?;
        println!("seeded {ACCOUNTS} accounts following {FOLLOWS_EACH} others each");
    }
    println!("| list reads through one `rookery serve` | pages/s | store reads on replicas (2 a page) |");
    println!("|---|---:|---:|");
    for replicas in 0..=2 {
        let urls: Vec<String> = (1..=replicas).map(|node| cluster.url(node)).collect();
        let env = [("ROOKERY_READ_DATABASE_URL", urls.join(",")), ("ROOKERY_DB_MAX_CONNECTIONS", "32".to_owned())];
        let env: Vec<(&str, String)> = if replicas == 0 { vec![env[1].clone()] } else { env.to_vec() };
        let server = Server::start(binary, &primary, SECRET, &env).await?;
        wait_in_use(&server.origin, replicas).await?;
        // A second to warm the pools, then the measured run.
        load(server.port, &ids, &tokens, connections, Duration::from_secs(1)).await?;
        let reads = load(server.port, &ids, &tokens, connections, duration).await?;
        let on_replicas = replica_reads(&server.origin).await?;
        let label = match replicas {
            0 => "primary alone".to_owned(),
            n => format!("primary + {n} replica{}", if n == 1 { "" } else { "s" }),
        };
        let rate = f64::from(u32::try_from(reads).unwrap_or(u32::MAX)) / duration.as_secs_f64();
        println!("| {label} | {rate:.0} | {on_replicas} |");
        server.stop(Duration::from_secs(5))?;
    }
    Ok(())
}

async fn seed(port: u16, ids: &[AccountId], tokens: &Arc<Vec<Arc<str>>>) -> anyhow::Result<()> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let host = format!("127.0.0.1:{port}");
    let mut conn = Connection::open(addr).await?;
    for token in tokens.iter() {
        let reply = conn.send(&Request::new("GET", &host, "/api/v1/community/profiles/me", Some(token), None)).await?;
        if !reply.is_success() {
            bail!("provisioning answered {}", reply.status);
        }
    }
    for (i, token) in tokens.iter().enumerate() {
        for k in 1..=FOLLOWS_EACH {
            let Some(target) = ids.get((i + k * 7) % ids.len()) else { continue };
            let body = format!("{{\"user_id\":\"{target}\"}}");
            let request = Request::new("POST", &host, "/api/v1/community/follow", Some(token), Some(body.as_bytes()));
            let reply = conn.send(&request).await?;
            if !reply.is_success() {
                bail!("a follow answered {}", reply.status);
            }
        }
    }
    Ok(())
}

async fn wait_in_use(origin: &str, replicas: usize) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let ready: serde_json::Value = reqwest::get(format!("{origin}/readyz")).await?.json().await?;
        let in_use = replicas_of(&ready).iter().filter(|r| r.get("in_use") == Some(&true.into())).count();
        if in_use == replicas {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the replicas never served: {ready}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn replica_reads(origin: &str) -> anyhow::Result<u64> {
    let ready: serde_json::Value = reqwest::get(format!("{origin}/readyz")).await?.json().await?;
    Ok(replicas_of(&ready).iter().filter_map(|r| r.get("reads").and_then(serde_json::Value::as_u64)).sum())
}

/// `/readyz`'s replicas.
fn replicas_of(ready: &serde_json::Value) -> Vec<serde_json::Value> {
    ready.get("replicas").and_then(serde_json::Value::as_array).cloned().unwrap_or_default()
}

/// Followers pages (20) of random accounts read by random viewers over `connections`
/// connections for `duration`; the reads answered 200.
async fn load(
    port: u16,
    ids: &[AccountId],
    tokens: &Arc<Vec<Arc<str>>>,
    connections: usize,
    duration: Duration,
) -> anyhow::Result<u64> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let host = format!("127.0.0.1:{port}");
    let requests: Arc<Vec<Request>> = Arc::new(
        (0..ids.len())
            .zip(tokens.iter())
            .filter_map(|(i, token)| {
                let owner = ids.get((i * 13 + 5) % ids.len())?;
                let path = format!("/api/v1/community/users/{owner}/followers?page_size=20");
                Some(Request::new("GET", &host, &path, Some(token), None))
            })
            .collect(),
    );
    let done = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for c in 0..connections {
        let (requests, done, stop) = (Arc::clone(&requests), Arc::clone(&done), Arc::clone(&stop));
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::open(addr).await?;
            let mut turns = requests.iter().cycle().skip(c * 37);
            while !stop.load(Ordering::Relaxed) {
                let Some(request) = turns.next() else { break };
                let reply = conn.send(request).await?;
                if reply.is_success() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }
            anyhow::Ok(())
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await??;
    }
    Ok(done.load(Ordering::Relaxed))
}
