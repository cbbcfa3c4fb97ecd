//! Fault mode: with a configured probability a request meets one of the failures real platforms
//! produce, so connectors are tested against them rather than against a perfect server.

use super::handle::Inner;
use super::routes::{problem, rate_headers};
use super::Shared;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use rand::seq::SliceRandom;
use trellis_connector_kit::faults::{self, CachedAnswer, Effect};

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

impl faults::Kind for FaultKind {
    fn all() -> &'static [Self] {
        &Self::ALL
    }
}

/// Which faults to inject and how often.
pub type FaultConfig = faults::FaultConfig<FaultKind>;

/// How many requests were served and which faults they met.
pub type FaultStats = faults::FaultStats<FaultKind>;

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
        let Inner { faults: config, stats, rng, last_pages, grants, .. } = &mut *inner;
        stats.requests += 1;
        let fault = faults::roll(config, is_read, rng);
        let cached = last_pages.get(&page_key).cloned();
        // A duplicate needs an earlier page to repeat; without one the request goes through clean.
        let fault = fault.filter(|kind| *kind != FaultKind::DuplicatePage || cached.is_some());
        if let Some(kind) = fault {
            stats.count(kind);
            if kind == FaultKind::ExpiredToken {
                let token = page_key.0.strip_prefix("Bearer ").unwrap_or_default();
                grants.expire(token);
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
            let mut response = problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "Too Many Requests",
                "about:blank",
            );
            // Unix-second resolution: the next whole second after now plus one.
            let reset = Utc::now() + chrono::Duration::seconds(1);
            rate_headers(&mut response, 300, 0, reset);
            Effect::Answer(response)
        }
        Some(FaultKind::ServerError) => Effect::Answer(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service Unavailable",
            "Service Unavailable",
            "about:blank",
        )),
        Some(FaultKind::ExpiredToken) => Effect::Answer(problem(
            StatusCode::UNAUTHORIZED,
            "Unauthorized",
            "Unauthorized",
            "about:blank",
        )),
        Some(FaultKind::Slow) => Effect::Delay(slow_delay),
        Some(FaultKind::DuplicatePage) => match cached {
            Some(cached) => Effect::Replay(cached),
            None => return next.run(request).await,
        },
        Some(FaultKind::TruncatedJson) => Effect::Truncate,
        Some(FaultKind::ReorderedPage) => Effect::Reorder(&["data"]),
    };
    faults::apply(effect, request, next, |items| items.shuffle(&mut shared.lock().rng)).await
}
