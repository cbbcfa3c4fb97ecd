//! `GET /api/v1/audit?entity=&before=&limit=`: the audit log for admins, newest first; pass the
//! last id of a page as `before` for the next.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use trellis_app::identity::audit;
use trellis_core::{AuditEntry, AuditId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    entity: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

#[derive(Serialize)]
struct AuditPage {
    items: Vec<AuditEntry>,
    /// Pass as `before` for the next page; absent on the last one.
    next: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/audit",
    tag = "people",
    summary = "The audit log, newest first",
    params(("entity" = Option<String>, Query, description = "user, token, account …"), ("before" = Option<i64>, Query, description = "the next of the previous page"), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)")),
    responses((status = 200, description = "a page of entries"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<AuditQuery>,
) -> Result<AppJson<AuditPage>, AppError> {
    let limit = query.limit.unwrap_or(50);
    let items = audit::read(
        state.store.as_ref(),
        auth.principal(),
        query.entity,
        query.before.map(AuditId),
        limit,
    )
    .await?;
    let next =
        (items.len() == limit as usize).then(|| items.last().map(|entry| entry.id.0)).flatten();
    Ok(AppJson(AuditPage { items, next }))
}
