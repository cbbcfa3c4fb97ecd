//! An account's beginning and end: created together with the credentials sealed for its id, or
//! not at all; deleted with what only it holds, unless it has history or actions on their way.

use super::{changes_after, poll};
use crate::harness::{account, at, batch, cursor, mention, Harness};
use chrono::{Duration, Utc};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use trellis_core::{
    AccountId, AccountStatus, Actor, BrandId, ChangeKind, Channel, IngestBatch, IngestSource,
    NewAccount, NewIngestError, NewOutboxItem, OutboundAction, OutboxResult, PlatformId,
    SealedSecret, StoreError,
};

crate::conformance!(
    an_account_is_created_with_credentials_sealed_for_its_own_id,
    a_refused_seal_or_a_broken_rule_leaves_no_account_behind,
    an_account_without_history_is_deleted_with_what_only_it_holds,
    an_account_with_conversations_or_actions_waiting_is_kept,
);

fn new_account(brand: BrandId, name: &str) -> NewAccount {
    NewAccount {
        brand_id: brand,
        channel: Channel::X,
        platform_account_id: name.to_owned(),
        display_name: format!("@{name}"),
        base_url: "http://127.0.0.1:1".to_owned(),
    }
}

/// What a real sealer binds: the account id is part of the sealed text.
fn sealed_for(id: AccountId) -> SealedSecret {
    SealedSecret(format!("v1:sealed-for-{id}"))
}

async fn an_account_is_created_with_credentials_sealed_for_its_own_id(h: &Harness) {
    let store = &*h.store;
    let brand = store.create_brand("Acme").await.unwrap();
    let earlier = account(store, Channel::X, "earlier").await;
    let seq = store.latest_seq().await.unwrap();
    let sealed_with = Mutex::new(None);
    let seal = Box::new(|id| {
        *sealed_with.lock().unwrap() = Some(id);
        Ok(sealed_for(id))
    });
    let created = store
        .create_account_with_credentials(new_account(brand.id, " acme "), seal, Some(at(7_200)))
        .await
        .unwrap();
    assert_ne!(created.id, earlier.id);
    assert_eq!(*sealed_with.lock().unwrap(), Some(created.id), "sealed for the id it was given");
    assert_eq!(created.platform_account_id, "acme");
    assert_eq!(store.find_account(Channel::X, "acme").await.unwrap(), Some(created.clone()));

    let stored = store.credentials(created.id).await.unwrap().unwrap();
    assert_eq!((stored.sealed, stored.expires_at), (sealed_for(created.id), Some(at(7_200))));
    let health = store.account_health(created.id).await.unwrap();
    assert!(health.has_credentials);
    assert_eq!(
        (health.status, health.credentials_expire_at),
        (AccountStatus::Active, Some(at(7_200)))
    );
    assert_eq!(
        changes_after(store, seq).await,
        [(ChangeKind::AccountUpdated, created.id.0)],
        "one change for the account and its credentials"
    );
}

async fn a_refused_seal_or_a_broken_rule_leaves_no_account_behind(h: &Harness) {
    let store = &*h.store;
    let brand = store.create_brand("Acme").await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    let refused = Box::new(|_| Err(StoreError::Invalid("credentials too large to seal".into())));
    let err = store
        .create_account_with_credentials(new_account(brand.id, "acme"), refused, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Invalid(reason) if reason == "credentials too large to seal"),
        "the sealer's own error: {err}"
    );
    let blank = Box::new(|_| Ok(SealedSecret("  ".into())));
    let err = store
        .create_account_with_credentials(new_account(brand.id, "acme"), blank, None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.find_account(Channel::X, "acme").await.unwrap(), None);
    assert_eq!(store.list_accounts().await.unwrap(), []);
    assert_eq!(changes_after(store, seq).await, [], "nothing happened");

    // The store still writes after a rollback, and the platform account is still free.
    let seal = Box::new(|id| Ok(sealed_for(id)));
    let acme = store
        .create_account_with_credentials(new_account(brand.id, "acme"), seal, None)
        .await
        .unwrap();
    let sealed_again = AtomicBool::new(false);
    let seal = Box::new(|id| {
        sealed_again.store(true, Ordering::SeqCst);
        Ok(sealed_for(id))
    });
    let err = store
        .create_account_with_credentials(new_account(brand.id, "acme"), seal, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(reason) if reason == "x account acme is already connected"),
        "{err}"
    );
    assert!(!sealed_again.load(Ordering::SeqCst), "nothing is sealed for an account not made");
    let stray = NewAccount { brand_id: BrandId(987_654), ..new_account(brand.id, "b") };
    let err = store
        .create_account_with_credentials(stray, Box::new(|id| Ok(sealed_for(id))), None)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "brand", .. }), "{err}");
    assert_eq!(store.list_accounts().await.unwrap(), [acme]);
}

