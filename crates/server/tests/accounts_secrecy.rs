//! No token, access or refresh, ever leaves trellis: not in an API answer, not in the database
//! file, not in the logs, across connecting X, Facebook and Discourse accounts and refreshing a
//! token.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use serde_json::json;
use support::accounts_env::{accounts_env, consent, params, CapturedLogs};
use trellis_core::Channel;

#[tokio::test]
async fn no_token_appears_in_answers_the_database_or_the_logs_after_connect_and_refresh() {
    let logs = CapturedLogs::default();
    let _guard = logs.install();
    let env = accounts_env().await;
    let mut answers = String::new();

    // X: connect through OAuth, then age the token so it is refreshed.
    let start = env.get(&format!("/api/v1/connect/x/start?brand_id={}", env.brand.id)).await;
    let back = params(&consent(start.location.as_deref().unwrap()).await);
    let connected = env
        .get(&format!("/api/v1/connect/x/callback?code={}&state={}", back["code"], back["state"]))
        .await;
    assert!(connected.status.is_success(), "{}", connected.text);
    answers.push_str(&connected.text);
    let x_account = env.store.find_account(Channel::X, env.x.account_id()).await.unwrap().unwrap();
    let key = env.state.accounts.key().unwrap();
    let connectors = env.state.accounts.connectors().unwrap();
    let stored = env.store.credentials(x_account.id).await.unwrap().unwrap();
    let mut first = key.open(x_account.id, &stored.sealed).unwrap();
    let mut tokens = vec![first.access_token.clone(), first.refresh_token.clone().unwrap()];
    first.expires_at = Some(Utc::now() + Duration::minutes(1));
    env.store
        .set_credentials(x_account.id, key.seal(x_account.id, &first).unwrap(), first.expires_at)
        .await
        .unwrap();
    let refreshed =
        trellis_sync::accounts::access(&env.store, &key, &connectors, &x_account).await.unwrap();
    let stored = env.store.credentials(x_account.id).await.unwrap().unwrap();
    let second = key.open(x_account.id, &stored.sealed).unwrap();
    assert_eq!(refreshed.credentials.access_token, second.access_token);
    tokens.extend([second.access_token.clone(), second.refresh_token.clone().unwrap()]);

    // Facebook: login, Page pick.
    let start = env.get(&format!("/api/v1/connect/facebook/start?brand_id={}", env.brand.id)).await;
    let back = params(&consent(start.location.as_deref().unwrap()).await);
    let offered = env
        .get(&format!(
            "/api/v1/connect/facebook/callback?code={}&state={}",
            back["code"], back["state"]
        ))
        .await;
    answers.push_str(&offered.text);
    let pick =
        json!({"selection": offered.json()["selection"], "page_ids": [env.facebook.page_id()]});
    let picked = env.post_json("/api/v1/connect/facebook/pages", &pick).await;
    assert!(picked.status.is_success(), "{}", picked.text);
    answers.push_str(&picked.text);
    let page =
        env.store.find_account(Channel::Facebook, env.facebook.page_id()).await.unwrap().unwrap();
    let page_token =
        key.open(page.id, &env.store.credentials(page.id).await.unwrap().unwrap().sealed).unwrap();
    tokens.push(page_token.access_token);
    // Every token the simulator handed out on the way (user tokens included).
    for request in env.facebook.requests() {
        if let Some(token) = request.param("fb_exchange_token") {
            tokens.push(token.to_owned());
        }
    }

    // Discourse: an API key.
    let body = json!({
        "brand_id": env.brand.id,
        "base_url": env.discourse.base_url(),
        "username": env.discourse.username(),
        "api_key": "sim-api-key",
    });
    let discourse = env.post_json("/api/v1/connect/discourse", &body).await;
    assert!(discourse.status.is_success(), "{}", discourse.text);
    answers.push_str(&discourse.text);
    tokens.push("sim-api-key".to_owned());

    answers.push_str(&env.get("/api/v1/accounts").await.text);
    let database = String::from_utf8_lossy(&env.database_bytes()).into_owned();
    let logged = logs.text();
    assert!(logged.contains("account connected"), "the logs were captured:\n{logged}");
    assert!(database.contains("v1:"), "credentials are stored sealed");
    for token in &tokens {
        assert!(!answers.contains(token.as_str()), "an API answer holds a token");
        assert!(!database.contains(token.as_str()), "the database holds a token in clear");
        assert!(!logged.contains(token.as_str()), "the logs hold a token");
    }
    assert!(tokens.len() >= 7, "{} tokens checked", tokens.len());
}
