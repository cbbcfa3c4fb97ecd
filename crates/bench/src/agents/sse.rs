//! Each agent's live-event stream, `GET /api/v1/events`, held open for the whole run as the
//! inbox does: frames are counted (not parsed) as they arrive, and a stream the server ends early
//! (a `resync` after falling behind, or an error) is counted as a drop and opened again.

use super::api::{Http, Login};
use super::histogram::{Histogram, OpFigures};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Whether the server has the route: `Ok(true)` on 200, `Ok(false)` on 404.
pub async fn probe(http: &Http, base_url: &str, login: &Login) -> anyhow::Result<bool> {
    let response = http
        .streams
        .get(format!("{base_url}/api/v1/events"))
        .bearer_auth(&login.token)
        .timeout(Duration::from_secs(10))
        .send()
        .await?;
    match response.status() {
        reqwest::StatusCode::NOT_FOUND => Ok(false),
        status if status.is_success() => Ok(true),
        status => anyhow::bail!("GET /api/v1/events answered {status}"),
    }
}

/// Counts shared by every stream.
#[derive(Default)]
pub struct StreamTally {
    /// Event frames received (lines starting `event:`), all streams together.
    pub events: AtomicU64,
    pub bytes: AtomicU64,
    /// Streams open right now.
    pub open: AtomicU64,
    /// Streams that ended or failed before the run did.
    pub drops: AtomicU64,
    connect: Mutex<Histogram>,
    connect_errors: AtomicU64,
    error_samples: Mutex<Vec<String>>,
}

/// What the streams came to.
#[derive(Debug, Clone, Serialize)]
pub struct SseFigures {
    pub enabled: bool,
    /// Why the streams were not opened, when they were not.
    pub note: Option<String>,
    /// Time to the response headers of each stream opened (any time in the run).
    pub connect: OpFigures,
    /// Streams open when the window ended.
    pub open_at_end: u64,
    /// Event frames received by all agents together inside the window, and per second.
    pub events_in_window: u64,
    pub events_per_s: f64,
    pub mib_in_window: f64,
    pub drops: u64,
    pub error_samples: Vec<String>,
}

impl StreamTally {
    /// The figures, given the event and byte counters read when the window opened and closed.
    pub fn figures(&self, events: (u64, u64), bytes: (u64, u64), seconds: f64) -> SseFigures {
        let connect = self.connect.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let events_in_window = events.1.saturating_sub(events.0);
        SseFigures {
            enabled: true,
            note: None,
            connect: connect.figures(self.connect_errors.load(Ordering::Relaxed)),
            open_at_end: self.open.load(Ordering::Relaxed),
            events_in_window,
            events_per_s: events_in_window as f64 / seconds.max(1e-9),
            mib_in_window: bytes.1.saturating_sub(bytes.0) as f64 / (1024.0 * 1024.0),
            drops: self.drops.load(Ordering::Relaxed),
            error_samples: self
                .error_samples
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        }
    }

    fn error(&self, error: String) {
        let mut samples =
            self.error_samples.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if samples.len() < 10 {
            samples.push(error);
        }
    }
}

impl SseFigures {
    pub fn skipped(note: &str) -> Self {
        Self {
            enabled: false,
            note: Some(note.to_owned()),
            connect: OpFigures::default(),
            open_at_end: 0,
            events_in_window: 0,
            events_per_s: 0.0,
            mib_in_window: 0.0,
            drops: 0,
            error_samples: Vec::new(),
        }
    }
}

/// Holds one agent's stream open until `stop`, reopening it when the server ends it.
pub async fn hold(
    http: Http,
    url: String,
    login: Login,
    tally: Arc<StreamTally>,
    stop: CancellationToken,
) {
    while !stop.is_cancelled() {
        let started = Instant::now();
        let opened = tokio::select! {
            () = stop.cancelled() => return,
            opened = http.streams.get(&url).bearer_auth(&login.token).send() => opened,
        };
        let mut response = match opened {
            Ok(response) if response.status().is_success() => response,
            Ok(response) => {
                tally.connect_errors.fetch_add(1, Ordering::Relaxed);
                tally.error(format!("GET /api/v1/events: {}", response.status()));
                pause(&stop).await;
                continue;
            }
            Err(error) => {
                tally.connect_errors.fetch_add(1, Ordering::Relaxed);
                tally.error(format!("GET /api/v1/events: {error}"));
                pause(&stop).await;
                continue;
            }
        };
        tally
            .connect
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .record(started.elapsed());
        tally.open.fetch_add(1, Ordering::Relaxed);
        let mut frames = FrameCounter::default();
        loop {
            let chunk = tokio::select! {
                () = stop.cancelled() => break,
                chunk = response.chunk() => chunk,
            };
            match chunk {
                Ok(Some(bytes)) => {
                    let events = frames.feed(&bytes);
                    tally.events.fetch_add(events, Ordering::Relaxed);
                    tally.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                }
                Ok(None) => {
                    tally.drops.fetch_add(1, Ordering::Relaxed);
                    tally.error("the event stream ended before the run did".to_owned());
                    break;
                }
                Err(error) => {
                    tally.drops.fetch_add(1, Ordering::Relaxed);
                    tally.error(format!("reading the event stream: {error}"));
                    break;
                }
            }
        }
        tally.open.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn pause(stop: &CancellationToken) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = tokio::time::sleep(Duration::from_millis(500)) => {}
    }
}

/// Counts lines that start with `event:` across chunk boundaries.
#[derive(Debug)]
struct FrameCounter {
    /// How much of `event:` the current line has matched so far; `None` once it cannot.
    matched: Option<usize>,
}

impl Default for FrameCounter {
    fn default() -> Self {
        Self { matched: Some(0) }
    }
}

const EVENT_FIELD: &[u8] = b"event:";

impl FrameCounter {
    fn feed(&mut self, bytes: &[u8]) -> u64 {
        let mut events = 0;
        for &byte in bytes {
            if byte == b'\n' {
                self.matched = Some(0);
                continue;
            }
            self.matched = match self.matched {
                Some(n) if EVENT_FIELD[n] == byte => {
                    if n + 1 == EVENT_FIELD.len() {
                        events += 1;
                        None
                    } else {
                        Some(n + 1)
                    }
                }
                _ => None,
            };
        }
        events
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn event_lines_are_counted_even_when_split_across_chunks() {
        let stream = b"event: ready\ndata: {}\n\n: heartbeat\n\nid: 5\nevent: message_created\ndata: {\"event:\":1}\n\n";
        let mut whole = FrameCounter::default();
        assert_eq!(whole.feed(stream), 2);
        for split in 0..stream.len() {
            let mut counter = FrameCounter::default();
            let (left, right) = stream.split_at(split);
            assert_eq!(counter.feed(left) + counter.feed(right), 2, "split at {split}");
        }
    }
}