/// An outbound action for `account` that names no conversation (a direct message to start).
fn hide(account: AccountId, key: &str) -> NewOutboxItem {
    NewOutboxItem {
        account_id: account,
        conversation_id: None,
        action: OutboundAction::Hide { id: PlatformId::parse("1001").unwrap() },
        idempotency_key: key.to_owned(),
        requested_by: Actor::System,
    }
}

async fn an_account_without_history_is_deleted_with_what_only_it_holds(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let kept = account(store, Channel::X, "kept").await;
    store.set_credentials(acct.id, SealedSecret("v1:x".into()), None).await.unwrap();
    store.record_poll(acct.id, poll(0, Some("http 500"))).await.unwrap();
    let only_cursors =
        IngestBatch { cursors: vec![cursor("mentions", "42")], ..batch(&acct, vec![]) };
    store.ingest(only_cursors).await.unwrap();
    let ingest_error = NewIngestError {
        account_id: acct.id,
        source: IngestSource::Poll,
        stream: None,
        platform_id: None,
        reason: "unreadable".into(),
        payload_excerpt: "{".into(),
        at: at(0),
    };
    store.record_ingest_error(ingest_error).await.unwrap();
    let done = store.enqueue_outbound(hide(acct.id, "hide-1")).await.unwrap();
    let now = Utc::now() + Duration::seconds(1);
    store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    let sent = OutboxResult::Sent { platform_id: "1001".into(), thread_platform_id: None };
    store.complete_outbound(done.id, "w1", sent, now).await.unwrap();
    let seq = store.latest_seq().await.unwrap();

    store.delete_account(acct.id).await.unwrap();
    let err = store.get_account(acct.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "account", .. }), "{err}");
    assert_eq!(store.list_accounts().await.unwrap(), [kept]);
    assert!(store.credentials(acct.id).await.is_err());
    assert!(store.get_outbound(done.id).await.is_err(), "its finished actions go with it");
    assert_eq!(changes_after(store, seq).await, [(ChangeKind::AccountUpdated, acct.id.0)]);

    // The platform account can be connected again, starting afresh.
    let again = account(store, Channel::X, "acme").await;
    assert_eq!(store.cursor(again.id, "mentions").await.unwrap(), None);
    assert_eq!(store.ingest_errors(again.id, 10).await.unwrap(), []);
}

async fn an_account_with_conversations_or_actions_waiting_is_kept(h: &Harness) {
    let store = &*h.store;
    let busy = account(store, Channel::X, "busy").await;
    store.ingest(batch(&busy, vec![mention("1", "jane", 0)])).await.unwrap();
    let err = store.delete_account(busy.id).await.unwrap_err();
    let StoreError::Conflict(reason) = err else { panic!("kept, not {err}") };
    assert!(reason.contains("conversations and messages"), "{reason}");
    assert!(reason.contains(&format!("trellis account pause {}", busy.id)), "{reason}");
    assert_eq!(store.get_account(busy.id).await.unwrap(), busy);
    assert_eq!(store.cursor(busy.id, "mentions").await.unwrap(), None);

    let waiting = account(store, Channel::X, "waiting").await;
    let queued = store.enqueue_outbound(hide(waiting.id, "hide-1")).await.unwrap();
    let err = store.delete_account(waiting.id).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(reason) if reason.contains("actions waiting")),
        "{err}"
    );
    let now = Utc::now() + Duration::seconds(1);
    store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    let err = store.delete_account(waiting.id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "a claimed action is still on its way: {err}");
    let failed = OutboxResult::Failed { error: "tweet not found".into() };
    store.complete_outbound(queued.id, "w1", failed, now).await.unwrap();
    store.delete_account(waiting.id).await.unwrap();
    assert_eq!(store.list_accounts().await.unwrap(), [busy]);
}
