//! The HTTP surface: each resource in its own module exposing `router()`, merged here.

mod accounts;
mod connect;
mod conversations;
mod health;
pub mod outbox;
mod search;
pub mod webhooks;

use crate::state::AppState;
use axum::body::Body;
use axum::http::Request;
use axum::Router;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(webhooks::router())
        .nest("/api/v1", search::router())
        .nest("/api/v1", connect::router().merge(accounts::router()))
        .nest("/api/v1", outbox::router())
        .nest("/api/v1", conversations::router())
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
