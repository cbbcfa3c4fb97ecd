//! Ingest: idempotence, edits, atomicity, grouping, reopening, contacts.

use crate::harness::{account, author, batch, cursor, mention, message, Harness};
use trellis_core::{
    ChangeKind, Channel, ConversationPatch, ConversationStatus, Direction, IngestBatch,
    MessageKind, Seq, StoreError,
};

crate::conformance!(
    a_redelivered_batch_changes_nothing_and_writes_no_change,
    an_edit_updates_the_message_and_writes_message_updated,
    a_batch_that_fails_midway_leaves_neither_messages_nor_cursor,
    a_batch_for_an_unknown_account_is_not_found_and_writes_nothing,
    cursors_are_saved_with_their_batch,
    messages_group_into_conversations_by_kind,
    a_new_inbound_message_reopens_a_pending_snoozed_or_resolved_conversation,
    an_outbound_message_does_not_reopen_and_does_not_become_the_contact,
    the_newest_author_description_wins,
    a_platform_deletion_keeps_the_message_and_marks_it,
    a_large_batch_is_stored_whole,
    an_edit_in_the_same_batch_as_its_original_counts_as_an_update,
    a_nul_character_in_text_does_not_fail_the_batch,
    a_new_message_in_an_open_conversation_is_announced_as_a_message_only,
);

async fn a_redelivered_batch_changes_nothing_and_writes_no_change(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let messages = vec![mention("1", "u1", 0), mention("2", "u2", 1)];
    let first = store.ingest(batch(&acct, messages.clone())).await.unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (2, 0, 0));
    assert_eq!(first.conversations.len(), 2);
    let seq = store.latest_seq().await.unwrap();
    assert_eq!(first.last_seq, Some(seq));
    let before = store.get_conversation(first.conversations[0]).await.unwrap();

    let again = store.ingest(batch(&acct, messages)).await.unwrap();
    assert_eq!((again.inserted, again.updated, again.unchanged), (0, 0, 2));
    assert!(again.conversations.is_empty());
    assert_eq!(again.last_seq, None);
    assert_eq!(store.latest_seq().await.unwrap(), seq);
    assert_eq!(store.message_count().await.unwrap(), 2);
    assert_eq!(store.get_conversation(first.conversations[0]).await.unwrap(), before);
}

async fn an_edit_updates_the_message_and_writes_message_updated(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Discourse, "forum").await;
    let mut original = message("p1", MessageKind::ForumPost, Some("t1"), "u1", 0);
    original.thread_title = Some("Billing question".into());
    let first = store.ingest(batch(&acct, vec![original.clone()])).await.unwrap();
    let seq = store.latest_seq().await.unwrap();

    let mut edited = original.clone();
    edited.text = "edited text".into();
    edited.thread_title = Some("Billing question (solved)".into());
    let outcome = store.ingest(batch(&acct, vec![edited])).await.unwrap();
    assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), (0, 1, 0));
    assert_eq!(outcome.conversations, first.conversations);

    let changes = store.changes_since(seq, 100).await.unwrap();
    let message_changes: Vec<_> =
        changes.iter().filter(|c| c.kind == ChangeKind::MessageUpdated).collect();
    assert_eq!(message_changes.len(), 1);
    assert_eq!(message_changes[0].conversation_id, Some(first.conversations[0]));
    let stored =
        store.get_message(trellis_core::MessageId(message_changes[0].entity_id)).await.unwrap();
    assert_eq!(stored.text, "edited text");
    assert!(stored.updated_at >= stored.received_at);
    let conversation = store.get_conversation(first.conversations[0]).await.unwrap();
    assert_eq!(conversation.message_count, 1, "an edit is not a new message");
    assert_eq!(conversation.subject.as_deref(), Some("Billing question (solved)"));
}

