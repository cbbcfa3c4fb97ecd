//! `trellis-bench agents`: the HTTP API under load. A real `trellis serve` process runs on the
//! bench corpus; first one client alone times the conversation list and page (the server's own
//! time), then N simulated agents each hold a live-event stream open and cycle list → open →
//! reply, note or assign → resolve, while new messages arrive at a steady rate. Client-side
//! latency per operation over a window after a warm-up, the server's memory and CPU.
//!
//! The bench never links the server (the layering forbids it): it drives the binary over HTTP.
//!
//! - [`dataset`]: the corpus (built once per data dir, then reused), agents and tokens.
//! - [`server`]: the `trellis serve` process; [`procfs`], [`threads`]: its memory, CPU and what
//!   its threads wait on.
//! - [`quiet`]: the single-client pass; [`load`]: the agents; [`sse`]: their event streams;
//!   [`arrivals`]: the messages stored meanwhile.
//! - [`histogram`], [`record`]: bounded latency histograms; [`report`]: the figures.

pub mod api;
pub mod arrivals;
pub mod dataset;
pub mod histogram;
pub mod load;
pub mod procfs;
pub mod quiet;
pub mod record;
pub mod report;
pub mod server;
pub mod sse;
pub mod threads;

use crate::corpus::CorpusConfig;
use crate::machine::Machine;
use anyhow::Context;
use api::{Api, Http};
use arrivals::ArrivalPlan;
use clap::Args;
use procfs::CpuSnapshot;
use record::{Recorder, Window};
use report::{AgentsReport, FeedFigures, LoadFigures, ServerFigures, LOAD_TARGET_MS};
use server::{ServeSpec, Server};
use sse::{SseFigures, StreamTally};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Runs `trellis serve` on the bench corpus and measures its HTTP API under simulated agents.
#[derive(Debug, Clone, Args)]
pub struct AgentsOptions {
    /// The trellis binary to run as the server.
    #[arg(long, default_value = "target/release/trellis")]
    pub trellis: PathBuf,
    /// How many messages the corpus has.
    #[arg(long, default_value_t = 100_000)]
    pub messages: u64,
    /// Simulated agents, each with its own user, API token and event stream.
    #[arg(long, default_value_t = 500)]
    pub agents: usize,
    /// New messages stored per second while the agents work (0: none).
    #[arg(long, default_value_t = 500)]
    pub arrivals: u32,
    /// Seconds measured, after the warm-up.
    #[arg(long, default_value_t = 60)]
    pub duration: u64,
    /// Seconds of load before the measured window (agents start spread over its first half).
    #[arg(long, default_value_t = 10)]
    pub warmup: u64,
    /// Mean pause between two steps of an agent, in milliseconds (0: no pause).
    #[arg(long, default_value_t = 1_000)]
    pub think_ms: u64,
    /// Do not open the agents' event streams.
    #[arg(long)]
    pub no_sse: bool,
    /// Requests of each kind in the single-client pass.
    #[arg(long, default_value_t = 300)]
    pub quiet_requests: usize,
    /// Where the corpus lives. A dir marked with a corpus of this size and seed is reused;
    /// otherwise it must be empty or new, and is kept. A temporary one, removed at the end, when
    /// not given.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON object with every figure as the last line of output.
    #[arg(long)]
    pub json: bool,
    /// Seed of the corpus generator.
    #[arg(long, default_value_t = 20_241_129)]
    pub seed: u64,
    /// Messages per ingest batch while building the corpus.
    #[arg(long, default_value_t = 1_000)]
    pub batch_size: usize,
}

/// Where the change feed ends and how far the server's triage has read it.
struct FeedPosition {
    latest: i64,
    triage: i64,
}

impl FeedPosition {
    async fn read(store: &dyn trellis_core::Store) -> anyhow::Result<Self> {
        let latest = store.latest_seq().await?.0;
        let triage = store.follower_position(trellis_triage::service::FOLLOWER_NAME).await?.0;
        Ok(Self { latest, triage })
    }
}

