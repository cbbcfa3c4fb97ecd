//! Connecting accounts through the router against the simulators over real HTTP: X with PKCE,
//! Facebook with a Page pick, Discourse with an API key; then listing, pausing and resuming.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::http::StatusCode;
use oauth2::{PkceCodeChallenge, PkceCodeVerifier};
use serde_json::json;
use support::accounts_env::{accounts_env, consent, params, AccountsEnv, CALLBACK};
use trellis_core::{AccountStatus, Channel};

/// Runs the X flow to the callback; answers the callback's answer and the authorize parameters.
async fn connect_x(
    env: &AccountsEnv,
) -> (support::accounts_env::Answer, std::collections::BTreeMap<String, String>) {
    let start = env.get(&format!("/api/v1/connect/x/start?brand_id={}", env.brand.id)).await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.text);
    let authorize = url::Url::parse(start.location.as_deref().unwrap()).unwrap();
    let sent = params(&authorize);
    let back = consent(authorize.as_str()).await;
    assert!(back.as_str().starts_with(CALLBACK), "{back}");
    let back_params = params(&back);
    let callback = env
        .get(&format!(
            "/api/v1/connect/x/callback?code={}&state={}",
            back_params["code"], back_params["state"]
        ))
        .await;
    (callback, sent)
}

#[tokio::test]
async fn an_x_account_connects_with_pkce_and_its_state_works_once() {
    let env = accounts_env().await;

    let (callback, sent) = connect_x(&env).await;

    assert_eq!(callback.status, StatusCode::CREATED, "{}", callback.text);
    let account = callback.json();
    assert_eq!(account["channel"], "x");
    assert_eq!(account["platform_account_id"], env.x.account_id());
    assert_eq!(account["display_name"], "@acme");
    assert_eq!(sent["code_challenge_method"], "S256");
    assert_eq!(sent["redirect_uri"], CALLBACK);
    assert!(sent["scope"].contains("offline.access"));

    // The code went back with the verifier whose S256 is the challenge that went out.
    let token = env.x.requests().into_iter().find(|r| r.path == "/2/oauth2/token").unwrap();
    let form = token.form();
    assert_eq!(form["grant_type"], "authorization_code");
    let verifier = &form["code_verifier"];
    let challenge =
        PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(verifier.clone()));
    assert_eq!(challenge.as_str(), sent["code_challenge"]);
    assert!(token.header("authorization").unwrap().starts_with("Basic "));

    let stored = env.store.find_account(Channel::X, env.x.account_id()).await.unwrap().unwrap();
    let health = env.store.account_health(stored.id).await.unwrap();
    assert!(health.has_credentials);
    assert!(health.credentials_expire_at.is_some());

    // The callback comes without a session: the audit names the admin who started the flow.
    let filter = trellis_core::AuditFilter { limit: 50, ..Default::default() };
    let audit = env.store.audit_log(&filter).await.unwrap();
    let connected = audit.iter().find(|entry| entry.action == "account.connected").unwrap();
    assert!(connected.actor_user_id.is_some(), "{connected:?}");
    assert_eq!(connected.entity_id.as_deref(), Some(stored.id.to_string().as_str()));

    let replay =
        env.get(&format!("/api/v1/connect/x/callback?code=again&state={}", sent["state"])).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST, "{}", replay.text);
    assert!(replay.text.contains("start connecting again"), "{}", replay.text);
}

#[tokio::test]
async fn connecting_an_account_that_needs_reauthorization_again_makes_it_active() {
    let env = accounts_env().await;
    let (first, _) = connect_x(&env).await;
    let id = trellis_core::AccountId(first.json()["id"].as_i64().unwrap());
    env.store
        .set_account_status(id, AccountStatus::NeedsReauth, Some("token revoked".into()))
        .await
        .unwrap();

    let (again, _) = connect_x(&env).await;

    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.json()["id"], first.json()["id"], "the same account, not a second one");
    assert_eq!(env.store.account_health(id).await.unwrap().status, AccountStatus::Active);
    assert_eq!(env.store.list_accounts().await.unwrap().len(), 1);
}

