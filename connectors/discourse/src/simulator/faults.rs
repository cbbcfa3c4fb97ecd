//! Fault mode: with a configured probability a read meets one of the failures a Discourse forum
//! (and the proxies in front of it) produce, so connectors are tested against them.

use super::routes::ApiError;
use super::Shared;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use std::time::Duration;

/// One kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// The API key limiter's JSON 429, `Retry-After: 1`.
    RateLimited,
    /// The per-IP limiter's 429 in text/plain, `Retry-After: 1`.
    RateLimitedPlain,
    /// A 502 HTML page from the reverse proxy.
    ServerError,
    /// The answer comes after `slow_delay`, past a sensible client timeout.
    Slow,
    /// The body is cut in half.
    TruncatedJson,
    /// The same request's previous answer is served again (a cache replaying it).
    DuplicatePage,
    /// The page's posts come in a different order.
    ReorderedPage,
    /// The API key is revoked on the spot: 403 `invalid_access` now and until a new key is used.
    RevokedKey,
}

impl FaultKind {
    pub const ALL: [FaultKind; 8] = [
        FaultKind::RateLimited,
        FaultKind::RateLimitedPlain,
        FaultKind::ServerError,
        FaultKind::Slow,
        FaultKind::TruncatedJson,
        FaultKind::DuplicatePage,
        FaultKind::ReorderedPage,
        FaultKind::RevokedKey,
    ];
}

/// Which faults to inject and how often.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Chance per read (`GET`), 0.0 (off) to 1.0. Writes are never faulted, so tests can tell
    /// what the forum did.
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

/// An answer as served, to replay.
#[derive(Debug, Clone)]
pub(crate) struct CachedAnswer {
    headers: HeaderMap,
    body: Vec<u8>,
}

fn key_of(headers: &HeaderMap) -> String {
    ["api-key", "user-api-key"]
        .iter()
        .find_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .unwrap_or_default()
        .to_owned()
}

/// Middleware: maybe injects a fault, and remembers answers for the duplicate-page fault.
pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let key = key_of(request.headers());
    let page_key = (key.clone(), request.uri().to_string());
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
        // A duplicate needs an earlier answer to repeat; without one the request goes through.
        let fault = fault.filter(|kind| *kind != FaultKind::DuplicatePage || cached.is_some());
        if let Some(kind) = fault {
            *inner.stats.injected.entry(kind).or_default() += 1;
            if kind == FaultKind::RevokedKey {
                inner.admin_keys.remove(&key);
                inner.user_keys.remove(&key);
            }
        }
        (fault, inner.faults.slow_delay, cached)
    };
    match fault {
        None if is_read => remember(&shared, page_key, next.run(request).await).await,
        None => next.run(request).await,
        Some(FaultKind::RateLimited) => ApiError::rate_limited(1, true).into_response(),
        Some(FaultKind::RateLimitedPlain) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                "Slow down, too many requests from this IP address\n",
            )
                .into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Some(FaultKind::ServerError) => {
            let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
            let mut response = (StatusCode::BAD_GATEWAY, page).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            response
        }
        Some(FaultKind::RevokedKey) => ApiError::invalid_key().into_response(),
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
            Response::from_parts(parts, Body::from(bytes.slice(..bytes.len() / 2)))
        }
        Some(FaultKind::ReorderedPage) => {
            let (mut parts, body) = next.run(request).await.into_parts();
            let bytes = to_bytes(body, usize::MAX).await.unwrap_or_default();
            let mut value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            for list in ["latest_posts", "private_posts"] {
                if let Some(items) = value.get_mut(list).and_then(serde_json::Value::as_array_mut) {
                    items.shuffle(&mut shared.lock().rng);
                }
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
