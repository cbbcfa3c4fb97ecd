//! The change feed and the search projection.

use crate::harness::{account, batch, mention, message, Harness};
use std::collections::BTreeSet;
use trellis_core::{
    AssigneeFilter, ChangeKind, Channel, ConversationPatch, ConversationStatus, MessageId,
    MessageKind, NewUser, Priority, Role, Seq, TagName,
};

crate::conformance!(
    the_change_feed_is_monotonic_and_complete,
    a_follower_polling_during_concurrent_writes_never_skips_a_change,
    index_docs_carry_conversation_fields,
    scanning_index_docs_pages_through_every_message_in_id_order,
);

async fn the_change_feed_is_monotonic_and_complete(h: &Harness) {
    let store = &*h.store;
    assert_eq!(store.latest_seq().await.unwrap(), Seq(0));
    let acct = account(store, Channel::X, "acme").await;
    let outcome = store
        .ingest(batch(&acct, vec![mention("1", "u1", 0), mention("2", "u2", 1)]))
        .await
        .unwrap();
    let conversation = outcome.conversations[0];
    store
        .update_conversation(
            conversation,
            ConversationPatch { priority: Some(Priority::High), ..Default::default() },
        )
        .await
        .unwrap();
    // A patch that changes nothing writes nothing.
    store
        .update_conversation(
            conversation,
            ConversationPatch { priority: Some(Priority::High), ..Default::default() },
        )
        .await
        .unwrap();
    let contact = store.get_conversation(conversation).await.unwrap().contact_id.unwrap();
    store.link_contact(contact, None).await.unwrap();

    let changes = store.changes_since(Seq(0), 100).await.unwrap();
    let kinds: Vec<_> = changes.iter().map(|c| c.kind).collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::BrandUpdated,
            ChangeKind::AccountUpdated,
            ChangeKind::ConversationCreated,
            ChangeKind::ConversationCreated,
            ChangeKind::MessageCreated,
            ChangeKind::MessageCreated,
            ChangeKind::ConversationUpdated,
            ChangeKind::ContactUpdated,
        ]
    );
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(store.latest_seq().await.unwrap(), changes.last().unwrap().seq);
    assert_eq!(changes[0].entity_id, acct.brand_id.0);
    assert_eq!(changes[1].entity_id, acct.id.0);
    assert_eq!(changes[6].conversation_id, Some(conversation));
    assert_eq!(changes[7].entity_id, contact.0);
    // Paging the feed returns the same changes.
    let first = store.changes_since(Seq(0), 3).await.unwrap();
    let rest = store.changes_since(first[2].seq, 100).await.unwrap();
    assert_eq!([first, rest].concat(), changes);
}

async fn a_follower_polling_during_concurrent_writes_never_skips_a_change(h: &Harness) {
    let store = h.store.clone();
    let mut accounts = Vec::new();
    for i in 0..4 {
        accounts.push(account(&*store, Channel::X, &format!("acct{i}")).await);
    }
    let start = store.latest_seq().await.unwrap();
    let writers: Vec<_> = accounts
        .into_iter()
        .enumerate()
        .map(|(w, acct)| {
            let store = store.clone();
            tokio::spawn(async move {
                for b in 0..15 {
                    let messages =
                        (0..5).map(|m| mention(&format!("{w}-{b}-{m}"), "u", b)).collect();
                    store.ingest(batch(&acct, messages)).await.unwrap();
                }
            })
        })
        .collect();
    // The follower advances its mark to the last seq it saw, as the index does.
    let follower = {
        let store = store.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut mark = start;
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
            while seen.len() < 4 * 15 * 10 && tokio::time::Instant::now() < deadline {
                let page = store.changes_since(mark, 7).await.unwrap();
                if let Some(last) = page.last() {
                    mark = last.seq;
                }
                seen.extend(page.into_iter().map(|c| c.seq));
                tokio::task::yield_now().await;
            }
            seen
        })
    };
    for writer in writers {
        writer.await.unwrap();
    }
    let seen = follower.await.unwrap();
    let all: Vec<_> =
        store.changes_since(start, 10_000).await.unwrap().into_iter().map(|c| c.seq).collect();
    assert_eq!(all.len(), 4 * 15 * 10, "5 messages and 5 conversations per batch");
    assert_eq!(seen, all, "the follower saw every change exactly once, in order");
}

