//! Accounts at work: finding them, sealed credentials, status, poll health, leases, ingest errors.
//! Creating an account with its credentials and deleting one are in `connection/lifecycle.rs`;
//! connect flows under way in `connection/flows.rs`.

mod flows;
mod lifecycle;

use crate::harness::{account, at, Harness};
use chrono::Duration;
use trellis_core::{
    AccountId, AccountStatus, ChangeKind, Channel, IngestSource, NewIngestError, PollReport,
    RateLimit, SealedSecret, Seq, Store, StoreError,
};

crate::conformance!(
    an_account_is_found_by_its_platform_id_on_its_channel,
    sealed_credentials_are_kept_verbatim_and_replaced,
    a_status_keeps_its_reason_and_only_a_change_is_announced,
    polls_count_failures_until_a_success_and_keep_the_stated_budget,
    only_visible_health_changes_reach_the_change_feed,
    a_lease_is_held_by_one_owner_until_it_expires_or_is_released,
    nodes_racing_for_a_lease_get_it_exactly_once,
    ingest_errors_are_kept_newest_first_truncated_and_counted,
    a_missing_account_is_not_found_by_any_connection_call,
);

/// The (kind, entity) of every change written after `after`.
async fn changes_after(store: &dyn Store, after: Seq) -> Vec<(ChangeKind, i64)> {
    let changes = store.changes_since(after, 1_000).await.unwrap();
    changes.iter().map(|c| (c.kind, c.entity_id)).collect()
}

fn poll(seconds: i64, error: Option<&str>) -> PollReport {
    PollReport {
        at: at(seconds),
        error: error.map(str::to_owned),
        rate_limit: None,
        next_poll_at: at(seconds + 60),
    }
}

async fn an_account_is_found_by_its_platform_id_on_its_channel(h: &Harness) {
    let store = &*h.store;
    let acme = account(store, Channel::X, "acme").await;
    account(store, Channel::Discourse, "forum").await;
    assert_eq!(store.find_account(Channel::X, "acme").await.unwrap(), Some(acme));
    assert_eq!(store.find_account(Channel::Facebook, "acme").await.unwrap(), None);
    assert_eq!(store.find_account(Channel::X, "forum").await.unwrap(), None);
}

async fn sealed_credentials_are_kept_verbatim_and_replaced(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Facebook, "page").await;
    assert_eq!(store.credentials(acct.id).await.unwrap(), None);
    assert!(!store.account_health(acct.id).await.unwrap().has_credentials);

    // Padding, a newline and non-ASCII: anything a sealing scheme might produce comes back as is.
    let sealed = " v1:bm9uY2U=:Y2lwaGVy+/==\n\u{e9}\t".to_owned();
    store.set_credentials(acct.id, SealedSecret(sealed.clone()), Some(at(3_600))).await.unwrap();
    let stored = store.credentials(acct.id).await.unwrap().unwrap();
    assert_eq!(stored.sealed, SealedSecret(sealed));
    assert_eq!(stored.expires_at, Some(at(3_600)));
    let health = store.account_health(acct.id).await.unwrap();
    assert!(health.has_credentials);
    assert_eq!(health.credentials_expire_at, Some(at(3_600)));

    store.set_credentials(acct.id, SealedSecret("v1:rotated".into()), None).await.unwrap();
    let rotated = store.credentials(acct.id).await.unwrap().unwrap();
    assert_eq!(rotated.sealed, SealedSecret("v1:rotated".into()));
    assert_eq!(rotated.expires_at, None);
    assert!(rotated.updated_at >= stored.updated_at);

    let err = store.set_credentials(acct.id, SealedSecret(" ".into()), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let kept = store.credentials(acct.id).await.unwrap().unwrap();
    assert_eq!(kept.sealed, SealedSecret("v1:rotated".into()), "a refused write loses nothing");
}

