//! Idle notification streams against a `rookery serve` process: its resident memory
//! with them open, then the delivery latency of a follow to a waiting stream.
//!
//! Each stream is a bare TCP connection with the HTTP request written by hand (a
//! reqwest body per stream would cost the bench far more than the server), the token
//! in the query as a browser's `EventSource` sends it. A stream counts as open once
//! its `connected` event has arrived.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use rookery_domain::AccountId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

use crate::phase::{Call, Signer, histogram, micros, send};
use crate::server::Server;

/// Streams being opened at once.
const OPENING: usize = 128;
/// What a `follow` notification's payload contains (serde_json's compact form).
const FOLLOW_EVENT: &[u8] = br#""type":"follow""#;
const CONNECTED_EVENT: &[u8] = br#""type":"connected""#;

/// What the streams measured.
pub struct StreamsReport {
    pub requested: usize,
    pub opened: usize,
    /// Streams that failed to open, with the first reason.
    pub failed: usize,
    pub first_failure: Option<String>,
    /// Streams the server closed before the measurement ended.
    pub closed_early: usize,
    pub open_time: Duration,
    pub rss_before_mb: f64,
    pub rss_with_mb: f64,
    pub delivery: Delivery,
}

impl StreamsReport {
    /// Memory per open stream, in KB.
    pub fn kb_per_stream(&self) -> f64 {
        let n = crate::phase::usize_f64(self.opened.max(1));
        (self.rss_with_mb - self.rss_before_mb) * 1024.0 / n
    }

    /// The RSS this run's per-stream cost gives for `n` streams.
    pub fn rss_for(&self, n: usize) -> f64 {
        self.rss_before_mb + self.kb_per_stream() * crate::phase::usize_f64(n) / 1024.0
    }
}

/// Delivery latency of follows to streams.
pub struct Delivery {
    pub follows: usize,
    /// From the follow's response to the event on the followee's stream, clamped at 0.
    pub after_response: Histogram<u64>,
    /// From sending the follow to the event.
    pub after_request: Histogram<u64>,
    /// Events that arrived before the follow's response did (counted as 0 above).
    pub early: usize,
    /// Follows whose event did not arrive within the timeout, or that failed.
    pub missing: usize,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Opens one stream: connects, asks, and reads until the `connected` event.
async fn open(port: u16, token: &str) -> Result<TcpStream, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let request = format!(
        "GET /api/v1/community/notifications/stream?access_token={token} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.map_err(|e| format!("write: {e}"))?;
    let mut seen = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.map_err(|e| format!("read: {e}"))?;
        let Some(chunk) = buf.get(..n).filter(|c| !c.is_empty()) else {
            return Err(format!("closed before `connected`: {}", String::from_utf8_lossy(&seen)));
        };
        seen.extend_from_slice(chunk);
        if !seen.starts_with(b"HTTP/1.1 200") && seen.len() >= 12 {
            let first = seen.split(|b| *b == b'\r').next().unwrap_or_default();
            return Err(format!("answered {}", String::from_utf8_lossy(first)));
        }
        if contains(&seen, CONNECTED_EVENT) {
            return Ok(stream);
        }
    }
}

/// Reads a stream until it closes; a reporter says when a `follow` event arrives.
async fn drain(mut stream: TcpStream, account: usize, report: Option<mpsc::UnboundedSender<(usize, Instant)>>) {
    let mut buf = vec![0u8; 2048];
    let mut window: Vec<u8> = Vec::new();
    loop {
        let n = match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let (Some(report), Some(chunk)) = (&report, buf.get(..n)) else { continue };
        let at = Instant::now();
        // Keep the end of the last chunk, in case the pattern straddles two reads.
        window.extend_from_slice(chunk);
        if contains(&window, FOLLOW_EVENT) {
            let _ = report.send((account, at));
            window.clear();
        } else {
            let keep = window.len().saturating_sub(FOLLOW_EVENT.len());
            window.drain(..keep);
        }
    }
}

