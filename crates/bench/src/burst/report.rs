//! What a burst measured, as a JSON object and as a readable summary.

use super::verify::Verified;
use crate::machine::Machine;
use serde::Serialize;
use std::fmt::Write as _;

/// The target: messages per second, polled, stored and searchable.
pub const TARGET_MESSAGES_PER_S: f64 = 5_000.0;

#[derive(Debug, Clone, Serialize)]
pub struct BurstReport {
    /// Messages asked for; the platforms generate about this many deliverable ones.
    pub requested: u64,
    /// Messages the simulators generated for the connectors to deliver, and the store holds.
    pub messages: u64,
    pub seed: u64,
    pub machine: Machine,
    /// From the scheduler's start until the index committed the last stored message.
    pub seconds: f64,
    pub messages_per_s: f64,
    pub target_messages_per_s: f64,
    pub target_met: bool,
    /// Until every stream said nothing more waits (polling and storing).
    pub poll_store_seconds: f64,
    /// How much longer the index took to commit the last of it.
    pub index_lag_seconds: f64,
    /// HTTP requests the three platforms answered during the burst.
    pub requests: usize,
    /// Account polls the scheduler made.
    pub polls: u64,
    /// VmHWM of the process: trellis and the three in-memory simulators holding the burst.
    pub peak_rss_mib: f64,
    pub platforms: Vec<Verified>,
}

impl BurstReport {
    pub fn table(&self) -> String {
        let mut out = String::new();
        let m = &self.machine;
        let _ = writeln!(
            out,
            "trellis-bench burst: {} messages across x, facebook and discourse, seed {}; {} cores ({}), {} MiB",
            self.messages, self.seed, m.cores, m.cpu_model, m.memory_total_mib
        );
        let _ = writeln!(
            out,
            "\nend to end (polled, stored, searchable): {:.0} msg/s in {:.2} s  (target {:.0} msg/s: {})",
            self.messages_per_s,
            self.seconds,
            self.target_messages_per_s,
            if self.target_met { "met" } else { "missed" }
        );
        let _ = writeln!(
            out,
            "  poll + store {:.2} s, index lag {:.2} s; {} requests in {} account polls; peak RSS {:.0} MiB",
            self.poll_store_seconds, self.index_lag_seconds, self.requests, self.polls, self.peak_rss_mib
        );
        let _ = writeln!(
            out,
            "\n  {:<10} {:>10} {:>10} {:>8} {:>10} {:>6}",
            "platform", "generated", "stored", "deleted", "searchable", "known"
        );
        for p in &self.platforms {
            let _ = writeln!(
                out,
                "  {:<10} {:>10} {:>10} {:>8} {:>10} {:>6}",
                p.platform, p.generated, p.stored, p.deleted, p.searchable, p.known_found
            );
        }
        out
    }
}
