//! `trellis demo`: the whole product in one command. Starts the X, Facebook and Discourse
//! simulators in-process with a backlog and a live trickle, points the platform app settings at
//! them, makes sure the demo brand, accounts, team and rules exist ([`seed`]), then runs exactly
//! what `trellis serve` runs (the API, the indexer, the sync runtime, the triage service) and
//! prints a short guide. Ctrl-C (or SIGTERM) stops the server, then the simulators.
//!
//! The data dir (default `./data/demo`) keeps the simulators' ports in `demo.json`, so the
//! accounts connected to them keep working when the demo starts again on the same dir, and the
//! demo's sign-ins in `demo-credentials.json` ([`people`]).

mod people;
mod seed;

use crate::cli::{DemoArgs, SimulatedPlatform};
use crate::config::Config;
use crate::simulators::{self, Connection, Simulator, X_CONSUMER_SECRET};
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use trellis_core::Account;
use trellis_sync::secrets::Secret;

/// Marks a data dir as the demo's and remembers the simulators' ports.
const STATE_FILE: &str = "demo.json";
/// The demo polls each stream at most this often, so live traffic shows up within seconds.
const DEMO_POLL_INTERVAL_SECS: i64 = 10;
/// Polls per account for the backlog before serving; the scheduler fetches whatever is left.
const CATCH_UP_ROUNDS: u32 = 20;
const PLATFORMS: [SimulatedPlatform; 3] =
    [SimulatedPlatform::X, SimulatedPlatform::Facebook, SimulatedPlatform::Discourse];
/// Secrets the demo's Facebook webhook handshake and Discourse webhooks are configured with.
const FACEBOOK_VERIFY_TOKEN: &str = "trellis-demo-verify-token";
const DISCOURSE_WEBHOOK_SECRET: &str = "trellis-demo-webhook-secret";

/// The ports the simulators listened on, kept between runs.
#[derive(Debug, Default, Serialize, Deserialize)]
struct DemoState {
    x_port: u16,
    facebook_port: u16,
    discourse_port: u16,
}

impl DemoState {
    fn port(&self, platform: SimulatedPlatform) -> u16 {
        match platform {
            SimulatedPlatform::X => self.x_port,
            SimulatedPlatform::Facebook => self.facebook_port,
            SimulatedPlatform::Discourse => self.discourse_port,
        }
    }
}

pub async fn run(mut config: Config, args: &DemoArgs) -> anyhow::Result<()> {
    let dir = config.data_dir.clone();
    if args.fresh {
        wipe(&dir)?;
    }
    std::fs::create_dir_all(&dir)
        .with_context(|| format!("cannot create the demo data dir {}", dir.display()))?;
    let state = read_state(&dir)?;

    let mut sims = Vec::new();
    for platform in PLATFORMS {
        let bind = SocketAddr::from(([127, 0, 0, 1], state.port(platform)));
        match Simulator::start(platform, bind, args.seed, 0.0).await {
            Ok(sim) => sims.push(sim),
            Err(error) if bind.port() != 0 => {
                return Err(error.context(format!(
                    "the demo in {} uses port {} for its {} simulator; free it or start over with --fresh",
                    dir.display(),
                    bind.port(),
                    simulators::name(platform)
                )))
            }
            Err(error) => return Err(error),
        }
    }
    write_state(&dir, &sims)?;
    let connections: Vec<Connection> = sims.iter().map(|sim| sim.connection().clone()).collect();
    point_apps_at(&mut config, &connections);

    let store = crate::startup::open_store(&config).await?;
    let accounts = seed::seed(&config, &store, &connections).await?;
    let credentials = people::credentials(&store, &dir).await?;
    catch_up(&config, store).await?;

    let shutdown = CancellationToken::new();
    let signals = tokio::spawn(crate::serve::cancel_on_signal(shutdown.clone()));
    let (listening, bound) = tokio::sync::oneshot::channel();
    let server =
        tokio::spawn(crate::serve::serve_until(Arc::new(config), shutdown.clone(), move |addr| {
            let _ = listening.send(addr);
        }));
    let outcome = match bound.await {
        Ok(addr) => {
            live(&mut sims, addr, args.rate).await;
            guide(addr, &dir, &accounts, &credentials)?;
            server.await.context("the server task failed")?
        }
        // The server stopped before listening: its own error says why.
        Err(_) => server.await.context("the server task failed")?,
    };
    signals.abort();
    for sim in sims {
        sim.shutdown().await;
    }
    tracing::info!("demo stopped");
    outcome
}

