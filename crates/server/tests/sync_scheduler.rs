//! The polling scheduler as a background task: leased accounts polled and new ones picked up,
//! two nodes on one PostgreSQL never polling the same account, and an X webhook doorbell making
//! it poll at once. Every wait awaits the scheduler's own events, never a sleep.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::collections::{HashMap, HashSet};
use std::time::Duration as StdDuration;
use support::sync_env::*;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_x::simulator as x;
use trellis_core::{AccountId, Channel};
use trellis_sync::outbox::OutboxHandle;
use trellis_sync::poll::AccountPoll;
use trellis_sync::{scheduler, SchedulerSettings, SyncContext, SyncEvent};

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn quick(node: &str) -> SchedulerSettings {
    SchedulerSettings {
        refresh_every: StdDuration::from_millis(200),
        lease_ttl: chrono::Duration::seconds(30),
        initial_spread: chrono::Duration::zero(),
        ..SchedulerSettings::new(node.to_owned())
    }
}

/// The next poll event matching `wanted`, within 30 s.
async fn next_poll(
    events: &mut broadcast::Receiver<SyncEvent>,
    wanted: impl Fn(AccountId, &str, &AccountPoll) -> bool,
) -> (AccountId, String, AccountPoll) {
    let found = tokio::time::timeout(StdDuration::from_secs(30), async {
        loop {
            if let SyncEvent::Polled { account_id, node_id, outcome } = events.recv().await.unwrap()
            {
                if wanted(account_id, &node_id, &outcome) {
                    return (account_id, node_id, outcome);
                }
            }
        }
    });
    found.await.expect("no such poll within 30 s")
}

#[tokio::test]
async fn the_scheduler_polls_its_accounts_picks_up_new_ones_and_releases_them_at_shutdown() {
    let env = sqlite_env().await;
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics: 2,
        posts: 10,
        private_posts: 2,
        ..Default::default()
    });
    let first =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    let shutdown = CancellationToken::new();
    let (handle, task) = scheduler::spawn(env.ctx.clone(), quick("node-a"), shutdown.clone());
    let mut events = handle.subscribe().unwrap();

    let (_, _, outcome) = next_poll(&mut events, |id, _, _| id == first.id).await;
    assert!(outcome.ingested().inserted > 0, "{outcome:?}");

    sim.add_user("moderator_two", "Moderator Two", 4);
    let key = sim.issue_api_key();
    let second = env.connect(Channel::Discourse, "moderator_two", &sim.base_url(), &key).await;
    next_poll(&mut events, |id, _, _| id == second.id).await;
    let health = env.store.account_health(second.id).await.unwrap();
    assert_eq!(health.lease_owner.as_deref(), Some("node-a"));

    shutdown.cancel();
    task.await.unwrap();
    for account in [first.id, second.id] {
        let health = env.store.account_health(account).await.unwrap();
        assert_eq!(health.lease_owner, None, "lease kept after shutdown: {health:?}");
    }
}

#[tokio::test]
async fn two_schedulers_on_one_postgres_never_poll_the_same_account() {
    let Some(env) = postgres_env().await else {
        eprintln!("postgresql unreachable: skipped");
        return;
    };
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics: 2,
        posts: 6,
        private_posts: 0,
        ..Default::default()
    });
    let mut accounts = Vec::new();
    for n in 0..4 {
        let user = format!("agent_{n}");
        sim.add_user(&user, &user, 2);
        let key = sim.issue_api_key();
        accounts.push(env.connect(Channel::Discourse, &user, &sim.base_url(), &key).await.id);
    }
    // Each node on its own connection pool, as two processes would be; polls every second.
    let url = env.database.as_ref().unwrap().url.clone();
    let pacing =
        trellis_sync::plan::Pacing { min_interval: chrono::Duration::seconds(1), ..TEST_PACING };
    let node = || {
        let url = url.clone();
        let ctx = env.ctx.clone();
        async move {
            let store = trellis_store::connect(&url).await.unwrap();
            SyncContext { store, pacing, ..ctx }
        }
    };
    let shutdown = CancellationToken::new();
    let (a, a_task) = scheduler::spawn(node().await, quick("node-a"), shutdown.clone());
    let (b, b_task) = scheduler::spawn(node().await, quick("node-b"), shutdown.clone());
    let (mut a_events, mut b_events) = (a.subscribe().unwrap(), b.subscribe().unwrap());

    // Until every account has been polled three times, by whichever node.
    let mut pollers: HashMap<AccountId, HashSet<String>> = HashMap::new();
    let mut polls: HashMap<AccountId, u32> = HashMap::new();
    while accounts.iter().any(|id| polls.get(id).copied().unwrap_or(0) < 3) {
        let event = tokio::time::timeout(StdDuration::from_secs(30), async {
            tokio::select! {
                event = a_events.recv() => event.unwrap(),
                event = b_events.recv() => event.unwrap(),
            }
        })
        .await
        .expect("the schedulers stopped polling");
        if let SyncEvent::Polled { account_id, node_id, .. } = event {
            pollers.entry(account_id).or_default().insert(node_id);
            *polls.entry(account_id).or_default() += 1;
        }
    }
    for (account, nodes) in &pollers {
        assert_eq!(nodes.len(), 1, "account {account} was polled by {nodes:?}");
    }
    shutdown.cancel();
    a_task.await.unwrap();
    b_task.await.unwrap();
}

#[tokio::test]
async fn an_x_webhook_doorbell_makes_the_scheduler_poll_at_once() {
    let env = sqlite_env().await;
    let mut sim = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    sim.generate(&x::TrafficSpec { mentions: 5, dms: 0, ..Default::default() });
    let account =
        env.connect(Channel::X, sim.account_id(), &sim.base_url(), "sim-access-token").await;
    // Polls an hour apart: only the doorbell can bring the next one sooner.
    let ctx = SyncContext {
        pacing: trellis_sync::plan::Pacing {
            min_interval: chrono::Duration::hours(1),
            ..TEST_PACING
        },
        ..env.ctx.clone()
    };
    let shutdown = CancellationToken::new();
    let (handle, task) = scheduler::spawn(ctx, quick("node-a"), shutdown.clone());
    let mut events = handle.subscribe().unwrap();
    next_poll(&mut events, |id, _, _| id == account.id).await;

    let app = env.app(handle.clone(), OutboxHandle::default()).await;
    let listener = tokio::net::TcpListener::bind(local()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    sim.subscribe_webhook(&format!("http://{addr}/webhooks/x"), X_CONSUMER_SECRET).await.unwrap();

    let before = env.message_count().await;
    sim.generate(&x::TrafficSpec { mentions: 3, dms: 0, ..Default::default() });
    let (_, _, outcome) = next_poll(&mut events, |id, _, outcome| {
        id == account.id && outcome.ingested().inserted > 0
    })
    .await;
    assert!(env.message_count().await > before, "{outcome:?}");

    shutdown.cancel();
    task.await.unwrap();
    server.abort();
}
