//! What an agents run measured, as the JSON object printed last and as a readable summary.

use super::arrivals::ArrivalFigures;
use super::histogram::OpFigures;
use super::procfs::{CpuUse, TaskCpu};
use super::quiet::QuietFigures;
use super::record::NamedFigures;
use super::sse::SseFigures;
use super::threads::{StateShares, ThreadStates};
use crate::machine::Machine;
use serde::Serialize;
use std::fmt::Write as _;

/// The target for every request under load: p99 in milliseconds.
pub const LOAD_TARGET_MS: f64 = 100.0;

#[derive(Debug, Clone, Serialize)]
pub struct AgentsReport {
    pub machine: Machine,
    /// The `trellis` binary that served.
    pub trellis: String,
    pub seed: u64,
    pub corpus_messages: u64,
    /// Messages in the store when the load began (the corpus plus earlier runs' arrivals).
    pub stored_messages: u64,
    pub conversations: u64,
    pub corpus_reused: bool,
    /// Building (or finding) the corpus and creating the agents and their tokens.
    pub prepare_seconds: f64,
    /// From spawning `trellis serve` until `/readyz` answered 200.
    pub ready_seconds: f64,
    /// Then until the server's CPU went quiet; `settled` false if it never did in time.
    pub settle_seconds: f64,
    pub settled: bool,
    pub agents: usize,
    pub think_ms: u64,
    pub warmup_seconds: f64,
    pub window_seconds: f64,
    pub quiet: QuietFigures,
    pub load: LoadFigures,
    pub sse: SseFigures,
    pub arrivals: ArrivalFigures,
    pub feed: FeedFigures,
    pub server: ServerFigures,
}

/// The change feed over the window: how fast it grew, and whether the server's triage (rules,
/// SLA clocks) kept up with it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedFigures {
    pub changes_per_s: f64,
    /// Changes triage had not applied yet when the window opened and when it closed.
    pub triage_behind_at_start: i64,
    pub triage_behind_at_end: i64,
    /// Changes triage applied per second over the window.
    pub triage_per_s: f64,
}

/// The agents' requests inside the window.
#[derive(Debug, Clone, Serialize)]
pub struct LoadFigures {
    pub target_p99_ms: f64,
    /// p99 of every request together within the target, and no request failed.
    pub met: bool,
    pub all: OpFigures,
    pub operations: Vec<NamedFigures>,
    pub requests_per_s: f64,
    /// Cycles finished (resolved) inside the window.
    pub cycles: u64,
    /// Lists that came back with nothing to work on.
    pub empty_lists: u64,
    pub error_samples: Vec<String>,
}

/// The `trellis serve` process.
#[derive(Debug, Clone, Serialize)]
pub struct ServerFigures {
    pub pid: u32,
    /// VmRSS when the window ended, and VmHWM.
    pub rss_mib: f64,
    pub peak_rss_mib: f64,
    /// VmRSS after the quiet pass, before the load.
    pub rss_before_load_mib: f64,
    /// The server's CPU over the window, its busiest threads, and the machine's.
    pub cpu: CpuUse,
    /// Cores the bench itself (agents, streams, arrivals) used over the window: taken from the
    /// same two cores the server has.
    pub bench_cores: f64,
    /// What the server's threads were doing over the window (sampled).
    pub states: ThreadStates,
    /// The busiest other processes over the window: on a shared machine, what else took CPU.
    pub other_processes: Vec<TaskCpu>,
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "missed"
    }
}