/// Opens `count` streams over `accounts` (`per_account` each; the first stream of
/// each account reports its events), waits `settle`, reads the server's RSS, then
/// measures delivery for one follow by each of `fans` of a different account.
pub async fn run(
    server: &Server,
    signer: &Signer,
    accounts: &[AccountId],
    fans: &[AccountId],
    count: usize,
    per_account: usize,
    settle: Duration,
) -> anyhow::Result<StreamsReport> {
    let per_account = per_account.max(1);
    if accounts.len().saturating_mul(per_account) < count {
        bail!("{count} streams need {} accounts", count.div_ceil(per_account));
    }
    // Let the freshly started server settle before its idle footprint is read.
    tokio::time::sleep(settle).await;
    let rss_before_mb = server.rss_mb()?;
    let tokens = accounts
        .iter()
        .take(count.div_ceil(per_account))
        .map(|id| signer.token(*id))
        .collect::<anyhow::Result<Vec<_>>>()?;

    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (opened_tx, mut opened_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let gate = Arc::new(Semaphore::new(OPENING));
    let closed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks: Vec<JoinHandle<()>> = Vec::with_capacity(count);
    for j in 0..count {
        let account = j / per_account;
        let token = Arc::clone(tokens.get(account).context("a token per account")?);
        let report = (j % per_account == 0).then(|| events_tx.clone());
        let (gate, opened_tx, closed, port) = (Arc::clone(&gate), opened_tx.clone(), Arc::clone(&closed), server.port);
        tasks.push(tokio::spawn(async move {
            let Ok(permit) = gate.acquire_owned().await else { return };
            let outcome = tokio::time::timeout(Duration::from_secs(30), open(port, &token))
                .await
                .unwrap_or_else(|_| Err("no `connected` within 30 s".into()));
            drop(permit);
            match outcome {
                Ok(stream) => {
                    let _ = opened_tx.send(Ok(()));
                    drain(stream, account, report).await;
                    closed.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    let _ = opened_tx.send(Err(e));
                }
            }
        }));
    }
    drop(opened_tx);
    let (mut opened, mut failed, mut first_failure) = (0usize, 0usize, None);
    while opened + failed < count {
        match opened_rx.recv().await {
            Some(Ok(())) => opened += 1,
            Some(Err(e)) => {
                failed += 1;
                first_failure.get_or_insert(e);
            }
            None => break,
        }
    }
    let open_time = started.elapsed();
    tokio::time::sleep(settle).await;
    let rss_with_mb = server.rss_mb()?;

    // Delivery: fan k follows account k (its streams waiting), one follow at a time.
    let client = reqwest::Client::builder().tcp_nodelay(true).timeout(Duration::from_secs(10)).build()?;
    let base = format!("{}/api/v1/community", server.origin);
    let mut delivery =
        Delivery { follows: 0, after_response: histogram()?, after_request: histogram()?, early: 0, missing: 0 };
    for (k, (fan, followee)) in fans.iter().zip(accounts.iter().take(tokens.len())).enumerate() {
        delivery.follows += 1;
        let sent = Instant::now();
        if let Err(e) = send(&client, &base, Call::follow(signer.token(*fan)?, *followee)).await {
            eprintln!("    delivery follow failed: {e}");
            delivery.missing += 1;
            continue;
        }
        let answered = Instant::now();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let arrived = loop {
            match tokio::time::timeout_at(deadline, events.recv()).await {
                Ok(Some((account, at))) if account == k => break Some(at),
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break None,
            }
        };
        match arrived {
            Some(at) => {
                if at < answered {
                    delivery.early += 1;
                }
                delivery.after_response.saturating_record(micros(at.saturating_duration_since(answered)));
                delivery.after_request.saturating_record(micros(at.saturating_duration_since(sent)));
            }
            None => delivery.missing += 1,
        }
    }

    let closed_early = closed.load(Ordering::Relaxed);
    for task in &tasks {
        task.abort();
    }
    for task in tasks {
        let _ = task.await;
    }
    Ok(StreamsReport {
        requested: count,
        opened,
        failed,
        first_failure,
        closed_early,
        open_time,
        rss_before_mb,
        rss_with_mb,
        delivery,
    })
}
