//! Fault mode plumbing shared by the simulators: the dice, the statistics and the faults that look
//! the same on every platform (a slow answer, a page replayed, a body cut short, items reordered).
//! Each simulator keeps its own `FaultKind` enum and renders the faults that are about its
//! platform (a rate-limit refusal, a 5xx, a dead token) in its own words, as an [`Effect::Answer`].
//!
//! A simulator's middleware reads: roll with [`roll`], count with [`FaultStats`], map the kind to
//! an [`Effect`], then [`apply`] it; unfaulted reads go through [`CachedAnswer::capture`] so a
//! later duplicate-page fault has something to replay.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::header;
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;

/// A platform's set of fault kinds.
pub trait Kind: Copy + Ord + Debug + Send + Sync + 'static {
    /// Every kind, the default mix of a fault storm.
    fn all() -> &'static [Self];
}

/// Which faults to inject and how often.
#[derive(Debug, Clone)]
pub struct FaultConfig<K> {
    /// Chance per read (`GET`), 0.0 (off) to 1.0. Writes are never faulted: a faulted write would
    /// leave tests unable to tell what the platform did.
    pub probability: f64,
    pub kinds: Vec<K>,
    /// How late a slow answer comes: past a sensible client timeout.
    pub slow_delay: Duration,
}

impl<K: Kind> Default for FaultConfig<K> {
    fn default() -> Self {
        Self { probability: 0.0, kinds: K::all().to_vec(), slow_delay: Duration::from_secs(30) }
    }
}

/// How many requests were served and which faults they met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultStats<K: Ord> {
    pub requests: u64,
    pub injected: BTreeMap<K, u64>,
}

// By hand: a derived `Default` would demand `K: Default`, which a fault kind has no reason to be.
impl<K: Ord> Default for FaultStats<K> {
    fn default() -> Self {
        Self { requests: 0, injected: BTreeMap::new() }
    }
}

impl<K: Ord> FaultStats<K> {
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }

    /// Counts one fault met.
    pub fn count(&mut self, kind: K) {
        *self.injected.entry(kind).or_default() += 1;
    }
}

/// Rolls the dice for one request: a kind from `config.kinds` with `config.probability` for a
/// read, never for a write. The roll is drawn for every request so a seeded run stays
/// reproducible whatever mix of reads and writes it makes.
pub fn roll<K: Copy>(config: &FaultConfig<K>, is_read: bool, rng: &mut impl Rng) -> Option<K> {
    let probability = config.probability.clamp(0.0, 1.0);
    let roll: f64 = rng.gen();
    if is_read && roll < probability {
        config.kinds.choose(rng).copied()
    } else {
        None
    }
}

/// A successful answer as served, to replay for the duplicate-page fault. Where it is kept (per
/// token and path, per request URI) is the platform's choice.
#[derive(Debug, Clone)]
pub struct CachedAnswer {
    headers: HeaderMap,
    body: Vec<u8>,
}

impl CachedAnswer {
    /// Buffers a response to keep a copy when it succeeded; the response passes on unchanged.
    pub async fn capture(response: Response) -> (Response, Option<CachedAnswer>) {
        if !response.status().is_success() {
            return (response, None);
        }
        let (parts, body) = response.into_parts();
        let Ok(bytes) = to_bytes(body, usize::MAX).await else {
            return (Response::from_parts(parts, Body::empty()), None);
        };
        let cached = CachedAnswer { headers: parts.headers.clone(), body: bytes.to_vec() };
        (Response::from_parts(parts, Body::from(bytes)), Some(cached))
    }

    /// The same answer again, headers and all.
    pub fn replay(self) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.headers_mut() = self.headers;
        response
    }
}

/// What a drawn fault does to one request.
#[derive(Debug)]
pub enum Effect {
    /// Answer this instead of serving: the platform's own refusal (a 429, a 5xx, a dead token).
    Answer(Response),
    /// Serve, but only after this long.
    Delay(Duration),
    /// Answer an earlier page again without serving.
    Replay(CachedAnswer),
    /// Serve, then cut the body in half (a dropped connection behind a proxy).
    Truncate,
    /// Serve, then shuffle the JSON arrays under these top-level fields.
    Reorder(&'static [&'static str]),
}