async fn a_batch_that_fails_midway_leaves_neither_messages_nor_cursor(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    store
        .ingest(IngestBatch {
            cursors: vec![cursor("mentions", "c1")],
            ..batch(&acct, vec![mention("1", "u1", 0)])
        })
        .await
        .unwrap();
    let seq = store.latest_seq().await.unwrap();
    // Messages and conversations are written before the cursors; the empty stream name breaks a
    // check constraint on the last statement, so everything before it must roll back.
    let failing = IngestBatch {
        cursors: vec![cursor("mentions", "c2"), cursor("", "bad")],
        ..batch(&acct, vec![mention("2", "u2", 1), mention("3", "u1", 2)])
    };
    let err = store.ingest(failing).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.message_count().await.unwrap(), 1);
    assert_eq!(store.cursor(acct.id, "mentions").await.unwrap().as_deref(), Some("c1"));
    assert_eq!(store.latest_seq().await.unwrap(), seq);
    let page = store.list_conversations(&Default::default()).await.unwrap();
    assert_eq!(page.items.len(), 1);
}

async fn a_batch_for_an_unknown_account_is_not_found_and_writes_nothing(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let mut ghost = batch(&acct, vec![mention("1", "u1", 0)]);
    ghost.account_id = trellis_core::AccountId(acct.id.0 + 1000);
    ghost.cursors = vec![cursor("mentions", "c1")];
    let err = store.ingest(ghost).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "account", .. }), "{err}");
    assert_eq!(store.message_count().await.unwrap(), 0);
    assert_eq!(store.cursor(acct.id, "mentions").await.unwrap(), None);
}

async fn cursors_are_saved_with_their_batch(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    assert_eq!(store.cursor(acct.id, "mentions").await.unwrap(), None);
    let first = IngestBatch {
        cursors: vec![cursor("mentions", "a"), cursor("dm_events", "x"), cursor("mentions", "b")],
        ..batch(&acct, vec![mention("1", "u1", 0)])
    };
    store.ingest(first).await.unwrap();
    assert_eq!(store.cursor(acct.id, "mentions").await.unwrap().as_deref(), Some("b"));
    assert_eq!(store.cursor(acct.id, "dm_events").await.unwrap().as_deref(), Some("x"));
    // A page with nothing new still advances its cursor.
    store
        .ingest(IngestBatch { cursors: vec![cursor("mentions", "c")], ..batch(&acct, vec![]) })
        .await
        .unwrap();
    assert_eq!(store.cursor(acct.id, "mentions").await.unwrap().as_deref(), Some("c"));
}

async fn messages_group_into_conversations_by_kind(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let mut reply = message("101", MessageKind::Reply, Some("100"), "u2", 5);
    reply.direction = Direction::Outbound;
    let messages = vec![
        message("100", MessageKind::Mention, Some("100"), "u1", 0),
        reply,
        message("102", MessageKind::Reply, Some("100"), "u3", 9),
        message("d1", MessageKind::DirectMessage, Some("1-2"), "u1", 1),
        message("d2", MessageKind::DirectMessage, Some("1-2"), "u1", 2),
        message("d3", MessageKind::DirectMessage, None, "u4", 3),
    ];
    let outcome = store.ingest(batch(&acct, messages)).await.unwrap();
    assert_eq!(outcome.conversations.len(), 3);
    let thread = store.get_conversation(outcome.conversations[0]).await.unwrap();
    assert_eq!(thread.key.as_str(), "thread:100");
    assert_eq!(thread.message_count, 3);
    assert_eq!(thread.last_message_at, crate::harness::at(9));
    assert_eq!(thread.last_inbound_at, Some(crate::harness::at(9)));
    assert_eq!(thread.status, ConversationStatus::Open);
    assert_eq!(thread.account_id, acct.id);
    assert_eq!(thread.brand_id, acct.brand_id);
    let first_author = store.get_contact(thread.contact_id.unwrap()).await.unwrap();
    assert_eq!(first_author.platform_id.as_str(), "u1");
    let dm = store.get_conversation(outcome.conversations[1]).await.unwrap();
    assert_eq!(dm.key.as_str(), "dm:1-2");
    assert_eq!(dm.message_count, 2);
    let lone = store.get_conversation(outcome.conversations[2]).await.unwrap();
    assert_eq!(lone.key.as_str(), "dm:with:u4");

    let thread_messages = store.conversation_messages(thread.id).await.unwrap();
    let ids: Vec<_> = thread_messages.iter().map(|m| m.platform_id.as_str()).collect();
    assert_eq!(ids, ["100", "101", "102"], "oldest first");

    // A later batch joins the existing conversation instead of creating one.
    let later = store
        .ingest(batch(&acct, vec![message("103", MessageKind::Reply, Some("100"), "u5", 20)]))
        .await
        .unwrap();
    assert_eq!(later.conversations, vec![thread.id]);
    let thread = store.get_conversation(thread.id).await.unwrap();
    assert_eq!(thread.message_count, 4);
    assert_eq!(thread.contact_id.map(|c| c.0), Some(first_author.id.0), "the first author stays");
}

