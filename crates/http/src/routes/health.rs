//! Liveness and readiness, for load balancers and orchestrators.
//!
//! `/healthz` says the process answers; `/readyz` says it can serve: the store answers a ping and
//! the search index can read its committed state.

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A readiness check that takes longer than this counts as failed: a hung database must not hang
/// the probe too.
const CHECK_TIMEOUT: Duration = Duration::from_secs(3);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "health",
    summary = "Liveness: the process answers",
    responses((status = 200, description = "`{\"status\":\"ok\"}`")),
    security(())
)]
async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

#[utoipa::path(
    get,
    path = "/readyz",
    tag = "health",
    summary = "Readiness: the store answers and the index can be read",
    responses((status = 200, description = "ready, with each check"), (status = 503, description = "a check failed or the index is being rebuilt")),
    security(())
)]
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store = state.store.clone();
    let index = state.index.clone();
    let rebuilding = state.rebuild.status();
    let (store_check, index_check) = tokio::join!(
        check(async move { store.ping().await.map_err(|err| err.to_string()) }),
        check(async move {
            // A half-rebuilt index answers, but with a fraction of the messages: not ready.
            if let Some((done, total)) = rebuilding {
                return Err(format!("rebuilding from the store ({done}/{total} messages)"));
            }
            // Reading the index touches disk: keep it off the async workers.
            match tokio::task::spawn_blocking(move || index.committed_seq()).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(err)) => Err(err.to_string()),
                Err(err) => Err(format!("index check panicked: {err}")),
            }
        }),
    );
    let ready = store_check.is_ok() && index_check.is_ok();
    if !ready {
        tracing::warn!(
            store = store_check.as_ref().err().map(String::as_str),
            index = index_check.as_ref().err().map(String::as_str),
            "not ready"
        );
    }
    let describe = |outcome: Result<(), String>| outcome.err().unwrap_or_else(|| "ok".to_owned());
    let body = json!({
        "status": if ready { "ok" } else { "unavailable" },
        "checks": { "store": describe(store_check), "index": describe(index_check) },
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body))
}

async fn check(probe: impl std::future::Future<Output = Result<(), String>>) -> Result<(), String> {
    match tokio::time::timeout(CHECK_TIMEOUT, probe).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {}s", CHECK_TIMEOUT.as_secs())),
    }
}
