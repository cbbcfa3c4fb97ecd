//! A real `trellis serve` process on a free local port, over the bench's data dir: started with
//! sync off (no platform is connected, nothing to poll or deliver), waited for until `/readyz`
//! answers 200 and its CPU goes quiet, stopped with SIGTERM at the end.

use super::procfs::{self, CpuSnapshot};
use anyhow::Context;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a fresh server may take to answer `/readyz` (a stale index is rebuilt first).
const READY_TIMEOUT: Duration = Duration::from_secs(900);
/// Below this share of one core over [`SETTLE_SAMPLE`], the server counts as idle.
const IDLE_CORES: f64 = 0.05;
const SETTLE_SAMPLE: Duration = Duration::from_secs(2);

/// A running `trellis serve`, killed if dropped without [`Server::stop`].
pub struct Server {
    child: Child,
    pub base_url: String,
    pub log: PathBuf,
}

/// What the server needs to find its data.
pub struct ServeSpec<'a> {
    pub binary: &'a Path,
    pub data_dir: &'a Path,
    pub database_url: &'a str,
}

impl Server {
    pub fn start(spec: &ServeSpec<'_>) -> anyhow::Result<Self> {
        anyhow::ensure!(
            spec.binary.is_file(),
            "no trellis binary at {}; build it (cargo build --release -p trellis-server) or pass --trellis",
            spec.binary.display()
        );
        let port = free_port()?;
        let bind = format!("127.0.0.1:{port}");
        let log = spec.data_dir.join("serve.log");
        let log_file = std::fs::File::create(&log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let child = Command::new(spec.binary)
            .args(["serve", "--bind", &bind])
            .env("TRELLIS_DATA_DIR", spec.data_dir)
            .env("TRELLIS_DATABASE_URL", spec.database_url)
            .env("TRELLIS_SYNC_ENABLED", "false")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", spec.binary.display()))?;
        Ok(Self { child, base_url: format!("http://{bind}"), log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `/readyz` answers 200; fails early if the process exits.
    pub async fn wait_ready(&mut self, http: &reqwest::Client) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let url = format!("{}/readyz", self.base_url);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "trellis serve exited ({status}) before it was ready:\n{}",
                    self.log_tail()
                );
            }
            let ready = http
                .get(&url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return Ok(started.elapsed());
            }
            anyhow::ensure!(
                started.elapsed() < READY_TIMEOUT,
                "trellis serve was not ready after {} s:\n{}",
                READY_TIMEOUT.as_secs(),
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the server's own start-up work (triage catching up, the SLA timer, index
    /// merges) is done: its CPU use stays under 5 % of a core for two seconds. Gives up after
    /// `limit` and says so, rather than measure a busy server silently.
    pub async fn settle(&mut self, limit: Duration) -> anyhow::Result<(Duration, bool)> {
        let started = Instant::now();
        loop {
            let before = CpuSnapshot::take(self.pid());
            tokio::time::sleep(SETTLE_SAMPLE).await;
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("trellis serve exited ({status}):\n{}", self.log_tail());
            }
            let used = before.until(&CpuSnapshot::take(self.pid()), 0);
            if used.process_cores < IDLE_CORES {
                return Ok((started.elapsed(), true));
            }
            if started.elapsed() >= limit {
                return Ok((started.elapsed(), false));
            }
        }
    }

    /// (VmRSS, VmHWM) in MiB.
    pub fn rss_mib(&self) -> (f64, f64) {
        procfs::rss_mib(self.pid())
    }

    /// Fails when the server has exited.
    pub fn check_running(&mut self) -> anyhow::Result<()> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => anyhow::bail!("trellis serve exited ({status}):\n{}", self.log_tail()),
        }
    }

    /// SIGTERM (graceful: in-flight requests drain), then SIGKILL after 30 s.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let pid = self.pid().to_string();
        let signalled = Command::new("kill").args(["-TERM", &pid]).status();
        if signalled.is_ok_and(|status| status.success()) {
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(30) {
                if self.child.try_wait()?.is_some() {
                    return Ok(());
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            eprintln!("trellis-bench agents: trellis serve did not stop within 30 s; killing it");
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }

    /// The last lines the server logged, for error messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A port nothing listens on right now (the server binds it a moment later).
fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}
