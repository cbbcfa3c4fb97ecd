//! Every request a simulator receives, kept so tests can assert exactly what a connector sent
//! (paths, parameters, headers, bodies), not only what it made of the answers.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Bodies larger than this are refused (413) rather than buffered; every platform's own limits
/// are far lower.
const MAX_BODY: usize = 1 << 20;

/// One request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Query parameters, decoded; a repeated name keeps its last value.
    pub query: BTreeMap<String, String>,
    /// Header names lowercase; values that are not text are dropped.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    /// The body as form fields (`a=1&b=2`).
    pub fn form(&self) -> BTreeMap<String, String> {
        url_pairs(&String::from_utf8_lossy(&self.body)).collect()
    }

    /// The body parsed as JSON, `Null` when it is not JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The requests a simulator has received, in arrival order. Cheap to clone: clones share one log.
#[derive(Debug, Clone, Default)]
pub struct RequestLog(Arc<Mutex<Vec<RecordedRequest>>>);

impl RequestLog {
    fn lock(&self) -> MutexGuard<'_, Vec<RecordedRequest>> {
        // A request that panicked mid-push leaves a log a test should still be able to read.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn push(&self, request: RecordedRequest) {
        self.lock().push(request);
    }

    /// Every request so far, in arrival order.
    pub fn snapshot(&self) -> Vec<RecordedRequest> {
        self.lock().clone()
    }

    /// Forgets what was recorded, to assert on what comes next.
    pub fn clear(&self) {
        self.lock().clear();
    }
}

/// Middleware: buffers the body, records the request, hands it on unchanged. Install it outermost
/// (the last `layer`) so faulted requests are recorded too:
/// `router.layer(axum::middleware::from_fn_with_state(log.clone(), record))`.
pub async fn record(State(log): State<RequestLog>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let query = parts.uri.query().map(|query| url_pairs(query).collect()).unwrap_or_default();
    let headers = parts
        .headers
        .iter()
        .filter_map(|(name, value)| {
            Some((name.as_str().to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect();
    log.push(RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query,
        headers,
        body: bytes.to_vec(),
    });
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Decodes `a=1&b=x%20y` pairs (`+` as space), as form and query strings encode them.
pub fn url_pairs(query: &str) -> impl Iterator<Item = (String, String)> + '_ {
    url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use axum::middleware::from_fn_with_state;
    use axum::routing::post;
    use axum::Router;
    use tower::ServiceExt;

    fn app(log: &RequestLog) -> Router {
        Router::new()
            .route("/echo", post(|body: String| async move { body }))
            .layer(from_fn_with_state(log.clone(), record))
    }

    #[tokio::test]
    async fn a_request_is_recorded_and_reaches_the_handler_unchanged() {
        let log = RequestLog::default();
        let request = Request::post("/echo?since_id=9&q=a+b%21")
            .header("X-Api-Key", "k1")
            .body(Body::from("text=hello+world&n=2"))
            .unwrap();
        let response = app(&log).oneshot(request).await.unwrap();
        let echoed = to_bytes(response.into_body(), 1024).await.unwrap();
        assert_eq!(&echoed[..], b"text=hello+world&n=2");
        let recorded = log.snapshot();
        assert_eq!(recorded.len(), 1);
        let first = &recorded[0];
        assert_eq!((first.method.as_str(), first.path.as_str()), ("POST", "/echo"));
        assert_eq!(first.param("q"), Some("a b!"));
        assert_eq!(first.param("since_id"), Some("9"));
        assert_eq!(first.header("x-api-key"), Some("k1"));
        assert_eq!(first.form().get("text").map(String::as_str), Some("hello world"));
        assert_eq!(first.json(), serde_json::Value::Null);
        log.clear();
        assert!(log.snapshot().is_empty());
    }

    #[tokio::test]
    async fn an_oversized_body_is_refused_and_not_recorded() {
        let log = RequestLog::default();
        let request = Request::post("/echo").body(Body::from(vec![b'a'; MAX_BODY + 1])).unwrap();
        let response = app(&log).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert!(log.snapshot().is_empty());
    }
}
