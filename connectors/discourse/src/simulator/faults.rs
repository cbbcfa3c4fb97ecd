//! Fault mode: with a configured probability a read meets one of the failures a Discourse forum
//! (and the proxies in front of it) produce, so connectors are tested against them.

use super::handle::Inner;
use super::routes::ApiError;
use super::Shared;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::seq::SliceRandom;
use trellis_connector_kit::faults::{self, CachedAnswer, Effect};

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

impl faults::Kind for FaultKind {
    fn all() -> &'static [Self] {
        &Self::ALL
    }
}

/// Which faults to inject and how often.
pub type FaultConfig = faults::FaultConfig<FaultKind>;

/// How many requests were served and which faults they met.
pub type FaultStats = faults::FaultStats<FaultKind>;

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
        let Inner { faults: config, stats, rng, last_pages, admin_keys, user_keys, .. } =
            &mut *inner;
        stats.requests += 1;
        let fault = faults::roll(config, is_read, rng);
        let cached = last_pages.get(&page_key).cloned();
        // A duplicate needs an earlier answer to repeat; without one the request goes through.
        let fault = fault.filter(|kind| *kind != FaultKind::DuplicatePage || cached.is_some());
        if let Some(kind) = fault {
            stats.count(kind);
            if kind == FaultKind::RevokedKey {
                admin_keys.remove(&key);
                user_keys.remove(&key);
            }
        }
        (fault, config.slow_delay, cached)
    };
    let effect = match fault {
        None if is_read => {
            let (response, cached) = CachedAnswer::capture(next.run(request).await).await;
            if let Some(cached) = cached {
                shared.lock().last_pages.insert(page_key, cached);
            }
            return response;
        }
        None => return next.run(request).await,
        Some(FaultKind::RateLimited) => {
            Effect::Answer(ApiError::rate_limited(1, true).into_response())
        }
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
            Effect::Answer(response)
        }
        Some(FaultKind::ServerError) => {
            let page = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>";
            let mut response = (StatusCode::BAD_GATEWAY, page).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            Effect::Answer(response)
        }
        Some(FaultKind::RevokedKey) => Effect::Answer(ApiError::invalid_key().into_response()),
        Some(FaultKind::Slow) => Effect::Delay(slow_delay),
        Some(FaultKind::DuplicatePage) => match cached {
            Some(cached) => Effect::Replay(cached),
            None => return next.run(request).await,
        },
        Some(FaultKind::TruncatedJson) => Effect::Truncate,
        Some(FaultKind::ReorderedPage) => Effect::Reorder(&["latest_posts", "private_posts"]),
    };
    faults::apply(effect, request, next, |items| items.shuffle(&mut shared.lock().rng)).await
}
