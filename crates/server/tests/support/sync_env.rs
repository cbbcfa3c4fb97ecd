//! A store on a real SQLite file (or a fresh PostgreSQL database), a secret key, connectors and
//! connected accounts, for the sync, webhook and outbox tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::Duration;
use std::sync::Arc;
use tempfile::TempDir;
use trellis_core::{Account, Channel, NewAccount, Store};
use trellis_sync::accounts::Connectors;
use trellis_sync::plan::Pacing;
use trellis_sync::secrets::{AccountSecrets, SecretKey};
use trellis_sync::SyncContext;

/// Pacing without jitter and with a short minimum interval, so times can be asserted exactly.
pub const TEST_PACING: Pacing = Pacing {
    min_interval: Duration::seconds(30),
    more_interval: Duration::seconds(1),
    backoff: trellis_core::Backoff { base: Duration::seconds(2), cap: Duration::minutes(10) },
    jitter: 0.0,
};

pub struct Env {
    /// The PostgreSQL test database, dropped (with force) when the env is.
    pub database: Option<trellis_store::testing::TestDatabase>,
    pub dir: TempDir,
    pub store: Arc<dyn Store>,
    pub ctx: SyncContext,
}

/// A fresh SQLite file in a temp dir.
pub async fn sqlite_env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store =
        trellis_store::connect(&trellis_store::testing::temp_sqlite_url(dir.path())).await.unwrap();
    store.migrate().await.unwrap();
    env_on(dir, store)
}

/// A fresh PostgreSQL database; `None` when PostgreSQL cannot be reached outside CI.
pub async fn postgres_env() -> Option<Env> {
    let dir = tempfile::tempdir().unwrap();
    let database = trellis_store::testing::fresh_postgres_database().await.unwrap()?;
    let store = trellis_store::connect(&database.url).await.unwrap();
    store.migrate().await.unwrap();
    let mut env = env_on(dir, store);
    env.database = Some(database);
    Some(env)
}

fn env_on(dir: TempDir, store: Arc<dyn Store>) -> Env {
    let (key, _) = SecretKey::generate();
    let ctx = SyncContext {
        store: store.clone(),
        key: Arc::new(key),
        connectors: Arc::new(test_connectors()),
        pacing: TEST_PACING,
    };
    Env { database: None, dir, store, ctx }
}

/// Connectors with short timeouts, so a failing test fails fast.
pub fn test_connectors() -> Connectors {
    let timeout = std::time::Duration::from_secs(5);
    Connectors::with(
        trellis_connector_x::XConfig { timeout, ..Default::default() },
        trellis_connector_facebook::FacebookConfig { timeout, ..Default::default() },
        trellis_connector_discourse::DiscourseConfig { timeout, ..Default::default() },
    )
    .unwrap()
}

impl Env {
    /// An account on `channel` at `base_url`, its token sealed as `trellis account add` would.
    pub async fn connect(
        &self,
        channel: Channel,
        platform_account_id: &str,
        base_url: &str,
        token: &str,
    ) -> Account {
        let brands = self.store.list_brands().await.unwrap();
        let brand = match brands.into_iter().next() {
            Some(brand) => brand,
            None => self.store.create_brand("Acme").await.unwrap(),
        };
        let account = self
            .store
            .create_account(NewAccount {
                brand_id: brand.id,
                channel,
                platform_account_id: platform_account_id.to_owned(),
                display_name: format!("Acme on {channel}"),
                base_url: base_url.to_owned(),
            })
            .await
            .unwrap();
        let secrets = AccountSecrets {
            access_token: token.to_owned(),
            refresh_token: None,
            expires_at: None,
            api_username: (channel == Channel::Discourse).then(|| platform_account_id.to_owned()),
        };
        let sealed = self.ctx.key.seal(account.id, &secrets).unwrap();
        self.store.set_credentials(account.id, sealed, None).await.unwrap();
        account
    }

    /// Every message of an account's conversations, as (platform id, direction) pairs.
    pub async fn message_count(&self) -> u64 {
        self.store.message_count().await.unwrap()
    }
}

/// The webhook secrets the tests configure, as the simulators sign with them.
pub const X_CONSUMER_SECRET: &str = "x-consumer-secret";
pub const FACEBOOK_APP_SECRET: &str = "trellis-sim-app-secret";
pub const FACEBOOK_VERIFY_TOKEN: &str = "verify-me";
pub const DISCOURSE_WEBHOOK_SECRET: &str = "discourse-hook-secret";

impl Env {
    /// The configuration of a node on this env's database, with every webhook secret set and
    /// private addresses allowed (the simulators listen on 127.0.0.1).
    pub fn config(&self, database_url: &str) -> trellis_server::config::Config {
        let vars: std::collections::HashMap<String, String> = [
            ("TRELLIS_DATABASE_URL", database_url),
            ("TRELLIS_X_CONSUMER_SECRET", X_CONSUMER_SECRET),
            ("TRELLIS_FACEBOOK_APP_SECRET", FACEBOOK_APP_SECRET),
            ("TRELLIS_FACEBOOK_VERIFY_TOKEN", FACEBOOK_VERIFY_TOKEN),
            ("TRELLIS_DISCOURSE_WEBHOOK_SECRET", DISCOURSE_WEBHOOK_SECRET),
            ("TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let flags = trellis_server::config::Overrides {
            data_dir: Some(self.dir.path().to_owned()),
            ..Default::default()
        };
        trellis_server::config::Config::load(&vars, &flags).unwrap()
    }

    /// The HTTP application over this env's store, with `sync` as its scheduler handle.
    pub async fn app(
        &self,
        sync: trellis_sync::SyncHandle,
        outbox: trellis_sync::outbox::OutboxHandle,
    ) -> axum::Router {
        let url = trellis_store::testing::temp_sqlite_url(self.dir.path());
        let index_dir = self.dir.path().join("index");
        let (index, _) = trellis_search::TantivyIndex::open(&index_dir).unwrap();
        let mut state = trellis_http::AppState::new(
            self.store.clone(),
            Arc::new(index),
            Arc::new(self.config(&url).http_settings()),
        );
        state.sync = sync;
        state.outbox = outbox;
        let token = super::admin_token(&self.store).await;
        super::signed_in(trellis_http::app(state), &token)
    }
}

/// Sends `request` through `app` and returns the status and the JSON body (`Null` if none).
pub async fn send(
    app: &axum::Router,
    request: axum::http::Request<axum::body::Body>,
) -> (axum::http::StatusCode, serde_json::Value) {
    use tower::ServiceExt;
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, body)
}

/// A POST of raw bytes with the given headers.
pub fn post_bytes(
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> axum::http::Request<axum::body::Body> {
    let mut request = axum::http::Request::post(uri).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(axum::body::Body::from(body)).unwrap()
}
