//! A bounded latency histogram: a fixed number of log-linear buckets (64 per power of two, so a
//! reported percentile is within 1.6 % of the true value), whatever the number of samples. Five
//! hundred agents recording for minutes cost the same few kilobytes as one.

use serde::Serialize;
use std::time::Duration;

/// Sub-buckets per power of two: 2^SUB_BITS.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Values (microseconds) from 2^MAX_POWER up share the last bucket: about 12 days.
const MAX_POWER: u32 = 40;
const BUCKETS: usize = (SUB as usize) * (MAX_POWER - SUB_BITS + 2) as usize;

/// Counts of latencies in microseconds, with the exact count, sum and maximum beside them.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    count: u64,
    sum_micros: u128,
    max_micros: u64,
}

/// What one kind of operation came to, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct OpFigures {
    /// Operations that succeeded and were measured.
    pub count: u64,
    /// Operations that failed (an error status or no answer); not in the percentiles.
    pub errors: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self { counts: vec![0; BUCKETS], count: 0, sum_micros: 0, max_micros: 0 }
    }
}

impl Histogram {
    pub fn record(&mut self, elapsed: Duration) {
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.counts[bucket_of(micros)] += 1;
        self.count += 1;
        self.sum_micros += u128::from(micros);
        self.max_micros = self.max_micros.max(micros);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum_micros += other.sum_micros;
        self.max_micros = self.max_micros.max(other.max_micros);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The nearest-rank percentile, as the upper edge of its bucket (never above the maximum).
    pub fn percentile_micros(&self, pct: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((pct / 100.0) * self.count as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return upper_edge(bucket).min(self.max_micros);
            }
        }
        self.max_micros
    }

    /// The figures, with `errors` failures beside them.
    pub fn figures(&self, errors: u64) -> OpFigures {
        let ms = |micros: u64| micros as f64 / 1_000.0;
        OpFigures {
            count: self.count,
            errors,
            p50_ms: ms(self.percentile_micros(50.0)),
            p90_ms: ms(self.percentile_micros(90.0)),
            p99_ms: ms(self.percentile_micros(99.0)),
            max_ms: ms(self.max_micros),
            mean_ms: if self.count == 0 {
                0.0
            } else {
                self.sum_micros as f64 / self.count as f64 / 1_000.0
            },
        }
    }
}

fn bucket_of(micros: u64) -> usize {
    if micros < SUB {
        return micros as usize;
    }
    let power = (63 - micros.leading_zeros()).min(MAX_POWER);
    if power == MAX_POWER {
        return BUCKETS - 1;
    }
    let sub = (micros >> (power - SUB_BITS)) - SUB;
    (SUB + u64::from(power - SUB_BITS) * SUB + sub) as usize
}

/// The largest value that falls in `bucket`.
fn upper_edge(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < SUB {
        return bucket;
    }
    let power = (bucket - SUB) / SUB + u64::from(SUB_BITS);
    let sub = (bucket - SUB) % SUB;
    let width = 1u64 << (power - u64::from(SUB_BITS));
    ((SUB + sub) << (power - u64::from(SUB_BITS))) + width - 1
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn every_value_lands_in_a_bucket_whose_edge_is_within_two_percent_above_it() {
        for micros in (0..200_000u64).chain([1 << 20, 123_456_789, (1 << 40) - 1]) {
            let bucket = bucket_of(micros);
            assert!(bucket < BUCKETS);
            let edge = upper_edge(bucket);
            assert!(edge >= micros, "{micros} -> {bucket} -> {edge}");
            assert!(edge as f64 <= micros as f64 * 1.016 + 1.0, "{micros} -> {edge}");
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank_and_never_exceed_the_maximum() {
        let mut histogram = Histogram::default();
        for ms in 1..=100u64 {
            histogram.record(Duration::from_millis(ms));
        }
        let figures = histogram.figures(3);
        assert_eq!(figures.count, 100);
        assert_eq!(figures.errors, 3);
        assert!((figures.p50_ms - 50.0).abs() <= 50.0 * 0.016, "{figures:?}");
        assert!((figures.p99_ms - 99.0).abs() <= 99.0 * 0.016, "{figures:?}");
        assert_eq!(figures.max_ms, 100.0);
        assert!((figures.mean_ms - 50.5).abs() < 1e-9);
    }

    #[test]
    fn one_slow_sample_shows_at_p99_of_a_small_set() {
        let mut histogram = Histogram::default();
        for _ in 0..20 {
            histogram.record(Duration::from_millis(1));
        }
        histogram.record(Duration::from_millis(90));
        assert_eq!(histogram.figures(0).p99_ms, 90.0);
        assert!(histogram.figures(0).p50_ms <= 1.016);
    }

    #[test]
    fn merged_histograms_count_both() {
        let (mut left, mut right) = (Histogram::default(), Histogram::default());
        left.record(Duration::from_millis(2));
        right.record(Duration::from_millis(400));
        left.merge(&right);
        assert_eq!(left.count(), 2);
        assert_eq!(left.figures(0).max_ms, 400.0);
    }

    #[test]
    fn an_empty_histogram_reports_zeros() {
        assert_eq!(Histogram::default().figures(0), OpFigures::default());
    }
}