impl AgentsReport {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "trellis-bench agents: {} agents, {} arrivals/s, {} messages stored ({} corpus, {} conversations{}); {} cores ({}), {} MiB",
            self.agents,
            self.arrivals.target_per_s,
            self.stored_messages,
            self.corpus_messages,
            self.conversations,
            if self.corpus_reused { ", reused" } else { "" },
            m.cores,
            m.cpu_model,
            m.memory_total_mib
        );
        let _ = writeln!(
            out,
            "  server {}: ready in {:.1} s, settled in {:.1} s{}; think time {} ms; warm-up {:.0} s, window {:.0} s",
            self.trellis,
            self.ready_seconds,
            self.settle_seconds,
            if self.settled { "" } else { " (still busy: measured anyway)" },
            self.think_ms,
            self.warmup_seconds,
            self.window_seconds
        );

        let q = &self.quiet;
        let _ = writeln!(out, "\nquiet pass (one client, {} requests each):", q.requests_per_kind);
        header(&mut out);
        row(&mut out, "list", &q.list);
        row(&mut out, "page", &q.page);
        let _ = writeln!(
            out,
            "  list p99 {:.2} ms (target {:.0}: {}), page p99 {:.2} ms (target {:.0}: {})",
            q.list.p99_ms,
            q.list_target_ms,
            verdict(q.list_met),
            q.page.p99_ms,
            q.page_target_ms,
            verdict(q.page_met)
        );

        let l = &self.load;
        let _ = writeln!(
            out,
            "\nunder load ({} agents, {:.0} requests/s, {} cycles resolved, {} empty lists):",
            self.agents, l.requests_per_s, l.cycles, l.empty_lists
        );
        header(&mut out);
        for op in &l.operations {
            row(&mut out, op.operation, &op.figures);
        }
        row(&mut out, "all", &l.all);
        let _ = writeln!(
            out,
            "  p99 {:.2} ms (target {:.0}: {})",
            l.all.p99_ms,
            l.target_p99_ms,
            verdict(l.met)
        );
        for error in &l.error_samples {
            let _ = writeln!(out, "  error: {error}");
        }

        let s = &self.sse;
        match &s.note {
            Some(note) => {
                let _ = writeln!(out, "\nevent streams: {note}");
            }
            None => {
                let _ = writeln!(
                    out,
                    "\nevent streams: {} open at the end, {} drops; {} events in the window ({:.0}/s, {:.1} MiB); connect p99 {:.2} ms",
                    s.open_at_end, s.drops, s.events_in_window, s.events_per_s, s.mib_in_window, s.connect.p99_ms
                );
            }
        }
        for error in &s.error_samples {
            let _ = writeln!(out, "  stream error: {error}");
        }

        let a = &self.arrivals;
        if a.target_per_s == 0 {
            let _ = writeln!(out, "\narrivals: none (--arrivals 0)");
        } else {
            let _ = writeln!(
                out,
                "\narrivals: {:.0} msg/s stored in the window (target {}), batches of {}; ingest p50 {:.2} ms p99 {:.2} ms max {:.2} ms, {} failed",
                a.achieved_per_s, a.target_per_s, a.batch_size, a.ingest.p50_ms, a.ingest.p99_ms, a.ingest.max_ms, a.ingest.errors
            );
        }

        let f = &self.feed;
        let _ = writeln!(
            out,
            "change feed: {:.0} changes/s; triage applied {:.0}/s, {} behind when the window opened, {} when it closed",
            f.changes_per_s, f.triage_per_s, f.triage_behind_at_start, f.triage_behind_at_end
        );

        let v = &self.server;
        let _ = writeln!(
            out,
            "\nserver: RSS {:.0} MiB at the end (peak {:.0}, {:.0} before the load)",
            v.rss_mib, v.peak_rss_mib, v.rss_before_load_mib
        );
        let others = (v.cpu.machine_cores - v.cpu.process_cores - v.bench_cores).max(0.0);
        let _ = writeln!(
            out,
            "  CPU over the window, of {} cores: machine {:.2} busy = server {:.2} + bench {:.2} + everything else {:.2}",
            m.cores, v.cpu.machine_cores, v.cpu.process_cores, v.bench_cores, others
        );
        let threads: Vec<String> =
            v.cpu.threads.iter().map(|t| format!("{} {:.2}", t.name, t.cores)).collect();
        let _ = writeln!(out, "  busiest server threads (cores): {}", threads.join(", "));
        let _ = writeln!(
            out,
            "  server threads over the window ({} samples; threads busy on average: on a CPU or waiting for one, in a timed sleep, in file IO):",
            v.states.samples
        );
        for group in v.states.groups.iter().take(6) {
            states_row(&mut out, group);
        }
        if let Some(writer) = &v.states.busiest_sqlite_thread {
            let _ = writeln!(out, "  busiest sqlite connection thread (most likely the writer):");
            states_row(&mut out, writer);
        }
        let others: Vec<String> =
            v.other_processes.iter().map(|p| format!("{} {:.2}", p.name, p.cores)).collect();
        let _ = writeln!(out, "  busiest other processes (cores): {}", others.join(", "));
        out
    }
}

fn header(out: &mut String) {
    let _ = writeln!(
        out,
        "  {:<10} {:>8} {:>6} {:>9} {:>9} {:>9} {:>9}",
        "operation", "count", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms"
    );
}

fn row(out: &mut String, name: &str, f: &OpFigures) {
    let _ = writeln!(
        out,
        "  {:<10} {:>8} {:>6} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        name, f.count, f.errors, f.p50_ms, f.p90_ms, f.p99_ms, f.max_ms
    );
}

fn states_row(out: &mut String, s: &StateShares) {
    let _ = writeln!(
        out,
        "    {:<16} x{:<3} running {:.2}  sleeping {:.2}  io {:.2}  idle {:.2}",
        s.name, s.threads, s.running, s.sleeping, s.io, s.idle
    );
}
