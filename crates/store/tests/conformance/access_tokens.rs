//! Personal API tokens: kept by the hash of their secret, authenticating their active user until
//! revoked or expired, listed with everything but the hash.

use crate::access_users::{token, user};
use crate::harness::{at, Harness};
use trellis_core::{ApiTokenId, NewApiToken, Role, StoreError};

crate::conformance!(
    a_token_authenticates_its_user_and_records_the_use,
    a_token_use_is_recorded_at_most_once_a_minute,
    a_revoked_token_no_longer_authenticates_and_revoking_again_keeps_the_first_time,
    an_expired_token_is_refused,
    token_lists_show_everything_but_the_hash,
    a_token_hash_kept_twice_is_a_conflict_that_does_not_echo_it,
    a_token_is_made_only_for_an_active_user_with_a_name_and_an_expiry_ahead,
);

async fn a_token_authenticates_its_user_and_records_the_use(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_api_token(token(ann.id, "ci", "hash-ann")).await.unwrap();
    assert_eq!(created.last_used_at, None);
    let (used, by) = store.authenticate_api_token("hash-ann", at(100)).await.unwrap().unwrap();
    assert_eq!(by, ann);
    assert_eq!(used.id, created.id);
    assert_eq!(used.last_used_at, Some(at(100)));
    assert_eq!(store.get_api_token(created.id).await.unwrap().last_used_at, Some(at(100)));
    assert!(store.authenticate_api_token("hash-other", at(100)).await.unwrap().is_none());
    assert!(
        store.authenticate_api_token("HASH-ANN", at(100)).await.unwrap().is_none(),
        "hashes are compared exactly"
    );
}

async fn a_token_use_is_recorded_at_most_once_a_minute(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_api_token(token(ann.id, "ci", "hash-ann")).await.unwrap();
    store.authenticate_api_token("hash-ann", at(100)).await.unwrap().unwrap();
    let (soon, _) = store.authenticate_api_token("hash-ann", at(159)).await.unwrap().unwrap();
    assert_eq!(soon.last_used_at, Some(at(100)), "59 s later: not written");
    assert_eq!(store.get_api_token(created.id).await.unwrap().last_used_at, Some(at(100)));
    let (later, _) = store.authenticate_api_token("hash-ann", at(160)).await.unwrap().unwrap();
    assert_eq!(later.last_used_at, Some(at(160)), "a minute later: written");
    assert_eq!(store.get_api_token(created.id).await.unwrap().last_used_at, Some(at(160)));
}

async fn a_revoked_token_no_longer_authenticates_and_revoking_again_keeps_the_first_time(
    h: &Harness,
) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let created = store.create_api_token(token(ann.id, "ci", "hash-ann")).await.unwrap();
    let other = store.create_api_token(token(ann.id, "cli", "hash-cli")).await.unwrap();
    let revoked = store.revoke_api_token(created.id, at(50)).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(at(50)));
    assert!(store.authenticate_api_token("hash-ann", at(60)).await.unwrap().is_none());
    let again = store.revoke_api_token(created.id, at(90)).await.unwrap();
    assert_eq!(again.revoked_at, Some(at(50)), "the first revocation stands");
    assert!(
        store.authenticate_api_token("hash-cli", at(60)).await.unwrap().is_some(),
        "another token of the same user still works"
    );
    assert_eq!(store.get_api_token(other.id).await.unwrap().revoked_at, None);
    let err = store.revoke_api_token(ApiTokenId(999), at(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

async fn an_expired_token_is_refused(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let expiring = NewApiToken { expires_at: Some(at(3_600)), ..token(ann.id, "day", "hash-day") };
    let created = store.create_api_token(expiring).await.unwrap();
    assert_eq!(created.expires_at, Some(at(3_600)));
    assert!(store.authenticate_api_token("hash-day", at(3_599)).await.unwrap().is_some());
    assert!(store.authenticate_api_token("hash-day", at(3_600)).await.unwrap().is_none());
    assert_eq!(
        store.get_api_token(created.id).await.unwrap().last_used_at,
        Some(at(3_599)),
        "a refused use is not recorded"
    );
}

async fn token_lists_show_everything_but_the_hash(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    let expiring =
        NewApiToken { expires_at: Some(at(7_200)), ..token(ann.id, "export", "secrethash-1") };
    let first = store.create_api_token(expiring).await.unwrap();
    let second = store.create_api_token(token(bob.id, "ci", "secrethash-2")).await.unwrap();
    let third = store.create_api_token(token(ann.id, "cli", "secrethash-3")).await.unwrap();
    store.revoke_api_token(third.id, at(10)).await.unwrap();
    let third = store.get_api_token(third.id).await.unwrap();

    assert_eq!(first.user_id, ann.id);
    assert_eq!(first.name, "export");
    assert_eq!(first.prefix, "trl_secr");
    assert_eq!(first.created_at, at(0));
    assert_eq!(first.expires_at, Some(at(7_200)));
    assert_eq!(first.revoked_at, None);
    let all = store.api_tokens(None).await.unwrap();
    assert_eq!(all, vec![third.clone(), second.clone(), first.clone()], "newest first");
    assert_eq!(store.api_tokens(Some(ann.id)).await.unwrap(), vec![third, first]);
    assert_eq!(store.api_tokens(Some(bob.id)).await.unwrap(), vec![second]);
    let shown = serde_json::to_string(&all).unwrap();
    assert!(!shown.contains("secrethash"), "a hash left the store: {shown}");
}

async fn a_token_hash_kept_twice_is_a_conflict_that_does_not_echo_it(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    store.create_api_token(token(ann.id, "ci", "samehash")).await.unwrap();
    let err = store.create_api_token(token(bob.id, "ci", "samehash")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(!err.to_string().contains("samehash"), "{err}");
    assert!(store.api_tokens(Some(bob.id)).await.unwrap().is_empty());
    let (_, owner) = store.authenticate_api_token("samehash", at(1)).await.unwrap().unwrap();
    assert_eq!(owner.id, ann.id, "the first token keeps its hash");
}

async fn a_token_is_made_only_for_an_active_user_with_a_name_and_an_expiry_ahead(h: &Harness) {
    let store = &*h.store;
    let admin = user(store, "admin", Role::Admin).await;
    let ann = user(store, "ann", Role::Agent).await;
    let blank = NewApiToken { name: "  ".into(), ..token(ann.id, "x", "hash-1") };
    assert!(matches!(store.create_api_token(blank).await, Err(StoreError::Invalid(_))));
    let past = NewApiToken { expires_at: Some(at(0)), ..token(ann.id, "x", "hash-2") };
    assert!(matches!(store.create_api_token(past).await, Err(StoreError::Invalid(_))));
    store.deactivate_user(ann.id, at(1)).await.unwrap();
    let err = store.create_api_token(token(ann.id, "x", "hash-3")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(store.api_tokens(None).await.unwrap().is_empty());
    store.create_api_token(token(admin.id, "x", "hash-4")).await.unwrap();
}
