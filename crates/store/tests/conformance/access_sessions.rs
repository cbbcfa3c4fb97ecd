//! Browser sessions: kept by the hash of their id, touched while they last, ended by idle or
//! absolute expiry, sign-out, deactivation or a sweep.

use crate::access_users::{session, user};
use crate::harness::{at, Harness};
use chrono::Duration;
use trellis_core::{Role, Store, StoreError};

crate::conformance!(
    a_session_is_kept_by_its_hash_and_touched_with_its_user,
    a_session_idle_past_its_expiry_is_refused_and_deleted,
    a_session_past_its_absolute_expiry_is_refused_however_recently_used,
    a_touch_extends_idle_expiry_but_never_past_absolute_expiry,
    touches_within_a_minute_write_nothing,
    a_deactivated_users_session_no_longer_signs_them_in,
    ending_a_users_sessions_except_one_keeps_exactly_that_one,
    the_sweep_deletes_only_expired_sessions,
    a_session_id_kept_twice_is_a_conflict_and_expiries_must_lie_ahead,
    two_nodes_touching_one_session_at_once_both_get_it,
);

const MINUTE: i64 = 60;

async fn a_session_is_kept_by_its_hash_and_touched_with_its_user(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_session(session(ann.id, "hash-1", 0)).await.unwrap();
    assert_eq!(created.id_hash, "hash-1");
    assert_eq!(created.last_seen_at, at(0), "last seen when created");
    assert_eq!(created.idle_expires_at, at(30 * MINUTE));
    assert_eq!(created.absolute_expires_at, at(0) + Duration::days(1));
    assert_eq!(created.user_agent.as_deref(), Some("Mozilla/5.0"));
    assert_eq!(created.address.as_deref(), Some("192.0.2.7"));
    assert_eq!(store.list_user_sessions(ann.id).await.unwrap(), vec![created.clone()]);

    let touched = store.touch_session("hash-1", at(10 * MINUTE), at(40 * MINUTE)).await.unwrap();
    let touched = touched.expect("a live session signs its user in");
    assert_eq!(touched.user, ann);
    assert_eq!(touched.session.last_seen_at, at(10 * MINUTE));
    assert_eq!(touched.session.idle_expires_at, at(40 * MINUTE));
    assert_eq!(store.list_user_sessions(ann.id).await.unwrap(), vec![touched.session]);
    assert!(store.touch_session("unknown", at(10), at(20)).await.unwrap().is_none());

    assert!(store.delete_session("hash-1").await.unwrap(), "signed out");
    assert!(!store.delete_session("hash-1").await.unwrap(), "nothing left to end");
    assert!(store
        .touch_session("hash-1", at(11 * MINUTE), at(41 * MINUTE))
        .await
        .unwrap()
        .is_none());
}

async fn a_session_idle_past_its_expiry_is_refused_and_deleted(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "idle", 0)).await.unwrap();
    let late = at(30 * MINUTE);
    assert!(store
        .touch_session("idle", late, late + Duration::minutes(30))
        .await
        .unwrap()
        .is_none());
    assert!(store.list_user_sessions(ann.id).await.unwrap().is_empty(), "the expired one is gone");
    assert!(!store.delete_session("idle").await.unwrap());
}

async fn a_session_past_its_absolute_expiry_is_refused_however_recently_used(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "busy", 0)).await.unwrap();
    // Used every 20 minutes for a day: the idle expiry keeps moving, the absolute one does not.
    let mut now = 0;
    while now + 20 * MINUTE < 24 * 60 * MINUTE {
        now += 20 * MINUTE;
        let touched = store.touch_session("busy", at(now), at(now + 30 * MINUTE)).await.unwrap();
        assert!(touched.is_some(), "still live at {now}s");
    }
    let last = at(24 * 60 * MINUTE - MINUTE);
    let touched = store.touch_session("busy", last, last + Duration::minutes(30)).await.unwrap();
    assert!(touched.is_some(), "a minute before the absolute expiry it still holds");
    let day = at(0) + Duration::days(1);
    assert!(store.touch_session("busy", day, day + Duration::minutes(30)).await.unwrap().is_none());
    assert!(store.list_user_sessions(ann.id).await.unwrap().is_empty(), "deleted once over");
}

