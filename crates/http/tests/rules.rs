//! Triage rules over HTTP: validated as triage compiles them, ordered, switched, previewed, audited.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env};
use serde_json::json;

fn definition(query: &str) -> serde_json::Value {
    json!({
        "conditions": {"match_mode": "all", "conditions": [{"type": "text_matches_query", "query": query}]},
        "actions": [{"type": "add_tag", "tag": "billing"}],
        "stop_processing": false
    })
}

#[tokio::test]
async fn a_supervisor_adds_orders_switches_and_previews_rules_and_agents_only_read_them() {
    let env = env().await;
    let (agent, supervisor) = (env.token(&env.agent).await, env.token(&env.supervisor).await);
    let rule = json!({"name": "Refunds", "definition": definition("refund OR chargeback")});
    let refused =
        call(Method::POST, "/api/v1/rules").bearer(&agent).json(&rule).send(&env.app).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let first =
        call(Method::POST, "/api/v1/rules").bearer(&supervisor).json(&rule).send(&env.app).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(first.body["enabled"], true);
    let mut wrong = definition("refund");
    wrong["actions"] = json!([{"type": "launch_rockets"}]);
    let broken = json!({"name": "Broken", "definition": wrong});
    let broken =
        call(Method::POST, "/api/v1/rules").bearer(&supervisor).json(&broken).send(&env.app).await;
    assert_eq!(broken.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", broken.body);
    assert_eq!(broken.body["error"]["field"], "definition");
    let second =
        json!({"name": "Shipping", "enabled": false, "definition": definition("shipping")});
    let second =
        call(Method::POST, "/api/v1/rules").bearer(&supervisor).json(&second).send(&env.app).await;
    let (first_id, second_id) =
        (first.body["id"].as_i64().unwrap(), second.body["id"].as_i64().unwrap());

    let moved = call(Method::POST, &format!("/api/v1/rules/{second_id}/move"))
        .bearer(&supervisor)
        .json(&json!({"position": 1}))
        .send(&env.app)
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    let order: Vec<i64> =
        moved.body.as_array().unwrap().iter().map(|r| r["id"].as_i64().unwrap()).collect();
    let at = |id| order.iter().position(|x| *x == id).unwrap();
    assert!(at(second_id) < at(first_id), "{order:?}");
    let on = call(Method::POST, &format!("/api/v1/rules/{second_id}/enable"))
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(on.body["enabled"], true);
    let renamed = call(Method::PATCH, &format!("/api/v1/rules/{first_id}"))
        .bearer(&supervisor)
        .json(&json!({"name": "Refunds and chargebacks"}))
        .send(&env.app)
        .await;
    assert_eq!(renamed.body["name"], "Refunds and chargebacks", "{}", renamed.body);
    let listed = call(Method::GET, "/api/v1/rules").bearer(&agent).send(&env.app).await;
    assert!(listed.body.as_array().unwrap().iter().any(|r| r["id"] == first_id));

    let preview = json!({"definition": definition("refund"), "days": 30});
    let previewed = call(Method::POST, "/api/v1/rules/preview")
        .bearer(&supervisor)
        .json(&preview)
        .send(&env.app)
        .await;
    assert_eq!(previewed.status, StatusCode::OK, "{}", previewed.body);
    assert!(previewed.body["scanned"].is_number() && previewed.body["matched"].is_number());
    let too_far = json!({"definition": definition("refund"), "days": 4000});
    let too_far = call(Method::POST, "/api/v1/rules/preview")
        .bearer(&supervisor)
        .json(&too_far)
        .send(&env.app)
        .await;
    assert_eq!(too_far.body["error"]["field"], "days");

    let deleted = call(Method::DELETE, &format!("/api/v1/rules/{second_id}"))
        .bearer(&supervisor)
        .send(&env.app)
        .await;
    assert_eq!(deleted.status, StatusCode::OK);
    let actions = env.audit_actions("rule").await;
    assert_eq!(
        actions,
        [
            "rule.deleted",
            "rule.updated",
            "rule.enabled",
            "rule.moved",
            "rule.created",
            "rule.created"
        ]
    );
}
