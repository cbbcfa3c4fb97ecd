//! One bench run, phase by phase, on one corpus: ingest, triage updates, search and list mixes,
//! memory (including a fresh "serving" process), then the peers.

use crate::corpus::{Corpus, CorpusConfig};
use crate::machine::Machine;
use crate::measure::rss_mib;
use crate::peers::run_peers;
use crate::queries::{query_mix, BenchQuery};
use crate::report::{MemoryFigures, Report};
use crate::{mixes, trellis_run};
use anyhow::Context;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Measures trellis on a deterministic synthetic corpus and compares its search with peers'.
#[derive(Debug, Clone, Parser)]
#[command(name = "trellis-bench", version)]
pub struct Options {
    /// Another benchmark than the default one (ingest, search, list and peers).
    #[command(subcommand)]
    pub mode: Option<Mode>,
    /// How many messages the corpus has.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u64,
    /// Print one JSON object with every figure as the last line of output.
    #[arg(long)]
    pub json: bool,
    /// Where the store, index and peer databases go; a temporary directory (removed at the end)
    /// when not given. An existing directory is used as is and kept.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL server for the peers; the bench creates and drops its own database on it.
    #[arg(long, env = "TRELLIS_BENCH_POSTGRES_URL")]
    pub postgres_url: Option<String>,
    /// Do not run the peers (SQLite FTS5, PostgreSQL tsvector and ILIKE).
    #[arg(long)]
    pub skip_peers: bool,
    /// Timed passes over the query mix and the list mix, after one warming pass.
    #[arg(long, default_value_t = 20)]
    pub queries: usize,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 20_241_129)]
    pub seed: u64,
    /// Messages per ingest batch.
    #[arg(long, default_value_t = 1_000)]
    pub batch_size: usize,
    /// Internal: open an existing data dir, run the mixes, print RSS (the serving-memory probe).
    #[arg(long, hide = true)]
    pub serve_probe: bool,
}

/// The benchmarks other than the default one.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Mode {
    /// A burst across X, Facebook and Discourse: polled, stored and searchable (docs/performance.md).
    Burst(crate::burst::BurstOptions),
}

impl Options {
    fn corpus(&self) -> CorpusConfig {
        CorpusConfig { messages: self.messages, seed: self.seed, batch_size: self.batch_size }
    }

    fn queries(&self) -> Vec<BenchQuery> {
        let author = Corpus::new(self.corpus()).frequent_x_author().unwrap_or_default();
        query_mix(&author)
    }
}

/// Runs the bench in the data dir `options` names or a temporary one.
pub async fn run(options: &Options) -> anyhow::Result<Report> {
    match &options.data_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            run_in(options, dir).await
        }
        None => {
            let dir = tempfile_dir()?;
            let result = run_in(options, &dir).await;
            std::fs::remove_dir_all(&dir).with_context(|| format!("remove {}", dir.display()))?;
            result
        }
    }
}

