//! Conversations as agents work them, through `trellis_app::conversations`:
//! - `GET /api/v1/conversations`: newest activity first, each with its SLA summary; `view`
//!   (`mine`, `unassigned`, `my_teams`, `sla_at_risk`, `breached`, `all`), `status`, `channel`,
//!   `account`, `brand`, `tag`, `team`, `assignee` (a user id, `me` or `unassigned`), `priority`
//!   and `sla` (levels, comma-separated), paged with `limit` and the opaque `after` cursor the
//!   previous page returned as `next`.
//! - `GET /api/v1/conversations/{id}`: one conversation with its messages (oldest first), its
//!   timeline (who did what, and which rule) and its SLA clocks.
//! - `PATCH /api/v1/conversations/{id}`: status, priority, assignee, team, snooze and tags; `null`
//!   clears the assignee, the team or the snooze.
//! - `POST /api/v1/conversations/{id}/take`: the caller takes an unassigned conversation (409
//!   when someone holds it).
//! - `POST /api/v1/conversations/bulk` `{ids, change}`: one change to many; each says how it went.
//! - `POST /api/v1/conversations/{id}/notes` `{text}`: a private note; `@name` notifies.
//! - `GET|PUT|DELETE /api/v1/conversations/{id}/presence`: who is viewing or typing; the caller
//!   says so (renewing within 30 s) or leaves.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trellis_app::conversations::{
    self, BulkOutcome, ConversationChange, ConversationDetail, ConversationList, ConversationQuery,
    Note,
};
use trellis_app::presence;
use trellis_core::{Conversation, ConversationId, PresenceEntry, PresenceState};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(bulk))
        .routes(routes!(show, update))
        .routes(routes!(take))
        .routes(routes!(add_note))
        .routes(routes!(presence, mark_presence, leave))
}

#[utoipa::path(
    get,
    path = "/conversations",
    tag = "conversations",
    summary = "Conversations, newest activity first",
    description = "Each item is a conversation with `sla`: the worst state of its SLA clocks (`level`: ok, warning or breached) and the earliest due time of a clock still counting down (`due_at`), or null when no SLA policy times it. Every view but `all` leaves resolved conversations out unless `status` asks for them; the other parameters narrow a view further.",
    params(("view" = Option<String>, Query, description = "mine, unassigned, my_teams (routed to a team of the caller), sla_at_risk (an SLA clock in warning), breached (an SLA clock breached) or all"), ("status" = Option<String>, Query, description = "open, pending, snoozed or resolved"), ("channel" = Option<String>, Query, description = "x, facebook or discourse"), ("account" = Option<i64>, Query, description = "an account id"), ("brand" = Option<i64>, Query, description = "a brand id"), ("tag" = Option<String>, Query, description = "a tag"), ("team" = Option<i64>, Query, description = "a team id"), ("assignee" = Option<String>, Query, description = "a user id, me or unassigned"), ("priority" = Option<String>, Query, description = "low, normal, high or urgent"), ("sla" = Option<String>, Query, description = "SLA levels, comma-separated: ok, warning, breached (conversations without SLA clocks match none)"), ("limit" = Option<u32>, Query, description = "1 to 500 (default 50)"), ("after" = Option<String>, Query, description = "the next of the previous page")),
    responses((status = 200, description = "a page: items (each with its sla summary) and next"), (status = 422, description = "a parameter is wrong (invalid_field names it)"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(query): AppQuery<ConversationQuery>,
) -> Result<AppJson<ConversationList>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(conversations::list_conversations(store, auth.principal(), &query).await?))
}

