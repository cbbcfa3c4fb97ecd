//! The platform simulators run inside the `trellis` binary, one way for all three platforms:
//! start one by [`SimulatedPlatform`] with a seed and a fault rate, learn how to connect to it
//! ([`Connection`]), keep traffic coming at a rate ([`Simulator::trickle`]) and stop it.
//! `trellis simulate` runs one; `trellis demo` runs all three beside the server.

use anyhow::Context;
use chrono::{Duration, Utc};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;

/// The platforms `trellis simulate` can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SimulatedPlatform {
    X,
    Facebook,
    Discourse,
}

/// How often live traffic is added.
pub const TICK: StdDuration = StdDuration::from_secs(5);

/// The secret the X simulator signs webhook deliveries (and answers CRC challenges) with: the
/// X app's consumer secret as trellis must be configured.
pub const X_CONSUMER_SECRET: &str = "trellis-sim-consumer-secret";

/// How the simulator wants to be spoken to: what `trellis account add` and the platform app
/// settings (`[x]`, `[facebook]`) need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub platform: SimulatedPlatform,
    pub base_url: String,
    /// The X user token, the Facebook Page token or the Discourse API key.
    pub access_token: String,
    /// X only: the refresh token that goes with `access_token`.
    pub refresh_token: Option<String>,
    /// Facebook only: the Page the token is for.
    pub page_id: Option<String>,
    /// Discourse only: the user the API key acts as.
    pub username: Option<String>,
    /// The registered app: X's OAuth client, Facebook's app id.
    pub client_id: Option<String>,
    /// X's OAuth client secret, Facebook's app secret (which also signs its webhooks).
    pub client_secret: Option<String>,
}

