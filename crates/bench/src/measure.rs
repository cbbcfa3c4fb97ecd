//! Latency samples and their percentiles, and the process's memory as Linux reports it.

use serde::Serialize;
use std::time::Duration;

/// Latencies of one kind of operation.
#[derive(Debug, Clone, Default)]
pub struct Samples {
    micros: Vec<u64>,
}

/// What a set of samples comes to, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Samples {
    pub fn push(&mut self, elapsed: Duration) {
        self.micros.push(elapsed.as_micros() as u64);
    }

    pub fn extend(&mut self, other: &Samples) {
        self.micros.extend_from_slice(&other.micros);
    }

    pub fn len(&self) -> usize {
        self.micros.len()
    }

    pub fn is_empty(&self) -> bool {
        self.micros.is_empty()
    }

    pub fn summary(&self) -> Latency {
        if self.micros.is_empty() {
            return Latency::default();
        }
        let mut sorted = self.micros.clone();
        sorted.sort_unstable();
        let ms = |micros: u64| micros as f64 / 1_000.0;
        let total: u64 = sorted.iter().sum();
        Latency {
            samples: sorted.len(),
            p50_ms: ms(percentile(&sorted, 50.0)),
            p99_ms: ms(percentile(&sorted, 99.0)),
            max_ms: ms(sorted[sorted.len() - 1]),
            mean_ms: total as f64 / sorted.len() as f64 / 1_000.0,
        }
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[u64], pct: f64) -> u64 {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Resident memory of this process, from /proc/self/status, in MiB: (current, peak).
pub fn rss_mib() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    (status_kib(&status, "VmRSS:") / 1024.0, status_kib(&status, "VmHWM:") / 1024.0)
}

fn status_kib(status: &str, field: &str) -> f64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut samples = Samples::default();
        for ms in 1..=100u64 {
            samples.push(Duration::from_millis(ms));
        }
        let latency = samples.summary();
        assert_eq!(latency.samples, 100);
        assert_eq!(latency.p50_ms, 50.0);
        assert_eq!(latency.p99_ms, 99.0);
        assert_eq!(latency.max_ms, 100.0);
    }

    #[test]
    fn a_single_slow_sample_shows_at_p99_of_a_small_set() {
        let mut samples = Samples::default();
        for _ in 0..20 {
            samples.push(Duration::from_millis(1));
        }
        samples.push(Duration::from_millis(90));
        assert_eq!(samples.summary().p99_ms, 90.0);
        assert_eq!(samples.summary().p50_ms, 1.0);
    }

    #[test]
    fn memory_is_read_from_proc() {
        let (current, peak) = rss_mib();
        assert!(current > 0.0 && peak >= current);
    }

    #[test]
    fn status_fields_parse_in_kib() {
        assert_eq!(status_kib("VmHWM:\t  2048 kB\nVmRSS:\t 1024 kB\n", "VmRSS:"), 1024.0);
    }
}
