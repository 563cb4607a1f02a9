//! One measured phase: HTTP requests from keep-alive connections, or direct calls from
//! threads or tasks, counted into a latency histogram until the phase's time is up.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rookery_domain::AccountId;
use serde_json::json;

use crate::wire;

/// What one phase measured.
pub struct Stats {
    pub ops: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub latency: Histogram<u64>,
}

impl Stats {
    pub fn empty() -> anyhow::Result<Self> {
        Ok(Self { ops: 0, errors: 0, elapsed: Duration::ZERO, latency: histogram()? })
    }

    pub fn throughput(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 { to_f64(self.ops) / secs } else { 0.0 }
    }

    pub fn quantile_ms(&self, q: f64) -> f64 {
        to_f64(self.latency.value_at_quantile(q)) / 1000.0
    }
}

/// One worker's count, latencies and first error; the workers' tallies add up to a
/// phase's [`Stats`].
struct Tally {
    stats: Stats,
    first_error: Option<String>,
}

impl Tally {
    fn new() -> anyhow::Result<Self> {
        Ok(Self { stats: Stats::empty()?, first_error: None })
    }

    fn record(&mut self, elapsed: Duration, outcome: Result<(), String>) {
        self.stats.latency.saturating_record(micros(elapsed));
        self.stats.ops += 1;
        if let Err(e) = outcome {
            self.stats.errors += 1;
            self.first_error.get_or_insert(e);
        }
    }

    fn absorb(&mut self, other: Self) -> anyhow::Result<()> {
        self.stats.ops += other.stats.ops;
        self.stats.errors += other.stats.errors;
        self.stats.latency.add(&other.stats.latency)?;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        Ok(())
    }

    /// The phase's stats, saying what the first error was and whether the workers ran
    /// out of work early.
    fn finish(mut self, elapsed: Duration, duration: Duration) -> Stats {
        self.stats.elapsed = elapsed;
        if let Some(e) = &self.first_error {
            eprintln!("    first error: {e}");
        }
        note_early_end(&self.stats, duration);
        self.stats
    }
}

pub fn to_f64(n: u64) -> f64 {
    u32::try_from(n).map_or(f64::from(u32::MAX), f64::from)
}

pub fn usize_f64(n: usize) -> f64 {
    to_f64(u64::try_from(n).unwrap_or(u64::MAX))
}

pub fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Microseconds to a day.
pub fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

/// Says so when the workers ran out of work (seeded pairs) before the phase's time.
fn note_early_end(stats: &Stats, duration: Duration) {
    if stats.elapsed < duration.mul_f64(0.9) {
        eprintln!(
            "    note: the workers ran out of seeded work after {:.2} s of {:.2} s",
            stats.elapsed.as_secs_f64(),
            duration.as_secs_f64()
        );
    }
}

/// An HTTP request a worker makes: method, path under the canonical API, bearer token.
pub struct Call {
    pub method: reqwest::Method,
    pub path: String,
    pub token: Arc<str>,
    /// A JSON body, rendered when the call is made.
    pub body: Option<Vec<u8>>,
    /// The answer expected: any 2xx (`None`), or exactly this status.
    pub expect: Option<u16>,
}