/// Brings the simulators' backlog in before serving, so search has all three platforms from the
/// first request; the scheduler takes over from there.
async fn catch_up(config: &Config, store: Arc<dyn trellis_core::Store>) -> anyhow::Result<()> {
    let ctx = trellis_sync::SyncContext::from_settings(&config.connection_settings(), store)?;
    let owner = format!("demo-{}", std::process::id());
    let results = trellis_sync::once::sync_once(&ctx, &owner, CATCH_UP_ROUNDS)
        .await
        .context("cannot bring in the simulators' backlog")?;
    for result in &results {
        let (line, clean) = super::sync::summary(result);
        if clean {
            tracing::info!(account_id = %result.account.id, summary = %line, "demo backlog synced");
        } else {
            tracing::warn!(account_id = %result.account.id, summary = %line, "demo backlog sync failed");
        }
    }
    Ok(())
}

/// Once the server listens: X pushes new mentions and DMs to its webhook, and every simulator
/// gets its live trickle.
async fn live(sims: &mut [Simulator], addr: SocketAddr, rate: f64) {
    for sim in sims.iter_mut() {
        if sim.connection().platform == SimulatedPlatform::X {
            let url = format!("http://{addr}/webhooks/x");
            if let Err(error) = sim.subscribe_x_webhook(&url).await {
                tracing::warn!(error = %error, "x webhooks are off; polling still brings x in");
            }
        }
        sim.trickle(rate);
    }
}

/// The platform app settings the simulators expect, so connect flows, token refresh and webhook
/// signatures work against them; a short poll interval; and private addresses allowed, since
/// the simulators listen on 127.0.0.1 (a forum connected by hand is one of them).
fn point_apps_at(config: &mut Config, connections: &[Connection]) {
    for connection in connections {
        let secret = connection.client_secret.clone().map(Secret::new);
        match connection.platform {
            SimulatedPlatform::X => {
                config.x.base_url = connection.base_url.clone();
                config.x.client_id = connection.client_id.clone();
                config.x.client_secret = secret;
                config.x.consumer_secret = Some(Secret::new(X_CONSUMER_SECRET));
            }
            SimulatedPlatform::Facebook => {
                config.facebook.base_url = connection.base_url.clone();
                config.facebook.app_id = connection.client_id.clone();
                config.facebook.app_secret = secret;
                config.facebook.verify_token = Some(Secret::new(FACEBOOK_VERIFY_TOKEN));
            }
            SimulatedPlatform::Discourse => {
                config.discourse.webhook_secret = Some(Secret::new(DISCOURSE_WEBHOOK_SECRET));
            }
        }
    }
    let demo_interval = chrono::Duration::seconds(DEMO_POLL_INTERVAL_SECS);
    config.sync.min_interval = config.sync.min_interval.min(demo_interval);
    config.sync.allow_private_addresses = true;
}

/// Empties `dir` for `--fresh`, but only when it is a demo dir (or empty): a real data dir
/// given by mistake is refused, not destroyed.
fn wipe(dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries.count(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error).with_context(|| format!("cannot read {}", dir.display())),
    };
    if entries > 0 && !dir.join(STATE_FILE).is_file() {
        bail!(
            "refusing to wipe {}: it has no {STATE_FILE}, so it is not a trellis demo data dir",
            dir.display()
        );
    }
    std::fs::remove_dir_all(dir).with_context(|| format!("cannot wipe {}", dir.display()))?;
    tracing::info!(data_dir = %dir.display(), "wiped the demo data dir");
    Ok(())
}

