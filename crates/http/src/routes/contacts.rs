//! Contacts and their cross-channel history, through `trellis_app::contacts` (everyone):
//! - `GET /api/v1/contacts?q=&channel=&limit=`: contacts whose handle or name begins with `q`.
//! - `GET /api/v1/contacts/{id}`: the contact, its person and the person's other contacts.
//! - `GET /api/v1/contacts/{id}/conversations`: conversations of the contact and of every contact
//!   of its person, newest activity first, paged like the conversation list.
//! - `GET /api/v1/contacts/{id}/messages`: their messages across channels, newest first, paged.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use trellis_app::contacts::{self, ContactProfile, ContactQuery, HistoryQuery, MessageList};
use trellis_app::conversations::ConversationList;
use trellis_core::{Contact, ContactId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(find))
        .routes(routes!(show))
        .routes(routes!(conversations))
        .routes(routes!(messages))
}

#[utoipa::path(
    get,
    path = "/contacts",
    tag = "contacts",
    summary = "Contacts whose handle or name begins with q, handle matches first",
    params(("q" = String, Query, description = "the beginning of a handle (an @ in front is ignored) or of a name, any case"), ("channel" = Option<String>, Query, description = "x, facebook or discourse"), ("limit" = Option<u32>, Query, description = "1 to 100 (default 20)")),
    responses((status = 200, description = "the contacts found"), (status = 422, description = "q or limit is wrong (invalid_field names it)"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn find(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ContactQuery>,
) -> Result<AppJson<Vec<Contact>>, AppError> {
    Ok(AppJson(contacts::find(state.store.as_ref(), auth.principal(), &query).await?))
}

#[utoipa::path(
    get,
    path = "/contacts/{id}",
    tag = "contacts",
    summary = "One contact with its person and the person's contacts on other channels",
    params(("id" = i64, Path, description = "the contact")),
    responses((status = 200, description = "the contact, person and other_contacts"), (status = 404, description = "no such contact"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ContactProfile>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(contacts::profile(store, auth.principal(), ContactId(id)).await?))
}

#[utoipa::path(
    get,
    path = "/contacts/{id}/conversations",
    tag = "contacts",
    summary = "The conversations of a contact and of its person's other contacts, newest activity first",
    params(("id" = i64, Path, description = "the contact"), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)"), ("after" = Option<String>, Query, description = "the next of the previous page")),
    responses((status = 200, description = "a page: items and next"), (status = 404, description = "no such contact"), (status = 422, description = "a parameter is wrong (invalid_field names it)"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn conversations(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<HistoryQuery>,
) -> Result<AppJson<ConversationList>, AppError> {
    let store = state.store.as_ref();
    let id = ContactId(id);
    Ok(AppJson(contacts::conversations(store, auth.principal(), id, &query).await?))
}

#[utoipa::path(
    get,
    path = "/contacts/{id}/messages",
    tag = "contacts",
    summary = "The messages of a contact and of its person's other contacts, newest first",
    params(("id" = i64, Path, description = "the contact"), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)"), ("after" = Option<String>, Query, description = "the next of the previous page")),
    responses((status = 200, description = "a page: items and next"), (status = 404, description = "no such contact"), (status = 422, description = "a parameter is wrong (invalid_field names it)"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn messages(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<HistoryQuery>,
) -> Result<AppJson<MessageList>, AppError> {
    let store = state.store.as_ref();
    let id = ContactId(id);
    Ok(AppJson(contacts::messages(store, auth.principal(), id, &query).await?))
}
