//! `accounts::access` against the X simulator over real HTTP, on a real SQLite file: tokens about
//! to expire are refreshed (and the rotated refresh token kept) before use, once even when asked
//! at the same time, and a refused refresh marks only its own account as needing
//! re-authorization.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{Duration, Utc};
use std::sync::Arc;
use support::accounts_env::{accounts_env, AccountsEnv};
use trellis_core::{Account, AccountStatus, Channel, NewAccount};
use trellis_sync::accounts::{access, AccessError, Connectors};
use trellis_sync::secrets::{AccountSecrets, SecretKey};

struct Fixture {
    env: AccountsEnv,
    key: Arc<SecretKey>,
    connectors: Arc<Connectors>,
}

async fn fixture() -> Fixture {
    let env = accounts_env().await;
    let key = env.state.accounts.key().unwrap();
    let connectors = env.state.accounts.connectors().unwrap();
    Fixture { env, key, connectors }
}

impl Fixture {
    /// An X account holding the simulator's initial token pair, expiring at `expires_at`.
    async fn x_account(&self, platform_id: &str, expires_at: chrono::DateTime<Utc>) -> Account {
        let account = self
            .env
            .store
            .create_account(NewAccount {
                brand_id: self.env.brand.id,
                channel: Channel::X,
                platform_account_id: platform_id.to_owned(),
                display_name: format!("@{platform_id}"),
                base_url: self.env.x.base_url(),
            })
            .await
            .unwrap();
        let defaults = trellis_connector_x::simulator::SimulatorConfig::default();
        let secrets = AccountSecrets {
            access_token: defaults.access_token,
            refresh_token: Some(defaults.refresh_token),
            expires_at: Some(expires_at),
            api_username: None,
        };
        let sealed = self.key.seal(account.id, &secrets).unwrap();
        self.env.store.set_credentials(account.id, sealed, secrets.expires_at).await.unwrap();
        account
    }

    async fn secrets(&self, account: &Account) -> AccountSecrets {
        let stored = self.env.store.credentials(account.id).await.unwrap().unwrap();
        self.key.open(account.id, &stored.sealed).unwrap()
    }

    async fn access(&self, account: &Account) -> Result<trellis_core::AccountAccess, AccessError> {
        access(&self.env.store, &self.key, &self.connectors, account).await
    }

    /// The refresh grants the simulator has received, by the refresh token they spent.
    fn refresh_grants(&self) -> Vec<String> {
        self.env
            .x
            .requests()
            .iter()
            .filter(|request| request.path == "/2/oauth2/token")
            .map(|request| request.form())
            .filter(|form| form.get("grant_type").map(String::as_str) == Some("refresh_token"))
            .map(|form| form["refresh_token"].clone())
            .collect()
    }
}

#[tokio::test]
async fn a_token_expiring_within_five_minutes_is_refreshed_and_the_rotated_refresh_token_kept() {
    let fx = fixture().await;
    let account = fx.x_account(fx.env.x.account_id(), Utc::now() + Duration::minutes(3)).await;

    let access = fx.access(&account).await.unwrap();

    assert_eq!(fx.refresh_grants(), ["sim-refresh-token"]);
    assert_ne!(access.credentials.access_token, "sim-access-token");
    let stored = fx.secrets(&account).await;
    assert_eq!(stored.access_token, access.credentials.access_token);
    let rotated = stored.refresh_token.clone().unwrap();
    assert_ne!(rotated, "sim-refresh-token", "the spent refresh token is replaced");
    assert!(stored.expires_at.unwrap() > Utc::now() + Duration::hours(1));
    let health = fx.env.store.account_health(account.id).await.unwrap();
    let recorded = health.credentials_expire_at.unwrap();
    assert!((recorded - stored.expires_at.unwrap()).num_milliseconds().abs() < 1, "{recorded}");

    // The refreshed token works, and is used as is until it nears its end.
    let connector = fx.connectors.get(Channel::X);
    assert_eq!(
        connector.verify(&access).await.unwrap().platform_account_id,
        account.platform_account_id
    );
    let again = fx.access(&account).await.unwrap();
    assert_eq!(again.credentials.access_token, access.credentials.access_token);
    assert_eq!(fx.refresh_grants().len(), 1);
}

