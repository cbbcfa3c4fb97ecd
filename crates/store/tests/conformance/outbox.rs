//! The outbox: idempotent enqueue, claims, completions, due times, lists and their change feed.

use crate::harness::{account, batch, mention, Harness};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use trellis_core::{
    Account, AccountId, Actor, ChangeKind, Channel, ConversationId, FlagReason, NewOutboxItem,
    OutboundAction, OutboxFilter, OutboxId, OutboxResult, OutboxState, PlatformId, Store,
    StoreError, UserId,
};

crate::conformance!(
    enqueuing_a_key_twice_returns_the_first_entry,
    a_claim_takes_due_entries_only_and_counts_the_attempt,
    an_attempt_ends_sent_retried_or_failed,
    an_expired_claim_can_be_claimed_again,
    the_next_due_time_is_the_earliest_retry_or_claim_expiry,
    lists_filter_by_account_conversation_and_state_newest_first,
    workers_claiming_at_once_never_get_the_same_entry,
    every_outbox_change_reaches_the_feed_with_its_conversation,
    an_entry_must_name_its_own_accounts_conversation,
);

/// A moment after every entry enqueued so far (the store stamps them with its own clock), in the
/// microseconds the store keeps, so times read back compare equal.
fn soon() -> DateTime<Utc> {
    let soon = Utc::now() + Duration::seconds(1);
    DateTime::from_timestamp_micros(soon.timestamp_micros()).unwrap()
}

fn reply(account: &Account, conversation: Option<ConversationId>, key: &str) -> NewOutboxItem {
    NewOutboxItem {
        account_id: account.id,
        conversation_id: conversation,
        action: OutboundAction::Reply {
            in_reply_to: PlatformId::parse("1001").unwrap(),
            text: format!("thanks, we are on it ({key})"),
        },
        idempotency_key: key.to_owned(),
        requested_by: Actor::User { id: UserId(7) },
    }
}

/// An account with one conversation (from an ingested mention).
async fn account_with_conversation(store: &dyn Store, name: &str) -> (Account, ConversationId) {
    let acct = account(store, Channel::X, name).await;
    let outcome = store.ingest(batch(&acct, vec![mention(&format!("{name}-1"), "jane", 0)])).await;
    (acct, outcome.unwrap().conversations[0])
}

fn ids(items: &[trellis_core::OutboxItem]) -> Vec<OutboxId> {
    items.iter().map(|item| item.id).collect()
}