async fn a_status_keeps_its_reason_and_only_a_change_is_announced(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!((health.status, health.status_reason), (AccountStatus::Active, None));
    let seq = store.latest_seq().await.unwrap();

    let reason = Some("invalid_grant: token revoked".to_owned());
    store.set_account_status(acct.id, AccountStatus::NeedsReauth, reason.clone()).await.unwrap();
    store.set_account_status(acct.id, AccountStatus::NeedsReauth, reason.clone()).await.unwrap();
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!((health.status, health.status_reason), (AccountStatus::NeedsReauth, reason));

    store.set_account_status(acct.id, AccountStatus::Active, Some("  ".into())).await.unwrap();
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!((health.status, health.status_reason), (AccountStatus::Active, None));

    let written = changes_after(store, seq).await;
    assert_eq!(
        written,
        [(ChangeKind::AccountUpdated, acct.id.0); 2],
        "setting it again is no change"
    );
    store.set_credentials(acct.id, SealedSecret("v1:x".into()), None).await.unwrap();
    assert_eq!(changes_after(store, seq).await.len(), 3, "new credentials are announced");
}

async fn polls_count_failures_until_a_success_and_keep_the_stated_budget(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let budget = RateLimit {
        limit: Some(900),
        remaining: Some(12),
        reset_at: Some(at(900)),
        retry_after: None,
    };
    let failed = PollReport { rate_limit: Some(budget), ..poll(0, Some("http 503 from /2/users")) };
    store.record_poll(acct.id, failed).await.unwrap();
    store.record_poll(acct.id, poll(60, Some("timed out after 30 s"))).await.unwrap();
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!(health.consecutive_failures, 2);
    assert_eq!(health.last_error.as_deref(), Some("timed out after 30 s"));
    assert_eq!(health.last_error_at, Some(at(60)));
    assert_eq!(health.last_poll_at, Some(at(60)));
    assert_eq!(health.last_success_at, None);
    assert_eq!(health.next_poll_at, Some(at(120)));
    assert_eq!(
        (health.rate_limit_limit, health.rate_limit_remaining, health.rate_limit_reset_at),
        (Some(900), Some(12), Some(at(900))),
        "a poll that states no budget keeps the last one stated"
    );

    store.record_poll(acct.id, poll(120, None)).await.unwrap();
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!(health.consecutive_failures, 0);
    assert_eq!(health.last_success_at, Some(at(120)));
    assert_eq!(health.last_error.as_deref(), Some("timed out after 30 s"), "kept as history");
    assert_eq!(store.list_account_health().await.unwrap(), vec![health]);

    let err = store.record_poll(acct.id, poll(180, Some(""))).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

async fn only_visible_health_changes_reach_the_change_feed(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let seq = store.latest_seq().await.unwrap();
    for second in 0..5 {
        store.record_poll(acct.id, poll(second, None)).await.unwrap();
    }
    assert_eq!(changes_after(store, seq).await, [], "healthy polls are not news");
    store.record_poll(acct.id, poll(10, Some("http 500"))).await.unwrap();
    store.record_poll(acct.id, poll(20, Some("http 500"))).await.unwrap();
    store.record_poll(acct.id, poll(30, Some("connection refused"))).await.unwrap();
    store.record_poll(acct.id, poll(40, None)).await.unwrap();
    store.record_poll(acct.id, poll(50, None)).await.unwrap();
    let updated = (ChangeKind::AccountUpdated, acct.id.0);
    assert_eq!(
        changes_after(store, seq).await,
        [updated; 3],
        "failing, failing differently, recovering"
    );
}

async fn a_lease_is_held_by_one_owner_until_it_expires_or_is_released(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let ttl = Duration::seconds(30);
    assert!(store.acquire_lease(acct.id, "node-a", at(0), ttl).await.unwrap());
    assert!(!store.acquire_lease(acct.id, "node-b", at(10), ttl).await.unwrap());
    assert!(store.acquire_lease(acct.id, "node-a", at(20), ttl).await.unwrap(), "renewal");
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!(health.lease_owner.as_deref(), Some("node-a"));
    assert_eq!(health.lease_expires_at, Some(at(50)));
    assert!(!store.acquire_lease(acct.id, "node-b", at(45), ttl).await.unwrap(), "renewed");

    assert!(store.acquire_lease(acct.id, "node-b", at(51), ttl).await.unwrap(), "expired");
    assert!(!store.acquire_lease(acct.id, "node-a", at(52), ttl).await.unwrap());

    store.release_lease(acct.id, "node-a").await.unwrap();
    assert!(!store.acquire_lease(acct.id, "node-a", at(53), ttl).await.unwrap(), "not a's");
    store.release_lease(acct.id, "node-b").await.unwrap();
    let health = store.account_health(acct.id).await.unwrap();
    assert_eq!((health.lease_owner, health.lease_expires_at), (None, None));
    assert!(store.acquire_lease(acct.id, "node-a", at(54), ttl).await.unwrap(), "released");

    let err = store.acquire_lease(acct.id, "node-a", at(55), Duration::zero()).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

async fn nodes_racing_for_a_lease_get_it_exactly_once(h: &Harness) {
    let acct = account(&*h.store, Channel::X, "acme").await;
    let racers: Vec<_> = (0..8)
        .map(|node| {
            let store = h.store.clone();
            tokio::spawn(async move {
                let owner = format!("node-{node}");
                store.acquire_lease(acct.id, &owner, at(0), Duration::seconds(30)).await.unwrap()
            })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        won += usize::from(racer.await.unwrap());
    }
    assert_eq!(won, 1);
}

async fn ingest_errors_are_kept_newest_first_truncated_and_counted(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Discourse, "forum").await;
    let other = account(store, Channel::X, "acme").await;
    let error = |account: AccountId, seconds: i64, payload: String| NewIngestError {
        account_id: account,
        source: IngestSource::Webhook,
        stream: Some("posts".into()),
        platform_id: Some(format!("p{seconds}")),
        reason: "missing field `raw`".into(),
        payload_excerpt: payload,
        at: at(seconds),
    };
    // 4 KiB lands in the middle of a two-byte 'é': the excerpt stops before it.
    let long = format!("{{{}", "é".repeat(3_000));
    let first = store.record_ingest_error(error(acct.id, 0, long.clone())).await.unwrap();
    assert_eq!(first.error.payload_excerpt.len(), 4_095);
    assert!(long.starts_with(&first.error.payload_excerpt));
    let seq = store.latest_seq().await.unwrap();
    let second = store.record_ingest_error(error(acct.id, 10, "{}".into())).await.unwrap();
    store.record_ingest_error(error(other.id, 5, "[]".into())).await.unwrap();
    assert_eq!(
        changes_after(store, seq).await,
        [(ChangeKind::AccountUpdated, acct.id.0), (ChangeKind::AccountUpdated, other.id.0)],
        "an account's error count is part of its health"
    );

    assert_eq!(store.ingest_errors(acct.id, 10).await.unwrap(), vec![second.clone(), first]);
    assert_eq!(store.ingest_errors(acct.id, 1).await.unwrap(), vec![second]);
    assert_eq!(store.account_health(acct.id).await.unwrap().ingest_error_count, 2);
    assert_eq!(store.account_health(other.id).await.unwrap().ingest_error_count, 1);

    let blank = NewIngestError { reason: " ".into(), ..error(acct.id, 20, "{}".into()) };
    let err = store.record_ingest_error(blank).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

async fn a_missing_account_is_not_found_by_any_connection_call(h: &Harness) {
    let store = &*h.store;
    let missing = AccountId(987_654);
    let sealed = SealedSecret("v1:x".into());
    let ingest_error = NewIngestError {
        account_id: missing,
        source: IngestSource::Poll,
        stream: None,
        platform_id: None,
        reason: "unreadable".into(),
        payload_excerpt: String::new(),
        at: at(0),
    };
    let errors = vec![
        store.set_credentials(missing, sealed, None).await.unwrap_err(),
        store.credentials(missing).await.unwrap_err(),
        store.set_account_status(missing, AccountStatus::Paused, None).await.unwrap_err(),
        store.account_health(missing).await.unwrap_err(),
        store.record_poll(missing, poll(0, None)).await.unwrap_err(),
        store.acquire_lease(missing, "node", at(0), Duration::seconds(1)).await.unwrap_err(),
        store.release_lease(missing, "node").await.unwrap_err(),
        store.record_ingest_error(ingest_error).await.unwrap_err(),
        store.ingest_errors(missing, 10).await.unwrap_err(),
        store.delete_account(missing).await.unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, StoreError::NotFound { entity: "account", .. }), "{err}");
        assert!(err.to_string().contains("987654"), "{err}");
    }
}
