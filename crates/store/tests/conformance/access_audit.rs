//! The audit log, the sign-in throttle's failures, and the plans of every sign-in lookup.

use crate::access_users::user;
use crate::harness::{at, Concrete, Harness};
use chrono::Duration;
use serde_json::json;
use trellis_core::{AuditFilter, AuditId, LoginFailures, NewAuditEntry, Role, StoreError, UserId};

crate::conformance!(
    the_audit_log_pages_newest_first_and_filters_by_entity_and_actor,
    an_audit_entry_keeps_what_it_was_given,
    an_audit_entry_needs_an_actor_an_action_and_an_entity,
    login_failures_are_counted_within_the_window_and_cleared_by_key,
    the_sweep_forgets_only_old_login_failures,
    the_sign_in_lookups_read_an_index,
);

fn entry(actor: Option<UserId>, action: &str, entity: &str, seconds: i64) -> NewAuditEntry {
    NewAuditEntry {
        actor_user_id: actor,
        actor_label: actor.map_or("system".to_owned(), |id| format!("user:{id}")),
        action: action.to_owned(),
        entity: entity.to_owned(),
        entity_id: Some(seconds.to_string()),
        before: None,
        after: None,
        address: None,
        at: at(seconds),
    }
}

async fn the_audit_log_pages_newest_first_and_filters_by_entity_and_actor(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Admin).await;
    let mut ids = Vec::new();
    for i in 0..10 {
        let (actor, entity) = if i % 2 == 0 { (Some(ann.id), "user") } else { (None, "rule") };
        ids.push(store.record_audit(entry(actor, "x.changed", entity, i)).await.unwrap().id);
    }
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "ids grow: {ids:?}");

    let page = |before_id: Option<AuditId>, entity: Option<&str>| AuditFilter {
        before_id,
        limit: 3,
        entity: entity.map(str::to_owned),
        actor_user_id: None,
    };
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let entries = store.audit_log(&page(before, None)).await.unwrap();
        assert!(entries.len() <= 3);
        let Some(last) = entries.last() else { break };
        before = Some(last.id);
        seen.extend(entries.iter().map(|e| e.id));
    }
    let newest_first: Vec<AuditId> = ids.iter().rev().copied().collect();
    assert_eq!(seen, newest_first, "every entry once, newest first");

    let users = store.audit_log(&page(None, Some("user"))).await.unwrap();
    let expected: Vec<AuditId> = vec![ids[8], ids[6], ids[4]];
    assert_eq!(users.iter().map(|e| e.id).collect::<Vec<_>>(), expected);
    let older = store.audit_log(&page(Some(ids[4]), Some("user"))).await.unwrap();
    assert_eq!(older.iter().map(|e| e.id).collect::<Vec<_>>(), vec![ids[2], ids[0]]);
    assert!(older.iter().all(|e| e.entity == "user"));

    let by_ann = AuditFilter { actor_user_id: Some(ann.id), ..Default::default() };
    assert_eq!(store.audit_log(&by_ann).await.unwrap().len(), 5);
    let rules_by_ann = AuditFilter { entity: Some("rule".into()), ..by_ann };
    assert!(store.audit_log(&rules_by_ann).await.unwrap().is_empty());
}

async fn an_audit_entry_keeps_what_it_was_given(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Admin).await;
    let before = json!({ "role": "agent", "teams": [1, 2], "nested": { "é": null } });
    let after = json!({ "role": "admin", "teams": [], "count": 12.5 });
    let new = NewAuditEntry {
        actor_user_id: Some(ann.id),
        actor_label: format!("user:{}", ann.id),
        action: "user.role_changed".into(),
        entity: "user".into(),
        entity_id: Some("7".into()),
        before: Some(before.clone()),
        after: Some(after.clone()),
        address: Some("2001:db8::1".into()),
        at: at(42),
    };
    let recorded = store.record_audit(new).await.unwrap();
    assert_eq!(recorded.before, Some(before));
    assert_eq!(recorded.after, Some(after));
    assert_eq!(recorded.action, "user.role_changed");
    assert_eq!(recorded.actor_user_id, Some(ann.id));
    assert_eq!(recorded.actor_label, format!("user:{}", ann.id));
    assert_eq!(recorded.entity_id.as_deref(), Some("7"));
    assert_eq!(recorded.address.as_deref(), Some("2001:db8::1"));
    assert_eq!(recorded.at, at(42));
    assert_eq!(store.audit_log(&AuditFilter::default()).await.unwrap(), vec![recorded]);
}