async fn index_docs_carry_conversation_fields(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Discourse, "forum").await;
    let mut first = message("p1", MessageKind::ForumPost, Some("t9"), "jane", 0);
    first.thread_title = Some("Refund please".into());
    let second = message("p2", MessageKind::ForumPost, Some("t9"), "joe", 1);
    let outcome = store.ingest(batch(&acct, vec![first, second])).await.unwrap();
    let conversation = outcome.conversations[0];
    let user = store
        .create_user(NewUser {
            email: "a@example.com".into(),
            name: "Ann".into(),
            role: Role::Agent,
        })
        .await
        .unwrap();
    let team = store.create_team("Billing").await.unwrap();
    let billing = TagName::parse("billing").unwrap();
    let vip = TagName::parse("vip").unwrap();
    store
        .update_conversation(
            conversation,
            ConversationPatch {
                status: Some(ConversationStatus::Pending),
                priority: Some(Priority::Urgent),
                assignee_id: Some(Some(user.id)),
                team_id: Some(Some(team.id)),
                add_tags: vec![vip.clone(), billing.clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let docs = store.conversation_index_docs(&[conversation]).await.unwrap();
    assert_eq!(docs.len(), 2);
    let doc = &docs[0];
    assert_eq!(doc.conversation_id, conversation);
    assert_eq!(
        (doc.account_id, doc.brand_id, doc.channel),
        (acct.id, acct.brand_id, Channel::Discourse)
    );
    assert_eq!(doc.kind, MessageKind::ForumPost);
    assert_eq!(doc.text, "text of p1");
    assert_eq!(doc.lang.as_deref(), Some("en"));
    assert_eq!(doc.author_handle.as_deref(), Some("jane_handle"));
    assert_eq!(doc.author_name.as_deref(), Some("Name of jane"));
    assert_eq!(doc.subject.as_deref(), Some("Refund please"));
    assert_eq!(doc.status, ConversationStatus::Pending);
    assert_eq!(doc.priority, Priority::Urgent);
    assert_eq!(doc.assignee_id, Some(user.id));
    assert_eq!(doc.team_id, Some(team.id));
    assert_eq!(doc.tags, vec![billing, vip]);
    assert_eq!(doc.created_at, crate::harness::at(0));
    assert!(!doc.deleted);
    assert_eq!(docs[1].author_handle.as_deref(), Some("joe_handle"));

    let by_id = store.index_docs(&[docs[1].message_id, MessageId(999_999)]).await.unwrap();
    assert_eq!(by_id, vec![docs[1].clone()], "missing ids are skipped");
    let unassigned = trellis_core::ConversationFilter {
        assignee: Some(AssigneeFilter::Unassigned),
        ..Default::default()
    };
    assert!(store.list_conversations(&unassigned).await.unwrap().items.is_empty());
}

async fn scanning_index_docs_pages_through_every_message_in_id_order(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let messages: Vec<_> =
        (0..23).map(|i| mention(&format!("m{i}"), &format!("u{}", i % 4), i)).collect();
    store.ingest(batch(&acct, messages)).await.unwrap();
    let mut after = MessageId(0);
    let mut ids = Vec::new();
    loop {
        let page = store.scan_index_docs(after, 5).await.unwrap();
        let Some(last) = page.last() else { break };
        assert!(page.len() <= 5);
        after = last.message_id;
        ids.extend(page.iter().map(|d| d.message_id));
    }
    assert_eq!(ids.len(), 23);
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 23);
}
