//! Everything one run measured, as the JSON object printed last and as a readable table.

use crate::machine::Machine;
use crate::measure::Latency;
use crate::peers::PeersReport;
use serde::Serialize;
use std::fmt::Write as _;

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub messages: u64,
    pub seed: u64,
    /// Passes over the query mix (and the list mix) that were timed.
    pub repetitions: usize,
    pub machine: Machine,
    pub ingest: IngestFigures,
    pub search: SearchFigures,
    pub conversation_list: ListFigures,
    pub memory: MemoryFigures,
    pub peers: Option<PeersReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IngestFigures {
    pub messages: u64,
    pub conversations: u64,
    pub batches: u64,
    /// From the first batch until the index had committed everything.
    pub seconds: f64,
    pub messages_per_s: f64,
    /// When the last batch was stored (the index may still be catching up then).
    pub store_seconds: f64,
    /// How long the index took to catch up after the last batch was stored.
    pub index_lag_seconds: f64,
    pub index_docs: u64,
    /// Applying workflow (status, tags, assignee) to conversations afterwards, and reindexing.
    pub triage_updates: u64,
    pub triage_seconds: f64,
    pub store_bytes: u64,
    pub index_bytes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub name: &'static str,
    pub query: String,
    /// Documents matching in all, as trellis reports.
    pub total: usize,
    pub hits: usize,
    /// Whether every hit carried a non-empty snippet.
    pub snippets: bool,
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchFigures {
    pub limit: usize,
    pub latency: Latency,
    pub queries: Vec<QueryResult>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListCase {
    pub name: &'static str,
    /// Page number measured (1 = first page).
    pub page: u32,
    pub items: usize,
    pub latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListFigures {
    pub limit: u32,
    pub latency: Latency,
    pub cases: Vec<ListCase>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemoryFigures {
    /// VmHWM after ingest, search and list, before the peers ran.
    pub peak_rss_mib: f64,
    /// VmRSS at that point.
    pub rss_after_mib: f64,
    /// VmRSS of a fresh process that opened the store and index and ran both mixes: about what
    /// `trellis serve` holds with this many messages.
    pub serving_rss_mib: Option<f64>,
    pub serving_peak_rss_mib: Option<f64>,
}

impl Report {
    /// The human-readable summary.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "trellis-bench: {} messages, seed {}, {} timed passes; {} cores ({}), {} MiB",
            self.messages, self.seed, self.repetitions, m.cores, m.cpu_model, m.memory_total_mib
        );
        let i = &self.ingest;
        let _ =
            writeln!(
            out,
            "\ningest (sqlite + tantivy): {:.0} msg/s  ({} messages, {} conversations in {:.1} s; \
             stored at {:.1} s, index lag {:.2} s)",
            i.messages_per_s, i.messages, i.conversations, i.seconds, i.store_seconds,
            i.index_lag_seconds
        );
        let _ = writeln!(
            out,
            "  triage: {} conversation updates in {:.1} s; store {:.1} MiB, index {:.1} MiB",
            i.triage_updates,
            i.triage_seconds,
            mib(i.store_bytes),
            mib(i.index_bytes)
        );
        let s = &self.search;
        let _ = writeln!(
            out,
            "\nsearch ({} hits with snippets): p50 {:.2} ms  p99 {:.2} ms",
            s.limit, s.latency.p50_ms, s.latency.p99_ms
        );
        let _ = writeln!(
            out,
            "  {:<22} {:>9} {:>5} {:>9} {:>9}  query",
            "name", "total", "hits", "p50 ms", "p99 ms"
        );
        for q in &s.queries {
            let _ = writeln!(
                out,
                "  {:<22} {:>9} {:>5} {:>9.2} {:>9.2}  {}",
                q.name, q.total, q.hits, q.latency.p50_ms, q.latency.p99_ms, q.query
            );
        }
        let l = &self.conversation_list;
        let _ = writeln!(
            out,
            "\nconversation list ({} per page): p50 {:.2} ms  p99 {:.2} ms",
            l.limit, l.latency.p50_ms, l.latency.p99_ms
        );
        for c in &l.cases {
            let _ = writeln!(
                out,
                "  {:<22} page {:>3} {:>5} items {:>9.2} {:>9.2}",
                c.name, c.page, c.items, c.latency.p50_ms, c.latency.p99_ms
            );
        }
        let mem = &self.memory;
        let _ = writeln!(
            out,
            "\nmemory: peak {:.0} MiB, after {:.0} MiB, serving {} MiB",
            mem.peak_rss_mib,
            mem.rss_after_mib,
            mem.serving_rss_mib.map_or("n/a".to_owned(), |v| format!("{v:.0}"))
        );
        match &self.peers {
            None => {
                let _ = writeln!(out, "\npeers: skipped");
            }
            Some(peers) => {
                let _ = writeln!(
                    out,
                    "\npeers (same queries, same corpus; ratio = peer p99 / trellis p99)"
                );
                let _ = writeln!(
                    out,
                    "  {:<18} {:>9} {:>9} {:>9} {:>9}",
                    "engine", "load s", "p50 ms", "p99 ms", "ratio"
                );
                let _ = writeln!(
                    out,
                    "  {:<18} {:>9.1} {:>9.2} {:>9.2} {:>9}",
                    "trellis", i.seconds, s.latency.p50_ms, s.latency.p99_ms, "1.0x"
                );
                for e in &peers.engines {
                    let _ = writeln!(
                        out,
                        "  {:<18} {:>9.1} {:>9.2} {:>9.2} {:>8.1}x",
                        e.engine,
                        e.load_seconds,
                        e.latency.p50_ms,
                        e.latency.p99_ms,
                        e.p99_ratio_vs_trellis.unwrap_or(f64::NAN)
                    );
                }
                per_query_table(&mut out, s, peers);
                if let Some(error) = &peers.postgres_error {
                    let _ = writeln!(out, "  postgres peers skipped: {error}");
                }
            }
        }
        out
    }
}

/// Query by query: p99 and how many documents each engine matched, side by side.
fn per_query_table(out: &mut String, search: &SearchFigures, peers: &PeersReport) {
    let _ = write!(out, "\n  p99 ms (matches)       {:>18}", "trellis");
    for engine in &peers.engines {
        let _ = write!(out, " {:>18}", engine.engine);
    }
    let _ = writeln!(out);
    for (index, query) in search.queries.iter().enumerate() {
        let _ = write!(
            out,
            "  {:<22} {:>18}",
            query.name,
            format!("{:.2} ({})", query.latency.p99_ms, query.total)
        );
        for engine in &peers.engines {
            let cell = engine
                .queries
                .get(index)
                .map_or("n/a".to_owned(), |q| format!("{:.2} ({})", q.latency.p99_ms, q.matches));
            let _ = write!(out, " {cell:>18}");
        }
        let _ = writeln!(out);
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
