//! `GET /api/openapi.json`: the OpenAPI 3.1 document of this API, generated from the handlers'
//! `#[utoipa::path]` annotations when the router is built (`routes::document`). Each operation's
//! `security` names the least role it needs (OpenAPI 3.1 lets a non-OAuth scheme list role names),
//! and an empty requirement marks the open routes; the role-matrix test reads them from here.

use crate::state::AppState;
use axum::http::header;
use axum::response::IntoResponse;
use std::collections::HashMap;
use std::sync::OnceLock;
use trellis_core::Role;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(document))
}

/// Titles the document and declares how callers prove who they are.
pub fn finish(mut document: OpenApi) -> OpenApi {
    document.info = InfoBuilder::new()
        .title("trellis")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "The trellis HTTP API: conversations, search, accounts, people and tokens. \
             See docs/api.md for authentication, errors and paging.",
        ))
        .build();
    let components = document.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some("a personal API token, trellis_pat_…"))
                .build(),
        ),
    );
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            "trellis_session",
            "the browser session; changes also need the X-CSRF-Token header",
        ))),
    );
    document
}

/// The least role each operation needs, keyed by method and path template
/// (`("POST", "/api/v1/users")`), read from the document's `security`; open operations are absent.
/// The sign-in middleware enforces it before any handler or body extractor runs, so the document
/// and the behaviour cannot drift apart.
pub fn least_roles() -> &'static HashMap<(String, String), Role> {
    static ROLES: OnceLock<HashMap<(String, String), Role>> = OnceLock::new();
    ROLES.get_or_init(|| {
        let document = serde_json::to_value(super::document()).unwrap_or_default();
        operations(&document)
            .into_iter()
            .filter_map(|operation| {
                Some(((operation.method, operation.path), operation.least_role?))
            })
            .collect()
    })
}

/// One operation of a document, as the role matrix and the middleware read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    pub method: String,
    pub path: String,
    /// `None` for an open operation (an empty security requirement).
    pub least_role: Option<Role>,
    /// Whether the operation declares its security at all (every one must).
    pub declares_security: bool,
}

/// Every operation of a document (as JSON).
pub fn operations(document: &serde_json::Value) -> Vec<Operation> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(|paths| paths.as_object()) else {
        return found;
    };
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, operation) in item {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete" | "head") {
                continue;
            }
            let security = operation.get("security").and_then(|security| security.as_array());
            let least_role = security.into_iter().flatten().find_map(|requirement| {
                let roles = requirement.as_object()?.values().next()?.as_array()?;
                roles.first()?.as_str()?.parse::<Role>().ok()
            });
            found.push(Operation {
                method: method.to_uppercase(),
                path: path.clone(),
                least_role,
                declares_security: security.is_some(),
            });
        }
    }
    found
}

/// The document as JSON, made once.
fn json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        super::document().to_pretty_json().unwrap_or_else(|error| {
            tracing::error!(%error, "cannot render the OpenAPI document");
            "{}".to_owned()
        })
    })
}

#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "meta",
    summary = "This document",
    responses((status = 200, description = "the OpenAPI 3.1 document")),
    security(())
)]
async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], json())
}
