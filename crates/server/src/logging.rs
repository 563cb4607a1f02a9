//! Logs that can never stop the server.
//!
//! Writing to stderr blocks when its pipe is full (a reader that stopped reading) and
//! fails when it is closed (`rookery serve 2>&1 | head -3`, once `head` exits). With a
//! plain stderr writer, tracing-subscriber reports such a failure with `eprintln!`,
//! which panics on the closed stderr in whichever thread logged: a worker (its
//! requests got empty replies) or the signal task (SIGTERM went unheard). So every
//! line goes through a bounded queue to one thread that writes it and ignores
//! failures; a line that finds the queue full, or that the write loses, is dropped
//! and counted (`rookery_log_lines_dropped` in `/metrics`). Logging costs a request a
//! copy and a channel send, never a wait.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Lines that may wait for the writer thread before new ones are dropped.
const QUEUE_LINES: usize = 8192;

/// How long [`flush`] waits for queued lines at exit: bounded, so that a stderr nobody
/// reads cannot hold the process.
const FLUSH_WAIT: Duration = Duration::from_secs(2);

static QUEUE: OnceLock<Option<SyncSender<Vec<u8>>>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);
static QUEUED: AtomicU64 = AtomicU64::new(0);
static HANDLED: AtomicU64 = AtomicU64::new(0);

/// Log lines dropped since start: the queue was full, or stderr refused them.
#[must_use]
pub fn dropped_lines() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// Logs to stderr through the queue, filtered by `ROOKERY_LOG` (default `info`), as
/// text or JSON (`ROOKERY_LOG_FORMAT`), coloured only when stderr is a terminal and
/// `NO_COLOR` is unset (a log file or journald gets no escape codes).
///
/// # Errors
/// `ROOKERY_LOG` is not a valid filter or `ROOKERY_LOG_FORMAT` is neither `text` nor
/// `json`: refused rather than silently replaced by the default.
pub fn init() -> anyhow::Result<()> {
    let filter = match std::env::var("ROOKERY_LOG") {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::builder()
            .parse(&directives)
            .map_err(|e| anyhow::anyhow!("ROOKERY_LOG {directives:?} is not a log filter: {e}"))?,
        _ => EnvFilter::new("info"),
    };
    let json = match std::env::var("ROOKERY_LOG_FORMAT").as_deref().map(str::trim) {
        Err(_) | Ok("" | "text") => false,
        Ok("json") => true,
        Ok(other) => anyhow::bail!("ROOKERY_LOG_FORMAT {other:?} is not a log format: use text or json"),
    };
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LossyStderr)
        .with_ansi(colour && !json)
        .log_internal_errors(false);
    // Already set (a test harness starting several servers): keep the first.
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
    Ok(())
}

/// Waits (at most [`FLUSH_WAIT`]) until the lines queued so far are written or dropped:
/// at exit, so a command's last lines are not lost with the writer thread.
pub fn flush() {
    let target = QUEUED.load(Ordering::Acquire);
    let deadline = Instant::now() + FLUSH_WAIT;
    while HANDLED.load(Ordering::Acquire) < target && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The queue, and its writer thread, started on first use; `None` when the thread could
/// not be started (lines are then dropped and counted).
fn queue() -> Option<&'static SyncSender<Vec<u8>>> {
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = sync_channel(QUEUE_LINES);
            std::thread::Builder::new().name("rookery-log".into()).spawn(move || write_lines(&receiver)).ok()?;
            Some(sender)
        })
        .as_ref()
}

fn write_lines(lines: &Receiver<Vec<u8>>) {
    let mut stderr = std::io::stderr();
    for line in lines {
        if stderr.write_all(&line).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        HANDLED.fetch_add(1, Ordering::Release);
    }
}

/// tracing's writer: each formatted event is one `write_all` of a whole line.
#[derive(Debug, Clone, Copy)]
struct LossyStderr;

impl<'a> MakeWriter<'a> for LossyStderr {
    type Writer = Self;

    fn make_writer(&'a self) -> Self {
        *self
    }
}

impl Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let sent = queue().map(|queue| queue.try_send(buf.to_vec()));
        match sent {
            Some(Ok(())) => {
                QUEUED.fetch_add(1, Ordering::Release);
            }
            Some(Err(TrySendError::Full(_) | TrySendError::Disconnected(_))) | None => {
                DROPPED.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Always "written": a dropped line is counted, never reported as an error.
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
