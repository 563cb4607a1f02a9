//! Issue 24's targets: follow throughput with one webhook subscribed to `*` against
//! none, delivery latency at 1,000 follows/s, and a page of 1,000 events.
//!
//! An in-process server with webhook delivery on (internal addresses allowed) and a
//! local receiver on a bare socket that answers 204 at once and notes when each
//! `follow.created` arrived. Follows go over HTTP with the bench's light client, on
//! distinct pairs of seeded accounts (each worker walks the targets from an offset of
//! its own, as in the follow scenario), with the follow limit on and never tripping.
//!
//! Throughput is measured in alternating rounds, without then with the webhook, each
//! a full phase long on fresh pairs; a webhook is created at the start of each round
//! with it, and deleted once the receiver has heard every follow of that round, so a
//! round without starts with no delivery work left over.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use rookery::Settings;
use rookery::settings::{DatabaseSettings, JwtSettings, PushSettings, StreamSettings, WebhookSettings};
use rookery_domain::EventCursor;
use rookery_domain::ports::{SecretSource, SystemClock, UuidV7};
use rookery_domain::service::{EventService, FeedQuery, GraphEvents, NewWebhook};
use rookery_store::{Database, DatabaseOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::in_process::InProcess;
use crate::phase::{Call, Progress, Signer, Stats, histogram, http_phase, micros};
use crate::scratch::Scratch;
use crate::seed::Importer;
use crate::{Backend, Config};

/// What was measured.
pub struct WebhooksReport {
    /// The round with the median throughput of each side.
    pub without: Stats,
    pub with: Stats,
    /// Every round's throughput, in the order run, and whether it had the webhook.
    pub rounds: Vec<(bool, f64)>,
    /// Follows of a round with the webhook whose delivery had not arrived when the
    /// round ended (the worst round), and how long the longest drain took after it.
    pub backlog: usize,
    pub drain: Duration,
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

/// What the receiver heard: how many `follow.created` deliveries came in all, and
/// while `keyed` is on, when each follow's delivery arrived, by
/// `"{follower}>{followee}"` (parsing each body is work a receiver elsewhere would do
/// on its own machine: the throughput rounds leave it off).
#[derive(Default)]
struct Heard {
    arrivals: Mutex<HashMap<String, Instant>>,
    follows: AtomicUsize,
    keyed: AtomicBool,
}

type Arrivals = Arc<Heard>;

/// A receiver answering 204 on keep-alive connections. It stands in for the app's own
/// server, on another machine in a deployment but here on the bench's two cores, so it
/// does as little as it can: finds each request's end and the one marker it counts.
async fn receiver(heard: Arrivals) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let heard = Arc::clone(&heard);
            tokio::spawn(async move {
                let mut data: Vec<u8> = Vec::new();
                let mut buf = vec![0_u8; 16 * 1024];
                loop {
                    let Ok(n) = socket.read(&mut buf).await else { return };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(buf.get(..n).unwrap_or_default());
                    let mut taken = 0;
                    let mut answers = 0;
                    while let Some((length, body)) = data.get(taken..).and_then(complete) {
                        let at = Instant::now();
                        if FOLLOW.find(body).is_some() {
                            heard.follows.fetch_add(1, Ordering::Relaxed);
                            if heard.keyed.load(Ordering::Relaxed) {
                                if let Some(key) = follow_key(body) {
                                    let mut arrivals =
                                        heard.arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                                    arrivals.insert(key, at);
                                }
                            }
                        }
                        taken += length;
                        answers += 1;
                    }
                    data.drain(..taken);
                    let answer = NO_CONTENT.repeat(answers);
                    if answers > 0 && socket.write_all(&answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

const NO_CONTENT: &[u8] = b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n";

/// How a `follow.created` envelope shows in a body.
static FOLLOW: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(br#""type":"follow.created""#));

/// One whole request at the front of `data`: its length and body.
fn complete(data: &[u8]) -> Option<(usize, &[u8])> {
    let end = memchr::memmem::find(data, b"\r\n\r\n")?;
    let head = data.get(..end)?;
    let length = content_length(head).unwrap_or(0);
    let total = end + 4 + length;
    Some((total, data.get(end + 4..total)?))
}

/// The `content-length` of a request's head (names compared case-insensitively).
fn content_length(head: &[u8]) -> Option<usize> {
    head.split(|b| *b == b'\n').find_map(|line| {
        let (name, value) = line.split_at(line.iter().position(|b| *b == b':')?);
        if !name.eq_ignore_ascii_case(b"content-length") {
            return None;
        }
        std::str::from_utf8(value.get(1..)?).ok()?.trim().parse().ok()
    })
}

fn follow_key(body: &[u8]) -> Option<String> {
    let event: serde_json::Value = serde_json::from_slice(body).ok()?;
    if event.get("type")?.as_str()? != "follow.created" {
        return None;
    }
    let data = event.get("data")?;
    Some(format!("{}>{}", data.get("follower_id")?.as_str()?, data.get("followee_id")?.as_str()?))
}

/// Rounds of each side, run alternately (without, with, with, without, ...): the ratio
/// is of the two medians, so a burst of other work on the shared machine spoils one
/// round, not the ratio.
const ROUNDS: usize = 4;

/// Follows a worker may make per second of a round: far above what this machine
/// reaches (64 workers at 600/s is 38,400 follows/s), so no round runs out of pairs.
const PER_WORKER_RATE: u128 = 600;

/// How long the queue may take to drain after a round with the webhook.
const DRAIN: Duration = Duration::from_secs(180);

/// Waits until the receiver has heard `expected` follows in all and nothing is
/// pending; answers how long that took.
fn drain(db: &Database, heard: &Heard, expected: usize) -> anyhow::Result<Duration> {
    let t0 = Instant::now();
    while heard.follows.load(Ordering::Relaxed) < expected || db.pending_deliveries()? > 0 {
        anyhow::ensure!(
            t0.elapsed() < DRAIN,
            "the webhook queue did not drain in {} s: {} of {expected} follows delivered",
            DRAIN.as_secs(),
            heard.follows.load(Ordering::Relaxed)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(t0.elapsed())
}

/// The round with the median throughput (of an even number, the lower middle one).
fn median(mut rounds: Vec<Stats>) -> Stats {
    rounds.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
    let middle = rounds.len().saturating_sub(1) / 2;
    rounds.swap_remove(middle)
}

pub fn run(backend: Backend, config: &Config) -> anyhow::Result<WebhooksReport> {
    let scratch = Scratch::create(backend, &config.postgres_url)?;
    let url = scratch.url.clone();
    let db = Database::open(&url, DatabaseOptions { max_connections: config.pool, ..DatabaseOptions::default() })?;
    db.migrate().context("migrating")?;
    let connections = config.connections.min(64);
    // Every round takes fresh pairs where the last left off; the paced phase after them.
    let rounds_length =
        config.duration.as_millis().saturating_mul(u128::try_from(2 * ROUNDS).unwrap_or(u128::MAX)) + 5_000;
    let per_worker = usize::try_from(PER_WORKER_RATE.saturating_mul(rounds_length) / 1000).unwrap_or(usize::MAX);
    let mut importer = Importer::new(&db, chrono::Utc::now());
    let targets = Arc::new(importer.accounts(if config.quick { 1_000 } else { 3_000 })?);
    let pairs = Arc::new(importer.pairs(&targets, connections, per_worker)?);
    eprintln!(
        "  webhooks: seeded {} accounts: {connections} workers, {per_worker} distinct follows each",
        importer.accounts
    );

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
    let heard: Arrivals = Arc::default();
    // On a thread of its own, not the server's runtime (it still shares the cores).
    let receiving = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
    let hook_url = receiving.block_on(receiver(Arc::clone(&heard)))?;
    let events = EventService::new(db.clone(), SystemClock, UuidV7, NoSecrets);
    let everything = || NewWebhook { url: hook_url.clone(), events: vec!["*".into()], description: None };

    let tokens = signer.tokens(pairs.followers())?;
    let progress = Progress::new(connections);
    let follows = || {
        let (pairs, tokens, progress) = (Arc::clone(&pairs), Arc::clone(&tokens), progress.clone());
        move |w: usize, _: usize| {
            let (index, _, target) = pairs.get(w, progress.next(w)?)?;
            Some(Call::follow(Arc::clone(tokens.get(index)?), target))
        }
    };
    let (mut withouts, mut withs, mut rounds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut backlog, mut longest_drain, mut delivered_so_far) = (0, Duration::ZERO, 0);
    for round in 0..2 * ROUNDS {
        // Without, with, with, without, ...: each side runs as often early as late, so a
        // drift over the run (the database growing, other work starting) is no side's.
        let webhook = matches!(round % 4, 1 | 2);
        let side = if webhook { "one webhook on *" } else { "no webhook" };
        eprintln!("  webhooks: round {} of {}: follows, {side}, {connections} connections", round + 1, 2 * ROUNDS);
        if !webhook {
            let without = client.block_on(http_phase(&server.base, connections, config.duration, follows()))?;
            eprintln!("    {:.0}/s", without.throughput());
            rounds.push((false, without.throughput()));
            withouts.push(without);
            continue;
        }
        let hook = events.create_webhook(everything())?;
        let with = client.block_on(http_phase(&server.base, connections, config.duration, follows()))?;
        delivered_so_far += usize::try_from(with.ops - with.errors).unwrap_or(usize::MAX);
        let behind = delivered_so_far.saturating_sub(heard.follows.load(Ordering::Relaxed));
        backlog = backlog.max(behind);
        // The next round starts with no delivery work left over.
        let drained = drain(&db, &heard, delivered_so_far)?;
        longest_drain = longest_drain.max(drained);
        events.delete_webhook(hook.id)?;
        eprintln!(
            "    {:.0}/s; {behind} not yet delivered at the end, drained in {:.2} s",
            with.throughput(),
            drained.as_secs_f64()
        );
        rounds.push((true, with.throughput()));
        withs.push(with);
    }

    eprintln!("  webhooks: delivery latency at 1,000 follows/s");
    heard.keyed.store(true, Ordering::Relaxed);
    events.create_webhook(everything())?;
    let rate = 1_000.0;
    let seconds = config.duration.as_secs_f64().max(2.0);
    // 1,000 a second: one a millisecond.
    let count = usize::try_from(config.duration.as_millis().max(2_000)).unwrap_or(2_000);
    let answered: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let base = server.base.clone();
    client.block_on(async {
        let http = reqwest::Client::new();
        let start = tokio::time::Instant::now();
        let mut tasks = Vec::with_capacity(count);
        for i in 0..count {
            let due = start + Duration::from_secs_f64(crate::phase::usize_f64(i) / rate);
            tokio::time::sleep_until(due).await;
            let w = i % connections.max(1);
            let Some((index, follower, target)) = progress.next(w).and_then(|n| pairs.get(w, n)) else {
                continue;
            };
            let Some(token) = tokens.get(index) else { continue };
            let call = Call::follow(Arc::clone(token), target);
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
        let arrived = heard.arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if answered.keys().all(|k| arrived.contains_key(k)) || Instant::now() > deadline {
            break;
        }
        drop(arrived);
        std::thread::sleep(Duration::from_millis(100));
    }
    let arrived = heard.arrivals.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
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
    receiving.shutdown_timeout(Duration::from_secs(1));
    drop(db);
    drop(scratch);
    Ok(WebhooksReport {
        without: median(withouts),
        with: median(withs),
        rounds,
        backlog,
        drain: longest_drain,
        latency,
        paced_rate,
        delivered,
        missing,
        page,
    })
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
        "| follow throughput with one `*` webhook >= 85% of without (medians of {ROUNDS} alternating rounds) | {:.0}/s with, {:.0}/s without: {:.0}% | {} |",
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
    let rounds: Vec<String> = r
        .rounds
        .iter()
        .map(|(webhook, rate)| format!("{} {rate:.0}/s", if *webhook { "with" } else { "without" }))
        .collect();
    let _ = writeln!(
        out,
        "\nRounds in the order run: {}. Follow latency p50/p99: {:.1}/{:.1} ms without, {:.1}/{:.1} ms with. At the end of a round with the webhook at most {} follows were not yet delivered; the longest drain after one took {:.2} s.",
        rounds.join(", "),
        r.without.quantile_ms(0.5),
        r.without.quantile_ms(0.99),
        r.with.quantile_ms(0.5),
        r.with.quantile_ms(0.99),
        r.backlog,
        r.drain.as_secs_f64()
    );
}