async fn enqueuing_a_key_twice_returns_the_first_entry(h: &Harness) {
    let store = &*h.store;
    let (acct, conversation) = account_with_conversation(store, "acme").await;
    let first = store.enqueue_outbound(reply(&acct, Some(conversation), "reply-1")).await.unwrap();
    assert_eq!(first.state, OutboxState::Queued);
    assert_eq!((first.attempts, first.sent_at, first.error.as_deref()), (0, None, None));
    assert_eq!(first.next_attempt_at, Some(first.created_at), "due at once");
    assert_eq!(first.conversation_id, Some(conversation));
    assert_eq!(first.requested_by, Actor::User { id: UserId(7) });
    assert_eq!(first.action, reply(&acct, None, "reply-1").action);
    assert_eq!(store.get_outbound(first.id).await.unwrap(), first);

    let mut again = reply(&acct, None, "reply-1");
    again.action = OutboundAction::Hide { id: PlatformId::parse("1001").unwrap() };
    assert_eq!(store.enqueue_outbound(again).await.unwrap(), first, "unchanged");
    let flag = NewOutboxItem {
        action: OutboundAction::Flag {
            id: PlatformId::parse("1002").unwrap(),
            reason: FlagReason::Spam,
        },
        requested_by: Actor::System,
        ..reply(&acct, None, "flag-1")
    };
    let flagged = store.enqueue_outbound(flag.clone()).await.unwrap();
    assert_ne!(flagged.id, first.id);
    assert_eq!((flagged.action, flagged.requested_by), (flag.action, flag.requested_by));
    let all = store.list_outbound(&OutboxFilter::default()).await.unwrap();
    assert_eq!(ids(&all), [flagged.id, first.id]);

    let err = store.enqueue_outbound(reply(&acct, None, "  ")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

async fn a_claim_takes_due_entries_only_and_counts_the_attempt(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let before_any = Utc::now() - Duration::hours(1);
    let first = store.enqueue_outbound(reply(&acct, None, "a")).await.unwrap();
    let second = store.enqueue_outbound(reply(&acct, None, "b")).await.unwrap();
    let claim_for = Duration::seconds(30);
    assert_eq!(store.claim_outbound("w1", before_any, claim_for, 10).await.unwrap(), []);

    let now = soon();
    let claimed = store.claim_outbound("w1", now, claim_for, 1).await.unwrap();
    assert_eq!(ids(&claimed), [first.id], "the earliest due first, no more than asked");
    let claimed = &claimed[0];
    assert_eq!((claimed.state, claimed.attempts), (OutboxState::Sending, 1));
    assert_eq!(claimed.next_attempt_at, Some(now + claim_for), "due again when the claim expires");
    assert_eq!(claimed.updated_at, now);

    let unclaimed = OutboxResult::Failed { error: "never claimed".into() };
    let err = store.complete_outbound(second.id, "w1", unclaimed, now).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let rest = store.claim_outbound("w2", now, claim_for, 10).await.unwrap();
    assert_eq!(ids(&rest), [second.id], "a live claim is not claimable");
    assert_eq!(store.claim_outbound("w2", now, claim_for, 10).await.unwrap(), []);
    assert_eq!(store.claim_outbound("w2", now, claim_for, 0).await.unwrap(), []);
}

async fn an_attempt_ends_sent_retried_or_failed(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Facebook, "page").await;
    for key in ["sent", "retried", "failed"] {
        store.enqueue_outbound(reply(&acct, None, key)).await.unwrap();
    }
    let now = soon();
    let claimed = store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    let [sent, retried, failed] = [&claimed[0], &claimed[1], &claimed[2]].map(|item| item.id);
    let done = now + Duration::seconds(2);

    let result = OutboxResult::Sent {
        platform_id: "1200_3400".into(),
        thread_platform_id: Some("1200".into()),
    };
    let item = store.complete_outbound(sent, "w1", result, done).await.unwrap();
    assert_eq!(item.state, OutboxState::Sent);
    assert_eq!(item.platform_id.as_deref(), Some("1200_3400"));
    assert_eq!(item.thread_platform_id.as_deref(), Some("1200"));
    assert_eq!((item.sent_at, item.next_attempt_at), (Some(done), None));

    let retry_at = now + Duration::minutes(5);
    let result = OutboxResult::Retry { error: "(#2) service unavailable".into(), retry_at };
    let item = store.complete_outbound(retried, "w1", result, done).await.unwrap();
    assert_eq!((item.state, item.next_attempt_at), (OutboxState::Queued, Some(retry_at)));
    assert_eq!(item.error.as_deref(), Some("(#2) service unavailable"));

    let result = OutboxResult::Failed { error: "(#10) permission denied".into() };
    let item = store.complete_outbound(failed, "w1", result, done).await.unwrap();
    assert_eq!((item.state, item.next_attempt_at, item.sent_at), (OutboxState::Failed, None, None));
    assert_eq!(item.error.as_deref(), Some("(#10) permission denied"));

    assert_eq!(store.claim_outbound("w1", done, Duration::seconds(30), 10).await.unwrap(), []);
    let again = store.claim_outbound("w1", retry_at, Duration::seconds(30), 10).await.unwrap();
    assert_eq!((ids(&again), again[0].attempts), (vec![retried], 2), "due at its retry time");

    let twice = OutboxResult::Failed { error: "late".into() };
    let err = store.complete_outbound(sent, "w1", twice, done).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.get_outbound(sent).await.unwrap().state, OutboxState::Sent, "kept");
    let err = store.get_outbound(OutboxId(987_654)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn an_expired_claim_can_be_claimed_again(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let entry = store.enqueue_outbound(reply(&acct, None, "a")).await.unwrap();
    let now = soon();
    let claim_for = Duration::seconds(30);
    store.claim_outbound("crashed", now, claim_for, 10).await.unwrap();
    let during = now + Duration::seconds(29);
    assert_eq!(store.claim_outbound("w2", during, claim_for, 10).await.unwrap(), []);

    let after = now + claim_for;
    let taken = store.claim_outbound("w2", after, claim_for, 10).await.unwrap();
    assert_eq!(ids(&taken), [entry.id]);
    assert_eq!((taken[0].attempts, taken[0].next_attempt_at), (2, Some(after + claim_for)));

    // The crashed worker comes back late: its result must not overwrite the new holder's attempt.
    let late = OutboxResult::Sent { platform_id: "late".into(), thread_platform_id: None };
    let err = store.complete_outbound(entry.id, "crashed", late, after).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let holder = OutboxResult::Sent { platform_id: "p-1".into(), thread_platform_id: None };
    let sent = store.complete_outbound(entry.id, "w2", holder, after).await.unwrap();
    assert_eq!((sent.state, sent.platform_id.as_deref()), (OutboxState::Sent, Some("p-1")));
}

async fn the_next_due_time_is_the_earliest_retry_or_claim_expiry(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    assert_eq!(store.next_outbound_due().await.unwrap(), None);
    let entry = store.enqueue_outbound(reply(&acct, None, "a")).await.unwrap();
    assert_eq!(store.next_outbound_due().await.unwrap(), Some(entry.created_at));

    let now = soon();
    store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    assert_eq!(store.next_outbound_due().await.unwrap(), Some(now + Duration::seconds(30)));
    let retry_at = now + Duration::seconds(5);
    let retry = OutboxResult::Retry { error: "timeout".into(), retry_at };
    store.complete_outbound(entry.id, "w1", retry, now).await.unwrap();
    assert_eq!(store.next_outbound_due().await.unwrap(), Some(retry_at));

    store.claim_outbound("w1", retry_at, Duration::seconds(30), 10).await.unwrap();
    let sent = OutboxResult::Sent { platform_id: "9".into(), thread_platform_id: None };
    store.complete_outbound(entry.id, "w1", sent, retry_at).await.unwrap();
    assert_eq!(store.next_outbound_due().await.unwrap(), None, "nothing left to do");
}

async fn lists_filter_by_account_conversation_and_state_newest_first(h: &Harness) {
    let store = &*h.store;
    let (acme, acme_conversation) = account_with_conversation(store, "acme").await;
    let (other, _) = account_with_conversation(store, "other").await;
    let a1 = store.enqueue_outbound(reply(&acme, Some(acme_conversation), "a1")).await.unwrap();
    let a2 = store.enqueue_outbound(reply(&acme, None, "a2")).await.unwrap();
    let o1 = store.enqueue_outbound(reply(&other, None, "o1")).await.unwrap();
    let claimed = store.claim_outbound("w1", soon(), Duration::seconds(30), 1).await.unwrap();
    assert_eq!(ids(&claimed), [a1.id]);

    let list =
        |filter: OutboxFilter| async move { ids(&store.list_outbound(&filter).await.unwrap()) };
    assert_eq!(list(OutboxFilter::default()).await, [o1.id, a2.id, a1.id]);
    let by_account = OutboxFilter { account: Some(acme.id), ..Default::default() };
    assert_eq!(list(by_account).await, [a2.id, a1.id]);
    let by_conversation =
        OutboxFilter { conversation: Some(acme_conversation), ..Default::default() };
    assert_eq!(list(by_conversation).await, [a1.id]);
    let queued = OutboxFilter { state: Some(OutboxState::Queued), ..Default::default() };
    assert_eq!(list(queued).await, [o1.id, a2.id]);
    let queued_acme = OutboxFilter {
        account: Some(acme.id),
        state: Some(OutboxState::Queued),
        limit: 5,
        ..Default::default()
    };
    assert_eq!(list(queued_acme).await, [a2.id]);
    assert_eq!(list(OutboxFilter { limit: 2, ..Default::default() }).await, [o1.id, a2.id]);
    let none = OutboxFilter { account: Some(AccountId(987_654)), ..Default::default() };
    assert_eq!(list(none).await, []);
}

async fn workers_claiming_at_once_never_get_the_same_entry(h: &Harness) {
    let acct = account(&*h.store, Channel::X, "acme").await;
    let entries = 40;
    for n in 0..entries {
        h.store.enqueue_outbound(reply(&acct, None, &format!("k{n}"))).await.unwrap();
    }
    let now = soon();
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|worker| {
            let store = h.store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed =
                        store.claim_outbound(worker, now, Duration::seconds(60), 3).await.unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    mine.extend(claimed.into_iter().map(|item| item.id));
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), all.len(), "an entry was claimed twice: {all:?}");
    assert_eq!(all.len(), entries);
}

async fn every_outbox_change_reaches_the_feed_with_its_conversation(h: &Harness) {
    let store = &*h.store;
    let (acct, conversation) = account_with_conversation(store, "acme").await;
    let seq = store.latest_seq().await.unwrap();
    let entry = store.enqueue_outbound(reply(&acct, Some(conversation), "a")).await.unwrap();
    store.enqueue_outbound(reply(&acct, Some(conversation), "a")).await.unwrap();
    let now = soon();
    store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    let retry = OutboxResult::Retry { error: "timeout".into(), retry_at: now };
    store.complete_outbound(entry.id, "w1", retry, now).await.unwrap();
    store.claim_outbound("w1", now, Duration::seconds(30), 10).await.unwrap();
    let sent = OutboxResult::Sent { platform_id: "9".into(), thread_platform_id: None };
    store.complete_outbound(entry.id, "w1", sent, now).await.unwrap();

    let changes = store.changes_since(seq, 100).await.unwrap();
    let written: Vec<_> =
        changes.iter().map(|c| (c.kind, c.entity_id, c.conversation_id)).collect();
    let updated = (ChangeKind::OutboxUpdated, entry.id.0, Some(conversation));
    assert_eq!(written, [updated; 5], "queued, sending, queued, sending, sent; no re-enqueue");
}

async fn an_entry_must_name_its_own_accounts_conversation(h: &Harness) {
    let store = &*h.store;
    let (acme, _) = account_with_conversation(store, "acme").await;
    let (_, elsewhere) = account_with_conversation(store, "other").await;
    let err = store.enqueue_outbound(reply(&acme, Some(elsewhere), "a")).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let err =
        store.enqueue_outbound(reply(&acme, Some(ConversationId(987_654)), "b")).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "conversation", .. }), "{err}");
    let mut orphan = reply(&acme, None, "c");
    orphan.account_id = AccountId(987_654);
    let err = store.enqueue_outbound(orphan).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "account", .. }), "{err}");
    assert_eq!(store.list_outbound(&OutboxFilter::default()).await.unwrap(), []);
}
