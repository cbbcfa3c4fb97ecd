//! Conversation lists: every filter, keyset paging, workflow updates.

use crate::harness::{account, batch, mention, message, Harness};
use std::collections::BTreeSet;
use trellis_core::{
    AssigneeFilter, ChangeKind, Channel, ConversationFilter, ConversationId, ConversationPatch,
    ConversationStatus, MessageKind, NewUser, Priority, Role, StoreError, TagName, UserId,
};

crate::conformance!(
    keyset_paging_with_tied_times_misses_and_repeats_nothing,
    every_filter_selects_exactly_its_conversations,
    update_conversation_sets_tags_assignee_and_status,
);

async fn ids(h: &Harness, filter: ConversationFilter) -> BTreeSet<ConversationId> {
    let page =
        h.store.list_conversations(&ConversationFilter { limit: 500, ..filter }).await.unwrap();
    assert!(page.next.is_none());
    page.items.into_iter().map(|c| c.id).collect()
}

async fn keyset_paging_with_tied_times_misses_and_repeats_nothing(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    // Every conversation created by one batch shares its updated_at: 3 batches, 3 runs of ties.
    for b in 0..3 {
        let messages = (0..9).map(|i| mention(&format!("{b}-{i}"), "u", i)).collect();
        store.ingest(batch(&acct, messages)).await.unwrap();
    }
    let mut filter = ConversationFilter { limit: 4, ..Default::default() };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list_conversations(&filter).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 4);
        seen.extend(page.items.iter().map(|c| (c.updated_at, c.id)));
        match page.next {
            Some(next) => filter.after = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 7, "27 rows in pages of 4");
    assert_eq!(seen.len(), 27);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "strictly (updated_at desc, id desc)");
    // The last full page reports no next page when nothing follows.
    let exact = store
        .list_conversations(&ConversationFilter { limit: 27, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(exact.items.len(), 27);
    assert_eq!(exact.next, None);
}

async fn every_filter_selects_exactly_its_conversations(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let fb = account(store, Channel::Facebook, "page").await;
    let a = store.ingest(batch(&x, vec![mention("a", "u1", 0)])).await.unwrap().conversations[0];
    let b = store.ingest(batch(&x, vec![mention("b", "u2", 1)])).await.unwrap().conversations[0];
    let c = store
        .ingest(batch(&fb, vec![message("c", MessageKind::Comment, Some("post"), "u3", 2)]))
        .await
        .unwrap()
        .conversations[0];
    let user = store
        .create_user(NewUser { email: "a@b.c".into(), name: "A".into(), role: Role::Agent })
        .await
        .unwrap();
    let team = store.create_team("Social").await.unwrap();
    let vip = TagName::parse("vip").unwrap();
    store
        .update_conversation(
            a,
            ConversationPatch {
                assignee_id: Some(Some(user.id)),
                add_tags: vec![vip.clone()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    store
        .update_conversation(
            b,
            ConversationPatch {
                status: Some(ConversationStatus::Pending),
                team_id: Some(Some(team.id)),
                priority: Some(Priority::Urgent),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let a_time = store.get_conversation(a).await.unwrap().updated_at;
    let b_time = store.get_conversation(b).await.unwrap().updated_at;

    let set = |items: &[ConversationId]| items.iter().copied().collect::<BTreeSet<_>>();
    assert_eq!(ids(h, Default::default()).await, set(&[a, b, c]));
    let f = |f: ConversationFilter| f;
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                statuses: vec![ConversationStatus::Open],
                ..Default::default()
            })
        )
        .await,
        set(&[a, c])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                statuses: vec![ConversationStatus::Open, ConversationStatus::Pending],
                ..Default::default()
            })
        )
        .await,
        set(&[a, b, c])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { channels: vec![Channel::Facebook], ..Default::default() }))
            .await,
        set(&[c])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                channels: vec![Channel::Facebook, Channel::X],
                ..Default::default()
            })
        )
        .await,
        set(&[a, b, c])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { brands: vec![fb.brand_id], ..Default::default() })).await,
        set(&[c])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { account: Some(x.id), ..Default::default() })).await,
        set(&[a, b])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                assignee: Some(AssigneeFilter::User(user.id)),
                ..Default::default()
            })
        )
        .await,
        set(&[a])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                assignee: Some(AssigneeFilter::Unassigned),
                ..Default::default()
            })
        )
        .await,
        set(&[b, c])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                assignee: Some(AssigneeFilter::User(UserId(999))),
                ..Default::default()
            })
        )
        .await,
        set(&[])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { teams: vec![team.id], ..Default::default() })).await,
        set(&[b])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { tag: Some(vip.clone()), ..Default::default() })).await,
        set(&[a])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { priority: Some(Priority::Urgent), ..Default::default() }))
            .await,
        set(&[b])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { priority: Some(Priority::Normal), ..Default::default() }))
            .await,
        set(&[a, c])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { updated_after: Some(b_time), ..Default::default() })).await,
        set(&[b])
    );
    assert_eq!(
        ids(h, f(ConversationFilter { updated_before: Some(b_time), ..Default::default() })).await,
        set(&[a, c])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                updated_after: Some(a_time),
                updated_before: Some(b_time),
                ..Default::default()
            })
        )
        .await,
        set(&[a])
    );
    assert_eq!(
        ids(
            h,
            f(ConversationFilter {
                account: Some(x.id),
                statuses: vec![ConversationStatus::Open],
                tag: Some(vip),
                ..Default::default()
            })
        )
        .await,
        set(&[a])
    );
}

async fn update_conversation_sets_tags_assignee_and_status(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let id =
        store.ingest(batch(&acct, vec![mention("1", "u1", 0)])).await.unwrap().conversations[0];
    let before = store.get_conversation(id).await.unwrap();
    let user = store
        .create_user(NewUser { email: "a@b.c".into(), name: "A".into(), role: Role::Agent })
        .await
        .unwrap();
    let tag = |t: &str| TagName::parse(t).unwrap();
    let seq = store.latest_seq().await.unwrap();
    let after = store
        .update_conversation(
            id,
            ConversationPatch {
                status: Some(ConversationStatus::Resolved),
                assignee_id: Some(Some(user.id)),
                add_tags: vec![tag("billing"), tag("#Refund")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after.status, ConversationStatus::Resolved);
    assert_eq!(after.assignee_id, Some(user.id));
    assert_eq!(after.tags, vec![tag("billing"), tag("refund")]);
    assert!(after.updated_at >= before.updated_at);
    assert_eq!(after.message_count, before.message_count);
    let changes = store.changes_since(seq, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].kind, ChangeKind::ConversationUpdated);

    let seq = store.latest_seq().await.unwrap();
    let same = store
        .update_conversation(
            id,
            ConversationPatch {
                add_tags: vec![tag("billing")],
                remove_tags: vec![tag("nope")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(same, after, "nothing changed, so nothing was written");
    assert_eq!(store.latest_seq().await.unwrap(), seq);

    let cleared = store
        .update_conversation(
            id,
            ConversationPatch {
                assignee_id: Some(None),
                remove_tags: vec![tag("billing")],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(cleared.assignee_id, None);
    assert_eq!(cleared.tags, vec![tag("refund")]);

    let err = store
        .update_conversation(
            id,
            ConversationPatch { assignee_id: Some(Some(UserId(4242))), ..Default::default() },
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "user", .. }), "{err}");
}
