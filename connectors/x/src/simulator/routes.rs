//! The simulated API's plumbing: the router, problem answers, bearer auth and per-token
//! rate-limit windows. The endpoints themselves are in `reads` and `writes`.

use super::faults::inject;
use super::{oauth, reads, writes, Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use trellis_connector_kit::record::{record, RequestLog};

/// Requests allowed per token and endpoint in each window (X's user-context limits by default).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    pub mentions: u32,
    pub dm_events: u32,
    /// Posting tweets, sending DMs, hiding and deleting, each counted on its own.
    pub writes: u32,
    pub users_me: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            mentions: 300,
            dm_events: 15,
            writes: 200,
            users_me: 75,
        }
    }
}

/// One token's use of one endpoint in the current window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub reset_at: DateTime<Utc>,
    pub used: u32,
}

pub(crate) fn router(shared: Shared, log: RequestLog) -> Router {
    Router::new()
        .route("/2/users/me", get(reads::me))
        .route("/2/users/{id}/mentions", get(reads::mentions))
        .route("/2/dm_events", get(reads::dm_events))
        .route("/2/tweets", post(writes::post_tweet))
        .route("/2/tweets/{id}", delete(writes::delete_tweet))
        .route("/2/tweets/{id}/hidden", put(writes::hide_reply))
        .route("/2/dm_conversations/with/{participant}/messages", post(writes::dm_with))
        .route("/2/dm_conversations/{conversation}/messages", post(writes::dm_in))
        .merge(oauth::router())
        .layer(from_fn_with_state(shared.clone(), inject))
        .layer(from_fn_with_state(log, record))
        .with_state(shared)
}

/// An RFC 7807 problem as X sends it.
pub(crate) fn problem(status: StatusCode, title: &str, detail: &str, kind: &str) -> Response {
    let body = json!({"title": title, "detail": detail, "type": kind, "status": status.as_u16()});
    let mut response = (status, body.to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    response
}

/// A refused request, answered as a problem object (with the caller's budget once known).
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    title: &'static str,
    detail: String,
    kind: &'static str,
    budget: Option<(u32, u32, DateTime<Utc>)>,
}

impl ApiError {
    fn new(status: StatusCode, title: &'static str, detail: String, kind: &'static str) -> Self {
        Self { status, title, detail, kind, budget: None }
    }

    pub fn invalid(detail: String) -> Self {
        let kind = "https://api.twitter.com/2/problems/invalid-request";
        Self::new(StatusCode::BAD_REQUEST, "Invalid Request", detail, kind)
    }

    pub fn not_found(detail: String) -> Self {
        let kind = "https://api.twitter.com/2/problems/resource-not-found";
        Self::new(StatusCode::NOT_FOUND, "Not Found Error", detail, kind)
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", detail.to_owned(), "about:blank")
    }

    fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized".into(), "about:blank")
    }

    /// X states the budget on refusals too: a bad request still spends a call.
    pub fn stamped(mut self, admitted: &Admitted) -> Self {
        self.budget = Some((admitted.limit, admitted.remaining, admitted.reset_at));
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem(self.status, self.title, &self.detail, self.kind);
        if let Some((limit, remaining, reset_at)) = self.budget {
            rate_headers(&mut response, limit, remaining, reset_at);
        }
        response
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// The `x-rate-limit-*` headers X puts on every answer.
pub(crate) fn rate_headers(
    response: &mut Response,
    limit: u32,
    remaining: u32,
    reset_at: DateTime<Utc>,
) {
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-rate-limit-limit", limit.to_string()),
        ("x-rate-limit-remaining", remaining.to_string()),
        ("x-rate-limit-reset", reset_at.timestamp().to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
}

/// A caller let through: who they are and what their window has left.
pub(crate) struct Admitted {
    pub user_id: String,
    limit: u32,
    remaining: u32,
    reset_at: DateTime<Utc>,
}

impl Admitted {
    /// A JSON answer carrying the caller's budget.
    pub fn answer(&self, status: StatusCode, body: Value) -> ApiResult {
        let mut response = (status, axum::Json(body)).into_response();
        rate_headers(&mut response, self.limit, self.remaining, self.reset_at);
        Ok(response)
    }
}

/// Checks the bearer token and spends one call of the token's window for `endpoint`; answers 401
/// for an unknown or expired token and 429 once the window is spent.
pub(crate) fn admit(
    shared: &Shared,
    headers: &HeaderMap,
    endpoint: &'static str,
) -> Result<Admitted, ApiError> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    let now = Utc::now();
    let mut inner = shared.lock();
    let user_id = inner.grants.user_for(token, now).ok_or_else(ApiError::unauthorized)?;
    let limits = inner.limits;
    let limit = match endpoint {
        "mentions" => limits.mentions,
        "dm_events" => limits.dm_events,
        "users_me" => limits.users_me,
        _ => limits.writes,
    };
    let length = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(15));
    let window = inner
        .windows
        .entry((token.to_owned(), endpoint))
        .or_insert(Window { reset_at: now + length, used: 0 });
    if window.reset_at <= now {
        *window = Window { reset_at: now + length, used: 0 };
    }
    if window.used >= limit {
        let detail = "Too Many Requests".to_owned();
        let refused = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too Many Requests",
            detail,
            "about:blank",
        );
        return Err(ApiError { budget: Some((limit, 0, window.reset_at)), ..refused });
    }
    window.used += 1;
    Ok(Admitted { user_id, limit, remaining: limit - window.used, reset_at: window.reset_at })
}