/// Carries out `effect` for `request`. `shuffle` reorders one array for [`Effect::Reorder`]; it
/// takes the simulator's seeded dice so a run can be replayed.
pub async fn apply(
    effect: Effect,
    request: Request,
    next: Next,
    shuffle: impl FnMut(&mut Vec<serde_json::Value>),
) -> Response {
    match effect {
        Effect::Answer(response) => response,
        Effect::Replay(cached) => cached.replay(),
        Effect::Delay(delay) => {
            tokio::time::sleep(delay).await;
            next.run(request).await
        }
        Effect::Truncate => truncate(next.run(request).await).await,
        Effect::Reorder(lists) => reorder(next.run(request).await, lists, shuffle).await,
    }
}

/// Keeps the first half of a body, dropping the now wrong `Content-Length`.
pub async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
}

/// Shuffles the arrays under `lists` in a JSON body; a body that is not JSON passes unchanged.
pub async fn reorder(
    response: Response,
    lists: &[&str],
    mut shuffle: impl FnMut(&mut Vec<serde_json::Value>),
) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
    let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    for list in lists {
        if let Some(items) = value.get_mut(*list).and_then(serde_json::Value::as_array_mut) {
            shuffle(items);
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    let body = if value.is_null() { bytes.to_vec() } else { value.to_string().into_bytes() };
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, StatusCode};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    enum Fault {
        Slow,
        Broken,
    }

    impl Kind for Fault {
        fn all() -> &'static [Self] {
            &[Fault::Slow, Fault::Broken]
        }
    }

    fn json(body: &str) -> Response {
        let mut response = Response::new(Body::from(body.to_owned()));
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
        response
    }

    async fn text(response: Response) -> String {
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn writes_are_never_faulted_and_reads_are_at_the_configured_rate() {
        let config = FaultConfig::<Fault> { probability: 0.25, ..FaultConfig::default() };
        assert_eq!(config.kinds, vec![Fault::Slow, Fault::Broken]);
        let mut rng = StdRng::seed_from_u64(1);
        assert!((0..1000).all(|_| roll(&config, false, &mut rng).is_none()));
        let faulted = (0..10_000).filter(|_| roll(&config, true, &mut rng).is_some()).count();
        assert!((2_200..2_800).contains(&faulted), "{faulted}");
        let off = FaultConfig::<Fault>::default();
        assert!((0..1000).all(|_| roll(&off, true, &mut rng).is_none()));
    }

    #[test]
    fn stats_count_each_kind() {
        let mut stats = FaultStats::default();
        stats.count(Fault::Broken);
        stats.count(Fault::Broken);
        stats.count(Fault::Slow);
        assert_eq!(stats.injected.get(&Fault::Broken), Some(&2));
        assert_eq!(stats.total_injected(), 3);
    }

    #[tokio::test]
    async fn a_captured_success_replays_with_its_headers_and_a_failure_is_not_kept() {
        let (passed, cached) = CachedAnswer::capture(json(r#"{"data":[1]}"#)).await;
        assert_eq!(text(passed).await, r#"{"data":[1]}"#);
        let replayed = cached.unwrap().replay();
        assert_eq!(replayed.headers().get(header::CONTENT_LENGTH).unwrap(), "12");
        assert_eq!(text(replayed).await, r#"{"data":[1]}"#);
        let mut refused = json("{}");
        *refused.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        assert!(CachedAnswer::capture(refused).await.1.is_none());
    }

    #[tokio::test]
    async fn a_truncated_body_is_half_and_unparsable() {
        let cut = truncate(json(r#"{"data":[1,2,3,4]}"#)).await;
        assert!(cut.headers().get(header::CONTENT_LENGTH).is_none());
        let body = text(cut).await;
        assert_eq!(body, r#"{"data":["#);
        assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    }

    #[tokio::test]
    async fn reordering_touches_only_the_named_lists_and_leaves_other_bodies_alone() {
        let body = r#"{"data":[1,2,3],"other":[1,2,3]}"#;
        let reordered = reorder(json(body), &["data"], |items| items.reverse()).await;
        let value: serde_json::Value = serde_json::from_str(&text(reordered).await).unwrap();
        assert_eq!(value["data"], serde_json::json!([3, 2, 1]));
        assert_eq!(value["other"], serde_json::json!([1, 2, 3]));
        let html = reorder(json("<html></html>"), &["data"], |items| items.reverse()).await;
        assert_eq!(text(html).await, "<html></html>");
    }
}
