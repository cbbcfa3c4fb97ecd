//! Fault mode: with a configured probability a read meets one of the failures real platforms
//! produce, so connectors are tested against them rather than against a perfect server.

use super::routes::{graph_error, Usage};
use super::Shared;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use std::time::Duration;

/// One kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Error 4 (app) or 17 (user) request limit, with usage at 100 %.
    RateLimited,
    /// A 500 with error code 1 or 2 (`is_transient`), or a bare 503.
    ServerError,
    /// The answer comes after `slow_delay`, past a sensible client timeout.
    Slow,
    /// The body is cut in half (a dropped connection behind a proxy).
    TruncatedJson,
    /// Asked for the next page, the client gets the previous page of the same edge again.
    DuplicatePage,
    /// The page's items come in a different order.
    ReorderedPage,
    /// The token expires on the spot: error 190 (subcode 463) now and from then on.
    ExpiredToken,
}

impl FaultKind {
    pub const ALL: [FaultKind; 7] = [
        FaultKind::RateLimited,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::TruncatedJson,
        FaultKind::DuplicatePage,
        FaultKind::ReorderedPage,
        FaultKind::ExpiredToken,
    ];
}

/// Which faults to inject and how often.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Chance per read (`GET` of the API, not OAuth), 0.0 (off) to 1.0. Writes are never faulted:
    /// a faulted write would leave tests unable to tell what the platform did.
    pub probability: f64,
    pub kinds: Vec<FaultKind>,
    pub slow_delay: Duration,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            probability: 0.0,
            kinds: FaultKind::ALL.to_vec(),
            slow_delay: Duration::from_secs(30),
        }
    }
}

/// How many requests were served and which faults they met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FaultStats {
    pub requests: u64,
    pub injected: BTreeMap<FaultKind, u64>,
}

impl FaultStats {
    pub fn total_injected(&self) -> u64 {
        self.injected.values().sum()
    }
}

/// The last successful read of one token: replayed by the duplicate-page fault.
#[derive(Debug, Clone)]
pub(crate) struct CachedAnswer {
    path: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Middleware: maybe injects a fault, and remembers each token's last page.
pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let query: BTreeMap<String, String> = request
        .uri()
        .query()
        .map(|q| trellis_connector_kit::record::url_pairs(q).collect())
        .unwrap_or_default();
    let token = query.get("access_token").cloned().unwrap_or_default();
    let is_read = request.method() == Method::GET
        && !path.contains("/oauth/")
        && !path.ends_with("/accounts");
    let next_page =
        ["after", "until", "__paging_token"].iter().any(|name| query.contains_key(*name));
    let (fault, slow_delay, cached) = {
        let mut inner = shared.lock();
        inner.stats.requests += 1;
        let probability = inner.faults.probability.clamp(0.0, 1.0);
        let kinds = inner.faults.kinds.clone();
        let roll: f64 = inner.rng.gen();
        let fault = if is_read && roll < probability {
            kinds.choose(&mut inner.rng).copied()
        } else {
            None
        };
        // Only the page just before on the same edge can be repeated (a paging bug), so a walk
        // always has a way to notice: the items are ones it already met.
        let cached = inner.last_pages.get(&token).filter(|cached| cached.path == path).cloned();
        let fault = fault
            .filter(|kind| *kind != FaultKind::DuplicatePage || (cached.is_some() && next_page));
        if let Some(kind) = fault {
            *inner.stats.injected.entry(kind).or_default() += 1;
            if kind == FaultKind::ExpiredToken {
                inner.grants.expire(&token);
            }
        }
        (fault, inner.faults.slow_delay, cached)
    };
    match fault {
        None if is_read => remember(&shared, token, path, next.run(request).await).await,
        None => next.run(request).await,
        Some(FaultKind::RateLimited) => {
            let code = if rand::random::<bool>() { 4 } else { 17 };
            let message = if code == 4 {
                "(#4) Application request limit reached"
            } else {
                "(#17) User request limit reached"
            };
            let mut response = graph_error(StatusCode::BAD_REQUEST, code, None, message);
            let page_id = shared.lock().world.page.id.parse().unwrap_or(0);
            Usage { page_id, percent: 100, regain_minutes: 0 }.stamp(&mut response);
            response
        }
        Some(FaultKind::ServerError) => {
            if rand::random::<bool>() {
                graph_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    2,
                    None,
                    "An unexpected error has occurred. Please retry your request later.",
                )
            } else {
                let mut response =
                    Response::new(Body::from("<html><body>Service Unavailable</body></html>"));
                *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
                response
            }
        }
        Some(FaultKind::ExpiredToken) => {
            let message = "Error validating access token: Session has expired.";
            graph_error(StatusCode::BAD_REQUEST, 190, Some(463), message)
        }
        Some(FaultKind::Slow) => {
            tokio::time::sleep(slow_delay).await;
            next.run(request).await
        }
        Some(FaultKind::DuplicatePage) => match cached {
            Some(cached) => {
                let mut response = Response::new(Body::from(cached.body));
                *response.headers_mut() = cached.headers;
                response
            }
            None => next.run(request).await,
        },
        Some(FaultKind::TruncatedJson) => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            parts.headers.remove(header::CONTENT_LENGTH);
            let cut = bytes.len() / 2;
            Response::from_parts(parts, Body::from(bytes.slice(..cut)))
        }
        Some(FaultKind::ReorderedPage) => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if let Some(items) = value.get_mut("data").and_then(serde_json::Value::as_array_mut) {
                items.shuffle(&mut shared.lock().rng);
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            let body =
                if value.is_null() { bytes.to_vec() } else { value.to_string().into_bytes() };
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// Keeps a successful read's answer for the duplicate-page fault, and passes it on.
async fn remember(shared: &Shared, token: String, path: String, response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let cached = CachedAnswer { path, headers: parts.headers.clone(), body: bytes.to_vec() };
    shared.lock().last_pages.insert(token, cached);
    Response::from_parts(parts, Body::from(bytes))
}
