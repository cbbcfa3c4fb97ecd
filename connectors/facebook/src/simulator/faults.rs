//! Fault mode: with a configured probability a read meets one of the failures real platforms
//! produce, so connectors are tested against them rather than against a perfect server. The dice,
//! statistics and platform-neutral faults are the connector kit's; the refusals here are the
//! Graph API's own.

use super::handle::Inner;
use super::routes::{graph_error, Usage};
use super::Shared;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use rand::seq::SliceRandom;
use rand::Rng;
use std::collections::BTreeMap;
use trellis_connector_kit::faults::{self, CachedAnswer, Effect};
use trellis_connector_kit::record::url_pairs;

/// One kind of failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// Error 4 (app) or 17 (user) request limit, with usage at 100 %.
    RateLimited,
    /// A 500 with error code 2 (`is_transient`), or a bare 503.
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

impl faults::Kind for FaultKind {
    fn all() -> &'static [Self] {
        &Self::ALL
    }
}

/// Which faults to inject and how often. Only reads of the API are faulted: Facebook Login and
/// `/me/accounts` always answer, so a connect flow under test is never cut short by the dice.
pub type FaultConfig = faults::FaultConfig<FaultKind>;

/// How many requests were served and which faults they met.
pub type FaultStats = faults::FaultStats<FaultKind>;

/// A token's last successful read and the path it was read from, replayed by the duplicate-page
/// fault.
pub(crate) type LastPage = (String, CachedAnswer);

/// What the middleware needs to know of a request before it is served.
struct Seen {
    token: String,
    path: String,
    is_read: bool,
    /// The request follows a paging link (`after`, `until`, `__paging_token`).
    is_next_page: bool,
}

impl Seen {
    fn of(request: &Request) -> Self {
        let path = request.uri().path().to_owned();
        let query: BTreeMap<String, String> =
            request.uri().query().map(|q| url_pairs(q).collect()).unwrap_or_default();
        let bearer = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        let token = query
            .get("access_token")
            .map(String::as_str)
            .filter(|token| !token.is_empty())
            .or(bearer)
            .unwrap_or_default()
            .to_owned();
        let is_read = request.method() == Method::GET
            && !path.contains("/oauth/")
            && !path.ends_with("/accounts");
        let is_next_page =
            ["after", "until", "__paging_token"].iter().any(|name| query.contains_key(*name));
        Self { token, path, is_read, is_next_page }
    }
}

/// Middleware: maybe injects a fault, and remembers each token's last page.
pub(crate) async fn inject(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let seen = Seen::of(&request);
    let effect = {
        let mut inner = shared.lock();
        let Inner { faults: config, stats, rng, last_pages, grants, world, .. } = &mut *inner;
        stats.requests += 1;
        // Only the page just before on the same edge is repeated (a paging bug), so a walk always
        // has a way to notice: the items are ones it already met.
        let replay = last_pages
            .get(&seen.token)
            .filter(|(path, _)| seen.is_next_page && *path == seen.path)
            .map(|(_, answer)| answer.clone());
        faults::roll(config, seen.is_read, rng).and_then(|kind| {
            let effect = match kind {
                // Without a page to repeat the request goes through clean, and counts no fault.
                FaultKind::DuplicatePage => Effect::Replay(replay?),
                FaultKind::RateLimited => {
                    let page_id = world.page.id.parse().unwrap_or(0);
                    Effect::Answer(rate_limited(rng.gen(), page_id))
                }
                FaultKind::ServerError => Effect::Answer(server_error(rng.gen())),
                FaultKind::ExpiredToken => {
                    grants.expire(&seen.token);
                    let message = "Error validating access token: Session has expired.";
                    Effect::Answer(graph_error(StatusCode::BAD_REQUEST, 190, Some(463), message))
                }
                FaultKind::Slow => Effect::Delay(config.slow_delay),
                FaultKind::TruncatedJson => Effect::Truncate,
                FaultKind::ReorderedPage => Effect::Reorder(&["data"]),
            };
            stats.count(kind);
            Some(effect)
        })
    };
    match effect {
        Some(effect) => {
            faults::apply(effect, request, next, |items| items.shuffle(&mut shared.lock().rng))
                .await
        }
        None if seen.is_read => {
            let (response, cached) = CachedAnswer::capture(next.run(request).await).await;
            if let Some(cached) = cached {
                shared.lock().last_pages.insert(seen.token, (seen.path, cached));
            }
            response
        }
        None => next.run(request).await,
    }
}

/// Error 4 (the app's limit) or 17 (the user's), with usage stated at 100 %.
fn rate_limited(app_limit: bool, page_id: u64) -> Response {
    let (code, message) = if app_limit {
        (4, "(#4) Application request limit reached")
    } else {
        (17, "(#17) User request limit reached")
    };
    let mut response = graph_error(StatusCode::BAD_REQUEST, code, None, message);
    Usage { page_id, percent: 100, regain_minutes: 0 }.stamp(&mut response);
    response
}

/// The Graph API's own "retry later" (code 2), or the bare 503 of the edge in front of it.
fn server_error(graph_answers: bool) -> Response {
    if graph_answers {
        let message = "An unexpected error has occurred. Please retry your request later.";
        return graph_error(StatusCode::INTERNAL_SERVER_ERROR, 2, None, message);
    }
    let mut response = Response::new(Body::from("<html><body>Service Unavailable</body></html>"));
    *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    response
}
