//! The inbox views over HTTP: "My teams", "SLA at risk" and "Breached" show a signed-in agent the
//! right conversations, each with its SLA summary, and `sla` filters by level.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use chrono::{DateTime, Duration, Utc};
use common::{call, env, Env};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use trellis_core::{
    Channel, ConversationId, ConversationPatch, ConversationSla, ConversationStatus, Direction,
    IngestBatch, MessageKind, NewAccount, NewContact, NewMessage, PlatformId, SlaClockRecord,
    TeamId,
};

/// One open conversation per name, each a mention of its own, in order.
async fn conversations(env: &Env, names: &[&str]) -> Vec<ConversationId> {
    let brand = env.store.create_brand("Acme").await.unwrap();
    let account = NewAccount {
        brand_id: brand.id,
        channel: Channel::X,
        platform_account_id: "acme".into(),
        display_name: "@acme".into(),
        base_url: String::new(),
    };
    let account = env.store.create_account(account).await.unwrap();
    let messages = names
        .iter()
        .map(|name| NewMessage {
            platform_id: PlatformId::parse(name).unwrap(),
            kind: MessageKind::Mention,
            direction: Direction::Inbound,
            author: NewContact {
                platform_id: PlatformId::parse(&format!("{name}-author")).unwrap(),
                handle: None,
                display_name: None,
                follower_count: None,
                verified: false,
            },
            parent_platform_id: None,
            thread_platform_id: None,
            thread_title: None,
            text: format!("@acme this is {name}"),
            lang: None,
            raw: Value::Null,
            created_at: Utc::now() - Duration::minutes(5),
            deleted_at: None,
        })
        .collect();
    let batch = IngestBatch { account_id: account.id, messages, cursors: Vec::new() };
    env.store.ingest(batch).await.unwrap().conversations
}

/// Times `id` with one first-response clock in `state`, due at `due`.
async fn sla(env: &Env, id: ConversationId, state: &str, due: DateTime<Utc>) {
    let clock = SlaClockRecord {
        metric: "first_response".into(),
        state: state.into(),
        due_at: Some(due),
        warning_at: Some(due - Duration::minutes(5)),
        settled_at: (state == "breached").then_some(due),
    };
    let record = ConversationSla {
        conversation_id: id,
        policy_id: None,
        clocks: vec![clock],
        next_transition_at: None,
        computed_at: Utc::now(),
    };
    env.store.put_conversation_sla(record).await.unwrap();
}

async fn patch(env: &Env, id: ConversationId, patch: ConversationPatch) {
    env.store.update_conversation(id, patch).await.unwrap();
}

fn to_team(team: TeamId) -> ConversationPatch {
    ConversationPatch { team_id: Some(Some(team)), ..Default::default() }
}

/// The conversations `uri` lists for `token`, by id.
async fn listed(env: &Env, token: &str, uri: &str) -> (BTreeSet<i64>, Value) {
    let answer = call(Method::GET, uri).bearer(token).send(&env.app).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
    let items = answer.body["items"].as_array().unwrap();
    let ids = items.iter().map(|item| item["id"].as_i64().unwrap()).collect();
    (ids, answer.body)
}

fn ids(items: &[ConversationId]) -> BTreeSet<i64> {
    items.iter().map(|id| id.0).collect()
}

#[tokio::test]
async fn the_views_show_an_agent_their_teams_and_the_conversations_at_risk_or_breached() {
    let env = env().await;
    let agent = env.token(&env.agent).await;
    // The agent works in Support (see common::env); Billing is another team's.
    let support = env.store.user_teams(env.agent.id).await.unwrap()[0];
    let billing = env.store.create_team("Billing").await.unwrap().id;
    let c = conversations(&env, &["warned", "breached", "billing", "resolved", "fine"]).await;
    let (warned, breached, billing_breached, resolved, fine) = (c[0], c[1], c[2], c[3], c[4]);
    let due = DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
        + Duration::minutes(10);
    for (id, state) in [
        (warned, "warning"),
        (breached, "breached"),
        (billing_breached, "breached"),
        (resolved, "breached"),
        (fine, "running"),
    ] {
        sla(&env, id, state, due).await;
    }
    for id in [warned, breached, resolved] {
        patch(&env, id, to_team(support)).await;
    }
    patch(&env, billing_breached, to_team(billing)).await;
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    patch(&env, resolved, resolve).await;

    let (mine, _) = listed(&env, &agent, "/api/v1/conversations?view=my_teams").await;
    assert_eq!(mine, ids(&[warned, breached]), "Support's unresolved conversations");
    let (at_risk, body) = listed(&env, &agent, "/api/v1/conversations?view=sla_at_risk").await;
    assert_eq!(at_risk, ids(&[warned]));
    let item = &body["items"][0];
    assert_eq!(item["sla"]["level"], "warning");
    let shown: DateTime<Utc> = serde_json::from_value(item["sla"]["due_at"].clone()).unwrap();
    assert_eq!(shown, due, "the countdown's due time");
    let (late, body) = listed(&env, &agent, "/api/v1/conversations?view=breached").await;
    assert_eq!(late, ids(&[breached, billing_breached]), "every team's, not the resolved one");
    for item in body["items"].as_array().unwrap() {
        assert_eq!(item["sla"], json!({"level": "breached", "due_at": null}), "{item}");
    }
    let (narrowed, _) =
        listed(&env, &agent, &format!("/api/v1/conversations?view=breached&team={billing}")).await;
    assert_eq!(narrowed, ids(&[billing_breached]));
    // A supervisor in no team has nothing in "My teams".
    let supervisor = env.token(&env.supervisor).await;
    let (nothing, body) = listed(&env, &supervisor, "/api/v1/conversations?view=my_teams").await;
    assert!(nothing.is_empty(), "{body}");
    assert_eq!(body["next"], Value::Null);
}

#[tokio::test]
async fn sla_filters_by_level_and_each_item_carries_its_summary() {
    let env = env().await;
    let agent = env.token(&env.agent).await;
    let c = conversations(&env, &["ok", "warned", "breached", "untimed"]).await;
    let due = Utc::now() + Duration::hours(1);
    for (id, state) in [(c[0], "running"), (c[1], "warning"), (c[2], "breached")] {
        sla(&env, id, state, due).await;
    }
    let (ok, _) = listed(&env, &agent, "/api/v1/conversations?sla=ok").await;
    assert_eq!(ok, ids(&[c[0]]), "a conversation without clocks has no level");
    let (risky, _) = listed(&env, &agent, "/api/v1/conversations?sla=warning,breached").await;
    assert_eq!(risky, ids(&[c[1], c[2]]));
    let (all, body) = listed(&env, &agent, "/api/v1/conversations").await;
    assert_eq!(all, ids(&c));
    let untimed = body["items"].as_array().unwrap().iter().find(|i| i["id"] == c[3].0).unwrap();
    assert_eq!(untimed["sla"], Value::Null);
    assert_eq!(untimed["status"], "open", "the conversation's own fields stay as they were");

    let bad = call(Method::GET, "/api/v1/conversations?sla=late").bearer(&agent).send(&env.app);
    let bad = bad.await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert_eq!(bad.code(), "invalid_parameter");
    let brand = env.store.list_brands().await.unwrap()[0].id;
    let (of_brand, _) =
        listed(&env, &agent, &format!("/api/v1/conversations?brand={brand}&sla=breached")).await;
    assert_eq!(of_brand, ids(&[c[2]]));
    let (other_brand, _) =
        listed(&env, &agent, &format!("/api/v1/conversations?brand={}", brand.0 + 100)).await;
    assert!(other_brand.is_empty());
}