#[tokio::test]
async fn a_token_far_from_expiry_is_used_without_a_token_request() {
    let fx = fixture().await;
    let account = fx.x_account(fx.env.x.account_id(), Utc::now() + Duration::hours(1)).await;
    let access = fx.access(&account).await.unwrap();
    assert_eq!(access.credentials.access_token, "sim-access-token");
    assert!(fx.refresh_grants().is_empty());
}

#[tokio::test]
async fn a_poll_and_a_delivery_asking_at_once_spend_the_refresh_token_once() {
    let fx = fixture().await;
    let account = fx.x_account(fx.env.x.account_id(), Utc::now() + Duration::minutes(1)).await;

    let (first, second) = tokio::join!(fx.access(&account), fx.access(&account));

    assert_eq!(first.unwrap().credentials, second.unwrap().credentials);
    assert_eq!(fx.refresh_grants().len(), 1);
    let health = fx.env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::Active);
}

#[tokio::test]
async fn a_revoked_refresh_token_marks_only_its_account_as_needing_reauthorization() {
    let fx = fixture().await;
    let revoked = fx.x_account(fx.env.x.account_id(), Utc::now() + Duration::minutes(2)).await;
    let healthy = fx.x_account("9000001", Utc::now() + Duration::hours(1)).await;
    let defaults = trellis_connector_x::simulator::SimulatorConfig::default();
    let revoke = reqwest::Client::new()
        .post(format!("{}/2/oauth2/revoke", fx.env.x.base_url()))
        .basic_auth(&defaults.client_id, Some(&defaults.client_secret))
        .form(&[("token", "sim-refresh-token")])
        .send()
        .await
        .unwrap();
    assert!(revoke.status().is_success());

    let err = fx.access(&revoked).await.unwrap_err();

    let AccessError::NeedsReauth(reason) = err else {
        panic!("expected needs-reauth, got {err:?}")
    };
    assert!(reason.contains("refresh refused"), "{reason}");
    let health = fx.env.store.account_health(revoked.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::NeedsReauth);
    assert_eq!(health.status_reason.as_deref(), Some(reason.as_str()));
    let other = fx.env.store.account_health(healthy.id).await.unwrap();
    assert_eq!(other.status, AccountStatus::Active);
    assert!(fx.access(&healthy).await.is_ok());
}

#[tokio::test]
async fn an_expired_token_with_nothing_to_refresh_it_needs_reauthorization() {
    let fx = fixture().await;
    let account = fx.x_account(fx.env.x.account_id(), Utc::now() - Duration::minutes(1)).await;
    let mut secrets = fx.secrets(&account).await;
    secrets.refresh_token = None;
    let sealed = fx.key.seal(account.id, &secrets).unwrap();
    fx.env.store.set_credentials(account.id, sealed, secrets.expires_at).await.unwrap();

    let err = fx.access(&account).await.unwrap_err();

    assert!(matches!(err, AccessError::NeedsReauth(_)), "{err:?}");
    let health = fx.env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::NeedsReauth);
    assert!(fx.refresh_grants().is_empty());
}

#[tokio::test]
async fn credentials_sealed_under_another_key_are_a_clear_error_not_a_reauthorization() {
    let fx = fixture().await;
    let account = fx.x_account(fx.env.x.account_id(), Utc::now() + Duration::hours(1)).await;
    let (other_key, _) = SecretKey::generate();

    let err = access(&fx.env.store, &other_key, &fx.connectors, &account).await.unwrap_err();

    assert!(err.to_string().contains("TRELLIS_SECRET_KEY"), "{err}");
    let health = fx.env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::Active);
}
