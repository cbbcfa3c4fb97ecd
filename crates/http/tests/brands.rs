//! Brand scoping: an agent works the conversations of the brands their teams serve, and nothing
//! else answers as if it existed: not the list, the page, search, changes, replies, notes or
//! presence. Supervisors work every brand; a team that names no brand serves them all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode};
use common::{call, env, mention, mention_to, Env, Mention};
use serde_json::{json, Value};
use trellis_core::BrandId;

/// A second brand with its own X account and one mention: the brand and the conversation id.
async fn other_brand_mention(env: &Env) -> (BrandId, i64) {
    let mention =
        Mention { brand: "Globex", id: "7001", author: "eve", text: "where is my parcel" };
    mention_to(env, mention).await
}

fn ids(body: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> =
        body["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    ids.sort_unstable();
    ids
}

/// The "Support" team of the test env (the agent's), limited to `brands`.
async fn limit_support(env: &Env, brands: &[BrandId]) -> Value {
    let supervisor = env.token(&env.supervisor).await;
    let teams = call(Method::GET, "/api/v1/teams").bearer(&supervisor).send(&env.app).await;
    let support = teams.body.as_array().unwrap().iter().find(|t| t["name"] == "Support").unwrap();
    let id = support["id"].as_i64().unwrap();
    let brands: Vec<i64> = brands.iter().map(|brand| brand.0).collect();
    let set = call(Method::PUT, &format!("/api/v1/teams/{id}/brands"))
        .bearer(&supervisor)
        .json(&json!({ "brands": brands }))
        .send(&env.app)
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    set.body
}

#[tokio::test]
async fn an_agent_sees_and_works_only_the_brands_their_team_serves() {
    let env = env().await;
    let acme_conversation = mention(&env).await;
    let (globex, globex_conversation) = other_brand_mention(&env).await;
    let acme = env.store.get_conversation(trellis_core::ConversationId(acme_conversation));
    let acme = acme.await.unwrap().brand_id;
    let agent = env.token(&env.agent).await;
    let supervisor = env.token(&env.supervisor).await;

    // A team that names no brand serves every brand.
    let both = call(Method::GET, "/api/v1/conversations").bearer(&agent).send(&env.app).await;
    assert_eq!(ids(&both.body), [acme_conversation, globex_conversation]);

    let team = limit_support(&env, &[acme]).await;
    assert_eq!(team["brands"], json!([acme.0]));

    let list = call(Method::GET, "/api/v1/conversations").bearer(&agent).send(&env.app).await;
    assert_eq!(ids(&list.body), [acme_conversation], "{}", list.body);
    let asked = format!("/api/v1/conversations?brand={}", globex.0);
    let asked = call(Method::GET, &asked).bearer(&agent).send(&env.app).await;
    assert_eq!(asked.status, StatusCode::OK, "{}", asked.body);
    assert_eq!(ids(&asked.body), Vec::<i64>::new(), "asking for another brand finds nothing");
    let everything =
        call(Method::GET, "/api/v1/conversations").bearer(&supervisor).send(&env.app).await;
    assert_eq!(ids(&everything.body), [acme_conversation, globex_conversation]);

    // Every way into the other brand's conversation answers as for one that does not exist.
    let theirs = format!("/api/v1/conversations/{globex_conversation}");
    let missing = format!("/api/v1/conversations/{}", globex_conversation + 1000);
    let page = call(Method::GET, &theirs).bearer(&agent).send(&env.app).await;
    let nothing = call(Method::GET, &missing).bearer(&agent).send(&env.app).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert_eq!(page.code(), nothing.code());
    let attempts = [
        (Method::PATCH, theirs.clone(), json!({"status": "resolved"})),
        (Method::POST, format!("{theirs}/take"), Value::Null),
        (Method::POST, format!("{theirs}/replies"), json!({"text": "hello"})),
        (Method::POST, format!("{theirs}/notes"), json!({"text": "a note"})),
        (Method::PUT, format!("{theirs}/presence"), json!({"state": "viewing"})),
        (Method::GET, format!("{theirs}/presence"), Value::Null),
        (Method::POST, format!("{theirs}/moderation"), json!({"action": "hide", "message_id": 1})),
    ];
    for (method, uri, body) in attempts {
        let mut request = call(method.clone(), &uri).bearer(&agent);
        if !body.is_null() {
            request = request.json(&body);
        }
        let answer = request.send(&env.app).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {uri}: {}", answer.body);
    }
    let bulk = call(Method::POST, "/api/v1/conversations/bulk")
        .bearer(&agent)
        .json(&json!({"ids": [acme_conversation, globex_conversation], "change": {"priority": "high"}}))
        .send(&env.app)
        .await;
    assert_eq!(bulk.status, StatusCode::OK, "{}", bulk.body);
    let outcomes = bulk.body["results"].as_array().unwrap();
    assert_eq!(outcomes[0]["conversation"]["priority"], "high", "{}", bulk.body);
    assert!(outcomes[1]["error"].as_str().unwrap().contains("not found"), "{}", bulk.body);
    let untouched = env.store.get_conversation(trellis_core::ConversationId(globex_conversation));
    assert_ne!(untouched.await.unwrap().priority.as_str(), "high");

    // Nobody assigns them a conversation they could not open.
    let assign = call(Method::PATCH, &theirs)
        .bearer(&supervisor)
        .json(&json!({"assignee_id": env.agent.id.0}))
        .send(&env.app)
        .await;
    assert_eq!(assign.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", assign.body);
    assert!(assign.body.to_string().contains("assignee_id"), "{}", assign.body);

    // Back to every brand: the change applies from the next request.
    limit_support(&env, &[]).await;
    let page = call(Method::GET, &theirs).bearer(&agent).send(&env.app).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let actions = env.audit_actions("team").await;
    assert_eq!(actions[..2], ["team.brands_changed", "team.brands_changed"]);
}

#[tokio::test]
async fn an_agent_in_no_team_works_no_brand() {
    let env = env().await;
    let conversation = mention(&env).await;
    let supervisor = env.token(&env.supervisor).await;
    let teams = call(Method::GET, "/api/v1/teams").bearer(&supervisor).send(&env.app).await;
    let support = teams.body[0]["id"].as_i64().unwrap();
    let out = format!("/api/v1/teams/{support}/members/{}", env.agent.id.0);
    let out = call(Method::DELETE, &out).bearer(&supervisor).send(&env.app).await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.body);

    let agent = env.token(&env.agent).await;
    let list = call(Method::GET, "/api/v1/conversations").bearer(&agent).send(&env.app).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(ids(&list.body), Vec::<i64>::new());
    let page = format!("/api/v1/conversations/{conversation}");
    let page = call(Method::GET, &page).bearer(&agent).send(&env.app).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    let found = call(Method::GET, "/api/v1/search?q=order").bearer(&agent).send(&env.app).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert_eq!(found.body["total"], 0);
}

#[tokio::test]
async fn a_team_cannot_serve_a_brand_that_does_not_exist() {
    let env = env().await;
    let supervisor = env.token(&env.supervisor).await;
    let made = call(Method::POST, "/api/v1/teams")
        .bearer(&supervisor)
        .json(&json!({"name": "Agency", "brands": [404]}))
        .send(&env.app)
        .await;
    assert_eq!(made.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", made.body);
    assert!(made.body.to_string().contains("brands"), "{}", made.body);
    let agent = env.token(&env.agent).await;
    let refused = call(Method::PUT, "/api/v1/teams/1/brands")
        .bearer(&agent)
        .json(&json!({"brands": []}))
        .send(&env.app)
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
