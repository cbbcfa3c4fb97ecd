//! The simulated Graph API's plumbing: one dispatcher over `/{version}/{node}/{edge}` paths (any
//! `v{N}.{M}` prefix, or none), Graph error envelopes, token checks and the usage headers. The
//! endpoints themselves are in `reads`, `writes` and `oauth`.

use super::faults::inject;
use super::{oauth, reads, writes, Shared};
use crate::http::is_version;
use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;
use trellis_connector_kit::record::{record, url_pairs, RequestLog};

/// Calls allowed per token in each window; usage headers state the share spent.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub window: Duration,
    pub calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self { window: Duration::from_secs(60 * 60), calls: 4_800 }
    }
}

/// One token's use in the current window.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Window {
    pub reset_at: DateTime<Utc>,
    pub used: u32,
}

/// A request as the endpoints see it.
pub(crate) struct Call {
    pub method: Method,
    /// Path segments after the version prefix.
    pub segments: Vec<String>,
    /// Query and form parameters together (form wins).
    pub params: HashMap<String, String>,
    pub json: Value,
    /// `http://host/v19.0`: where paging links point.
    pub base: String,
    pub token: String,
}

impl Call {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str).filter(|value| !value.is_empty())
    }
}

pub(crate) fn router(shared: Shared, log: RequestLog) -> Router {
    Router::new()
        .fallback(dispatch)
        .layer(from_fn_with_state(shared.clone(), inject))
        .layer(from_fn_with_state(log, record))
        .with_state(shared)
}

async fn dispatch(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let mut segments: Vec<String> =
        parts.uri.path().split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let version = match segments.first() {
        Some(first) if is_version(first) => Some(segments.remove(0)),
        _ => None,
    };
    let host = parts.headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let base = match &version {
        Some(version) => format!("http://{host}/{version}"),
        None => format!("http://{host}"),
    };
    let mut params: HashMap<String, String> =
        parts.uri.query().map(|q| url_pairs(q).collect()).unwrap_or_default();
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        params.extend(url_pairs(&String::from_utf8_lossy(&bytes)).collect::<Vec<_>>());
    }
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let token = params
        .get("access_token")
        .filter(|token| !token.is_empty())
        .map(String::as_str)
        .or(bearer)
        .unwrap_or_default()
        .to_owned();
    let call = Call {
        method: parts.method.clone(),
        segments,
        params,
        json: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        base,
        token,
    };
    let path: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    let result = match (call.method.clone(), path.as_slice()) {
        (Method::GET | Method::POST, ["oauth", "access_token"]) => {
            oauth::access_token(&shared, &call)
        }
        (Method::GET, ["dialog", "oauth"]) => oauth::dialog(&shared, &call),
        (Method::GET, ["me", "accounts"]) => oauth::accounts(&shared, &call),
        (Method::GET, [node, "feed"]) => reads::feed(&shared, &call, node),
        (Method::GET, [node, "comments"]) => reads::comments(&shared, &call, node),
        (Method::GET, [node, "conversations"]) => reads::conversations(&shared, &call, node),
        (Method::GET, [node, "messages"]) => reads::messages(&shared, &call, node),
        (Method::GET, [node]) => reads::node(&shared, &call, node),
        (Method::POST, [node, "comments"]) => writes::comment(&shared, &call, node),
        (Method::POST, [node, "messages"]) => writes::send(&shared, &call, node),
        (Method::POST, [node]) => writes::update(&shared, &call, node),
        (Method::DELETE, [node]) => writes::delete(&shared, &call, node),
        (method, _) => Err(GraphFailure::unsupported(method.as_str(), &path.join("/"))),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A refused call, answered with the Graph error envelope.
#[derive(Debug)]
pub(crate) struct GraphFailure {
    pub status: StatusCode,
    pub code: i64,
    pub subcode: Option<i64>,
    pub message: String,
    pub usage: Option<Usage>,
}

impl GraphFailure {
    pub fn new(
        status: StatusCode,
        code: i64,
        subcode: Option<i64>,
        message: impl Into<String>,
    ) -> Self {
        Self { status, code, subcode, message: message.into(), usage: None }
    }

    pub fn unsupported(method: &str, path: &str) -> Self {
        let message = format!(
            "Unsupported {} request. Object with ID '{path}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.",
            method.to_lowercase()
        );
        Self::new(StatusCode::BAD_REQUEST, 100, Some(33), message)
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, 100, None, message)
    }
}

