//! The list query is served by indexes: no full scan of conversations, no sort of the result.

use crate::harness::{account, batch, mention, Harness};
use trellis_core::{
    AssigneeFilter, Channel, ConversationFilter, ConversationStatus, PageCursor, UserId,
};

crate::conformance!(conversation_lists_read_an_index_in_order);

async fn conversation_lists_read_an_index_in_order(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let messages = (0..50).map(|i| mention(&format!("m{i}"), &format!("u{i}"), i)).collect();
    store.ingest(batch(&acct, messages)).await.unwrap();
    let first = store
        .list_conversations(&ConversationFilter { limit: 10, ..Default::default() })
        .await
        .unwrap();
    let cursor: PageCursor = first.next.unwrap();

    let filters = [
        ("no filter", ConversationFilter::default()),
        ("next page", ConversationFilter { after: Some(cursor), ..Default::default() }),
        (
            "one status",
            ConversationFilter { statuses: vec![ConversationStatus::Open], ..Default::default() },
        ),
        (
            "status, next page",
            ConversationFilter {
                statuses: vec![ConversationStatus::Open],
                after: Some(cursor),
                ..Default::default()
            },
        ),
        ("account", ConversationFilter { account: Some(acct.id), ..Default::default() }),
        ("brand", ConversationFilter { brands: vec![acct.brand_id], ..Default::default() }),
        (
            "mine",
            ConversationFilter {
                assignee: Some(AssigneeFilter::User(UserId(1))),
                ..Default::default()
            },
        ),
        (
            "unassigned",
            ConversationFilter { assignee: Some(AssigneeFilter::Unassigned), ..Default::default() },
        ),
        (
            "open and mine",
            ConversationFilter {
                statuses: vec![ConversationStatus::Open],
                assignee: Some(AssigneeFilter::User(UserId(1))),
                ..Default::default()
            },
        ),
        ("team", ConversationFilter { teams: vec![trellis_core::TeamId(1)], ..Default::default() }),
    ];
    for (name, filter) in filters {
        let plan = h.explain(&filter).await;
        if h.is_sqlite() {
            assert!(!plan.contains("temp b-tree"), "{name}: sorts the result:\n{plan}");
            for line in plan
                .lines()
                .filter(|l| l.contains("conversations") || l.contains(" c ") || l.ends_with(" c"))
            {
                assert!(
                    line.contains("using index")
                        || line.contains("using covering index")
                        || line.contains("using integer primary key"),
                    "{name}: scans without an index:\n{plan}"
                );
            }
            assert!(
                plan.contains("conversations_"),
                "{name}: no conversations index used:\n{plan}"
            );
        } else {
            assert!(!plan.contains("seq scan on conversations"), "{name}: full scan:\n{plan}");
            assert!(!plan.contains("sort"), "{name}: sorts the result:\n{plan}");
            assert!(
                plan.contains("index scan") && plan.contains("conversations_"),
                "{name}: no index:\n{plan}"
            );
        }
    }
}