async fn a_touch_extends_idle_expiry_but_never_past_absolute_expiry(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_session(session(ann.id, "s", 0)).await.unwrap();
    let absolute = created.absolute_expires_at;
    let touched = store
        .touch_session("s", at(20 * MINUTE), absolute + Duration::hours(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.session.idle_expires_at, absolute, "held at the absolute expiry");
    assert_eq!(touched.session.absolute_expires_at, absolute);
    let earlier =
        store.touch_session("s", at(22 * MINUTE), at(25 * MINUTE)).await.unwrap().unwrap();
    assert_eq!(earlier.session.idle_expires_at, absolute, "a touch never shortens a session");
    let asked_past = store
        .create_session(trellis_core::NewSession {
            idle_expires_at: at(0) + Duration::days(3),
            ..session(ann.id, "t", 0)
        })
        .await
        .unwrap();
    assert_eq!(asked_past.idle_expires_at, asked_past.absolute_expires_at, "capped when created");
}

async fn touches_within_a_minute_write_nothing(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_session(session(ann.id, "s", 0)).await.unwrap();
    let soon = store.touch_session("s", at(30), at(30 + 30 * MINUTE)).await.unwrap().unwrap();
    assert_eq!(soon.session, created, "half a minute later nothing moved enough to write");
    assert_eq!(store.list_user_sessions(ann.id).await.unwrap(), vec![created]);
    let later = store.touch_session("s", at(MINUTE), at(31 * MINUTE)).await.unwrap().unwrap();
    assert_eq!(later.session.last_seen_at, at(MINUTE), "a minute later it is written");
    assert_eq!(later.session.idle_expires_at, at(31 * MINUTE));
}

async fn a_deactivated_users_session_no_longer_signs_them_in(h: &Harness) {
    let store = &*h.store;
    let admin = user(store, "admin", Role::Admin).await;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "ann", 0)).await.unwrap();
    store.create_session(session(admin.id, "admin", 0)).await.unwrap();
    store.deactivate_user(ann.id, at(MINUTE)).await.unwrap();
    let now = at(2 * MINUTE);
    assert!(store.touch_session("ann", now, now + Duration::minutes(30)).await.unwrap().is_none());
    store.reactivate_user(ann.id).await.unwrap();
    let again = store.touch_session("ann", now, now + Duration::minutes(30)).await.unwrap();
    assert!(again.is_none(), "deactivation ended the session; reactivating does not revive it");
    let other = store.touch_session("admin", now, now + Duration::minutes(30)).await.unwrap();
    assert_eq!(other.map(|s| s.user.id), Some(admin.id), "other users' sessions hold");
}

async fn ending_a_users_sessions_except_one_keeps_exactly_that_one(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    for hash in ["a1", "a2", "a3"] {
        store.create_session(session(ann.id, hash, 0)).await.unwrap();
    }
    store.create_session(session(bob.id, "b1", 0)).await.unwrap();
    assert_eq!(store.delete_user_sessions(ann.id, Some("a2")).await.unwrap(), 2);
    let left: Vec<String> =
        store.list_user_sessions(ann.id).await.unwrap().into_iter().map(|s| s.id_hash).collect();
    assert_eq!(left, vec!["a2".to_owned()]);
    assert_eq!(
        store.delete_user_sessions(ann.id, Some("b1")).await.unwrap(),
        1,
        "another user's session is no exception"
    );
    assert_eq!(store.list_user_sessions(bob.id).await.unwrap().len(), 1, "bob's untouched");
    assert_eq!(store.delete_user_sessions(bob.id, None).await.unwrap(), 1);
    assert!(store.list_user_sessions(bob.id).await.unwrap().is_empty());
}

async fn the_sweep_deletes_only_expired_sessions(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "old", 0)).await.unwrap();
    store.create_session(session(ann.id, "new", 20 * MINUTE)).await.unwrap();
    assert_eq!(store.sweep_expired_sessions(at(29 * MINUTE)).await.unwrap(), 0);
    assert_eq!(store.sweep_expired_sessions(at(30 * MINUTE)).await.unwrap(), 1);
    let left = store.list_user_sessions(ann.id).await.unwrap();
    assert_eq!(left.iter().map(|s| s.id_hash.as_str()).collect::<Vec<_>>(), vec!["new"]);
}

async fn a_session_id_kept_twice_is_a_conflict_and_expiries_must_lie_ahead(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "same", 0)).await.unwrap();
    let err = store.create_session(session(ann.id, "same", 5)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(!err.to_string().contains("same"), "the hash is not echoed: {err}");
    let over = trellis_core::NewSession { absolute_expires_at: at(0), ..session(ann.id, "x", 0) };
    let err = store.create_session(over).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let blank = session(ann.id, "  ", 0);
    assert!(matches!(store.create_session(blank).await, Err(StoreError::Invalid(_))));
    assert_eq!(store.list_user_sessions(ann.id).await.unwrap().len(), 1);
}

async fn two_nodes_touching_one_session_at_once_both_get_it(h: &Harness) {
    let store: &dyn Store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    store.create_session(session(ann.id, "s", 0)).await.unwrap();
    for round in 1..=5 {
        let now = at(round * 5 * MINUTE);
        let (one, two) = tokio::join!(
            store.touch_session("s", now, now + Duration::minutes(30)),
            store.touch_session("s", now, now + Duration::minutes(29)),
        );
        let (one, two) = (one.unwrap().unwrap(), two.unwrap().unwrap());
        assert_eq!(one.user.id, ann.id);
        assert_eq!(two.user.id, ann.id);
        let kept = store.list_user_sessions(ann.id).await.unwrap();
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].idle_expires_at, now + Duration::minutes(30), "the later expiry wins");
        assert_eq!(kept[0].last_seen_at, now);
    }
}
