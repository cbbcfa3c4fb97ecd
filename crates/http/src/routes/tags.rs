//! Tags: `GET /api/v1/tags` (everyone), the conversation tags in use with their open counts,
//! through `trellis_app::tags`.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use axum::extract::State;
use trellis_app::tags;
use trellis_core::store::TagCount;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list))
}

#[utoipa::path(
    get,
    path = "/tags",
    tag = "tags",
    summary = "Conversation tags in use, by name, with how many open conversations carry each",
    responses((status = 200, description = "[{tag, open}]"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<TagCount>>, AppError> {
    Ok(AppJson(tags::list(state.store.as_ref(), auth.principal()).await?))
}
