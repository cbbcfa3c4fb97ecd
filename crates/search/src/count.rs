//! [`CappedCount`]: counts matches exactly up to a limit, then stops looking.
//!
//! An exact count visits every match: for a broad word over a million messages that is most of a
//! search's time, spent on a number nobody reads past its first digits. Like a search box (Gmail,
//! Slack, Elasticsearch's `track_total_hits`), trellis reports totals exactly while they are small
//! and as a lower bound ("10,000+") once they are not.

use std::sync::atomic::{AtomicUsize, Ordering};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::query::Weight;
use tantivy::{DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

/// Totals up to this many matches are exact; above it the total is this number, flagged as a lower
/// bound. Ten thousand is where a user stops reading the number (and Elasticsearch's default).
pub const EXACT_TOTAL_LIMIT: usize = 10_000;

/// How many documents matched, exactly up to a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Total {
    pub count: usize,
    pub exact: bool,
}

/// Counts matches without scoring them, segment after segment, until one more than `limit` have
/// been seen across all segments.
pub(crate) struct CappedCount {
    limit: usize,
    /// Matches seen so far by every segment, shared so later segments can stop at once.
    seen: AtomicUsize,
}

impl CappedCount {
    pub(crate) fn new(limit: usize) -> Self {
        Self { limit, seen: AtomicUsize::new(0) }
    }

    /// Seeing `limit + 1` matches proves the total is above the limit.
    fn enough(&self) -> usize {
        self.limit.saturating_add(1)
    }
}

impl Collector for CappedCount {
    type Fruit = Total;
    type Child = SegmentCount;

    fn for_segment(&self, _: SegmentOrdinal, _: &SegmentReader) -> tantivy::Result<SegmentCount> {
        Ok(SegmentCount(0))
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, counts: Vec<usize>) -> tantivy::Result<Total> {
        let seen: usize = counts.into_iter().sum();
        Ok(if seen > self.limit {
            Total { count: self.limit, exact: false }
        } else {
            Total { count: seen, exact: true }
        })
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<usize> {
        let enough = self.enough();
        if self.seen.load(Ordering::Relaxed) >= enough {
            return Ok(0);
        }
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut counted = 0;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|alive| alive.is_alive(doc)) {
                counted += 1;
                if self.seen.fetch_add(1, Ordering::Relaxed) + 1 >= enough {
                    break;
                }
            }
            doc = scorer.advance();
        }
        Ok(counted)
    }
}

/// One segment's count when tantivy drives collection document by document.
pub(crate) struct SegmentCount(usize);

impl SegmentCollector for SegmentCount {
    type Fruit = usize;

    fn collect(&mut self, _: DocId, _: Score) {
        self.0 += 1;
    }

    fn harvest(self) -> usize {
        self.0
    }
}
