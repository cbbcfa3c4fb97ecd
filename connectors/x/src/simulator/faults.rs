//! Fault mode: with a configured probability a request meets one of the failures real platforms
//! produce, so connectors are tested against them rather than against a perfect server.

use super::routes::{problem, rate_headers};
use super::Shared;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use std::time::Duration;

/// One kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// 429 with a reset one second ahead, as if a shared app limit ran out.
    RateLimited,
    /// 503 with a problem body.
    ServerError,
    /// The answer comes after `slow_delay`, past a sensible client timeout.
    Slow,
    /// The body is cut in half (a dropped connection behind a proxy).
    TruncatedJson,
    /// The previous page of the same timeline is served again.
    DuplicatePage,
    /// The page's items come in a different order.
    ReorderedPage,
    /// The access token expires on the spot: 401 now and until it is refreshed.
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
    /// Chance per request, 0.0 (off) to 1.0. Only reads (`GET`) are faulted: a faulted write
    /// would leave tests unable to tell what the platform did.
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

/// A page as served, to replay.
#[derive(Debug, Clone)]
pub(crate) struct CachedAnswer {
    headers: HeaderMap,
    body: Vec<u8>,
}

/// Middleware: maybe injects a fault, and remembers pages for the duplicate-page fault.
pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let page_key = (
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        request.uri().path().to_owned(),
    );
    let is_read = request.method() == Method::GET;
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
        let cached = inner.last_pages.get(&page_key).cloned();
        // A duplicate needs an earlier page to repeat; without one the request goes through clean.
        let fault = fault.filter(|kind| *kind != FaultKind::DuplicatePage || cached.is_some());
        if let Some(kind) = fault {
            *inner.stats.injected.entry(kind).or_default() += 1;
            if kind == FaultKind::ExpiredToken {
                let token = page_key.0.strip_prefix("Bearer ").unwrap_or_default().to_owned();
                inner.grants.expire(&token);
            }
        }
        (fault, inner.faults.slow_delay, cached)
    };
    match fault {
        None if is_read => remember(&shared, page_key, next.run(request).await).await,
        None => next.run(request).await,
        Some(FaultKind::RateLimited) => {
            let mut response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "Too Many Requests",
                "about:blank",
            );
            // Unix-second resolution: the next whole second after now plus one.
            let reset = Utc::now() + chrono::Duration::seconds(1);
            rate_headers(&mut response, 300, 0, reset);
            response
        }
        Some(FaultKind::ServerError) => problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "Service Unavailable",
            "about:blank",
        ),
        Some(FaultKind::ExpiredToken) => {
            problem(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized", "about:blank")
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
                let mut inner = shared.lock();
                items.shuffle(&mut inner.rng);
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            let body =
                if value.is_null() { bytes.to_vec() } else { value.to_string().into_bytes() };
            Response::from_parts(parts, Body::from(body))
        }
    }
}

/// Keeps a successful read's answer for the duplicate-page fault, and passes it on.
async fn remember(shared: &Shared, key: (String, String), response: Response) -> Response {
    if !response.status().is_success() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return Response::from_parts(parts, Body::empty());
    };
    shared
        .lock()
        .last_pages
        .insert(key, CachedAnswer { headers: parts.headers.clone(), body: bytes.to_vec() });
    Response::from_parts(parts, Body::from(bytes))
}