impl Call {
    /// `POST /follow {"user_id": target}`.
    pub fn follow(token: Arc<str>, target: AccountId) -> Self {
        Self {
            method: reqwest::Method::POST,
            path: "/follow".into(),
            token,
            // Written out, not built as a `json!` map and serialized: the client shares
            // the two cores with the server it measures.
            body: Some(format!(r#"{{"user_id":"{target}"}}"#).into_bytes()),
            expect: None,
        }
    }

    /// A follow by an account past its limit: 429 is the expected answer.
    pub fn follow_past_limit(token: Arc<str>, target: AccountId) -> Self {
        Self { expect: Some(429), ..Self::follow(token, target) }
    }

    /// `GET path`.
    pub fn get(token: Arc<str>, path: String) -> Self {
        Self { method: reqwest::Method::GET, path, token, body: None, expect: None }
    }
}

/// Sends one call and reads the whole answer: `Err` with the status and body unless 2xx.
pub async fn send(client: &reqwest::Client, base: &str, call: Call) -> Result<(), String> {
    let mut request = client.request(call.method, format!("{base}{}", call.path)).bearer_auth(&*call.token);
    if let Some(body) = call.body {
        request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(body);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Ok(_) if status.is_success() => Ok(()),
                Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                Err(e) => Err(e.to_string()),
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Why a call failed, and whether its connection is still usable.
struct Failure {
    message: String,
    connection_lost: bool,
}

/// Sends one call over a keep-alive connection of the light client (`wire`): `Err`
/// with the status and body unless the answer is the one expected (2xx by default).
async fn send_wire(conn: &mut wire::Connection, host: &str, prefix: &str, call: &Call) -> Result<(), Failure> {
    let path = format!("{prefix}{}", call.path);
    let request = wire::Request::new(call.method.as_str(), host, &path, Some(&call.token), call.body.as_deref());
    match conn.send(&request).await {
        Ok(response) if call.expect.map_or_else(|| response.is_success(), |status| status == response.status) => Ok(()),
        Ok(response) => Err(Failure {
            message: format!("{}: {}", response.status, String::from_utf8_lossy(response.body)),
            connection_lost: false,
        }),
        Err(e) => Err(Failure { message: e.to_string(), connection_lost: true }),
    }
}

/// `http://host:port/prefix` as the address to connect to, the `Host` header and the
/// path prefix.
fn split_base(base: &str) -> anyhow::Result<(SocketAddr, String, String)> {
    let rest = base.strip_prefix("http://").context("the base URL is http://")?;
    let (host, prefix) = rest.split_once('/').map_or((rest, String::new()), |(h, p)| (h, format!("/{p}")));
    Ok((host.parse()?, host.to_owned(), prefix))
}

/// Runs `op(worker, iteration)` from `connections` tasks, each over a keep-alive
/// connection of its own, until `duration` has passed or every worker's `op` returns
/// `None`. The connections use the light client (`wire`), so the load generator's own
/// CPU, taken from the same two cores as the server's, stays small.
pub async fn http_phase<F>(base: &str, connections: usize, duration: Duration, op: F) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Option<Call> + Send + Sync + 'static,
{
    let (addr, host, prefix) = split_base(base)?;
    let mut conns = Vec::with_capacity(connections);
    for _ in 0..connections {
        conns.push(wire::Connection::open(addr).await?);
    }
    let (host, prefix) = (Arc::<str>::from(host), Arc::<str>::from(prefix));
    worker_tasks(conns, duration, move |mut conn, worker, i| {
        let call = op(worker, i)?;
        let (host, prefix) = (Arc::clone(&host), Arc::clone(&prefix));
        Some(async move {
            let t0 = Instant::now();
            let outcome = send_wire(&mut conn, &host, &prefix, &call).await;
            let elapsed = t0.elapsed();
            if outcome.as_ref().is_err_and(|failure| failure.connection_lost) {
                conn = wire::Connection::open(addr).await?;
            }
            Ok((conn, elapsed, outcome.map_err(|failure| failure.message)))
        })
    })
    .await
}

/// One timed step of a worker: its state back, how long the step took, its outcome.
type Step<S> = anyhow::Result<(S, Duration, Result<(), String>)>;

/// Runs one task per state, each calling `step(state, worker, iteration)` until
/// `duration` has passed or its `step` returns `None`, and sums what they measured.
async fn worker_tasks<S, F, Fut>(states: Vec<S>, duration: Duration, step: F) -> anyhow::Result<Stats>
where
    S: Send + 'static,
    F: Fn(S, usize, usize) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future<Output = Step<S>> + Send + 'static,
{
    let step = Arc::new(step);
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(states.len());
    for (worker, state) in states.into_iter().enumerate() {
        let step = Arc::clone(&step);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::new()?;
            let mut state = Some(state);
            for i in 0.. {
                if start.elapsed() >= duration {
                    break;
                }
                let Some(current) = state.take() else { break };
                let Some(call) = step(current, worker, i) else { break };
                let (next, elapsed, outcome) = call.await?;
                tally.record(elapsed, outcome);
                state = Some(next);
            }
            anyhow::Ok(tally)
        }));
    }
    let mut total = Tally::new()?;
    for task in tasks {
        total.absorb(task.await??)?;
    }
    Ok(total.finish(start.elapsed(), duration))
}

/// Runs `op(worker, iteration)` on `threads` threads until `duration` has passed or
/// every worker's `op` returns `None`. `setup(worker)` runs first on each thread and
/// gives it its state (a connection of its own, say); the clock starts after it.
pub fn threads_phase<S, F, T>(threads: usize, duration: Duration, setup: S, op: F) -> anyhow::Result<Stats>
where
    S: Fn(usize) -> anyhow::Result<T>,
    F: Fn(&mut T, usize, usize) -> Option<anyhow::Result<()>> + Sync,
    T: Send,
{
    let states = (0..threads).map(&setup).collect::<anyhow::Result<Vec<T>>>()?;
    let start = Instant::now();
    let results = std::thread::scope(|scope| {
        let handles: Vec<_> = states
            .into_iter()
            .enumerate()
            .map(|(worker, mut state)| {
                let op = &op;
                scope.spawn(move || {
                    let mut tally = Tally::new()?;
                    for i in 0.. {
                        if start.elapsed() >= duration {
                            break;
                        }
                        let t0 = Instant::now();
                        let Some(outcome) = op(&mut state, worker, i) else { break };
                        tally.record(t0.elapsed(), outcome.map_err(|e| format!("{e:#}")));
                    }
                    anyhow::Ok(tally)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect::<Vec<_>>()
    });
    let elapsed = start.elapsed();
    let mut total = Tally::new()?;
    for result in results {
        let Ok(result) = result else { bail!("a phase thread panicked") };
        total.absorb(result?)?;
    }
    Ok(total.finish(elapsed, duration))
}

/// Runs `op(worker, iteration)` on `threads` threads, directly on the service.
pub fn ceiling_phase<F>(threads: usize, duration: Duration, op: F) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Option<anyhow::Result<()>> + Send + Sync,
{
    threads_phase(threads, duration, |_| Ok(()), |_: &mut (), worker, i| op(worker, i))
}

/// Runs `op(worker, iteration)` from `tasks` tasks on `runtime`, directly on the
/// service: the ceiling of a use case whose handler awaits part of it on its executor
/// (the write-first follow and unfollow) and runs the rest on a blocking thread.
pub fn tasks_phase<F, Fut>(
    runtime: &tokio::runtime::Runtime,
    tasks: usize,
    duration: Duration,
    op: F,
) -> anyhow::Result<Stats>
where
    F: Fn(usize, usize) -> Option<Fut> + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    runtime.block_on(worker_tasks(vec![(); tasks], duration, move |(), worker, i| {
        let call = op(worker, i)?;
        Some(async move {
            let t0 = Instant::now();
            let outcome = call.await;
            Ok(((), t0.elapsed(), outcome.map_err(|e| format!("{e:#}"))))
        })
    }))
}

/// Each worker's next iteration, carried on from one round of a phase to the next, so
/// a later round takes up fresh pairs (and the same alternation) where the last left.
#[derive(Clone)]
pub struct Progress(Arc<Vec<AtomicUsize>>);

impl Progress {
    pub fn new(workers: usize) -> Self {
        Self(Arc::new((0..workers).map(|_| AtomicUsize::new(0)).collect()))
    }

    /// Worker `w`'s next iteration.
    pub fn next(&self, w: usize) -> Option<usize> {
        Some(self.0.get(w)?.fetch_add(1, Ordering::Relaxed))
    }
}

/// Runs a scenario's HTTP phase and its ceiling phase in `rounds` alternating rounds of
/// `round` each, and keeps of each side the round with the median throughput: a burst
/// of other work on a shared machine then spoils one round of one side, not the ratio.
pub fn alternating(
    rounds: usize,
    round: Duration,
    mut http: impl FnMut(Duration) -> anyhow::Result<Stats>,
    mut ceiling: impl FnMut(Duration) -> anyhow::Result<Stats>,
) -> anyhow::Result<(Stats, Stats)> {
    let (mut https, mut ceilings) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    for _ in 0..rounds.max(1) {
        https.push(http(round)?);
        ceilings.push(ceiling(round)?);
    }
    Ok((median(https), median(ceilings)))
}

/// The round with the median throughput, among the rounds that did any work: a round
/// that found no seeded work left (a ceiling faster than the seeding planned for)
/// measured nothing, and its zero would otherwise be the median.
fn median(rounds: Vec<Stats>) -> Stats {
    let (worked, idle): (Vec<Stats>, Vec<Stats>) = rounds.into_iter().partition(|round| round.ops > 0);
    let mut rounds = if worked.is_empty() { idle } else { worked };
    rounds.sort_by(|a, b| a.throughput().total_cmp(&b.throughput()));
    let middle = rounds.len() / 2;
    rounds.swap_remove(middle)
}

/// Signs HS256 access tokens with the server's secret.
pub struct Signer {
    key: EncodingKey,
}

impl Signer {
    pub fn new(secret: &str) -> Self {
        Self { key: EncodingKey::from_secret(secret.as_bytes()) }
    }

    pub fn token(&self, id: AccountId) -> anyhow::Result<Arc<str>> {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or(0);
        let claims = json!({ "sub": id.to_string(), "iat": now, "exp": now + 4 * 3600 });
        Ok(Arc::from(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)?))
    }

    pub fn tokens(&self, ids: &[AccountId]) -> anyhow::Result<Arc<Vec<Arc<str>>>> {
        Ok(Arc::new(ids.iter().map(|id| self.token(*id)).collect::<anyhow::Result<Vec<_>>>()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(ops: u64, millis: u64) -> anyhow::Result<Stats> {
        Ok(Stats { ops, elapsed: Duration::from_millis(millis), ..Stats::empty()? })
    }

    #[test]
    fn the_median_round_leaves_out_rounds_without_work() -> anyhow::Result<()> {
        let rounds = vec![round(0, 0)?, round(20_000, 410)?, round(0, 0)?];
        assert_eq!(median(rounds).ops, 20_000);
        let rounds = vec![round(3_000, 1_000)?, round(1_000, 1_000)?, round(2_000, 1_000)?];
        assert_eq!(median(rounds).ops, 2_000);
        assert_eq!(median(vec![round(0, 0)?, round(0, 0)?]).ops, 0);
        Ok(())
    }
}
