//! The HTTP surface: each resource in its own module exposing `router()`, merged here behind the
//! sign-in check, except what must stay open: health probes, platform webhooks (they prove
//! themselves by signature), the OAuth callbacks (bound to their flow's `state`) and sign-in.

mod accounts;
mod audit;
mod calendars;
mod canned;
mod connect;
mod contacts;
mod conversations;
mod events;
mod health;
mod notifications;
pub mod openapi;
pub mod outbox;
mod policies;
mod rules;
mod search;
mod setup;
mod tags;
mod teams;
mod tokens;
mod users;
pub mod webhooks;

use crate::auth;
use crate::error::AppError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use axum::middleware;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;
use utoipa_axum::router::OpenApiRouter;

/// The largest JSON body the API reads; a larger one is answered 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Routes open to anyone.
fn open_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(health::router())
        .merge(webhooks::router())
        .merge(setup::router())
        .merge(openapi::router())
        .nest("/api/v1", connect::callbacks().merge(auth::routes::open_router()))
}

/// Routes that need a session or an API token (the sign-in check is layered on in [`app`]).
fn protected_routes() -> OpenApiRouter<AppState> {
    let api = OpenApiRouter::new()
        .merge(search::router())
        .merge(connect::router())
        .merge(accounts::router())
        .merge(outbox::router())
        .merge(conversations::router())
        .merge(users::router())
        .merge(tokens::router())
        .merge(audit::router())
        .merge(events::router())
        .merge(notifications::router())
        .merge(teams::router())
        .merge(canned::router())
        .merge(rules::router())
        .merge(calendars::router())
        .merge(policies::router())
        .merge(contacts::router())
        .merge(tags::router())
        .merge(auth::routes::router());
    OpenApiRouter::new().nest("/api/v1", api)
}

/// The OpenAPI document of every route, generated from the handlers' annotations as the router
/// is built: a route can only be served by being registered with its documentation.
pub fn document() -> utoipa::openapi::OpenApi {
    openapi::finish(open_routes().merge(protected_routes()).into_openapi())
}

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    let protected = protected_routes()
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require_auth));
    let (router, _) = open_routes().merge(protected).split_for_parts();
    router
        .fallback(unknown_route)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            ServiceBuilder::new()
                // Every request gets an `x-request-id` (a client's own is kept), echoed in the
                // response and recorded on the request's log span, so a user's report can be
                // matched to the log lines.
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id()),
        )
        .with_state(state)
}

async fn unknown_route() -> AppError {
    AppError::NotFound("no such route".into())
}

/// One span a request. Only the path is recorded: query strings carry search terms, which can name
/// customers, and do not belong in logs.
fn request_span(request: &Request<Body>) -> tracing::Span {
    let request_id =
        request.headers().get("x-request-id").and_then(|value| value.to_str().ok()).unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}
