//! Starting, inspecting and stopping a simulator.

use super::faults::{FaultConfig, FaultStats};
use super::routes::{self, Limits, Window};
use super::traffic::{self, GeneratedTraffic, TrafficSpec};
use super::world::World;
use super::Shared;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use trellis_connector_kit::faults::CachedAnswer;
use trellis_connector_kit::record::{RecordedRequest, RequestLog};
use trellis_connector_kit::serve::Served;

/// How a simulator starts.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The brand's forum account, whose username goes in `Api-Username`.
    pub account_username: String,
    pub account_name: String,
    /// An admin API key valid from the start.
    pub api_key: String,
    pub limits: Limits,
    pub faults: FaultConfig,
    /// Seeds the traffic generator and the fault dice, so a failing run can be replayed.
    pub seed: u64,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        Self {
            account_username: "acme_support".into(),
            account_name: "Acme Support".into(),
            api_key: "sim-api-key".into(),
            limits: Limits::default(),
            faults: FaultConfig::default(),
            seed: 7,
        }
    }
}

pub(crate) struct Inner {
    pub world: World,
    pub admin_keys: HashSet<String>,
    /// User API key → (client id, username).
    pub user_keys: HashMap<String, (String, String)>,
    pub windows: HashMap<String, Window>,
    pub limits: Limits,
    pub faults: FaultConfig,
    pub stats: FaultStats,
    pub rng: StdRng,
    /// The last answer per (key, request URI), replayed by the duplicate-page fault.
    pub last_pages: HashMap<(String, String), CachedAnswer>,
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    shared: Shared,
    requests: RequestLog,
    username: String,
    served: Served,
}

impl Simulator {
    /// Binds `addr` (port 0 for a free one) and serves.
    pub async fn start(addr: SocketAddr, config: SimulatorConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind(addr).await?, config)
    }

    /// Serves on an already bound listener.
    pub fn serve(listener: TcpListener, config: SimulatorConfig) -> std::io::Result<Self> {
        let mut world = World::new();
        world.add_user(&config.account_username, &config.account_name, 4);
        let shared = Shared(Arc::new(Mutex::new(Inner {
            world,
            admin_keys: HashSet::from([config.api_key.clone()]),
            user_keys: HashMap::new(),
            windows: HashMap::new(),
            limits: config.limits,
            faults: config.faults,
            stats: FaultStats::default(),
            rng: StdRng::seed_from_u64(config.seed),
            last_pages: HashMap::new(),
        })));
        let requests = RequestLog::default();
        let app = routes::router(shared.clone(), requests.clone());
        let served = Served::on(listener, app, "discourse")?;
        Ok(Self { shared, requests, username: config.account_username, served })
    }

    /// The forum's base URL to configure an account with.
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    /// The brand account's username (`Api-Username`, the platform account id).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// Adds realistic traffic; see [`TrafficSpec`].
    pub fn generate(&self, spec: &TrafficSpec) -> GeneratedTraffic {
        let mut inner = self.shared.lock();
        let Inner { world, rng, .. } = &mut *inner;
        traffic::generate(world, rng, spec, &self.username)
    }

    /// Adds a forum member.
    pub fn add_user(&self, username: &str, name: &str, trust_level: i64) {
        self.shared.lock().world.add_user(username, name, trust_level);
    }

    /// A public topic with a first post by `author`; returns (topic id, post id).
    pub fn create_topic(
        &self,
        author: &str,
        title: &str,
        raw: &str,
        at: DateTime<Utc>,
    ) -> Option<(u64, u64)> {
        let mut inner = self.shared.lock();
        let topic = inner.world.add_topic(title, Some(1), None);
        let post = inner.world.add_post(topic, author, raw.to_owned(), at, None, 1)?;
        Some((topic, post))
    }

    /// A private message between `author` and the brand account; returns (topic id, post id).
    pub fn create_private_message(
        &self,
        author: &str,
        title: &str,
        raw: &str,
        at: DateTime<Utc>,
    ) -> Option<(u64, u64)> {
        let mut inner = self.shared.lock();
        let participants = vec![author.to_owned(), self.username.clone()];
        let topic = inner.world.add_topic(title, None, Some(participants));
        let post = inner.world.add_post(topic, author, raw.to_owned(), at, None, 1)?;
        Some((topic, post))
    }

    /// A post in an existing topic, of any `post_type`; returns its id.
    pub fn add_post(
        &self,
        topic_id: u64,
        author: &str,
        raw: &str,
        at: DateTime<Utc>,
        reply_to_post_number: Option<u32>,
        post_type: u8,
    ) -> Option<u64> {
        self.shared.lock().world.add_post(
            topic_id,
            author,
            raw.to_owned(),
            at,
            reply_to_post_number,
            post_type,
        )
    }

    /// The API's JSON for a post (every field, flags as `flags`), or `None`.
    pub fn post(&self, id: u64) -> Option<serde_json::Value> {
        let inner = self.shared.lock();
        let post = inner.world.posts.get(&id)?;
        let mut value = inner.world.post_json(post, true);
        value["flags"] = post.flags.iter().map(|(_, kind)| *kind).collect::<Vec<_>>().into();
        Some(value)
    }

    /// Every post id, ascending.
    pub fn post_ids(&self) -> Vec<u64> {
        self.shared.lock().world.posts.keys().copied().collect()
    }

    pub fn set_hidden(&self, id: u64, hidden: bool) {
        if let Some(post) = self.shared.lock().world.posts.get_mut(&id) {
            post.hidden = hidden;
        }
    }

    /// Grants a user API key to `client_id` for `username`, as `/user-api-key/new` would.
    pub fn grant_user_api_key(&self, client_id: &str, username: &str) -> String {
        let mut inner = self.shared.lock();
        let key = format!("{:032x}", inner.rng.gen::<u128>());
        inner.user_keys.insert(key.clone(), (client_id.to_owned(), username.to_owned()));
        key
    }

    /// Creates a new admin API key, as an admin does after revoking one.
    pub fn issue_api_key(&self) -> String {
        let mut inner = self.shared.lock();
        let key = format!("{:064x}", inner.rng.gen::<u128>());
        inner.admin_keys.insert(key.clone());
        key
    }

    pub fn revoke_api_key(&self, key: &str) {
        let mut inner = self.shared.lock();
        inner.admin_keys.remove(key);
        inner.user_keys.remove(key);
    }

    pub fn set_limits(&self, limits: Limits) {
        let mut inner = self.shared.lock();
        inner.limits = limits;
        inner.windows.clear();
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.snapshot()
    }

    pub fn clear_requests(&self) {
        self.requests.clear();
    }

    pub fn set_faults(&self, faults: FaultConfig) {
        self.shared.lock().faults = faults;
    }

    pub fn fault_stats(&self) -> FaultStats {
        self.shared.lock().stats.clone()
    }

    /// Stops serving and waits for the server to end.
    pub async fn shutdown(self) {
        self.served.shutdown().await;
    }
}