async fn a_new_inbound_message_reopens_a_pending_snoozed_or_resolved_conversation(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let first = store
        .ingest(batch(&acct, vec![message("d1", MessageKind::DirectMessage, Some("t"), "u1", 0)]))
        .await
        .unwrap();
    let id = first.conversations[0];
    for (status, snooze) in [
        (ConversationStatus::Resolved, None),
        (ConversationStatus::Pending, None),
        (ConversationStatus::Snoozed, Some(crate::harness::at(99_999))),
    ] {
        let patch = ConversationPatch {
            status: Some(status),
            snoozed_until: Some(snooze),
            ..Default::default()
        };
        let set = store.update_conversation(id, patch).await.unwrap();
        assert_eq!(set.status, status);
        let seq = store.latest_seq().await.unwrap();
        let next = format!("d-{status}");
        store
            .ingest(batch(
                &acct,
                vec![message(&next, MessageKind::DirectMessage, Some("t"), "u1", 10)],
            ))
            .await
            .unwrap();
        let reopened = store.get_conversation(id).await.unwrap();
        assert_eq!(reopened.status, ConversationStatus::Open, "after {status}");
        assert_eq!(reopened.snoozed_until, None);
        assert!(reopened.updated_at >= set.updated_at);
        let kinds: Vec<_> =
            store.changes_since(seq, 10).await.unwrap().into_iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::MessageCreated, ChangeKind::ConversationUpdated]);
    }
}

async fn an_outbound_message_does_not_reopen_and_does_not_become_the_contact(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Facebook, "page").await;
    let mut post = message("p1", MessageKind::Post, None, "page", 0);
    post.direction = Direction::Outbound;
    let outcome = store.ingest(batch(&acct, vec![post])).await.unwrap();
    let id = outcome.conversations[0];
    let created = store.get_conversation(id).await.unwrap();
    assert_eq!(created.contact_id, None);
    assert_eq!(created.last_inbound_at, None);
    store
        .update_conversation(
            id,
            ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() },
        )
        .await
        .unwrap();
    let mut answer = message("c0", MessageKind::Comment, Some("p1"), "page", 1);
    answer.direction = Direction::Outbound;
    store.ingest(batch(&acct, vec![answer])).await.unwrap();
    assert_eq!(store.get_conversation(id).await.unwrap().status, ConversationStatus::Resolved);
    store
        .ingest(batch(&acct, vec![message("c1", MessageKind::Comment, Some("p1"), "fan", 2)]))
        .await
        .unwrap();
    let after = store.get_conversation(id).await.unwrap();
    assert_eq!(after.status, ConversationStatus::Open);
    assert_eq!(after.message_count, 3);
    assert_eq!(
        store.get_contact(after.contact_id.unwrap()).await.unwrap().platform_id.as_str(),
        "fan"
    );
}

async fn the_newest_author_description_wins(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let outcome = store.ingest(batch(&acct, vec![mention("1", "u1", 10)])).await.unwrap();
    let conversation = store.get_conversation(outcome.conversations[0]).await.unwrap();
    let contact_id = conversation.contact_id.unwrap();
    let seq = store.latest_seq().await.unwrap();

    let mut newer = mention("2", "u1", 20);
    newer.author.display_name = Some("Renamed".into());
    newer.author.follower_count = Some(500);
    store.ingest(batch(&acct, vec![newer])).await.unwrap();
    let contact = store.get_contact(contact_id).await.unwrap();
    assert_eq!(contact.display_name.as_deref(), Some("Renamed"));
    assert_eq!(contact.follower_count, Some(500));
    let changes = store.changes_since(seq, 10).await.unwrap();
    assert!(changes
        .iter()
        .any(|c| c.kind == ChangeKind::ContactUpdated && c.entity_id == contact_id.0));

    // An older message delivered late does not bring the old name back.
    let mut late = mention("0", "u1", 0);
    late.author = author("u1");
    store.ingest(batch(&acct, vec![late])).await.unwrap();
    assert_eq!(
        store.get_contact(contact_id).await.unwrap().display_name.as_deref(),
        Some("Renamed")
    );
}

