//! Starting, inspecting, scripting and stopping a simulator.

use super::faults::{FaultConfig, FaultStats, LastPage};
use super::oauth::Grants;
use super::routes::{self, Limits, Window};
use super::traffic::{self, GeneratedTraffic, TrafficSpec};
use super::webhooks::{self, SignedDelivery};
use super::world::World;
use super::Shared;
use crate::wire::Actor;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use trellis_connector_kit::record::{RecordedRequest, RequestLog};
use trellis_connector_kit::serve::Served;

/// How a simulator starts.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub page_id: String,
    pub page_name: String,
    /// The Graph API version in `base_url()`; any version is served.
    pub version: String,
    /// A Page token valid from the start, as if an admin had just connected the Page.
    pub access_token: String,
    /// The registered Meta app; the secret also signs webhook deliveries.
    pub client_id: String,
    pub client_secret: String,
    pub limits: Limits,
    pub faults: FaultConfig,
    /// Seeds the traffic generator and the fault dice, so a failing run can be replayed.
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            page_id: "104000000000001".into(),
            page_name: "Acme Coffee".into(),
            version: "v19.0".into(),
            access_token: "sim-page-token".into(),
            client_id: "trellis-sim-app".into(),
            client_secret: "trellis-sim-app-secret".into(),
            limits: Limits::default(),
            faults: FaultConfig::default(),
            seed: 7,
        }
    }
}

pub(crate) struct Inner {
    pub world: World,
    pub grants: Grants,
    pub windows: HashMap<String, Window>,
    pub limits: Limits,
    pub faults: FaultConfig,
    pub stats: FaultStats,
    pub rng: StdRng,
    /// Each token's last successful read, replayed by the duplicate-page fault.
    pub last_pages: HashMap<String, LastPage>,
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    shared: Shared,
    requests: RequestLog,
    config: SimulatorConfig,
    /// The server, and the trickle task that stops with it.
    served: Served,
}