#[utoipa::path(
    get,
    path = "/conversations/{id}",
    tag = "conversations",
    summary = "One conversation with its messages, timeline and SLA clocks",
    params(("id" = i64, Path, description = "the conversation")),
    responses((status = 200, description = "the conversation"), (status = 404, description = "no such conversation"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn show(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<ConversationDetail>, AppError> {
    let store = state.store.as_ref();
    let id = ConversationId(id);
    Ok(AppJson(conversations::conversation_detail(store, auth.principal(), id).await?))
}

#[utoipa::path(
    patch,
    path = "/conversations/{id}",
    tag = "conversations",
    summary = "Change status, priority, assignee, team, snooze or tags",
    params(("id" = i64, Path, description = "the conversation")),
    request_body = serde_json::Value,
    responses((status = 200, description = "the conversation"), (status = 404, description = "no such conversation"), (status = 422, description = "the change is wrong (invalid_field names it)"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn update(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(change): AppJson<ConversationChange>,
) -> Result<AppJson<Conversation>, AppError> {
    let store = state.store.as_ref();
    let id = ConversationId(id);
    Ok(AppJson(conversations::patch(store, auth.principal(), id, &change).await?))
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/take",
    tag = "conversations",
    summary = "Take an unassigned conversation",
    params(("id" = i64, Path, description = "the conversation")),
    responses((status = 200, description = "the conversation, now the caller's"), (status = 409, description = "someone holds it"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn take(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<Conversation>, AppError> {
    let store = state.store.as_ref();
    Ok(AppJson(conversations::take(store, auth.principal(), ConversationId(id)).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NoteRequest {
    /// The note; `@name` mentions notify the people named.
    text: String,
}

#[utoipa::path(
    post,
    path = "/conversations/{id}/notes",
    tag = "conversations",
    summary = "Add a private note (never sent to the platform); @mentions notify",
    params(("id" = i64, Path, description = "the conversation")),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "the note, with whom it mentioned"),
        (status = 404, description = "no such conversation"),
        (status = 422, description = "empty or too long (invalid_field text)"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn add_note(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<NoteRequest>,
) -> Result<(StatusCode, AppJson<Note>), AppError> {
    let store = state.store.as_ref();
    let id = ConversationId(id);
    let note = conversations::add_note(store, auth.principal(), id, &request.text).await?;
    Ok((StatusCode::CREATED, AppJson(note)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PresenceRequest {
    /// viewing or typing
    #[schema(value_type = String)]
    state: PresenceState,
}

#[derive(Serialize)]
struct PresenceAnswer {
    /// Who is on the conversation now, the caller included.
    on: Vec<PresenceEntry>,
}

#[utoipa::path(
    get,
    path = "/conversations/{id}/presence",
    tag = "conversations",
    summary = "Who is viewing the conversation or typing in it",
    params(("id" = i64, Path, description = "the conversation")),
    responses(
        (status = 200, description = "who is on it"),
        (status = 404, description = "no such conversation"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn presence(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<AppJson<PresenceAnswer>, AppError> {
    let on = presence::on(state.store.as_ref(), auth.principal(), ConversationId(id)).await?;
    Ok(AppJson(PresenceAnswer { on }))
}

#[utoipa::path(
    put,
    path = "/conversations/{id}/presence",
    tag = "conversations",
    summary = "Say the caller is viewing the conversation or typing in it; renew within 30 s",
    params(("id" = i64, Path, description = "the conversation")),
    request_body = PresenceRequest,
    responses(
        (status = 200, description = "who is on it now"),
        (status = 404, description = "no such conversation"),
        (status = 401, description = "not signed in")
    ),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn mark_presence(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<PresenceRequest>,
) -> Result<AppJson<PresenceAnswer>, AppError> {
    let store = state.store.as_ref();
    let on = presence::mark(store, auth.principal(), ConversationId(id), request.state).await?;
    state.events.ring();
    Ok(AppJson(PresenceAnswer { on }))
}

#[utoipa::path(
    delete,
    path = "/conversations/{id}/presence",
    tag = "conversations",
    summary = "The caller left the conversation",
    params(("id" = i64, Path, description = "the conversation")),
    responses((status = 204, description = "gone"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn leave(
    State(state): State<AppState>,
    auth: Auth,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, AppError> {
    presence::leave(state.store.as_ref(), auth.principal(), ConversationId(id)).await?;
    state.events.ring();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkRequest {
    ids: Vec<i64>,
    change: ConversationChange,
}

#[derive(Serialize)]
struct BulkAnswer {
    results: Vec<BulkOutcome>,
}

#[utoipa::path(
    post,
    path = "/conversations/bulk",
    tag = "conversations",
    summary = "One change to many conversations",
    request_body = serde_json::Value,
    responses((status = 200, description = "each conversation's outcome"), (status = 422, description = "the change is wrong"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn bulk(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(request): AppJson<BulkRequest>,
) -> Result<AppJson<BulkAnswer>, AppError> {
    let ids: Vec<ConversationId> = request.ids.into_iter().map(ConversationId).collect();
    let store = state.store.as_ref();
    let results =
        conversations::bulk_update(store, auth.principal(), &ids, &request.change).await?;
    Ok(AppJson(BulkAnswer { results }))
}
