//! `GET /api/v1/search`: full-text search over every message, in the trellis query language.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use trellis_app::Permission;
use trellis_core::{SearchRequest, SearchResults, SortOrder};

/// Hits a page when the client does not say.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page a client may ask for; deeper pages use `offset`.
pub const MAX_LIMIT: usize = 200;
/// How deep paging may go: the index collects `offset + limit` hits to return a page, so an
/// unbounded offset would let one request allocate without limit. Narrow the query instead.
pub const MAX_OFFSET: usize = 10_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/search", get(search))
}

#[derive(Debug, Deserialize)]
struct SearchParams {
    q: String,
    #[serde(default)]
    sort: SortOrder,
    limit: Option<usize>,
    #[serde(default)]
    offset: usize,
}

async fn search(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(params): AppQuery<SearchParams>,
) -> Result<AppJson<SearchResults>, AppError> {
    auth.require(Permission::ReadInbox)?;
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(AppError::InvalidParameter(format!("limit must be between 1 and {MAX_LIMIT}")));
    }
    if params.offset > MAX_OFFSET {
        return Err(AppError::InvalidParameter(format!(
            "offset must be at most {MAX_OFFSET}; narrow the query to see older results"
        )));
    }
    let request =
        SearchRequest { query: params.q, sort: params.sort, limit, offset: params.offset };
    let index = state.index.clone();
    // tantivy searches are CPU work: run them on the blocking pool.
    let results = tokio::task::spawn_blocking(move || index.search(&request)).await??;
    Ok(AppJson(results))
}
