//! Starting, inspecting and stopping a simulator.

use super::faults::{FaultConfig, FaultStats};
use super::oauth::Grants;
use super::routes::{self, Limits, Window};
use super::traffic::{self, GeneratedTraffic, TrafficSpec};
use super::world::World;
use super::{webhooks, Shared};
use crate::wire::{User, UserMetrics};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use trellis_connector_kit::record::{RecordedRequest, RequestLog};
use trellis_connector_kit::serve::Served;

/// How a simulator starts.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// The brand's account: the user whose mentions and DMs connectors read.
    pub account_username: String,
    pub account_name: String,
    /// A token valid from the start, as if an admin had just connected the account.
    pub access_token: String,
    pub refresh_token: String,
    /// The registered OAuth app.
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
            account_username: "acme".into(),
            account_name: "Acme Support".into(),
            access_token: "sim-access-token".into(),
            refresh_token: "sim-refresh-token".into(),
            client_id: "trellis-sim-client".into(),
            client_secret: "trellis-sim-secret".into(),
            limits: Limits::default(),
            faults: FaultConfig::default(),
            seed: 7,
        }
    }
}

pub(crate) struct Inner {
    pub world: World,
    pub grants: Grants,
    pub windows: HashMap<(String, &'static str), Window>,
    pub limits: Limits,
    pub faults: FaultConfig,
    pub stats: FaultStats,
    pub rng: StdRng,
    /// The last page served per (authorization, path), replayed by the duplicate-page fault.
    pub last_pages: HashMap<(String, String), trellis_connector_kit::faults::CachedAnswer>,
    /// The subscribed webhook's delivery queue.
    pub webhook: Option<webhooks::Deliveries>,
}

impl Inner {
    fn generate(&mut self, spec: &TrafficSpec) -> GeneratedTraffic {
        let generated = traffic::generate(&mut self.world, &mut self.rng, spec);
        self.announce(&generated);
        generated
    }

    /// Queues an activity delivery for new content mentioning or messaging the brand.
    fn announce(&mut self, traffic: &GeneratedTraffic) {
        let for_brand = GeneratedTraffic {
            mentions: traffic
                .mentions
                .iter()
                .filter(|id| {
                    let tweet = id.parse().ok().and_then(|id: u64| self.world.tweets.get(&id));
                    tweet.is_some_and(|tweet| tweet.mentions.contains(&self.world.brand_id))
                })
                .cloned()
                .collect(),
            dms: traffic.dms.clone(),
        };
        if let (Some(queue), Some(body)) =
            (&self.webhook, webhooks::activity(&self.world, &for_brand))
        {
            if queue.send(body).is_err() {
                self.webhook = None;
            }
        }
    }
}

/// A running simulator. Dropping it stops the server.
pub struct Simulator {
    shared: Shared,
    requests: RequestLog,
    account_id: String,
    /// The server, and the trickle and webhook tasks that stop with it.
    served: Served,
}

impl Simulator {
    /// Binds `addr` (use port 0 for a free one) and serves.
    pub async fn start(addr: SocketAddr, config: SimulatorConfig) -> std::io::Result<Self> {
        Self::serve(TcpListener::bind(addr).await?, config)
    }

    /// Serves on an already bound listener.
    pub fn serve(listener: TcpListener, config: SimulatorConfig) -> std::io::Result<Self> {
        let account_id = "1590000000000000001".to_owned();
        let brand = User {
            id: account_id.clone(),
            name: config.account_name.clone(),
            username: config.account_username.clone(),
            verified: Some(true),
            public_metrics: Some(UserMetrics {
                followers_count: 182_000,
                following_count: 310,
                tweet_count: 24_512,
                listed_count: 900,
            }),
            profile_image_url: Some("https://pbs.twimg.com/profile_images/acme_normal.png".into()),
        };
        let mut grants = Grants::new(config.client_id.clone(), config.client_secret.clone());
        grants.issue_pair(&account_id, config.access_token.clone(), config.refresh_token.clone());
        let shared = Shared(Arc::new(Mutex::new(Inner {
            world: World::new(brand),
            grants,
            windows: HashMap::new(),
            limits: config.limits,
            faults: config.faults,
            stats: FaultStats::default(),
            rng: StdRng::seed_from_u64(config.seed),
            last_pages: HashMap::new(),
            webhook: None,
        })));
        let requests = RequestLog::default();
        let served = Served::on(listener, routes::router(shared.clone(), requests.clone()), "x")?;
        Ok(Self { shared, requests, account_id, served })
    }

