//! The primary killed under load and its synchronous standby promoted, with the
//! instances running on: writes resume within 10 s of the promotion, every request
//! in between answers (503 with `Retry-After` at worst, never 500), no acknowledged
//! change is lost, the `LISTEN` connection moves (a follow after the failover reaches
//! a stream on the other instance), and `rookery check` is clean on the new primary.

use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Account, BIN, Cluster, Instance, provision};

/// What the load saw: answers 500 and up other than 503 (or a 503 without
/// `Retry-After`), the acknowledged state of each pair (`None` while unknown), and
/// when a change was last acknowledged.
#[derive(Default)]
struct Seen {
    bad: Mutex<Vec<String>>,
    pairs: Mutex<HashMap<(usize, usize), Option<bool>>>,
    answered: AtomicUsize,
    last_ack: Mutex<Option<Instant>>,
}

impl Seen {
    fn check(&self, reply: &reqwest::Response) {
        let status = reply.status().as_u16();
        if status == 503 && reply.headers().get("retry-after").is_none() {
            self.bad.lock().unwrap().push("503 without Retry-After".to_owned());
        } else if status >= 500 && status != 503 {
            self.bad.lock().unwrap().push(format!("{status}"));
        }
    }
}

/// Follows and unfollows among `accounts`, through the instances in turn; reads a
/// list now and then (served by the replica until it is promoted, then the primary).
async fn churn(bases: Vec<String>, accounts: Arc<Vec<Account>>, me: usize, seen: Arc<Seen>, stop: Arc<AtomicBool>) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
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
                    seen.check(&reply);
                    if reply.status() == 200 {
                        seen.pairs.lock().unwrap().insert((me, other), Some(follow));
                        seen.answered.fetch_add(1, Ordering::Relaxed);
                        *seen.last_ack.lock().unwrap() = Some(Instant::now());
                    } else {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
            let read = client
                .get(format!("{base}/api/v1/community/users/{}/following", accounts[me].id))
                .bearer_auth(&accounts[me].token)
                .send()
                .await;
            if let Ok(reply) = read {
                seen.check(&reply);
            }
        }
        round += 1;
    }
}

/// Holds `star`'s stream open on `base` as a client would (reconnecting with
/// `Last-Event-ID`); the actors of the follow events it received.
async fn watch(base: String, star: Account, stop: Arc<AtomicBool>) -> HashSet<String> {
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
                }
            }
        }
    }
    actors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL's server binaries: `make test` runs it"]
async fn a_failover_under_load_loses_no_acknowledged_write() {
    if !crate::support::binaries_or_skip("a_failover_under_load_loses_no_acknowledged_write") {
        return;
    }
    let cluster = Cluster::start(1, true);
    let standby = cluster.replicas[0];
    // libpq's multi-host form: whichever host accepts writes.
    let url = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{standby}/postgres?target_session_attrs=read-write&connect_timeout=2&sslmode=disable",
        cluster.primary
    );
    let reads = Cluster::url(standby);
    let env = [("ROOKERY_READ_DATABASE_URL", reads.as_str())];
    let first = Instance::start(&url, &env).await;
    let second = Instance::start(&url, &env).await;
    let bases = vec![first.base.clone(), second.base.clone()];
    let accounts = Arc::new(provision(&first.base, 5).await);
    let star = provision(&first.base, 1).await.remove(0);
    let fans = provision(&first.base, 2).await;
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(second.base.clone(), star.clone(), Arc::clone(&stop)));

    let mut load = Vec::new();
    for me in 0..accounts.len() {
        load.push(tokio::spawn(churn(bases.clone(), Arc::clone(&accounts), me, Arc::clone(&seen), Arc::clone(&stop))));
    }
    let client = reqwest::Client::new();
    let follow = |fan: Account| {
        let (client, base, star) = (client.clone(), first.base.clone(), star.clone());
        async move {
            client
                .post(format!("{base}/api/v1/community/follow"))
                .bearer_auth(&fan.token)
                .json(&json!({ "user_id": star.id }))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    };
    assert_eq!(follow(fans[0].clone()).await.unwrap(), 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(seen.answered.load(Ordering::Relaxed) > 10, "the load ran");

    // The primary dies; a second later the standby is promoted.
    cluster.run("kill", &["primary"]);
    tokio::time::sleep(Duration::from_secs(1)).await;
    cluster.run("promote", &["replica1"]);
    let promoted = Instant::now();
    let resumed = loop {
        if seen.last_ack.lock().unwrap().is_some_and(|at| at > promoted) {
            break promoted.elapsed();
        }
        assert!(promoted.elapsed() < Duration::from_secs(30), "writes never resumed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!("writes resumed {resumed:?} after the promotion");
    assert!(resumed < Duration::from_secs(10), "writes resumed {resumed:?} after the promotion");

    // The event listener moved: a follow through the first instance reaches the
    // star's stream on the second.
    let deadline = Instant::now() + Duration::from_secs(20);
    while follow(fans[1].clone()).await.ok() != Some(200) {
        assert!(Instant::now() < deadline, "the fan's follow was never acknowledged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let delivered = watcher.await.unwrap();
    assert!(delivered.contains(&fans[1].id.to_string()), "the follow after the failover reached the stream");

    let bad = seen.bad.lock().unwrap().clone();
    assert!(bad.is_empty(), "answers other than 503 with Retry-After: {bad:?}");
    let pairs = seen.pairs.lock().unwrap().clone();
    for ((me, other), state) in pairs {
        let Some(following) = state else { continue };
        let status: Value = client
            .get(format!("{}/api/v1/community/follow/status/{}", second.base, accounts[other].id))
            .bearer_auth(&accounts[me].token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["data"]["is_following"], following, "acknowledged pair {me} -> {other}");
    }
    drop((first, second));
    let check = Command::new(BIN).arg("check").env("DATABASE_URL", &url).output().unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stdout));
}