async fn an_audit_entry_needs_an_actor_an_action_and_an_entity(h: &Harness) {
    let store = &*h.store;
    for blank in [
        NewAuditEntry { actor_label: " ".into(), ..entry(None, "a", "user", 0) },
        entry(None, "", "user", 0),
        entry(None, "a", "  ", 0),
    ] {
        let err = store.record_audit(blank).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    }
    assert!(store.audit_log(&AuditFilter::default()).await.unwrap().is_empty());
}

async fn login_failures_are_counted_within_the_window_and_cleared_by_key(h: &Harness) {
    let store = &*h.store;
    let key = "address:192.0.2.7";
    assert_eq!(store.login_failures(key, at(0)).await.unwrap(), LoginFailures::default());
    for seconds in [0, 30, 60, 90] {
        store.record_login_failure(key, at(seconds)).await.unwrap();
    }
    store.record_login_failure("email:ann@example.com", at(95)).await.unwrap();
    let all = store.login_failures(key, at(0)).await.unwrap();
    assert_eq!(all, LoginFailures { count: 4, last_at: Some(at(90)) });
    let recent = store.login_failures(key, at(60)).await.unwrap();
    assert_eq!(recent, LoginFailures { count: 2, last_at: Some(at(90)) }, "at or after since");
    assert_eq!(store.login_failures(key, at(91)).await.unwrap().count, 0);

    store.clear_login_failures(key).await.unwrap();
    assert_eq!(store.login_failures(key, at(0)).await.unwrap().count, 0);
    let other = store.login_failures("email:ann@example.com", at(0)).await.unwrap();
    assert_eq!(other.count, 1, "other keys are untouched");
}

async fn the_sweep_forgets_only_old_login_failures(h: &Harness) {
    let store = &*h.store;
    for (key, seconds) in [("a", 0), ("a", 100), ("b", 50), ("b", 200)] {
        store.record_login_failure(key, at(seconds)).await.unwrap();
    }
    assert_eq!(store.sweep_login_failures(at(100)).await.unwrap(), 2);
    assert_eq!(store.login_failures("a", at(0)).await.unwrap().count, 1);
    assert_eq!(store.login_failures("b", at(0) - Duration::days(1)).await.unwrap().count, 1);
}

async fn the_sign_in_lookups_read_an_index(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Admin).await;
    for i in 0..60 {
        store.record_audit(entry(Some(ann.id), "x", "user", i)).await.unwrap();
        store.record_login_failure(&format!("k{}", i % 5), at(i)).await.unwrap();
    }
    let plans = match &h.concrete {
        Concrete::Sqlite(store) => store.explain_access_lookups().await,
        Concrete::Postgres(store) => store.explain_access_lookups().await,
    };
    let plans = plans.unwrap();
    assert_eq!(plans.len(), 7);
    for (name, lines) in plans {
        let plan = lines.join("\n").to_lowercase();
        if h.is_sqlite() {
            assert!(
                !plan.lines().any(|line| line.trim_start().starts_with("scan ")),
                "{name}: scans a table:\n{plan}"
            );
            assert!(!plan.contains("temp b-tree"), "{name}: sorts:\n{plan}");
        } else {
            assert!(!plan.contains("seq scan"), "{name}: scans a table:\n{plan}");
            assert!(!plan.contains("sort"), "{name}: sorts:\n{plan}");
        }
    }
}