    /// The API base URL to configure an account with.
    pub fn base_url(&self) -> String {
        self.served.base_url()
    }

    /// The brand account's X user id.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Adds realistic traffic: mentions, reply chains and DMs from a crowd of authors.
    pub fn generate(&self, spec: &TrafficSpec) -> GeneratedTraffic {
        self.shared.lock().generate(spec)
    }

    /// Registers an Account Activity webhook: X's CRC challenge must be answered correctly with
    /// `consumer_secret`, then every new mention and DM is delivered to `url`, signed.
    pub async fn subscribe_webhook(
        &mut self,
        url: &str,
        consumer_secret: &str,
    ) -> Result<(), String> {
        let crc_token = {
            let mut inner = self.shared.lock();
            format!("crc-{}", rand::Rng::gen::<u64>(&mut inner.rng))
        };
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|error| error.to_string())?;
        webhooks::crc_check(&client, url, consumer_secret, &crc_token).await?;
        let (queue, deliveries) = tokio::sync::mpsc::unbounded_channel();
        self.shared.lock().webhook = Some(queue);
        let stopped = self.served.stop_signal();
        self.served.track(webhooks::spawn_deliveries(
            client,
            url.to_owned(),
            consumer_secret.to_owned(),
            deliveries,
            stopped,
        ));
        Ok(())
    }

    /// A scripted tweet by any user, optionally replying to `reply_to`; `None` when the author or
    /// the parent does not exist. For tests and demos that need a precise conversation.
    pub fn post_as(&self, author_id: &str, text: &str, reply_to: Option<&str>) -> Option<String> {
        let mut inner = self.shared.lock();
        let parent = match reply_to {
            Some(id) => {
                Some(id.parse::<u64>().ok().filter(|id| inner.world.tweets.contains_key(id))?)
            }
            None => None,
        };
        inner.world.users.get(author_id)?;
        Some(
            inner
                .world
                .add_tweet(author_id, text.to_owned(), chrono::Utc::now(), parent, "en")
                .to_string(),
        )
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

    pub fn fault_stats(&self) -> FaultStats {
        self.shared.lock().stats.clone()
    }

    /// The API's own JSON for a tweet (every field), or `None` if it never existed.
    pub fn tweet(&self, id: &str) -> Option<serde_json::Value> {
        let inner = self.shared.lock();
        let tweet = inner.world.tweets.get(&id.parse().ok()?)?;
        let mut value = serde_json::to_value(&tweet.tweet).ok()?;
        value["hidden"] = tweet.hidden.into();
        value["deleted"] = tweet.deleted.into();
        Some(value)
    }

    /// The API's own JSON for a DM event, or `None`.
    pub fn dm_event(&self, id: &str) -> Option<serde_json::Value> {
        let inner = self.shared.lock();
        serde_json::to_value(&inner.world.dm_events.get(&id.parse().ok()?)?.event).ok()
    }

    /// A user's JSON with every field, or `None`.
    pub fn user(&self, id: &str) -> Option<serde_json::Value> {
        serde_json::to_value(self.shared.lock().world.users.get(id)?).ok()
    }

    /// Expires an access token now, as two hours passing would.
    pub fn expire_token(&self, token: &str) {
        self.shared.lock().grants.expire(token);
    }

    /// Keeps traffic coming, as a live platform does: every `every`, adds `spec` worth of content
    /// spread over the interval just past. For `trellis demo` and `trellis simulate`; stops with
    /// the simulator.
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
                        let end = chrono::Utc::now();
                        let spec = TrafficSpec { start: Some(end - span), end: Some(end), ..spec.clone() };
                        let added = shared.lock().generate(&spec);
                        tracing::debug!(mentions = added.mentions.len(), dms = added.dms.len(), "x simulator traffic");
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