impl IntoResponse for GraphFailure {
    fn into_response(self) -> Response {
        let mut response = graph_error(self.status, self.code, self.subcode, &self.message);
        if let Some(usage) = self.usage {
            usage.stamp(&mut response);
        }
        response
    }
}

pub(crate) type GraphResult = Result<Response, GraphFailure>;

/// The Graph error envelope.
pub(crate) fn graph_error(
    status: StatusCode,
    code: i64,
    subcode: Option<i64>,
    message: &str,
) -> Response {
    let mut error = json!({
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": format!("Sim{:08x}", rand::random::<u32>()),
    });
    if let Some(subcode) = subcode {
        error["error_subcode"] = subcode.into();
    }
    if code == 1 || code == 2 {
        error["is_transient"] = true.into();
    }
    let mut response = (status, json!({ "error": error }).to_string()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The share of a token's window spent, stated on every answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Usage {
    pub page_id: u64,
    pub percent: u32,
    /// Minutes until the window resets, stated once the budget is spent.
    pub regain_minutes: u32,
}

impl Usage {
    pub fn stamp(&self, response: &mut Response) {
        let percent = self.percent;
        let app =
            json!({"call_count": percent, "total_cputime": percent / 3, "total_time": percent / 2});
        let business = json!({ self.page_id.to_string(): [{
            "type": "pages", "call_count": percent, "total_cputime": percent / 3,
            "total_time": percent / 2, "estimated_time_to_regain_access": self.regain_minutes,
        }]});
        for (name, value) in [("x-app-usage", app), ("x-business-use-case-usage", business)] {
            if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
                response.headers_mut().insert(name, value);
            }
        }
    }

    pub fn answer(&self, body: Value) -> GraphResult {
        let mut response = axum::Json(body).into_response();
        self.stamp(&mut response);
        Ok(response)
    }
}

/// Who a token speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Subject {
    Page(String),
    User(String),
}

/// Checks the token and spends one call of its window. Answers error 190 for a missing, unknown,
/// expired (subcode 463) or invalidated (460) token, and error 32 once the window is spent.
pub(crate) fn admit(shared: &Shared, call: &Call) -> Result<(Subject, Usage), GraphFailure> {
    let now = Utc::now();
    let mut inner = shared.lock();
    if call.token.is_empty() {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            104,
            None,
            "An access token is required to request this resource.",
        ));
    }
    let subject = inner.grants.check(&call.token, now)?;
    let limits = inner.limits;
    let page_id = inner.world.page.id.parse().unwrap_or(0);
    let length = chrono::Duration::from_std(limits.window).unwrap_or(chrono::Duration::hours(1));
    let window = inner
        .windows
        .entry(call.token.clone())
        .or_insert(Window { reset_at: now + length, used: 0 });
    if window.reset_at <= now {
        *window = Window { reset_at: now + length, used: 0 };
    }
    let calls = limits.calls.max(1);
    if window.used >= calls {
        let minutes = ((window.reset_at - now).num_seconds() + 59) / 60;
        let usage =
            Usage { page_id, percent: 100, regain_minutes: u32::try_from(minutes).unwrap_or(60) };
        let mut failure = GraphFailure::new(
            StatusCode::BAD_REQUEST,
            32,
            None,
            "(#32) Page request limit reached",
        );
        failure.usage = Some(usage);
        return Err(failure);
    }
    window.used += 1;
    let percent = window.used.saturating_mul(100) / calls;
    Ok((subject, Usage { page_id, percent, regain_minutes: 0 }))
}

/// Admits only a Page token for the simulated Page.
pub(crate) fn admit_page(shared: &Shared, call: &Call) -> Result<Usage, GraphFailure> {
    match admit(shared, call)? {
        (Subject::Page(_), usage) => Ok(usage),
        (Subject::User(_), usage) => Err(GraphFailure {
            usage: Some(usage),
            ..GraphFailure::new(
                StatusCode::BAD_REQUEST,
                210,
                None,
                "(#210) A page access token is required to request this resource.",
            )
        }),
    }
}

/// `limit` clamped to the Graph API's 1–100, default 25.
pub(crate) fn limit(call: &Call) -> usize {
    call.param("limit").and_then(|v| v.parse().ok()).unwrap_or(25_usize).clamp(1, 100)
}

/// A full paging link, as the Graph API writes them (token included).
pub(crate) fn link(base: &str, path: &str, params: &[(&str, String)]) -> String {
    let mut url = format!("{base}/{path}?");
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    url.push_str(&query.finish());
    url
}