impl Connection {
    /// The `trellis account add` command line that connects an account to this simulator.
    pub fn account_add_command(&self) -> String {
        let base = &self.base_url;
        let token = &self.access_token;
        match self.platform {
            SimulatedPlatform::X => format!(
                "trellis account add --provider x --base-url {base} --access-token {token} --refresh-token {}",
                self.refresh_token.as_deref().unwrap_or_default()
            ),
            SimulatedPlatform::Facebook => format!(
                "trellis account add --provider facebook --base-url {base} --page-id {} --access-token {token}",
                self.page_id.as_deref().unwrap_or_default()
            ),
            SimulatedPlatform::Discourse => format!(
                "TRELLIS_SYNC_ALLOW_PRIVATE_ADDRESSES=true trellis account add --provider discourse --base-url {base} --username {} --api-key {token}",
                self.username.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// The simulator of one platform, behind one face.
enum Running {
    X(x::Simulator),
    Facebook(facebook::Simulator),
    Discourse(discourse::Simulator),
}

/// A running simulator with its backlog; traffic keeps coming while [`Simulator::trickle`] runs.
pub struct Simulator {
    running: Arc<Running>,
    connection: Connection,
    trickle: Option<(CancellationToken, JoinHandle<()>)>,
}

impl Simulator {
    /// Starts the platform's simulator on `bind` (port 0 picks a free one) with `faults_percent`
    /// of its reads meeting a fault, and fills it with a realistic backlog generated from `seed`
    /// (the same seed gives the same backlog, so a restarted demo ingests nothing twice).
    pub async fn start(
        platform: SimulatedPlatform,
        bind: SocketAddr,
        seed: u64,
        faults_percent: f64,
    ) -> anyhow::Result<Self> {
        let probability = (faults_percent / 100.0).clamp(0.0, 1.0);
        let cannot_listen = || format!("cannot start the {} simulator on {bind}", name(platform));
        let (running, connection) = match platform {
            SimulatedPlatform::X => {
                let faults = x::FaultConfig { probability, ..Default::default() };
                let config = x::SimulatorConfig { seed, faults, ..Default::default() };
                let sim =
                    x::Simulator::start(bind, config.clone()).await.with_context(cannot_listen)?;
                let connection = Connection {
                    platform,
                    base_url: sim.base_url(),
                    access_token: config.access_token,
                    refresh_token: Some(config.refresh_token),
                    page_id: None,
                    username: None,
                    client_id: Some(config.client_id),
                    client_secret: Some(config.client_secret),
                };
                sim.generate(&x::TrafficSpec::default());
                (Running::X(sim), connection)
            }
            SimulatedPlatform::Facebook => {
                let faults = facebook::FaultConfig { probability, ..Default::default() };
                let config = facebook::SimulatorConfig { seed, faults, ..Default::default() };
                let sim = facebook::Simulator::start(bind, config.clone())
                    .await
                    .with_context(cannot_listen)?;
                let connection = Connection {
                    platform,
                    base_url: sim.base_url(),
                    access_token: config.access_token,
                    refresh_token: None,
                    page_id: Some(config.page_id),
                    username: None,
                    client_id: Some(config.client_id),
                    client_secret: Some(config.client_secret),
                };
                sim.generate(&facebook::TrafficSpec::default());
                (Running::Facebook(sim), connection)
            }
            SimulatedPlatform::Discourse => {
                let faults = discourse::FaultConfig { probability, ..Default::default() };
                let config = discourse::SimulatorConfig { seed, faults, ..Default::default() };
                let sim = discourse::Simulator::start(bind, config.clone())
                    .await
                    .with_context(cannot_listen)?;
                let connection = Connection {
                    platform,
                    base_url: sim.base_url(),
                    access_token: config.api_key,
                    refresh_token: None,
                    page_id: None,
                    username: Some(config.account_username),
                    client_id: None,
                    client_secret: None,
                };
                sim.generate(&discourse::TrafficSpec::default());
                (Running::Discourse(sim), connection)
            }
        };
        Ok(Self { running: Arc::new(running), connection, trickle: None })
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    /// The address the simulator listens on.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        let url = url::Url::parse(&self.connection.base_url)
            .with_context(|| format!("bad simulator url {}", self.connection.base_url))?;
        url.socket_addrs(|| None)?
            .into_iter()
            .next()
            .with_context(|| format!("simulator url {} has no address", self.connection.base_url))
    }

    /// Subscribes trellis's X webhook (`url`, answering CRC with [`X_CONSUMER_SECRET`]) so new
    /// mentions and DMs are pushed as they happen. Other platforms are polled only.
    pub async fn subscribe_x_webhook(&mut self, url: &str) -> anyhow::Result<()> {
        let Some(Running::X(sim)) = Arc::get_mut(&mut self.running) else {
            anyhow::bail!("only an idle x simulator can subscribe a webhook");
        };
        sim.subscribe_webhook(url, X_CONSUMER_SECRET)
            .await
            .map_err(|reason| anyhow::anyhow!("x webhook subscription to {url} failed: {reason}"))
    }

    /// Adds `rate_per_minute` new messages a minute on average, every [`TICK`], until
    /// [`Simulator::shutdown`].
    pub fn trickle(&mut self, rate_per_minute: f64) {
        let stop = CancellationToken::new();
        let running = self.running.clone();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            let mut rate = Trickle::new(rate_per_minute);
            let mut ticks = tokio::time::interval(TICK);
            ticks.tick().await;
            loop {
                tokio::select! {
                    () = token.cancelled() => break,
                    _ = ticks.tick() => running.add(rate.next()),
                }
            }
        });
        self.trickle = Some((stop, task));
    }

    /// Stops the trickle, then the server.
    pub async fn shutdown(mut self) {
        if let Some((stop, task)) = self.trickle.take() {
            stop.cancel();
            if let Err(error) = task.await {
                tracing::error!(error = %error, "simulator trickle task failed");
            }
        }
        match Arc::try_unwrap(self.running) {
            Ok(Running::X(sim)) => sim.shutdown().await,
            Ok(Running::Facebook(sim)) => sim.shutdown().await,
            Ok(Running::Discourse(sim)) => sim.shutdown().await,
            // Unreachable once the trickle task ended; dropping a simulator stops it too.
            Err(_) => tracing::warn!("simulator still shared at shutdown, dropping it"),
        }
    }
}

impl Running {
    /// `count` new messages written over the last tick, in a platform's usual mix.
    fn add(&self, count: usize) {
        if count == 0 {
            return;
        }
        let end = Utc::now();
        let start = Some(end - Duration::from_std(TICK).unwrap_or_default());
        let end = Some(end);
        match self {
            Self::X(sim) => {
                let spec = x::TrafficSpec {
                    mentions: count - count / 5,
                    dms: count / 5,
                    start,
                    end,
                    ..Default::default()
                };
                sim.generate(&spec);
            }
            Self::Facebook(sim) => {
                let spec = facebook::TrafficSpec {
                    posts: count / 6,
                    comments: count - count / 6 - count / 4,
                    messages: count / 4,
                    start,
                    end,
                    ..Default::default()
                };
                sim.generate(&spec);
            }
            Self::Discourse(sim) => {
                let spec = discourse::TrafficSpec {
                    topics: 1,
                    posts: count - count / 5,
                    private_posts: count / 5,
                    start,
                    end,
                    ..Default::default()
                };
                sim.generate(&spec);
            }
        }
    }
}

/// The platform's name as the CLI and logs spell it.
pub fn name(platform: SimulatedPlatform) -> &'static str {
    match platform {
        SimulatedPlatform::X => "x",
        SimulatedPlatform::Facebook => "facebook",
        SimulatedPlatform::Discourse => "discourse",
    }
}

/// Messages per tick at `rate` a minute, carrying fractions over so the rate holds on average.
struct Trickle {
    per_tick: f64,
    carried: f64,
}

impl Trickle {
    fn new(rate_per_minute: f64) -> Self {
        Self { per_tick: rate_per_minute.max(0.0) * TICK.as_secs_f64() / 60.0, carried: 0.0 }
    }

    fn next(&mut self) -> usize {
        self.carried += self.per_tick;
        let whole = self.carried.floor();
        self.carried -= whole;
        whole as usize
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_trickle_holds_its_rate_on_average() {
        let mut trickle = Trickle::new(30.0); // 2.5 a tick
        let total: usize = (0..12).map(|_| trickle.next()).sum();
        assert_eq!(total, 30);
        let mut idle = Trickle::new(0.0);
        assert_eq!(idle.next(), 0);
    }

    #[tokio::test]
    async fn each_simulator_starts_on_a_free_port_and_says_how_to_connect() {
        let local = "127.0.0.1:0".parse().unwrap();
        for platform in
            [SimulatedPlatform::X, SimulatedPlatform::Facebook, SimulatedPlatform::Discourse]
        {
            let sim = Simulator::start(platform, local, 7, 0.0).await.unwrap();
            let connection = sim.connection().clone();
            assert_ne!(sim.local_addr().unwrap().port(), 0);
            let command = connection.account_add_command();
            assert!(command.contains(&format!("--provider {}", name(platform))), "{command}");
            assert!(command.contains(&connection.base_url), "{command}");
            assert!(command.contains(&connection.access_token), "{command}");
            sim.shutdown().await;
        }
    }
}
