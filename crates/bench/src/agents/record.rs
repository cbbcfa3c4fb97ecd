//! Where the agents' timings go: one histogram and an error count per kind of operation, shared
//! by every agent behind a lock held for a few nanoseconds per sample. Only operations that start
//! after the warm-up and end inside the window are counted.

use super::histogram::{Histogram, OpFigures};
use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The kinds of request an agent makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// `GET /api/v1/conversations?…`
    List,
    /// `GET /api/v1/conversations/{id}`
    Open,
    /// `POST /api/v1/conversations/{id}/replies`
    Reply,
    /// `POST /api/v1/conversations/{id}/notes`
    Note,
    /// `PATCH /api/v1/conversations/{id}` `{"assignee_id": me}`
    Assign,
    /// `PATCH /api/v1/conversations/{id}` `{"status": "resolved"}`
    Resolve,
}

impl OpKind {
    pub const ALL: [OpKind; 6] =
        [OpKind::List, OpKind::Open, OpKind::Reply, OpKind::Note, OpKind::Assign, OpKind::Resolve];

    pub fn name(self) -> &'static str {
        match self {
            OpKind::List => "list",
            OpKind::Open => "open",
            OpKind::Reply => "reply",
            OpKind::Note => "note",
            OpKind::Assign => "assign",
            OpKind::Resolve => "resolve",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The measured window: operations starting before `from` or ending after `until` are not counted.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub from: Instant,
    pub until: Instant,
}

impl Window {
    pub fn contains(&self, started: Instant, ended: Instant) -> bool {
        started >= self.from && ended <= self.until
    }

    pub fn seconds(&self) -> f64 {
        self.until.duration_since(self.from).as_secs_f64()
    }
}

/// One operation kind's figures, named.
#[derive(Debug, Clone, Serialize)]
pub struct NamedFigures {
    pub operation: &'static str,
    #[serde(flatten)]
    pub figures: OpFigures,
}

#[derive(Default)]
struct Tally {
    histograms: [Histogram; 6],
    errors: [u64; 6],
    error_samples: Vec<String>,
    cycles: u64,
    empty_lists: u64,
}

/// The shared record of every agent's operations.
pub struct Recorder {
    window: Window,
    tally: Mutex<Tally>,
}

/// Failures kept word for word for the report.
const ERROR_SAMPLES: usize = 10;

impl Recorder {
    pub fn new(window: Window) -> Self {
        Self { window, tally: Mutex::new(Tally::default()) }
    }

    pub fn window(&self) -> Window {
        self.window
    }

    fn with<T>(&self, change: impl FnOnce(&mut Tally) -> T) -> T {
        let mut tally = self.tally.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        change(&mut tally)
    }

    pub fn success(&self, kind: OpKind, started: Instant, elapsed: Duration) {
        if self.window.contains(started, started + elapsed) {
            self.with(|tally| tally.histograms[kind.index()].record(elapsed));
        }
    }

    pub fn failure(&self, kind: OpKind, started: Instant, ended: Instant, error: String) {
        if self.window.contains(started, ended) {
            self.with(|tally| {
                tally.errors[kind.index()] += 1;
                if tally.error_samples.len() < ERROR_SAMPLES {
                    tally.error_samples.push(error);
                }
            });
        }
    }

    /// A cycle (list, open, act, resolve) that ended inside the window.
    pub fn cycle_done(&self, ended: Instant) {
        if ended >= self.window.from && ended <= self.window.until {
            self.with(|tally| tally.cycles += 1);
        }
    }

    /// A list that came back empty (nothing to work on), inside the window.
    pub fn empty_list(&self, at: Instant) {
        if at >= self.window.from && at <= self.window.until {
            self.with(|tally| tally.empty_lists += 1);
        }
    }

    /// Per kind, then every kind together.
    pub fn figures(&self) -> (Vec<NamedFigures>, OpFigures) {
        self.with(|tally| {
            let mut all = Histogram::default();
            let mut errors = 0;
            let per_kind = OpKind::ALL
                .iter()
                .map(|kind| {
                    let histogram = &tally.histograms[kind.index()];
                    all.merge(histogram);
                    errors += tally.errors[kind.index()];
                    NamedFigures {
                        operation: kind.name(),
                        figures: histogram.figures(tally.errors[kind.index()]),
                    }
                })
                .collect();
            (per_kind, all.figures(errors))
        })
    }

    pub fn error_samples(&self) -> Vec<String> {
        self.with(|tally| tally.error_samples.clone())
    }

    pub fn cycles(&self) -> u64 {
        self.with(|tally| tally.cycles)
    }

    pub fn empty_lists(&self) -> u64 {
        self.with(|tally| tally.empty_lists)
    }
}