/// How long the server may stay busy with its own start-up work before the bench goes on.
const SETTLE_LIMIT: Duration = Duration::from_secs(600);

/// Runs the agents bench in the data dir `options` names or a temporary one.
pub async fn run(options: &AgentsOptions) -> anyhow::Result<AgentsReport> {
    match &options.data_dir {
        Some(dir) => run_in(options, dir).await,
        None => {
            let dir = std::env::temp_dir().join(format!("trellis-agents-{}", std::process::id()));
            let result = run_in(options, &dir).await;
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .with_context(|| format!("remove {}", dir.display()))?;
            }
            result
        }
    }
}

fn progress(what: &str) {
    eprintln!("trellis-bench agents: {what}");
}

async fn run_in(options: &AgentsOptions, dir: &Path) -> anyhow::Result<AgentsReport> {
    anyhow::ensure!(options.agents > 0, "--agents must be at least 1");
    anyhow::ensure!(options.duration > 0, "--duration must be at least 1 second");
    let prepared = Instant::now();
    let corpus = CorpusConfig {
        messages: options.messages,
        seed: options.seed,
        batch_size: options.batch_size,
    };
    let dataset = dataset::prepare(dir, corpus).await?;
    progress(&format!("creating {} agents and their tokens", options.agents));
    let logins = dataset::agents(dataset.store.as_ref(), options.agents).await?;
    let stored_messages = dataset.store.message_count().await?;
    let prepare_seconds = prepared.elapsed().as_secs_f64();

    progress("starting trellis serve");
    let http = Http::new()?;
    let database_url = dataset.database_url.clone();
    let mut server = Server::start(&ServeSpec {
        binary: &options.trellis,
        data_dir: &dataset.dir,
        database_url: &database_url,
    })?;
    let ready = server.wait_ready(&http.calls).await?;
    progress(&format!("ready in {:.1} s; waiting for the server to go quiet", ready.as_secs_f64()));
    let (settle, settled) = server.settle(SETTLE_LIMIT).await?;
    if !settled {
        progress("the server is still busy with its own work; measuring anyway");
    }

    progress("quiet pass: one client");
    let first = Api::new(&http, &server.base_url, &logins[0]);
    let quiet = quiet::run(&first, options.quiet_requests).await?;
    let (rss_before_load_mib, _) = server.rss_mib();

    let sse_enabled = if options.no_sse {
        Err("not opened (--no-sse)")
    } else if sse::probe(&http, &server.base_url, &logins[0]).await? {
        Ok(())
    } else {
        progress("GET /api/v1/events answers 404 on this build: running without event streams");
        Err("skipped: GET /api/v1/events answered 404 (the route is not in this build)")
    };

    progress(&format!(
        "load: {} agents, {} arrivals/s, {} s warm-up, {} s measured",
        options.agents, options.arrivals, options.warmup, options.duration
    ));
    let warmup = Duration::from_secs(options.warmup);
    let start = Instant::now();
    let window = Window {
        from: start + warmup,
        until: start + warmup + Duration::from_secs(options.duration),
    };
    let recorder = Arc::new(Recorder::new(window));
    let stop = CancellationToken::new();
    let tally = Arc::new(StreamTally::default());

    let mut tasks = Vec::new();
    if sse_enabled.is_ok() {
        let url = format!("{}/api/v1/events", server.base_url);
        for login in &logins {
            let (http, url, login) = (http.clone(), url.clone(), login.clone());
            tasks.push(tokio::spawn(sse::hold(http, url, login, tally.clone(), stop.clone())));
        }
    }
    // Agents start spread over the first half of the warm-up (at most 5 s), not all at once.
    let spread = (warmup / 2).min(Duration::from_secs(5));
    let pace = load::Pace { think: Duration::from_millis(options.think_ms) };
    for (number, login) in logins.iter().enumerate() {
        let agent = load::Agent {
            number,
            user_id: login.user_id,
            api: Api::new(&http, &server.base_url, login),
            pace,
            recorder: recorder.clone(),
            seed: options.seed,
        };
        let start_after = spread.mul_f64(number as f64 / logins.len() as f64);
        tasks.push(tokio::spawn(agent.run(start_after, stop.clone())));
    }
    let plan = ArrivalPlan {
        per_second: options.arrivals,
        seed: options.seed,
        generation: dataset.generation,
        messages: u64::from(options.arrivals) * (options.warmup + options.duration + 60) + 10_000,
    };
    let arrivals = tokio::spawn(arrivals::run(
        dataset.store.clone(),
        dataset.accounts.clone(),
        plan,
        window,
        stop.clone(),
    ));

    let states = threads::sample(server.pid(), window);
    tokio::time::sleep_until(window.from.into()).await;
    let feed_before = FeedPosition::read(dataset.store.as_ref()).await?;
    let (server_before, bench_before) =
        (CpuSnapshot::take(server.pid()), CpuSnapshot::take(std::process::id()));
    let events_before = (tally.events.load(Ordering::Relaxed), tally.bytes.load(Ordering::Relaxed));
    tokio::time::sleep_until(window.until.into()).await;
    let feed_after = FeedPosition::read(dataset.store.as_ref()).await?;
    let (server_after, bench_after) =
        (CpuSnapshot::take(server.pid()), CpuSnapshot::take(std::process::id()));
    let events_after = (tally.events.load(Ordering::Relaxed), tally.bytes.load(Ordering::Relaxed));
    let (rss_mib, peak_rss_mib) = server.rss_mib();
    let mut sse = match sse_enabled {
        Ok(()) => tally.figures(
            (events_before.0, events_after.0),
            (events_before.1, events_after.1),
            window.seconds(),
        ),
        Err(note) => SseFigures::skipped(note),
    };
    stop.cancel();
    for task in tasks {
        task.await?;
    }
    let arrivals = arrivals.await??;
    let states = states.join().map_err(|_| anyhow::anyhow!("the thread sampler panicked"))?;
    // Counted again after the streams closed: one still open at the end was not a drop.
    if sse.enabled {
        sse.drops = tally.drops.load(Ordering::Relaxed);
    }
    server.check_running()?;
    let pid = server.pid();
    progress("stopping trellis serve");
    server.stop().await?;

    let (operations, all) = recorder.figures();
    let load = LoadFigures {
        target_p99_ms: LOAD_TARGET_MS,
        met: all.p99_ms <= LOAD_TARGET_MS && all.errors == 0 && all.count > 0,
        requests_per_s: all.count as f64 / window.seconds(),
        all,
        operations,
        cycles: recorder.cycles(),
        empty_lists: recorder.empty_lists(),
        error_samples: recorder.error_samples(),
    };
    Ok(AgentsReport {
        machine: Machine::detect(),
        trellis: options.trellis.display().to_string(),
        seed: options.seed,
        corpus_messages: dataset.corpus_messages,
        stored_messages,
        conversations: dataset.conversations,
        corpus_reused: dataset.reused,
        prepare_seconds,
        ready_seconds: ready.as_secs_f64(),
        settle_seconds: settle.as_secs_f64(),
        settled,
        agents: options.agents,
        think_ms: options.think_ms,
        warmup_seconds: warmup.as_secs_f64(),
        window_seconds: window.seconds(),
        quiet,
        load,
        sse,
        arrivals,
        feed: FeedFigures {
            changes_per_s: (feed_after.latest - feed_before.latest) as f64 / window.seconds(),
            triage_behind_at_start: feed_before.latest - feed_before.triage,
            triage_behind_at_end: feed_after.latest - feed_after.triage,
            triage_per_s: (feed_after.triage - feed_before.triage) as f64 / window.seconds(),
        },
        server: ServerFigures {
            pid,
            rss_mib,
            peak_rss_mib,
            rss_before_load_mib,
            cpu: server_before.until(&server_after, 8),
            bench_cores: bench_before.until(&bench_after, 0).process_cores,
            states,
            other_processes: server_before.other_processes(
                &server_after,
                &[pid, std::process::id()],
                4,
            ),
        },
    })
}
