//! The simulated API's plumbing: the router, Discourse's error bodies, key auth and the per-key
//! rate limiter. The endpoints themselves are in `reads` and `writes`.

use super::faults::inject;
use super::{reads, writes, Shared};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::time::Duration;
use trellis_connector_kit::record::{record, RequestLog};

/// The admin API key limiter. Discourse's default of 60 requests a minute per key is
/// **unconfirmed**, hence configurable.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    pub requests_per_window: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { window: Duration::from_secs(60), requests_per_window: 60 }
    }
}

/// One key's use of the current window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub reset_at: DateTime<Utc>,
    pub used: u32,
}

pub(crate) fn router(shared: Shared, log: RequestLog) -> Router {
    Router::new()
        .route("/posts.json", get(reads::latest_posts).post(writes::create_post))
        .route("/private-posts.json", get(reads::private_posts))
        .route("/posts/{id}", get(reads::post).delete(writes::delete_post))
        .route("/posts/{id}/unhide", put(writes::unhide))
        .route("/t/{id}", get(reads::topic))
        .route("/session/current.json", get(reads::current_session))
        .route("/post_actions.json", post(writes::post_action))
        .layer(from_fn_with_state(shared.clone(), inject))
        .layer(from_fn_with_state(log, record))
        .with_state(shared)
}

/// A refusal with Discourse's JSON error body.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: Value,
    retry_after: Option<u64>,
}

impl ApiError {
    fn typed(status: StatusCode, error_type: &str, message: &str) -> Self {
        Self {
            status,
            body: json!({"errors": [message], "error_type": error_type}),
            retry_after: None,
        }
    }

    pub fn invalid_key() -> Self {
        Self::typed(StatusCode::FORBIDDEN, "invalid_access", "The API username or key is invalid.")
    }

    pub fn forbidden() -> Self {
        let message = "You are not permitted to view the requested resource.";
        Self::typed(StatusCode::FORBIDDEN, "invalid_access", message)
    }

    pub fn not_found() -> Self {
        let message = "The requested URL or resource could not be found.";
        Self::typed(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn invalid_parameters(message: &str) -> Self {
        Self::typed(StatusCode::BAD_REQUEST, "invalid_parameters", message)
    }

    /// The 422 of a post that could not be created.
    pub fn create_post(errors: Vec<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            body: json!({"action": "create_post", "errors": errors}),
            retry_after: None,
        }
    }

    /// The rate limiter's 429; the admin API key limiter adds its `error_id`.
    pub fn rate_limited(wait_seconds: u64, admin_key: bool) -> Self {
        let mut body = json!({
            "errors": [format!("You've performed this action too many times. Please wait {wait_seconds} seconds before trying again.")],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": wait_seconds, "time_left": format!("{wait_seconds} seconds")},
        });
        if admin_key {
            body["error_id"] = "admin_api_key_rate_limit".into();
        }
        Self { status: StatusCode::TOO_MANY_REQUESTS, body, retry_after: Some(wait_seconds) }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// The authenticated user's lowercase username, after spending one request of the key's window.
pub(crate) fn admit(shared: &Shared, headers: &HeaderMap) -> Result<String, ApiError> {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let now = Utc::now();
    let mut inner = shared.lock();
    let (key, username, admin) = match (text("api-key"), text("user-api-key")) {
        (Some(key), _) => {
            let username = text("api-username").unwrap_or_default().to_lowercase();
            let valid = inner.admin_keys.contains(key) && inner.world.users.contains_key(&username);
            if !valid {
                return Err(ApiError::invalid_key());
            }
            (key.to_owned(), username, true)
        }
        (None, Some(key)) => {
            let client = text("user-api-client-id").unwrap_or_default();
            match inner.user_keys.get(key) {
                Some((granted_to, username)) if granted_to == client => {
                    (key.to_owned(), username.to_lowercase(), false)
                }
                _ => return Err(ApiError::invalid_key()),
            }
        }
        (None, None) => return Err(ApiError::invalid_key()),
    };
    let limits = inner.limits;
    let length = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::minutes(1));
    let window = inner.windows.entry(key).or_insert(Window { reset_at: now + length, used: 0 });
    if window.reset_at <= now {
        *window = Window { reset_at: now + length, used: 0 };
    }
    if window.used >= limits.requests_per_window {
        let wait = (window.reset_at - now).num_milliseconds().max(0);
        let wait_seconds = u64::try_from((wait + 999) / 1000).unwrap_or(1).max(1);
        return Err(ApiError::rate_limited(wait_seconds, admin));
    }
    window.used += 1;
    Ok(username)
}

/// A JSON answer.
pub(crate) fn answer(body: Value) -> ApiResult {
    Ok((StatusCode::OK, axum::Json(body)).into_response())
}
