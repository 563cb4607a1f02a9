//! `rookery serve` as a process of its own, so that its memory is its own: the bench
//! process also holds the client, the ceiling's pool and the seeding's leftovers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// The `rookery` binary beside the bench's own (both build into `target/release`).
pub fn binary(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => {
            let exe = std::env::current_exe().context("locating the bench's executable")?;
            exe.parent().context("the bench's executable has no directory")?.join("rookery")
        }
    };
    if !path.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release -p rookery -p rookery-bench` (make bench does)",
            path.display()
        );
    }
    Ok(path)
}

/// A running `rookery serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    pub port: u16,
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Server {
    /// Starts `rookery serve` on a free port over `database_url` and waits until its
    /// `/healthz` answers.
    pub async fn start(
        binary: &Path,
        database_url: &str,
        secret: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("ROOKERY_JWT_SECRET", secret)
            .env("ROOKERY_LOG", "warn")
            .env("ROOKERY_RATE_LIMIT_FOLLOWS_PER_HOUR", crate::limits::NEVER_TRIPS.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (key, value) in env {
            command.env(key, value);
        }
        let child = command.spawn().with_context(|| format!("starting {}", binary.display()))?;
        let mut server = Self { child, origin: format!("http://127.0.0.1:{port}"), port };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build()?;
        let url = format!("{}/healthz", self.origin);
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("rookery serve exited before answering /healthz: {status}");
            }
            if client.get(&url).send().await.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!("rookery serve did not answer {url} within 60 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in MB (`VmRSS` of `/proc/PID/status`).
    pub fn rss_mb(&self) -> anyhow::Result<f64> {
        rss_mb(self.pid())
    }

    /// Asks it to stop (SIGTERM), then kills it if it is still there after `grace`.
    pub fn stop(mut self, grace: Duration) -> anyhow::Result<()> {
        self.terminate(grace)
    }

    fn terminate(&mut self, grace: Duration) -> anyhow::Result<()> {
        if self.child.try_wait()?.is_some() {
            return Ok(());
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < grace {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("    rookery serve did not stop within {} s of SIGTERM: killing it", grace.as_secs());
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Err(e) = self.terminate(Duration::from_secs(5)) {
            eprintln!("could not stop rookery serve: {e}");
        }
    }
}

/// `VmRSS` of a process, in MB.
pub fn rss_mb(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).context("reading /proc/PID/status")?;
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kb| kb.parse::<u32>().ok())
        .context("no VmRSS in /proc/PID/status")?;
    Ok(f64::from(kb) / 1024.0)
}
