//! One poll of one account against each platform's simulator over real HTTP, on a real SQLite
//! file: messages stored once, health recorded, next polls paced by the rate-limit headers and
//! backed off on 5xx, a refused token pausing only its own account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use support::sync_env::{sqlite_env, Env, TEST_PACING};
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;
use trellis_core::{Account, AccountStatus, Channel};
use trellis_sync::poll::{poll_account, AccountPoll, PollScope};

fn local() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// Polls until no stream says more is waiting; returns the messages inserted.
async fn poll_to_the_end(env: &Env, account: &Account) -> u64 {
    let mut inserted = 0;
    for _ in 0..50 {
        let polled = poll_account(&env.ctx, account, &PollScope::default()).await.unwrap();
        assert!(matches!(polled, AccountPoll::Polled { .. }), "{polled:?}");
        inserted += polled.ingested().inserted;
        if !polled.more() {
            return inserted;
        }
    }
    panic!("still more waiting after 50 polls");
}

async fn assert_stored_once_and_healthy(env: &Env, account: &Account) {
    let inserted = poll_to_the_end(env, account).await;
    assert!(inserted > 10, "only {inserted} messages came in");
    assert_eq!(env.message_count().await, inserted);
    let again = poll_account(&env.ctx, account, &PollScope::default()).await.unwrap();
    assert_eq!(again.ingested().inserted, 0, "a second poll stored copies: {again:?}");
    assert_eq!(env.message_count().await, inserted);

    let health = env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::Active);
    assert_eq!(health.consecutive_failures, 0);
    assert!(health.last_success_at.is_some() && health.last_error.is_none(), "{health:?}");
    assert!(health.next_poll_at.unwrap() > Utc::now(), "{health:?}");
}

#[tokio::test]
async fn an_x_poll_cycle_stores_mentions_and_dms_once_and_records_health() {
    let env = sqlite_env().await;
    let sim = x::Simulator::start(local(), x::SimulatorConfig::default()).await.unwrap();
    sim.generate(&x::TrafficSpec { mentions: 60, dms: 15, ..Default::default() });
    let account =
        env.connect(Channel::X, sim.account_id(), &sim.base_url(), "sim-access-token").await;
    assert_stored_once_and_healthy(&env, &account).await;
    let health = env.store.account_health(account.id).await.unwrap();
    assert!(health.rate_limit_limit.is_some(), "x states its budget: {health:?}");
}

#[tokio::test]
async fn a_facebook_poll_cycle_stores_posts_comments_and_messenger_once() {
    let env = sqlite_env().await;
    let sim =
        facebook::Simulator::start(local(), facebook::SimulatorConfig::default()).await.unwrap();
    sim.generate(&facebook::TrafficSpec {
        posts: 8,
        comments: 30,
        messages: 12,
        ..Default::default()
    });
    let account =
        env.connect(Channel::Facebook, sim.page_id(), &sim.base_url(), "sim-page-token").await;
    assert_stored_once_and_healthy(&env, &account).await;
}

#[tokio::test]
async fn a_discourse_poll_cycle_stores_posts_and_private_messages_once() {
    let env = sqlite_env().await;
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics: 5,
        posts: 40,
        private_posts: 10,
        ..Default::default()
    });
    let account =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    assert_stored_once_and_healthy(&env, &account).await;
}