fn tempfile_dir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("trellis-bench-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

async fn run_in(options: &Options, dir: &Path) -> anyhow::Result<Report> {
    let queries = options.queries();
    let trellis_dir = dir.join("trellis");
    anyhow::ensure!(
        !trellis_dir.exists(),
        "{} already holds a trellis; give an empty --data-dir",
        trellis_dir.display()
    );
    std::fs::create_dir_all(&trellis_dir)?;

    progress(options, "ingesting");
    let trellis = trellis_run::create(&trellis_dir).await?;
    let mut ingest = trellis_run::ingest(&trellis, options.corpus()).await?;
    progress(options, "applying workflow");
    let (conversations, updates, triage) =
        trellis_run::apply_workflow(&trellis, options.seed).await?;
    ingest.conversations = conversations;
    ingest.triage_updates = updates;
    ingest.triage_seconds = triage.as_secs_f64();

    progress(options, "searching");
    let search = mixes::search_mix(&trellis.index, &queries, options.queries).await?;
    progress(options, "listing");
    let cases = mixes::list_cases(trellis.accounts[0], trellis.agents[0]);
    let conversation_list = mixes::list_mix(&trellis.store, cases, options.queries).await?;
    let (rss_after, peak) = rss_mib();

    ingest.store_bytes = ["trellis.db", "trellis.db-wal"]
        .iter()
        .map(|name| trellis_run::disk_usage(&trellis_dir.join(name)))
        .sum();
    ingest.index_bytes = trellis_run::disk_usage(&trellis_run::index_dir(&trellis_dir));
    drop(trellis);

    progress(options, "probing serving memory");
    let serving = serve_probe_child(options, &trellis_dir);
    if let Err(error) = &serving {
        eprintln!("warning: serving memory probe failed: {error:#}");
    }
    let serving = serving.ok();
    let memory = MemoryFigures {
        peak_rss_mib: peak,
        rss_after_mib: rss_after,
        serving_rss_mib: serving.map(|(rss, _)| rss),
        serving_peak_rss_mib: serving.map(|(_, peak)| peak),
    };

    let peers = if options.skip_peers {
        None
    } else {
        progress(options, "running peers");
        let url =
            options.postgres_url.clone().unwrap_or_else(trellis_store::testing::postgres_test_url);
        let mut peers = run_peers(options.corpus(), &queries, options.queries, dir, &url).await?;
        for engine in &mut peers.engines {
            engine.p99_ratio_vs_trellis = ratio(engine.latency.p99_ms, search.latency.p99_ms);
            engine.p50_ratio_vs_trellis = ratio(engine.latency.p50_ms, search.latency.p50_ms);
        }
        Some(peers)
    };

    Ok(Report {
        messages: options.messages,
        seed: options.seed,
        repetitions: options.queries,
        machine: Machine::detect(),
        ingest,
        search,
        conversation_list,
        memory,
        peers,
    })
}

fn ratio(peer: f64, trellis: f64) -> Option<f64> {
    (trellis > 0.0).then(|| peer / trellis)
}

fn progress(options: &Options, phase: &str) {
    eprintln!("trellis-bench: {phase} ({} messages)", options.messages);
}

/// Runs this binary again as a fresh process over the data just written and reads its RSS.
fn serve_probe_child(options: &Options, trellis_dir: &Path) -> anyhow::Result<(f64, f64)> {
    let exe = std::env::current_exe()?;
    let output = Command::new(exe)
        .arg("--serve-probe")
        .arg("--data-dir")
        .arg(trellis_dir)
        .args(["--messages", &options.messages.to_string()])
        .args(["--seed", &options.seed.to_string()])
        .args(["--queries", &options.queries.to_string()])
        .output()?;
    anyhow::ensure!(
        output.status.success(),
        "probe failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout)?;
    let line = stdout.lines().last().context("probe printed nothing")?;
    let value: serde_json::Value = serde_json::from_str(line)?;
    let read = |field: &str| value[field].as_f64().context("probe output lacks a figure");
    Ok((read("rss_mib")?, read("peak_rss_mib")?))
}

/// The probe itself: what a freshly started server holds after serving the mixes.
pub async fn serve_probe(options: &Options) -> anyhow::Result<()> {
    let dir = options.data_dir.clone().context("--serve-probe needs --data-dir")?;
    let (store, index) = trellis_run::open(&dir).await?;
    let accounts = store.list_accounts().await?;
    let users = store.list_users().await?;
    let account = accounts.first().context("no accounts")?.id;
    let agent = users.first().context("no users")?.id;
    mixes::search_mix(&index, &options.queries(), options.queries).await?;
    mixes::list_mix(&store, mixes::list_cases(account, agent), options.queries).await?;
    let (rss, peak) = rss_mib();
    println!("{}", serde_json::json!({ "rss_mib": rss, "peak_rss_mib": peak }));
    Ok(())
}
