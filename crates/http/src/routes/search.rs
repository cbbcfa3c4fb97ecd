//! `GET /api/v1/search`: full-text search over every message, in the trellis query language, through
//! `trellis_app::search` (an agent finds only their brands' messages).

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use serde::Deserialize;
use trellis_app::Permission;
use trellis_core::{SearchRequest, SearchResults, SortOrder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Hits a page when the client does not say.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page a client may ask for; deeper pages use `offset`.
pub const MAX_LIMIT: usize = 200;
/// How deep paging may go: the index collects `offset + limit` hits to return a page, so an
/// unbounded offset would let one request allocate without limit. Narrow the query instead.
pub const MAX_OFFSET: usize = 10_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(search))
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

#[utoipa::path(
    get,
    path = "/search",
    tag = "search",
    summary = "Full-text search in the trellis query language",
    params(("q" = String, Query, description = "the query (docs/query-language.md)"), ("sort" = Option<String>, Query, description = "`relevance` (default) or `newest`"), ("limit" = Option<u32>, Query, description = "hits per page, 1 to 200 (default 20)"), ("offset" = Option<u32>, Query, description = "hits to skip, at most 10,000")),
    responses((status = 200, description = "hits with highlighted snippets and the total (exact up to 10,000)"), (status = 400, description = "the query does not parse, or a bad limit or offset"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
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
    let request = SearchRequest {
        query: params.q,
        sort: params.sort,
        limit,
        offset: params.offset,
        brands: None,
    };
    let results =
        trellis_app::search::search(state.index.clone(), auth.principal(), request).await?;
    Ok(AppJson(results))
}