#[tokio::test]
async fn the_next_poll_spreads_a_thin_rate_limit_budget_over_its_window() {
    let env = sqlite_env().await;
    // 12 requests a 15-minute window on each stream: far below the pacing's 30 s floor.
    let limits = x::Limits { mentions: 12, dm_events: 12, ..Default::default() };
    let sim = x::Simulator::start(local(), x::SimulatorConfig { limits, ..Default::default() })
        .await
        .unwrap();
    sim.generate(&x::TrafficSpec { mentions: 5, dms: 2, ..Default::default() });
    let account =
        env.connect(Channel::X, sim.account_id(), &sim.base_url(), "sim-access-token").await;

    let before = Utc::now();
    let polled = poll_account(&env.ctx, &account, &PollScope::default()).await.unwrap();
    let AccountPoll::Polled { streams, next_poll_at } = polled else { panic!("{polled:?}") };
    for stream in &streams {
        let limit = stream.rate_limit.expect("x states its budget");
        let (remaining, reset) = (limit.remaining.unwrap(), limit.reset_at.unwrap());
        assert!(remaining < 12, "{limit:?}");
        // The remaining budget (one kept in reserve) spread evenly over what is left of the window.
        let spacing = (reset - before) / i32::try_from(remaining - 1).unwrap();
        let expected = before + spacing;
        let slack = chrono::Duration::seconds(2);
        assert!(
            stream.next_poll_at >= expected - slack && stream.next_poll_at <= expected + slack,
            "{}: next poll {} but the budget says {expected}",
            stream.stream,
            stream.next_poll_at
        );
        assert!(stream.next_poll_at > before + TEST_PACING.min_interval);
    }
    let health = env.store.account_health(account.id).await.unwrap();
    let recorded = health.next_poll_at.unwrap();
    assert!((recorded - next_poll_at).num_milliseconds().abs() < 1, "{recorded} vs {next_poll_at}");
    assert_eq!(health.rate_limit_limit, Some(12));
}

#[tokio::test]
async fn server_errors_back_off_exponentially_and_a_success_resets_the_count() {
    let env = sqlite_env().await;
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics: 2,
        posts: 6,
        private_posts: 0,
        ..Default::default()
    });
    let account =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    sim.set_faults(discourse::FaultConfig {
        probability: 1.0,
        kinds: vec![discourse::FaultKind::ServerError],
        ..Default::default()
    });

    for (attempt, backoff_s) in [(1, 2), (2, 4), (3, 8)] {
        let before = Utc::now();
        let polled = poll_account(&env.ctx, &account, &PollScope::default()).await.unwrap();
        let AccountPoll::Polled { next_poll_at, .. } = polled else { panic!("{polled:?}") };
        let health = env.store.account_health(account.id).await.unwrap();
        assert_eq!(health.consecutive_failures, attempt, "{health:?}");
        assert!(health.last_error.as_deref().unwrap().contains("transient"), "{health:?}");
        let waited = (next_poll_at - before).num_milliseconds();
        assert!(
            (backoff_s * 1000..backoff_s * 1000 + 2000).contains(&waited),
            "attempt {attempt}: waited {waited} ms"
        );
    }

    sim.set_faults(discourse::FaultConfig::default());
    poll_to_the_end(&env, &account).await;
    let health = env.store.account_health(account.id).await.unwrap();
    assert_eq!(health.consecutive_failures, 0);
    assert!(env.message_count().await > 0);
}

#[tokio::test]
async fn a_refused_token_pauses_only_its_own_account() {
    let env = sqlite_env().await;
    let sim =
        discourse::Simulator::start(local(), discourse::SimulatorConfig::default()).await.unwrap();
    sim.generate(&discourse::TrafficSpec {
        topics: 2,
        posts: 8,
        private_posts: 2,
        ..Default::default()
    });
    let revoked_key = sim.issue_api_key();
    let healthy =
        env.connect(Channel::Discourse, sim.username(), &sim.base_url(), "sim-api-key").await;
    // The same forum connected a second time, as another user, with a key that is then revoked.
    sim.add_user("moderator_two", "Moderator Two", 4);
    let doomed =
        env.connect(Channel::Discourse, "moderator_two", &sim.base_url(), &revoked_key).await;
    sim.revoke_api_key(&revoked_key);

    let polled = poll_account(&env.ctx, &doomed, &PollScope::default()).await.unwrap();
    assert!(matches!(polled, AccountPoll::NeedsReauth { .. }), "{polled:?}");
    let health = env.store.account_health(doomed.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::NeedsReauth);
    assert!(health.status_reason.is_some(), "{health:?}");
    // Not polled again until an admin reconnects it.
    sim.clear_requests();
    let again = poll_account(&env.ctx, &doomed, &PollScope::default()).await.unwrap();
    assert_eq!(again, AccountPoll::Inactive { status: AccountStatus::NeedsReauth });
    assert!(sim.requests().is_empty(), "a needs-reauth account was polled");

    assert!(poll_to_the_end(&env, &healthy).await > 0);
    let health = env.store.account_health(healthy.id).await.unwrap();
    assert_eq!(health.status, AccountStatus::Active);
}