fn read_state(dir: &Path) -> anyhow::Result<DemoState> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is damaged; start over with --fresh", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(DemoState::default()),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn write_state(dir: &Path, sims: &[Simulator]) -> anyhow::Result<()> {
    let mut state = DemoState::default();
    for sim in sims {
        let port = sim.local_addr()?.port();
        match sim.connection().platform {
            SimulatedPlatform::X => state.x_port = port,
            SimulatedPlatform::Facebook => state.facebook_port = port,
            SimulatedPlatform::Discourse => state.discourse_port = port,
        }
    }
    let path = dir.join(STATE_FILE);
    let text = serde_json::to_vec_pretty(&state)?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// What to look at and try. The first line is machine-readable: `trellis demo is serving on URL`.
fn guide(
    addr: SocketAddr,
    dir: &Path,
    accounts: &[Account],
    credentials: &people::Credentials,
) -> anyhow::Result<()> {
    let url = format!("http://{addr}");
    let dir = dir.display();
    let mut out = std::io::stdout().lock();
    writeln!(out, "trellis demo is serving on {url}")?;
    writeln!(out, "\nbrand \"{}\", data in {dir}, accounts:", seed::BRAND)?;
    for account in accounts {
        writeln!(out, "  {:>3}  {:<9} {}", account.id, account.channel, account.display_name)?;
    }
    writeln!(
        out,
        "team \"{}\": Sam (supervisor), Ava and Ben online, Cleo away, Dan offline; balanced \
         assignment, 5 conversations each",
        seed::TEAM
    )?;
    writeln!(
        out,
        "rules: refund messages are tagged billing and routed to {}; verified or >10k-follower \
         authors get high priority; spam is resolved unseen",
        seed::TEAM
    )?;
    writeln!(out, "\nsign in (POST {url}/api/v1/auth/login) as:")?;
    for person in &credentials.people {
        writeln!(
            out,
            "  {:<11} {:<28} password {}",
            person.role.as_str(),
            person.email,
            person.password
        )?;
    }
    let token = &credentials.token;
    writeln!(out, "\ntry the API with the admin's token:")?;
    writeln!(out, "  export TRELLIS_TOKEN={token}")?;
    let curl = "curl -H \"Authorization: Bearer $TRELLIS_TOKEN\"";
    writeln!(out, "  {curl} '{url}/api/v1/search?q=refund'")?;
    writeln!(out, "  {curl} '{url}/api/v1/search?q=channel:discourse&sort=newest'")?;
    writeln!(out, "  {curl} '{url}/api/v1/accounts'")?;
    writeln!(out, "  {curl} '{url}/api/v1/conversations?tag=billing'")?;
    writeln!(out, "  {curl} '{url}/api/v1/conversations/1'    # messages, timeline and SLA")?;
    writeln!(out, "and the CLI, in another terminal (or `cargo run --release -- …`):")?;
    writeln!(out, "  trellis --data-dir {dir} search 'refund'")?;
    writeln!(out, "  trellis --data-dir {dir} account list")?;
    writeln!(out, "\npress Ctrl-C to stop")?;
    out.flush().context("cannot write to stdout")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn fresh_refuses_to_wipe_a_dir_that_is_not_a_demo_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("trellis.sqlite"), b"precious").unwrap();
        let error = wipe(dir.path()).unwrap_err().to_string();
        assert!(error.contains("not a trellis demo data dir"), "{error}");
        assert!(dir.path().join("trellis.sqlite").is_file());

        std::fs::write(dir.path().join(STATE_FILE), b"{}").unwrap();
        wipe(dir.path()).unwrap();
        assert!(!dir.path().exists());
    }

    #[test]
    fn a_damaged_state_file_says_how_to_start_over() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_state(dir.path()).unwrap().x_port, 0);
        std::fs::write(dir.path().join(STATE_FILE), b"not json").unwrap();
        let error = format!("{:#}", read_state(dir.path()).unwrap_err());
        assert!(error.contains("--fresh"), "{error}");
    }
}
