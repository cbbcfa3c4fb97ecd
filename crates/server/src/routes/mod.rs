//! The HTTP surface: each resource in its own module exposing `router()`, merged here.

mod health;
mod search;

use crate::state::AppState;
use axum::Router;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// The whole application, ready to serve.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .nest("/api/v1", search::router())
        .layer(
            // One span a request with method and path, and one event with status and latency at
            // the end, formatted by whatever subscriber `log_format` chose.
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .with_state(state)
}