impl Simulator {
    /// Binds `addr` (use port 0 for a free one) and serves.
    pub async fn start(addr: SocketAddr, config: SimulatorConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind(addr).await?, config)
    }

    /// Serves on an already bound listener.
    pub fn serve(listener: TcpListener, config: SimulatorConfig) -> std::io::Result<Self> {
        let page =
            Actor { id: config.page_id.clone(), name: Some(config.page_name.clone()), email: None };
        let mut grants = Grants::new(
            config.client_id.clone(),
            config.client_secret.clone(),
            config.page_id.clone(),
        );
        grants.issue_page_token(config.access_token.clone());
        let shared = Shared(Arc::new(Mutex::new(Inner {
            world: World::new(page),
            grants,
            windows: HashMap::new(),
            limits: config.limits,
            faults: config.faults.clone(),
            stats: FaultStats::default(),
            rng: StdRng::seed_from_u64(config.seed),
            last_pages: HashMap::new(),
        })));
        let requests = RequestLog::default();
        let app = routes::router(shared.clone(), requests.clone());
        let served = Served::on(listener, app, "facebook")?;
        Ok(Self { shared, requests, config, served })
    }

    /// The API base URL, version included, to configure an account with.
    pub fn base_url(&self) -> String {
        format!("{}/{}", self.served.base_url(), self.config.version)
    }

    /// Where the login dialog lives (the simulator serves it too).
    pub fn dialog_base_url(&self) -> String {
        self.base_url()
    }

    pub fn page_id(&self) -> &str {
        &self.config.page_id
    }

    /// Adds realistic traffic.
    pub fn generate(&self, spec: &TrafficSpec) -> GeneratedTraffic {
        let mut inner = self.shared.lock();
        let Inner { world, rng, .. } = &mut *inner;
        traffic::generate(world, rng, spec)
    }

    /// A new person, by display name; returns their id (PSID).
    pub fn add_person(&self, name: &str) -> String {
        self.shared.lock().world.add_person(name.to_owned()).id
    }

    /// A post by `author_id` (a person or the Page).
    pub fn post_as(&self, author_id: &str, text: &str, at: DateTime<Utc>) -> Option<String> {
        let mut inner = self.shared.lock();
        let author = inner.world.person(author_id)?;
        Some(inner.world.add_post(author, text.to_owned(), at))
    }

    /// A comment by `author_id` under a post, or a reply when `parent` is a comment of it.
    pub fn comment_as(
        &self,
        author_id: &str,
        post_id: &str,
        parent: Option<&str>,
        text: &str,
        at: DateTime<Utc>,
    ) -> Option<String> {
        let mut inner = self.shared.lock();
        let author = inner.world.person(author_id)?;
        inner.world.add_comment(post_id, parent, author, text.to_owned(), at)
    }

    /// Hides a person's posts from the Page token; the feed then answers short pages.
    pub fn restrict_person(&self, person_id: &str) {
        self.shared.lock().world.restricted.insert(person_id.to_owned());
    }

    /// Edits a comment's text, as its author would.
    pub fn edit_comment(&self, id: &str, text: &str) -> bool {
        let text = text.to_owned();
        self.shared
            .lock()
            .world
            .change_comment(id, Utc::now(), |state| state.comment.message = text)
    }

    /// A Messenger message from `person_id` to the Page at `at` (opening the 24-hour window).
    pub fn message_from(&self, person_id: &str, text: &str, at: DateTime<Utc>) -> Option<String> {
        let mut inner = self.shared.lock();
        let person = inner.world.person(person_id).filter(|p| p.id != inner.world.page.id)?;
        Some(inner.world.add_message(&person, false, text.to_owned(), at))
    }

    /// A post's JSON with every field, plus `deleted`.
    pub fn post(&self, id: &str) -> Option<Value> {
        let inner = self.shared.lock();
        let state = inner.world.posts.get(id)?;
        let mut value = json!(state.post);
        value["deleted"] = state.deleted.into();
        Some(value)
    }

    /// A comment's JSON with every field, plus `post_id` and `deleted`.
    pub fn comment(&self, id: &str) -> Option<Value> {
        let inner = self.shared.lock();
        let state = inner.world.comments.get(id)?;
        let mut value = json!(state.comment);
        value["post_id"] = state.post_id.clone().into();
        value["deleted"] = state.deleted.into();
        Some(value)
    }

    /// A Messenger message's JSON, plus `conversation_id`.
    pub fn message(&self, id: &str) -> Option<Value> {
        let inner = self.shared.lock();
        let state = inner.world.messages.get(id)?;
        let mut value = json!(state.message);
        value["conversation_id"] = state.conversation_id.clone().into();
        Some(value)
    }

    /// The conversation between the Page and a person, if they have one.
    pub fn conversation_with(&self, person_id: &str) -> Option<String> {
        self.shared.lock().world.conversation_of.get(person_id).cloned()
    }

    /// A code as the login dialog hands to `redirect_uri` once the admin approves.
    pub fn authorization_code(&self, redirect_uri: &str) -> String {
        self.shared.lock().grants.issue_code(redirect_uri)
    }

    /// A signed webhook delivery for these comments and Messenger messages.
    pub fn webhook_delivery(&self, comments: &[&str], messages: &[&str]) -> SignedDelivery {
        let inner = self.shared.lock();
        webhooks::delivery(&inner.world, comments, messages, &self.config.client_secret)
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.snapshot()
    }

    /// Forgets the recorded requests, to assert on what comes next.
    pub fn clear_requests(&self) {
        self.requests.clear();
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.lock().faults = faults;
    }

    pub fn set_limits(&self, limits: Limits) {
        let mut inner = self.shared.lock();
        inner.limits = limits;
        inner.windows.clear();
    }

    pub fn fault_stats(&self) -> FaultStats {
        self.shared.lock().stats.clone()
    }

    /// Expires a token now (error 190, subcode 463 from then on).
    pub fn expire_token(&self, token: &str) {
        self.shared.lock().grants.expire(token);
    }

    /// Invalidates a token, as a password change does (error 190, subcode 460).
    pub fn invalidate_token(&self, token: &str) {
        self.shared.lock().grants.invalidate(token);
    }

    /// Keeps traffic coming, as a live Page does: every `every`, adds `spec` worth of content
    /// spread over the interval just past. Stops with the simulator.
    pub fn start_trickle(&mut self, every: std::time::Duration, spec: TrafficSpec) {
        let shared = self.shared.clone();
        let mut stopped = self.served.stop_signal();
        let span = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::seconds(1));
        self.served.spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                tokio::select! {
                    _ = stopped.wait_for(|stop| *stop) => break,
                    _ = ticks.tick() => {
                        let end = Utc::now();
                        let spec = TrafficSpec { start: Some(end - span), end: Some(end), ..spec.clone() };
                        let mut inner = shared.lock();
                        let Inner { world, rng, .. } = &mut *inner;
                        let added = traffic::generate(world, rng, &spec);
                        tracing::debug!(posts = added.posts.len(), comments = added.comments.len(), messages = added.messages.len(), "facebook simulator traffic");
                    }
                }
            }
        });
    }

    /// Stops serving and waits for the server and trickle tasks to end.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
