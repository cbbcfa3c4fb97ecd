//! The HTTP surface, exercised in process with `Router::oneshot`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use chrono::DateTime;
use serde_json::Value;
use std::sync::{Arc, Mutex};
use tower::ServiceExt;
use trellis_core::{
    Channel, ConversationId, IndexDoc, MessageId, SearchError, SearchHit, SearchIndex,
    SearchRequest, SearchResults, Seq, SortOrder,
};
use trellis_http::{app, AppState};
use trellis_server::config::{Config, LogFormat};

/// An index that answers from a fixed hit, remembers the last request, and can be told to fail.
#[derive(Default)]
struct FakeIndex {
    broken: bool,
    last_request: Mutex<Option<SearchRequest>>,
}

impl SearchIndex for FakeIndex {
    fn apply(&self, _: Vec<IndexDoc>, _: Seq) -> Result<(), SearchError> {
        Ok(())
    }

    fn committed_seq(&self) -> Result<Seq, SearchError> {
        if self.broken {
            return Err(SearchError::Corrupt("meta.json is missing".into()));
        }
        Ok(Seq(7))
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        *self.last_request.lock().unwrap() = Some(request.clone());
        if self.broken {
            return Err(SearchError::Internal("segment 3 unreadable at /secret/path".into()));
        }
        if request.query.contains('"') && request.query.matches('"').count() % 2 == 1 {
            return Err(SearchError::InvalidQuery("unclosed quote".into()));
        }
        let hit = SearchHit {
            message_id: MessageId(1),
            conversation_id: ConversationId(1),
            channel: Channel::X,
            author_handle: Some("jane".into()),
            created_at: DateTime::from_timestamp(1_714_564_800, 0).unwrap(),
            score: 1.5,
            snippet_html: "the <mark>latte</mark>".into(),
        };
        Ok(SearchResults { total: 1, total_is_exact: true, hits: vec![hit] })
    }

    fn clear(&self) -> Result<(), SearchError> {
        Ok(())
    }

    fn doc_count(&self) -> Result<u64, SearchError> {
        Ok(1)
    }
}

struct Harness {
    app: Router,
    index: Arc<FakeIndex>,
    rebuild: Arc<trellis_http::RebuildProgress>,
    _dir: tempfile::TempDir,
}

async fn harness(broken_index: bool) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = trellis_store::testing::temp_sqlite_url(dir.path());
    let store = trellis_store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let index = Arc::new(FakeIndex { broken: broken_index, ..Default::default() });
    let config = Config {
        data_dir: dir.path().to_owned(),
        database_url: url,
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        log: "info".into(),
        log_format: LogFormat::Text,
        sync: Default::default(),
        secret_key: None,
        x: Default::default(),
        facebook: Default::default(),
        discourse: Default::default(),
    };
    let token = support::admin_token(&store).await;
    let state = AppState::new(store, index.clone(), Arc::new(config.http_settings()));
    let rebuild = state.rebuild.clone();
    Harness { app: support::signed_in(app(state), &token), index, rebuild, _dir: dir }
}

async fn get(app: &Router, uri: &str) -> (StatusCode, Value) {
    let request = Request::get(uri).body(Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn healthz_answers_ok() {
    let harness = harness(false).await;
    let (status, body) = get(&harness.app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, serde_json::json!({"status": "ok"}));
}

#[tokio::test]
async fn readyz_is_ok_when_store_and_index_answer() {
    let harness = harness(false).await;
    let (status, body) = get(&harness.app, "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["checks"]["store"], "ok");
    assert_eq!(body["checks"]["index"], "ok");
}

#[tokio::test]
async fn readyz_is_503_naming_the_index_when_the_index_fails() {
    let harness = harness(true).await;
    let (status, body) = get(&harness.app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["store"], "ok");
    assert!(body["checks"]["index"].as_str().unwrap().contains("meta.json"), "{body}");
}

#[tokio::test]
async fn readyz_is_503_while_the_index_is_being_rebuilt() {
    let harness = harness(false).await;
    harness.rebuild.begin();
    harness.rebuild.advance(40, 100);
    let (status, body) = get(&harness.app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["checks"]["index"], "rebuilding from the store (40/100 messages)");
    harness.rebuild.finish();
    let (status, _) = get(&harness.app, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn search_returns_results_and_passes_the_parameters_through() {
    let harness = harness(false).await;
    let (status, body) =
        get(&harness.app, "/api/v1/search?q=from%3A%40jane+latte&sort=newest&limit=5").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(body["hits"][0]["author_handle"], "jane");
    let request = harness.index.last_request.lock().unwrap().clone().unwrap();
    assert_eq!(request.query, "from:@jane latte");
    assert_eq!(request.sort, SortOrder::Newest);
    assert_eq!(request.limit, 5);
}

#[tokio::test]
async fn an_unparseable_query_is_a_400_invalid_query() {
    let harness = harness(false).await;
    let (status, body) = get(&harness.app, "/api/v1/search?q=%22unclosed").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_query");
    assert_eq!(body["error"]["message"], "unclosed quote");
}

#[tokio::test]
async fn a_missing_query_or_bad_sort_is_a_400_invalid_parameter() {
    let harness = harness(false).await;
    let (status, body) = get(&harness.app, "/api/v1/search").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    let (status, body) = get(&harness.app, "/api/v1/search?q=x&sort=oldest").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    let (status, body) = get(&harness.app, "/api/v1/search?q=x&limit=0").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter");
    let (status, body) = get(&harness.app, "/api/v1/search?q=x&offset=10001").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"].as_str().unwrap().contains("offset"), "{body}");
}

#[tokio::test]
async fn an_index_failure_is_a_500_that_hides_the_cause() {
    let harness = harness(true).await;
    let (status, body) = get(&harness.app, "/api/v1/search?q=latte").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["error"]["code"], "internal");
    assert!(!body.to_string().contains("/secret/path"), "{body}");
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_clients_own() {
    let harness = harness(false).await;
    let response = harness
        .app
        .clone()
        .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let generated = response.headers().get("x-request-id").unwrap().to_str().unwrap().to_owned();
    assert_eq!(generated.len(), 36, "a uuid: {generated}");

    let request =
        Request::get("/healthz").header("x-request-id", "abc-123").body(Body::empty()).unwrap();
    let response = harness.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.headers().get("x-request-id").unwrap(), "abc-123");
}
