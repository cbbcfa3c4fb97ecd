//! The OpenAPI document is the API: every route is registered with its documentation (a route
//! cannot be served otherwise), every operation declares who may call it, and the role matrix —
//! every operation × anonymous, agent, supervisor, admin and a revoked token — is read from the
//! document, so a new route cannot be forgotten.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::{json, Value};
use trellis_core::Role;
use trellis_http::routes::openapi::operations;

fn document() -> Value {
    serde_json::to_value(trellis_http::routes::document()).unwrap()
}

/// A request path for a template: every `{param}` becomes 1.
fn concrete(template: &str) -> String {
    let mut path = String::new();
    let mut in_param = false;
    for character in template.chars() {
        match character {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                path.push('1');
            }
            _ if in_param => {}
            other => path.push(other),
        }
    }
    path
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Agent => 0,
        Role::Supervisor => 1,
        Role::Admin => 2,
    }
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_served_openly() {
    let env = env().await;
    let answer = call(Method::GET, "/api/openapi.json").send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        answer.body["openapi"]
    );
    assert_eq!(answer.body["info"]["title"], "trellis");
    assert!(answer.body["components"]["securitySchemes"]["token"].is_object());
    assert_eq!(answer.body, document());
}

#[tokio::test]
async fn every_operation_declares_who_may_call_it() {
    let operations = operations(&document());
    assert!(operations.len() >= 30, "only {} operations", operations.len());
    let undeclared: Vec<_> = operations.iter().filter(|op| !op.declares_security).collect();
    assert!(undeclared.is_empty(), "no security declared: {undeclared:?}");
    for open in ["/healthz", "/api/v1/auth/login", "/webhooks/x", "/api/openapi.json"] {
        assert!(operations.iter().any(|op| op.path == open && op.least_role.is_none()), "{open}");
    }
    let users = operations.iter().find(|op| op.method == "POST" && op.path == "/api/v1/users");
    assert_eq!(users.unwrap().least_role, Some(Role::Admin));
}

#[test]
fn no_route_is_registered_outside_the_documented_router() {
    // Routes registered with axum's own `.route(…)` would be served without documentation (and,
    // behind sign-in, refused for having no documented role): every route goes through
    // `routes!(…)` on an OpenApiRouter instead.
    let mut offenders = Vec::new();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap();
                // `.route(` and not `.routes(`, which is the documented way.
                for needle in [".route(", "routing::get(", "routing::post(", "routing::patch("] {
                    if code.contains(needle) {
                        offenders.push(format!("{}: {needle}", path.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "routes outside the documented router: {offenders:?}");
}

#[tokio::test]
async fn every_documented_operation_is_served() {
    let env = env().await;
    let admin = env.token(&env.admin).await;
    for operation in operations(&document()) {
        let method = Method::from_bytes(operation.method.as_bytes()).unwrap();
        let answer = call(method, &concrete(&operation.path))
            .bearer(&admin)
            .json(&json!({}))
            .send(&env.app)
            .await;
        let unrouted =
            answer.code() == "not_found" && answer.body["error"]["message"] == "no such route";
        assert!(!unrouted, "{} {} is documented but not served", operation.method, operation.path);
        assert_ne!(
            answer.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{} {}",
            operation.method,
            operation.path
        );
    }
}

#[tokio::test]
async fn the_role_matrix_holds_for_every_operation() {
    let env = env().await;
    let revoked = env.token(&env.admin).await;
    let id = env.store.api_tokens(Some(env.admin.id)).await.unwrap()[0].id;
    env.store.revoke_api_token(id, chrono::Utc::now()).await.unwrap();
    let callers = [
        (Some(Role::Agent), env.token(&env.agent).await),
        (Some(Role::Supervisor), env.token(&env.supervisor).await),
        (Some(Role::Admin), env.token(&env.admin).await),
    ];
    let mut checked = 0;
    for operation in operations(&document()) {
        let method = Method::from_bytes(operation.method.as_bytes()).unwrap();
        let path = concrete(&operation.path);
        let what = format!("{} {}", operation.method, operation.path);
        let anonymous = call(method.clone(), &path).json(&json!({})).send(&env.app).await;
        let with_revoked =
            call(method.clone(), &path).bearer(&revoked).json(&json!({})).send(&env.app).await;
        match operation.least_role {
            None => {
                assert_ne!(anonymous.code(), "unauthenticated", "{what} is open");
                assert_ne!(with_revoked.code(), "unauthenticated", "{what} is open");
            }
            Some(least) => {
                assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{what} anonymous");
                assert_eq!(anonymous.code(), "unauthenticated", "{what} anonymous");
                assert_eq!(with_revoked.status, StatusCode::UNAUTHORIZED, "{what} revoked token");
                for (role, token) in &callers {
                    let role = role.unwrap();
                    let answer = call(method.clone(), &path)
                        .bearer(token)
                        .json(&json!({}))
                        .send(&env.app)
                        .await;
                    if rank(role) >= rank(least) {
                        assert_ne!(answer.status, StatusCode::UNAUTHORIZED, "{what} as {role}");
                        let role_refusal = answer.status == StatusCode::FORBIDDEN
                            && answer.body["error"]["message"]
                                .as_str()
                                .unwrap_or("")
                                .contains("role");
                        assert!(!role_refusal, "{what} as {role}: {}", answer.body);
                    } else {
                        assert_eq!(
                            answer.status,
                            StatusCode::FORBIDDEN,
                            "{what} as {role}: {}",
                            answer.body
                        );
                        assert_eq!(answer.code(), "forbidden", "{what} as {role}");
                    }
                }
            }
        }
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} operations checked");
}