#[tokio::test]
async fn an_unknown_brand_or_a_declined_authorization_is_a_clear_error() {
    let env = accounts_env().await;
    let unknown = env.get("/api/v1/connect/x/start?brand_id=999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let declined = env
        .get("/api/v1/connect/x/callback?state=s&error=access_denied&error_description=no")
        .await;
    assert_eq!(declined.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(declined.text.contains("not granted"), "{}", declined.text);
}

#[tokio::test]
async fn facebook_pages_are_offered_after_login_and_the_picked_one_is_connected() {
    let env = accounts_env().await;
    let start = env.get(&format!("/api/v1/connect/facebook/start?brand_id={}", env.brand.id)).await;
    assert_eq!(start.status, StatusCode::FOUND, "{}", start.text);
    let back = params(&consent(start.location.as_deref().unwrap()).await);

    let offered = env
        .get(&format!(
            "/api/v1/connect/facebook/callback?code={}&state={}",
            back["code"], back["state"]
        ))
        .await;

    assert_eq!(offered.status, StatusCode::OK, "{}", offered.text);
    let offered = offered.json();
    let pages = offered["pages"].as_array().unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0]["id"], env.facebook.page_id());
    assert!(pages[0].get("access_token").is_none(), "{offered}");
    let exchanged = env.facebook.requests().into_iter().any(|r| {
        r.path.ends_with("/oauth/access_token")
            && r.param("grant_type") == Some("fb_exchange_token")
    });
    assert!(exchanged, "the user token was made long-lived before listing Pages");

    let body = json!({"selection": offered["selection"], "page_ids": [env.facebook.page_id()]});
    let picked = env.post_json("/api/v1/connect/facebook/pages", &body).await;
    assert_eq!(picked.status, StatusCode::CREATED, "{}", picked.text);
    let accounts = picked.json();
    assert_eq!(accounts[0]["platform_account_id"], env.facebook.page_id());
    assert_eq!(accounts[0]["display_name"], "Acme Coffee");

    let again = env.post_json("/api/v1/connect/facebook/pages", &body).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "a selection is used once: {}", again.text);
}

#[tokio::test]
async fn a_flow_started_on_one_node_is_finished_on_another() {
    let env = accounts_env().await;
    // A second node: its own process state, the same database and the same secret key.
    let other = trellis_http::AppState::new(
        env.store.clone(),
        env.state.index.clone(),
        env.state.config.clone(),
    );
    let other =
        support::accounts_env::Node::new(support::signed_in(trellis_http::app(other), &env.token));

    let start = env.get(&format!("/api/v1/connect/facebook/start?brand_id={}", env.brand.id)).await;
    let back = params(&consent(start.location.as_deref().unwrap()).await);
    let offered = other
        .get(&format!(
            "/api/v1/connect/facebook/callback?code={}&state={}",
            back["code"], back["state"]
        ))
        .await;
    assert_eq!(
        offered.status,
        StatusCode::OK,
        "the login came back to the other node: {}",
        offered.text
    );

    let body =
        json!({"selection": offered.json()["selection"], "page_ids": [env.facebook.page_id()]});
    let picked = env.post_json("/api/v1/connect/facebook/pages", &body).await;
    assert_eq!(
        picked.status,
        StatusCode::CREATED,
        "the pick went back to the first: {}",
        picked.text
    );
    let again = other.post_json("/api/v1/connect/facebook/pages", &body).await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST, "used once across nodes: {}", again.text);
}

#[tokio::test]
async fn a_discourse_forum_connects_with_a_verified_api_key_and_a_bad_key_connects_nothing() {
    let env = accounts_env().await;
    let mut body = json!({
        "brand_id": env.brand.id,
        "base_url": env.discourse.base_url(),
        "username": env.discourse.username(),
        "api_key": "not-the-key",
    });

    let refused = env.post_json("/api/v1/connect/discourse", &body).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("refused"), "{}", refused.text);
    assert!(env.store.list_accounts().await.unwrap().is_empty());

    body["api_key"] = json!("sim-api-key");
    let connected = env.post_json("/api/v1/connect/discourse", &body).await;
    assert_eq!(connected.status, StatusCode::CREATED, "{}", connected.text);
    assert_eq!(connected.json()["platform_account_id"], env.discourse.username());
    let verified =
        env.discourse.requests().into_iter().any(|r| {
            r.path == "/session/current.json" && r.header("api-key") == Some("sim-api-key")
        });
    assert!(verified);
}

#[tokio::test]
async fn accounts_are_listed_with_health_and_can_be_paused_and_resumed() {
    let env = accounts_env().await;
    connect_x(&env).await;
    let listed = env.get("/api/v1/accounts").await;
    assert_eq!(listed.status, StatusCode::OK);
    let listed = listed.json();
    let id = listed[0]["id"].as_i64().unwrap();
    assert_eq!(listed[0]["health"]["status"], "active");
    assert_eq!(listed[0]["health"]["has_credentials"], true);

    let paused = env.post_json(&format!("/api/v1/accounts/{id}/pause"), &json!({})).await;
    assert_eq!(paused.status, StatusCode::OK, "{}", paused.text);
    assert_eq!(paused.json()["health"]["status"], "paused");
    let resumed = env.post_json(&format!("/api/v1/accounts/{id}/resume"), &json!({})).await;
    assert_eq!(resumed.json()["health"]["status"], "active");

    env.store
        .set_account_status(
            trellis_core::AccountId(id),
            AccountStatus::NeedsReauth,
            Some("revoked".into()),
        )
        .await
        .unwrap();
    let refused = env.post_json(&format!("/api/v1/accounts/{id}/resume"), &json!({})).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.text);
    assert!(refused.text.contains("connect it again"), "{}", refused.text);
}
