//! Issue 24's targets: follow throughput with one webhook subscribed to `*` against
//! none, delivery latency at 1,000 follows/s, and a page of 1,000 events.
//!
//! An in-process server with webhook delivery on (internal addresses allowed) and a
//! local receiver on a bare socket that answers 204 at once and notes when each
//! `follow.created` arrived. Follows go over HTTP with the bench's light client, on
//! distinct pairs of fresh accounts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use rookery::Settings;
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings, WebhookSettings};
use rookery_domain::ports::{NoNotifier, SecretSource, SystemClock, UuidV7};
use rookery_domain::service::{Accounts, EventService, FeedQuery, GraphEvents, NewWebhook};
use rookery_domain::{AccountId, EventCursor, GraphService, Username};
use rookery_store::{Database, DatabaseOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::in_process::InProcess;
use crate::phase::{Call, Signer, Stats, histogram, http_phase, micros};
use crate::scratch::Scratch;
use crate::{Backend, Config};

/// What was measured.
pub struct WebhooksReport {
    pub without: Stats,
    pub with: Stats,
    /// From a follow's answer to its delivery's arrival.
    pub latency: Histogram<u64>,
    pub paced_rate: f64,
    pub delivered: usize,
    pub missing: usize,
    /// Reading a page of 1,000 events through the use case (as its handler runs it).
    pub page: Histogram<u64>,
}

struct NoSecrets;

impl SecretSource for NoSecrets {
    fn secret_bytes(&self) -> [u8; 32] {
        [7; 32]
    }
}

/// When each follow's delivery arrived, by `"{follower}>{followee}"`.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// A receiver answering 204 on keep-alive connections.
async fn receiver(arrivals: Arrivals) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let arrivals = Arc::clone(&arrivals);
            tokio::spawn(async move {
                let mut data: Vec<u8> = Vec::new();
                let mut buf = vec![0_u8; 16 * 1024];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(buf.get(..n).unwrap_or_default());
                    while let Some((length, body)) = complete(&data) {
                        let at = Instant::now();
                        if let Some(key) = follow_key(&body) {
                            arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, at);
                        }
                        data.drain(..length);
                        if socket.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n").await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    Ok(url)
}

/// One whole request at the front of `data`: its length and body.
fn complete(data: &[u8]) -> Option<(usize, Vec<u8>)> {
    let end = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(data.get(..end)?).to_ascii_lowercase();
    let length: usize =
        head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
    let total = end + 4 + length;
    let body = data.get(end + 4..total)?.to_vec();
    Some((total, body))
}

fn follow_key(body: &[u8]) -> Option<String> {
    let event: serde_json::Value = serde_json::from_slice(body).ok()?;
    if event.get("type")?.as_str()? != "follow.created" {
        return None;
    }
    let data = event.get("data")?;
    Some(format!("{}>{}", data.get("follower_id")?.as_str()?, data.get("followee_id")?.as_str()?))
}

fn accounts(
    graph: &GraphService<Database, Database, Database, SystemClock, UuidV7, NoNotifier>,
    prefix: &str,
    n: usize,
) -> anyhow::Result<Vec<AccountId>> {
    (0..n)
        .map(|i| {
            let name = Username::parse(&format!("{prefix}{i}")).map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(graph.create_account(name, None, false)?.id)
        })
        .collect()
}

/// Follows of `followers[w]` to `targets[i]`, for HTTP worker `w`.
fn follows(
    signer: &Signer,
    followers: &[AccountId],
    targets: Arc<Vec<AccountId>>,
) -> anyhow::Result<impl Fn(usize, usize) -> Option<Call> + Send + Sync + 'static> {
    let tokens = signer.tokens(followers)?;
    Ok(move |w: usize, i: usize| {
        let token = tokens.get(w)?;
        let target = targets.get(i)?;
        Some(Call::follow(Arc::clone(token), *target))
    })
}

pub fn run(backend: Backend, config: &Config) -> anyhow::Result<WebhooksReport> {
    let scratch = Scratch::create(backend, &config.postgres_url)?;
    let url = scratch.url.clone();
    let db = Database::open(&url, DatabaseOptions { max_connections: config.pool, ..DatabaseOptions::default() })?;
    db.migrate().context("migrating")?;
    let graph = GraphService::new(db.clone(), db.clone(), db.clone(), SystemClock, UuidV7, NoNotifier);
    let connections = config.connections.min(64);
    let per_phase = if config.quick { 3_000 } else { 20_000 };
    eprintln!("  webhooks: seeding {} followers and {per_phase} targets", connections * 3);
    let followers_a = accounts(&graph, "wa", connections)?;
    let followers_b = accounts(&graph, "wb", connections)?;
    let followers_c = accounts(&graph, "wc", connections)?;
    let targets = Arc::new(accounts(&graph, "t", per_phase)?);

    let secret = format!("bench-secret-{}", uuid::Uuid::new_v4());
    let signer = Signer::new(&secret);
    let settings = Settings {
        bind: "127.0.0.1:0".into(),
        workers: 2,
        dialects: "community".into(),
        cors_origins: None,
        // The configuration users run: the limit on, never tripping here.
        follows_per_hour: crate::limits::NEVER_TRIPS,
        database: DatabaseSettings {
            url: url.clone(),
            read_url: None,
            max_connections: config.pool,
            writers: config.writers,
            replica_max_lag: std::time::Duration::from_secs(5),
        },
        jwt: JwtSettings { secret: Some(secret.clone()), ..JwtSettings::default() },
        streams: StreamSettings::default(),
        shutdown_grace_secs: 10,
        push: PushSettings::default(),
        webhooks: WebhookSettings { allow_private: true, ..WebhookSettings::default() },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let client = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let server = InProcess::start(&runtime, &settings)?;
    let arrivals: Arrivals = Arc::default();
    let hook_url = runtime.block_on(receiver(Arc::clone(&arrivals)))?;
    let events = EventService::new(db.clone(), SystemClock, UuidV7, NoSecrets);

    eprintln!("  webhooks: follow, distinct pairs, no webhook, {connections} connections");
    let without = client.block_on(http_phase(
        &server.base,
        connections,
        config.duration,
        follows(&signer, &followers_a, Arc::clone(&targets))?,
    ))?;
    events.create_webhook(NewWebhook { url: hook_url, events: vec!["*".into()], description: None })?;
    eprintln!("  webhooks: follow, distinct pairs, one webhook on *, {connections} connections");
    let with = client.block_on(http_phase(
        &server.base,
        connections,
        config.duration,
        follows(&signer, &followers_b, Arc::clone(&targets))?,
    ))?;

    // Let the queue drain before the paced phase, so its latencies are its own.
    let drain_deadline = Instant::now() + Duration::from_secs(120);
    while db.pending_deliveries()? > 0 && Instant::now() < drain_deadline {
        std::thread::sleep(Duration::from_millis(100));
    }

    eprintln!("  webhooks: delivery latency at 1,000 follows/s");
    let rate = 1_000.0;
    let seconds = config.duration.as_secs_f64().max(2.0);
    // 1,000 a second: one a millisecond.
    let count = usize::try_from(config.duration.as_millis().max(2_000)).unwrap_or(2_000).min(targets.len());
    let tokens = signer.tokens(&followers_c)?;
    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let base = server.base.clone();
    client.block_on(async {
        let http = reqwest::Client::new();
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::with_capacity(count);
        for i in 0..count {
            let due = start + Duration::from_secs_f64(crate::phase::usize_f64(i) / rate);
            tokio::time::sleep_until(due).await;
            let w = i % followers_c.len().max(1);
            let (Some(token), Some(target), Some(follower)) = (tokens.get(w), targets.get(i), followers_c.get(w))
            else {
                continue;
            };
            let call = Call::follow(Arc::clone(token), *target);
            let (http, base, answered) = (http.clone(), base.clone(), Arc::clone(&answered));
            let key = format!("{follower}>{target}");
            tasks.push(tokio::spawn(async move {
                if crate::phase::send(&http, &base, call).await.is_ok() {
                    answered.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, Instant::now());
                }
            }));
        }
        for task in tasks {
            let _ = task.await;
        }
    });
    let paced_rate = crate::phase::usize_f64(count) / seconds;
    let deadline = Instant::now() + Duration::from_secs(30);
    let answered = answered.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    loop {
        let arrived = arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if answered.keys().all(|k| arrived.contains_key(k)) || Instant::now() > deadline {
            break;
        }
        drop(arrived);
        std::thread::sleep(Duration::from_millis(100));
    }
    let arrived = arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let mut latency = histogram()?;
    let (mut delivered, mut missing) = (0, 0);
    for (key, at) in &answered {
        match arrived.get(key) {
            Some(got) => {
                latency.record(micros(got.saturating_duration_since(*at)).max(1))?;
                delivered += 1;
            }
            None => missing += 1,
        }
    }

    eprintln!("  webhooks: a page of 1,000 events");
    let mut page = histogram()?;
    let mut cursor = EventCursor::default();
    for _ in 0..50 {
        let t0 = Instant::now();
        let got = events.events(&FeedQuery { after: Some(cursor), limit: 1000, types: Vec::new() })?;
        page.record(micros(t0.elapsed()).max(1))?;
        if got.events.len() < 1000 {
            cursor = EventCursor::default();
        } else {
            cursor = got.next_cursor;
        }
    }
    server.stop(&runtime)?;
    runtime.shutdown_timeout(Duration::from_secs(1));
    drop(db);
    drop(scratch);
    Ok(WebhooksReport { without, with, latency, paced_rate, delivered, missing, page })
}

/// The section of the report.
pub fn render(out: &mut String, name: &str, r: &WebhooksReport) {
    use std::fmt::Write;
    let ms = |h: &Histogram<u64>, q: f64| crate::phase::to_f64(h.value_at_quantile(q)) / 1000.0;
    let ratio = r.with.throughput() / r.without.throughput().max(1e-9);
    let _ = writeln!(out, "\nIssue 24 ({name}): events and webhooks\n");
    let _ = writeln!(out, "| target | measured | met |\n|---|---|---|");
    let _ = writeln!(
        out,
        "| follow throughput with one `*` webhook >= 85% of without | {:.0}/s with, {:.0}/s without: {:.0}% | {} |",
        r.with.throughput(),
        r.without.throughput(),
        ratio * 100.0,
        if ratio >= 0.85 { "yes" } else { "no" }
    );
    let p99 = ms(&r.latency, 0.99);
    let _ = writeln!(
        out,
        "| delivery p99 < 1 s after the follow's answer at 1,000 follows/s | {:.0} follows/s paced: p50 {:.1} ms, p99 {p99:.1} ms ({} delivered, {} missing) | {} |",
        r.paced_rate,
        ms(&r.latency, 0.5),
        r.delivered,
        r.missing,
        if p99 < 1000.0 && r.missing == 0 { "yes" } else { "no" }
    );
    let page99 = ms(&r.page, 0.99);
    let _ = writeln!(
        out,
        "| a page of 1,000 events < 20 ms | p50 {:.1} ms, p99 {page99:.1} ms | {} |",
        ms(&r.page, 0.5),
        if page99 < 20.0 { "yes" } else { "no" }
    );
}
