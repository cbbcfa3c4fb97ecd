//! The three simulators, a store on a real SQLite file, and the app configured with the
//! simulators' registered apps, for the account tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tempfile::TempDir;
use tower::ServiceExt;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;
use trellis_core::{Brand, Store};
use trellis_http::{app, AppState};
use trellis_server::config::{Config, LogFormat, SyncConfig};
use trellis_sync::apps::{DiscourseApp, FacebookApp, XApp};
use trellis_sync::secrets::Secret;

pub const CALLBACK: &str = "http://127.0.0.1:9/api/v1/connect/x/callback";
pub const FB_CALLBACK: &str = "http://127.0.0.1:9/api/v1/connect/facebook/callback";

pub struct AccountsEnv {
    pub dir: TempDir,
    pub store: Arc<dyn Store>,
    pub config: Config,
    pub state: AppState,
    /// An admin's API token; `app` sends it with every request that names no other.
    pub token: String,
    pub app: Router,
    pub brand: Brand,
    pub x: x::Simulator,
    pub facebook: facebook::Simulator,
    pub discourse: discourse::Simulator,
}

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// The `[x]` and `[facebook]` apps the simulators have registered, and private addresses allowed:
/// the simulators (the forum too) listen on 127.0.0.1.
pub fn config(dir: &std::path::Path, x_sim: &x::Simulator, fb_sim: &facebook::Simulator) -> Config {
    let x_defaults = x::SimulatorConfig::default();
    let fb_defaults = facebook::SimulatorConfig::default();
    Config {
        data_dir: dir.to_owned(),
        database_url: trellis_store::testing::temp_sqlite_url(dir),
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: None,
        log: "info".into(),
        log_format: LogFormat::Text,
        sync: SyncConfig { allow_private_addresses: true, ..Default::default() },
        secret_key: None,
        x: XApp {
            client_id: Some(x_defaults.client_id),
            client_secret: Some(Secret::new(x_defaults.client_secret)),
            consumer_secret: None,
            redirect_url: Some(CALLBACK.to_owned()),
            base_url: x_sim.base_url(),
            authorize_url: x_sim.base_url(),
        },
        facebook: FacebookApp {
            app_id: Some(fb_defaults.client_id),
            app_secret: Some(Secret::new(fb_defaults.client_secret)),
            verify_token: None,
            redirect_url: Some(FB_CALLBACK.to_owned()),
            base_url: fb_sim.base_url(),
            dialog_url: fb_sim.dialog_base_url(),
        },
        discourse: DiscourseApp::default(),
    }
}

pub async fn accounts_env() -> AccountsEnv {
    let dir = tempfile::tempdir().unwrap();
    let x = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    let facebook =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    let discourse =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    let config = config(dir.path(), &x, &facebook);
    let store = trellis_store::connect(&config.database_url).await.unwrap();
    store.migrate().await.unwrap();
    let brand = store.create_brand("Acme").await.unwrap();
    let (index, _) = trellis_search::TantivyIndex::open(&dir.path().join("index")).unwrap();
    let state = AppState::new(store.clone(), Arc::new(index), Arc::new(config.http_settings()));
    let token = super::admin_token(&store).await;
    let app = super::signed_in(app(state.clone()), &token);
    AccountsEnv { dir, store, config, state, app, token, brand, x, facebook, discourse }
}

/// An answer of the app: status, `Location`, body as text.
pub struct Answer {
    pub status: StatusCode,
    pub location: Option<String>,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

/// One node's router, called the way a client would.
pub struct Node {
    app: Router,
}

impl Node {
    pub fn new(app: Router) -> Self {
        Self { app }
    }

    pub async fn call(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let location =
            response.headers().get("location").map(|value| value.to_str().unwrap().to_owned());
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, location, text: String::from_utf8_lossy(&bytes).into_owned() }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.call(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        let request = Request::post(uri)
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        self.call(request).await
    }
}

impl AccountsEnv {
    fn node(&self) -> Node {
        Node::new(self.app.clone())
    }

    pub async fn call(&self, request: Request<Body>) -> Answer {
        self.node().call(request).await
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.node().get(uri).await
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.node().post_json(uri, body).await
    }

    /// Every byte of the SQLite database, its WAL included.
    pub fn database_bytes(&self) -> Vec<u8> {
        let url = &self.config.database_url;
        let path = url.strip_prefix("sqlite://").unwrap();
        let mut bytes = std::fs::read(path).unwrap();
        for suffix in ["-wal", "-shm"] {
            if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(more);
            }
        }
        bytes
    }
}

/// Follows an authorize URL the way a browser would, to the redirect the platform answers.
pub async fn consent(authorize: &str) -> url::Url {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = client.get(authorize).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.text().await.unwrap());
    url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap()
}

/// The query parameters of a URL.
pub fn params(url: &url::Url) -> BTreeMap<String, String> {
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// A log sink for one test: everything trellis and the libraries under it trace while the guard
/// lives, as text. The simulators' own logs are left out: they play the platform, which does see
/// tokens.
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(
                "trace,trellis_connector_x::simulator=off,trellis_connector_facebook::simulator=off,\
                 trellis_connector_discourse::simulator=off",
            )
            .with_ansi(false)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
