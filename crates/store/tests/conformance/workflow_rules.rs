//! Triage rules: stored in evaluation order, reordered only by a full permutation, every write
//! announced so each node reloads its rules.

use crate::harness::Harness;
use crate::workflow_fixtures::{changes_after, kinds};
use serde_json::json;
use trellis_core::{ChangeKind, RuleInput, RuleRecordId, Store, StoreError};

crate::conformance!(
    rules_are_appended_in_order_and_every_write_is_announced,
    reordering_takes_a_permutation_of_every_rule,
    a_deleted_rule_leaves_the_others_in_order,
);

fn rule(name: &str, enabled: bool) -> RuleInput {
    RuleInput {
        name: name.to_owned(),
        enabled,
        definition: json!({ "conditions": [{ "field": "text", "contains": name }], "actions": [] }),
    }
}

async fn order(store: &dyn Store) -> Vec<RuleRecordId> {
    store.list_rules().await.unwrap().into_iter().map(|r| r.id).collect()
}

async fn rules_are_appended_in_order_and_every_write_is_announced(h: &Harness) {
    let store = &*h.store;
    let seq = store.latest_seq().await.unwrap();
    let mut created = Vec::new();
    for name in ["vip", "spam", "billing"] {
        created.push(store.create_rule(rule(name, true)).await.unwrap());
    }
    let listed = store.list_rules().await.unwrap();
    assert_eq!(listed, created);
    assert!(listed.windows(2).all(|w| w[0].position < w[1].position));
    assert_eq!(listed[1].definition, rule("spam", true).definition);

    let updated = store.update_rule(created[1].id, rule("spam v2", false)).await.unwrap();
    assert_eq!((updated.name.as_str(), updated.enabled), ("spam v2", false));
    assert_eq!(updated.position, created[1].position);
    assert_eq!(updated.created_at, created[1].created_at);
    assert_eq!(store.list_rules().await.unwrap()[1], updated);

    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::RuleUpdated; 4]);
    let entities: Vec<i64> = changes.iter().map(|c| c.entity_id).collect();
    assert_eq!(entities, [created[0].id.0, created[1].id.0, created[2].id.0, created[1].id.0]);

    let missing = store.update_rule(RuleRecordId(999), rule("x", true)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "rule", .. })));
    let blank = store.create_rule(rule("  ", true)).await;
    assert!(matches!(blank, Err(StoreError::Invalid(_))));
    assert_eq!(store.list_rules().await.unwrap().len(), 3);
}

async fn reordering_takes_a_permutation_of_every_rule(h: &Harness) {
    let store = &*h.store;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(store.create_rule(rule(name, true)).await.unwrap().id);
    }
    let seq = store.latest_seq().await.unwrap();
    store.reorder_rules(&[ids[2], ids[0], ids[1]]).await.unwrap();
    assert_eq!(order(store).await, [ids[2], ids[0], ids[1]]);
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::RuleUpdated; 3]);

    // Moving only the first two announces only those two.
    let seq = store.latest_seq().await.unwrap();
    store.reorder_rules(&[ids[0], ids[2], ids[1]]).await.unwrap();
    let moved: Vec<i64> = changes_after(store, seq).await.iter().map(|c| c.entity_id).collect();
    assert_eq!(moved, [ids[0].0, ids[2].0]);

    let seq = store.latest_seq().await.unwrap();
    let bad: [&[RuleRecordId]; 4] = [
        &[ids[0], ids[2]],
        &[ids[0], ids[2], ids[2]],
        &[ids[0], ids[2], ids[1], RuleRecordId(999)],
        &[],
    ];
    for ids in bad {
        let result = store.reorder_rules(ids).await;
        assert!(matches!(result, Err(StoreError::Invalid(_))), "{ids:?}: {result:?}");
    }
    assert_eq!(order(store).await, [ids[0], ids[2], ids[1]]);
    assert!(changes_after(store, seq).await.is_empty());
}

async fn a_deleted_rule_leaves_the_others_in_order(h: &Harness) {
    let store = &*h.store;
    let mut ids = Vec::new();
    for name in ["a", "b", "c"] {
        ids.push(store.create_rule(rule(name, true)).await.unwrap().id);
    }
    let seq = store.latest_seq().await.unwrap();
    store.delete_rule(ids[1]).await.unwrap();
    assert_eq!(order(store).await, [ids[0], ids[2]]);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::RuleUpdated]);
    assert_eq!(changes[0].entity_id, ids[1].0);
    let again = store.delete_rule(ids[1]).await;
    assert!(matches!(again, Err(StoreError::NotFound { entity: "rule", .. })));

    // The deleted rule may not appear in a new order; a new rule goes last.
    let result = store.reorder_rules(&[ids[2], ids[1], ids[0]]).await;
    assert!(matches!(result, Err(StoreError::Invalid(_))));
    store.reorder_rules(&[ids[2], ids[0]]).await.unwrap();
    let last = store.create_rule(rule("d", true)).await.unwrap().id;
    assert_eq!(order(store).await, [ids[2], ids[0], last]);
}
