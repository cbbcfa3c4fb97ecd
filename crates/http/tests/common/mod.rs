//! A trellis HTTP app over a fresh SQLite store and an in-memory index, with people of each role,
//! called the way a client would (`Router::oneshot`).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::sync::Arc;
use tower::ServiceExt;
use trellis_app::identity::users::{self, NewUserInput};
use trellis_app::identity::{sessions, tokens};
use trellis_app::Principal;
use trellis_core::{Role, Store, User};
use trellis_http::{app, AppState, HttpSettings};

pub const PASSWORD: &str = "violet-harbour-quietly-87";

pub struct Env {
    pub _dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub app: Router,
    pub admin: User,
    pub supervisor: User,
    pub agent: User,
}

pub async fn env() -> Env {
    env_with(|_| {}).await
}

pub async fn env_with(adjust: impl FnOnce(&mut HttpSettings)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = trellis_store::testing::temp_sqlite_url(dir.path());
    let store = trellis_store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let index = trellis_search::TantivyIndex::in_memory().unwrap();
    let connection =
        trellis_sync::ConnectionSettings::new(dir.path().to_owned(), Default::default());
    let mut settings = HttpSettings::new("127.0.0.1:8080".parse().unwrap(), connection);
    adjust(&mut settings);
    let state = AppState::new(store.clone(), Arc::new(index), Arc::new(settings));
    let operator = Principal::operator();
    let mut people = Vec::new();
    for (name, role) in
        [("admin", Role::Admin), ("supervisor", Role::Supervisor), ("agent", Role::Agent)]
    {
        let input = NewUserInput {
            email: format!("{name}@example.com"),
            name: name.to_owned(),
            role,
            password: Some(PASSWORD.to_owned()),
        };
        people.push(users::create_user(store.as_ref(), &operator, input).await.unwrap());
    }
    let agent = people.pop().unwrap();
    let supervisor = people.pop().unwrap();
    let admin = people.pop().unwrap();
    // The agent works in a team that serves every brand, as in a deployment of one brand.
    let support = trellis_app::teams::create(store.as_ref(), &operator, "Support", &[]).await;
    let support = support.unwrap().team.id;
    trellis_app::teams::add_member(store.as_ref(), &operator, support, agent.id).await.unwrap();
    Env { _dir: dir, store, app: app(state), admin, supervisor, agent }
}

/// An answer: status, headers, body as JSON (`Null` when empty or not JSON).
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// The session secret from `Set-Cookie`.
    pub fn session_cookie(&self) -> Option<String> {
        let cookie = self.headers.get(header::SET_COOKIE)?.to_str().ok()?;
        let value = cookie.strip_prefix("trellis_session=")?.split(';').next()?;
        (!value.is_empty()).then(|| value.to_owned())
    }
}

/// A request being built.
pub struct Call {
    request: axum::http::request::Builder,
    body: Body,
}

pub fn call(method: Method, uri: &str) -> Call {
    Call {
        request: Request::builder().method(method).uri(uri).header(header::HOST, "127.0.0.1:8080"),
        body: Body::empty(),
    }
}

impl Call {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn cookie(self, secret: &str) -> Self {
        self.header("cookie", &format!("trellis_session={secret}"))
    }

    pub fn json(mut self, value: &Value) -> Self {
        self.request = self.request.header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(value.to_string());
        self
    }

    pub fn raw(mut self, content_type: &str, body: impl Into<Body>) -> Self {
        self.request = self.request.header(header::CONTENT_TYPE, content_type);
        self.body = body.into();
        self
    }

    pub async fn send(self, app: &Router) -> Answer {
        let response = app.clone().oneshot(self.request.body(self.body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
    }
}

impl Env {
    /// A fresh API token of `user`.
    pub async fn token(&self, user: &User) -> String {
        let operator = Principal::operator();
        tokens::create(self.store.as_ref(), &operator, user.id, "test", None).await.unwrap().secret
    }

    /// Signs `user` in over the API: the session secret and its CSRF token.
    pub async fn sign_in(&self, user: &User) -> (String, String) {
        let body = serde_json::json!({"email": user.email, "password": PASSWORD});
        let answer = call(Method::POST, "/api/v1/auth/login").json(&body).send(&self.app).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        (answer.session_cookie().unwrap(), answer.body["csrf_token"].as_str().unwrap().to_owned())
    }

    /// The session secret of `user` opened directly through the service.
    pub async fn session(&self, user: &User) -> String {
        let policy = sessions::SessionPolicy::default();
        let opened = sessions::open_session(
            self.store.as_ref(),
            policy,
            user,
            None,
            None,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        opened.secret
    }
}

/// An X account with one inbound mention: its conversation id.
pub async fn mention(env: &Env) -> i64 {
    let mention =
        Mention { brand: "Acme", id: "9001", author: "dana", text: "my order never came" };
    mention_to(env, mention).await.1
}

/// One inbound X mention to a brand's account, its ids and words chosen by the test.
pub struct Mention<'a> {
    /// The brand, created with an X account of its lowercased name.
    pub brand: &'a str,
    /// The tweet's id; the author's platform id is `u` and it.
    pub id: &'a str,
    pub author: &'a str,
    /// What follows `@account`.
    pub text: &'a str,
}

/// Creates `mention`'s brand, account and message: the brand and the conversation id.
pub async fn mention_to(env: &Env, mention: Mention<'_>) -> (trellis_core::BrandId, i64) {
    let brand = env.store.create_brand(mention.brand).await.unwrap();
    let handle = mention.brand.to_lowercase();
    let account = env
        .store
        .create_account(trellis_core::NewAccount {
            brand_id: brand.id,
            channel: trellis_core::Channel::X,
            platform_account_id: handle.clone(),
            display_name: format!("@{handle}"),
            base_url: String::new(),
        })
        .await
        .unwrap();
    let message = trellis_core::NewMessage {
        platform_id: trellis_core::PlatformId::parse(mention.id).unwrap(),
        kind: trellis_core::MessageKind::Mention,
        direction: trellis_core::Direction::Inbound,
        author: trellis_core::NewContact {
            platform_id: trellis_core::PlatformId::parse(&format!("u{}", mention.id)).unwrap(),
            handle: Some(trellis_core::Handle::parse(mention.author).unwrap()),
            display_name: None,
            follower_count: None,
            verified: false,
        },
        parent_platform_id: None,
        thread_platform_id: None,
        thread_title: None,
        text: format!("@{handle} {}", mention.text),
        lang: None,
        raw: serde_json::Value::Null,
        created_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        deleted_at: None,
    };
    let batch = trellis_core::IngestBatch {
        account_id: account.id,
        messages: vec![message],
        cursors: Vec::new(),
    };
    env.store.ingest(batch).await.unwrap();
    let all = env.store.list_conversations(&Default::default()).await.unwrap();
    let conversation = all.items.iter().find(|c| c.brand_id == brand.id).unwrap();
    (brand.id, conversation.id.0)
}

impl Env {
    /// The audit log's actions on `entity`, newest first, as an admin reads them over the API.
    pub async fn audit_actions(&self, entity: &str) -> Vec<String> {
        let admin = self.token(&self.admin).await;
        let uri = format!("/api/v1/audit?entity={entity}");
        let audit = call(Method::GET, &uri).bearer(&admin).send(&self.app).await;
        assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
        let items = audit.body["items"].as_array().unwrap();
        items.iter().map(|entry| entry["action"].as_str().unwrap().to_owned()).collect()
    }
}