async fn a_platform_deletion_keeps_the_message_and_marks_it(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let original = mention("1", "u1", 0);
    store.ingest(batch(&acct, vec![original.clone()])).await.unwrap();
    let deleted = trellis_core::NewMessage { deleted_at: Some(crate::harness::at(50)), ..original };
    let outcome = store.ingest(batch(&acct, vec![deleted])).await.unwrap();
    assert_eq!(outcome.updated, 1);
    let docs = store.scan_index_docs(trellis_core::MessageId(0), 10).await.unwrap();
    assert_eq!(docs.len(), 1);
    assert!(docs[0].deleted);
    let message = store.get_message(docs[0].message_id).await.unwrap();
    assert_eq!(message.deleted_at, Some(crate::harness::at(50)));
    assert_eq!(message.text, "text of 1");
}

async fn a_large_batch_is_stored_whole(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    // More rows than fit one multi-row statement, so the chunking is exercised.
    let messages: Vec<_> = (0..2_500)
        .map(|i| {
            message(
                &format!("m{i}"),
                MessageKind::Reply,
                Some(&format!("t{}", i % 700)),
                &format!("u{}", i % 900),
                i,
            )
        })
        .collect();
    let outcome = store.ingest(batch(&acct, messages.clone())).await.unwrap();
    assert_eq!(outcome.inserted, 2_500);
    assert_eq!(outcome.conversations.len(), 700);
    assert_eq!(store.message_count().await.unwrap(), 2_500);
    let changes = store.changes_since(Seq(0), 10_000).await.unwrap();
    let created = changes.iter().filter(|c| c.kind == ChangeKind::ConversationCreated).count();
    assert_eq!(created, 700);
    let again = store.ingest(batch(&acct, messages)).await.unwrap();
    assert_eq!(again.unchanged, 2_500);
}

async fn an_edit_in_the_same_batch_as_its_original_counts_as_an_update(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let original = mention("1", "u1", 0);
    let mut edited = original.clone();
    edited.text = "edited text".into();
    let outcome = store.ingest(batch(&acct, vec![original.clone(), edited])).await.unwrap();
    assert_eq!((outcome.inserted, outcome.updated, outcome.unchanged), (1, 1, 0));
    let conversation = store.conversation_messages(outcome.conversations[0]).await.unwrap();
    assert_eq!(conversation.len(), 1);
    assert_eq!(conversation[0].text, "edited text");

    let repeated = store.ingest(batch(&acct, vec![original.clone(), original])).await.unwrap();
    assert_eq!((repeated.inserted, repeated.updated, repeated.unchanged), (0, 1, 1));
}

async fn a_nul_character_in_text_does_not_fail_the_batch(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let mut odd = mention("1", "u1", 0);
    odd.text = "before\0after".into();
    odd.author.display_name = Some("Jane\0".into());
    odd.raw = serde_json::json!({ "text": "before\0after" });
    let outcome = store.ingest(batch(&acct, vec![odd, mention("2", "u2", 1)])).await.unwrap();
    assert_eq!(outcome.inserted, 2);
    let stored = store.conversation_messages(outcome.conversations[0]).await.unwrap();
    assert_eq!(stored[0].text, "before\u{FFFD}after");
    assert_eq!(stored[0].raw["text"], "before\0after", "raw json keeps the platform's content");
}

async fn a_new_message_in_an_open_conversation_is_announced_as_a_message_only(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let dm = |id: &str, at| message(id, MessageKind::DirectMessage, Some("t"), "u1", at);
    let first = store.ingest(batch(&acct, vec![dm("d1", 0)])).await.unwrap();
    let seq = store.latest_seq().await.unwrap();

    let second = store.ingest(batch(&acct, vec![dm("d2", 10)])).await.unwrap();

    let kinds: Vec<_> =
        store.changes_since(seq, 10).await.unwrap().into_iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ChangeKind::MessageCreated]);
    assert_eq!(second.conversations, first.conversations);
    let conversation = store.get_conversation(first.conversations[0]).await.unwrap();
    assert_eq!(conversation.message_count, 2, "the counters still move");
}
