//! `trellis-bench burst`: a burst of messages across X, Facebook and Discourse, polled by the
//! scheduler `trellis serve` runs from the three platform simulators into a fresh SQLite store,
//! with the search index following the change feed; timed until everything is searchable, then
//! checked (counts per platform, searchability, known messages found).
//!
//! - [`platforms`]: the simulators and the traffic they generate.
//! - [`trellis`]: the store, index and accounts, set up by the server's own code.
//! - [`drive`]: the timed sync and indexing.
//! - [`verify`]: the checks.

pub mod drive;
pub mod platforms;
pub mod report;
pub mod trellis;
pub mod verify;

use crate::machine::Machine;
use crate::measure::rss_mib;
use anyhow::Context;
use chrono::{Duration, Utc};
use clap::Args;
use platforms::{Platforms, Split};
use report::{BurstReport, TARGET_MESSAGES_PER_S};
use std::path::{Path, PathBuf};

/// Polls a burst from the three platform simulators into a fresh trellis and times it until
/// searchable.
#[derive(Debug, Clone, Args)]
pub struct BurstOptions {
    /// How many messages the burst has, across the three platforms.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u64,
    /// Print one JSON object with every figure as the last line of output.
    #[arg(long)]
    pub json: bool,
    /// Seed of the simulators' traffic.
    #[arg(long, default_value_t = 20_241_129)]
    pub seed: u64,
    /// Where the store and index go (an empty or new directory, kept); a temporary directory,
    /// removed at the end, when not given.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs a burst in the data dir `options` names or a temporary one.
pub async fn run(options: &BurstOptions) -> anyhow::Result<BurstReport> {
    match &options.data_dir {
        Some(dir) => run_in(options, dir).await,
        None => {
            let dir = std::env::temp_dir().join(format!("trellis-burst-{}", std::process::id()));
            let result = run_in(options, &dir).await;
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("remove {}", dir.display()))?;
            }
            result
        }
    }
}

async fn run_in(options: &BurstOptions, dir: &Path) -> anyhow::Result<BurstReport> {
    let occupied = std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some());
    anyhow::ensure!(!occupied, "{} is not empty; give an empty --data-dir", dir.display());
    let requested = usize::try_from(options.messages).context("--messages is too large")?;
    progress(options, "generating traffic");
    let platforms = Platforms::start(options.seed).await.context("start the simulators")?;
    // Ended two minutes ago: past Facebook's settling time, so a first poll can read it all.
    let generated = platforms.generate(Split::of(requested), Utc::now() - Duration::minutes(2));
    let messages: u64 = generated.iter().map(|platform| platform.ids.len() as u64).sum();

    progress(options, "connecting accounts");
    let trellis = trellis::open(dir, &platforms).await?;
    let requests_before = platforms.requests();

    progress(options, "polling, storing and indexing");
    let timings = drive::sync_and_index(&trellis).await?;
    let requests = platforms.requests() - requests_before;
    let (_, peak_rss_mib) = rss_mib();
    anyhow::ensure!(
        timings.inserted == messages,
        "the polls inserted {} messages, the platforms generated {messages}",
        timings.inserted
    );

    progress(options, "verifying");
    let verified = verify::verify(&trellis, &generated).await?;

    let seconds = timings.searchable.as_secs_f64();
    let messages_per_s = messages as f64 / seconds.max(1e-9);
    Ok(BurstReport {
        requested: options.messages,
        messages,
        seed: options.seed,
        machine: Machine::detect(),
        seconds,
        messages_per_s,
        target_messages_per_s: TARGET_MESSAGES_PER_S,
        target_met: messages_per_s >= TARGET_MESSAGES_PER_S,
        poll_store_seconds: timings.stored.as_secs_f64(),
        index_lag_seconds: timings.searchable.saturating_sub(timings.stored).as_secs_f64(),
        requests,
        polls: timings.polls,
        peak_rss_mib,
        platforms: verified,
    })
}

fn progress(options: &BurstOptions, phase: &str) {
    eprintln!("trellis-bench burst: {phase} ({} messages)", options.messages);
}
