//! Users' standing: password hashes, finding by email, role and name, deactivation, the active
//! admins, and leaving a team.

use crate::harness::{at, Harness};
use crate::workflow_fixtures::{changes_after, kinds, team};
use chrono::Duration;
use trellis_core::{
    ChangeKind, NewApiToken, NewSession, NewUser, Role, Store, StoreError, TeamId, User, UserId,
};

crate::conformance!(
    a_password_hash_is_kept_as_given_and_replaced,
    a_user_is_found_by_email_whatever_its_case,
    a_role_change_is_kept_and_announced_only_when_it_changes_something,
    renaming_a_user_trims_the_name_and_refuses_a_blank_one,
    deactivating_a_user_ends_their_sessions_and_revokes_their_tokens,
    only_admins_who_are_not_deactivated_are_counted,
    the_last_active_admin_can_be_neither_demoted_nor_deactivated,
    two_nodes_demoting_the_last_two_admins_at_once_leave_one,
    removing_a_team_member_is_announced_and_a_non_member_is_not_found,
    missing_users_are_not_found_by_any_access_call,
);

pub const PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

pub async fn user(store: &dyn Store, name: &str, role: Role) -> User {
    let new = NewUser { email: format!("{name}@example.com"), name: name.to_owned(), role };
    store.create_user(new).await.unwrap()
}

/// A session of `user` started at `at(start)`, idle for 30 minutes, for at most a day.
pub fn session(user: UserId, hash: &str, start: i64) -> NewSession {
    NewSession {
        id_hash: hash.to_owned(),
        user_id: user,
        created_at: at(start),
        idle_expires_at: at(start) + Duration::minutes(30),
        absolute_expires_at: at(start) + Duration::days(1),
        user_agent: Some("Mozilla/5.0".into()),
        address: Some("192.0.2.7".into()),
    }
}

/// A token of `user` created at `at(0)`, without expiry.
pub fn token(user: UserId, name: &str, hash: &str) -> NewApiToken {
    NewApiToken {
        user_id: user,
        name: name.to_owned(),
        token_hash: hash.to_owned(),
        prefix: format!("trl_{}", &hash[..4]),
        created_at: at(0),
        expires_at: None,
    }
}

async fn a_password_hash_is_kept_as_given_and_replaced(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    assert_eq!(store.user_password_hash(ann.id).await.unwrap(), None, "no password yet");
    store.set_password_hash(ann.id, PHC, at(10)).await.unwrap();
    assert_eq!(store.user_password_hash(ann.id).await.unwrap().as_deref(), Some(PHC));
    let replaced = PHC.replace("aGFzaA", "b3RoZXI");
    store.set_password_hash(ann.id, &replaced, at(20)).await.unwrap();
    assert_eq!(store.user_password_hash(ann.id).await.unwrap(), Some(replaced.clone()));
    let err = store.set_password_hash(ann.id, "correct horse battery", at(30)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "a plain password is refused: {err}");
    assert_eq!(store.user_password_hash(ann.id).await.unwrap(), Some(replaced), "unchanged");
}

async fn a_user_is_found_by_email_whatever_its_case(h: &Harness) {
    let store = &*h.store;
    let new =
        NewUser { email: "Ann.Lee@Example.com".into(), name: "Ann".into(), role: Role::Agent };
    let ann = store.create_user(new).await.unwrap();
    user(store, "bob", Role::Agent).await;
    for spelling in ["ann.lee@example.com", "ANN.LEE@EXAMPLE.COM", " Ann.Lee@Example.com "] {
        let found = store.find_user_by_email(spelling).await.unwrap();
        assert_eq!(found.as_ref(), Some(&ann), "{spelling}");
    }
    assert_eq!(store.find_user_by_email("nobody@example.com").await.unwrap(), None);
    let deactivated = store.deactivate_user(ann.id, at(5)).await.unwrap();
    let found = store.find_user_by_email("ann.lee@example.com").await.unwrap().unwrap();
    assert_eq!(found, deactivated, "a deactivated user is found, and shows it");
    assert!(!found.is_active());
}

async fn a_role_change_is_kept_and_announced_only_when_it_changes_something(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let seq = store.latest_seq().await.unwrap();
    let promoted = store.set_user_role(ann.id, Role::Supervisor).await.unwrap();
    assert_eq!(promoted.role, Role::Supervisor);
    assert_eq!(store.get_user(ann.id).await.unwrap(), promoted);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), vec![ChangeKind::UserUpdated]);
    assert_eq!(changes[0].entity_id, ann.id.0);
    let seq = store.latest_seq().await.unwrap();
    assert_eq!(store.set_user_role(ann.id, Role::Supervisor).await.unwrap(), promoted);
    assert_eq!(store.latest_seq().await.unwrap(), seq, "the same role again changes nothing");
}

async fn renaming_a_user_trims_the_name_and_refuses_a_blank_one(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let renamed = store.set_user_name(ann.id, "  Ann Lee ").await.unwrap();
    assert_eq!(renamed.name, "Ann Lee");
    assert_eq!(store.get_user(ann.id).await.unwrap().name, "Ann Lee");
    let err = store.set_user_name(ann.id, "   ").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    assert_eq!(store.get_user(ann.id).await.unwrap().name, "Ann Lee");
}

async fn deactivating_a_user_ends_their_sessions_and_revokes_their_tokens(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    store.create_session(session(ann.id, "ann-1", 0)).await.unwrap();
    store.create_session(session(ann.id, "ann-2", 0)).await.unwrap();
    store.create_session(session(bob.id, "bob-1", 0)).await.unwrap();
    let ann_token = store.create_api_token(token(ann.id, "ci", "aaaa1111")).await.unwrap();
    let early = store.create_api_token(token(ann.id, "old", "aaaa2222")).await.unwrap();
    store.revoke_api_token(early.id, at(1)).await.unwrap();
    let bob_token = store.create_api_token(token(bob.id, "ci", "bbbb1111")).await.unwrap();

    let seq = store.latest_seq().await.unwrap();
    let deactivated = store.deactivate_user(ann.id, at(100)).await.unwrap();
    assert_eq!(deactivated.deactivated_at, Some(at(100)));
    assert_eq!(store.get_user(ann.id).await.unwrap(), deactivated);
    assert_eq!(kinds(&changes_after(store, seq).await), vec![ChangeKind::UserUpdated]);
    assert!(store.list_user_sessions(ann.id).await.unwrap().is_empty(), "ann's sessions ended");
    assert_eq!(store.list_user_sessions(bob.id).await.unwrap().len(), 1, "bob's kept");
    assert_eq!(store.get_api_token(ann_token.id).await.unwrap().revoked_at, Some(at(100)));
    assert_eq!(
        store.get_api_token(early.id).await.unwrap().revoked_at,
        Some(at(1)),
        "a token revoked before keeps its time"
    );
    assert_eq!(store.get_api_token(bob_token.id).await.unwrap().revoked_at, None);
    assert!(store.authenticate_api_token("aaaa1111", at(101)).await.unwrap().is_none());

    let again = store.deactivate_user(ann.id, at(200)).await.unwrap();
    assert_eq!(again.deactivated_at, Some(at(100)), "deactivating again keeps the first time");
    let err = store.create_session(session(ann.id, "ann-3", 150)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "no session for a deactivated user: {err}");

    let reactivated = store.reactivate_user(ann.id).await.unwrap();
    assert!(reactivated.is_active());
    assert!(
        store.authenticate_api_token("aaaa1111", at(300)).await.unwrap().is_none(),
        "tokens revoked by the deactivation stay revoked"
    );
}

async fn only_admins_who_are_not_deactivated_are_counted(h: &Harness) {
    let store = &*h.store;
    assert_eq!(store.count_active_admins().await.unwrap(), 0);
    let ann = user(store, "ann", Role::Admin).await;
    let bob = user(store, "bob", Role::Admin).await;
    let cid = user(store, "cid", Role::Supervisor).await;
    assert_eq!(store.count_active_admins().await.unwrap(), 2);
    store.deactivate_user(bob.id, at(1)).await.unwrap();
    assert_eq!(store.count_active_admins().await.unwrap(), 1);
    store.set_user_role(cid.id, Role::Admin).await.unwrap();
    assert_eq!(store.count_active_admins().await.unwrap(), 2);
    store.set_user_role(ann.id, Role::Agent).await.unwrap();
    assert_eq!(store.count_active_admins().await.unwrap(), 1);
    store.reactivate_user(bob.id).await.unwrap();
    assert_eq!(store.count_active_admins().await.unwrap(), 2);
}

async fn the_last_active_admin_can_be_neither_demoted_nor_deactivated(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Admin).await;
    let bob = user(store, "bob", Role::Admin).await;
    store.deactivate_user(bob.id, at(1)).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    let err = store.set_user_role(ann.id, Role::Supervisor).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let err = store.deactivate_user(ann.id, at(2)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.get_user(ann.id).await.unwrap(), ann, "unchanged");
    assert_eq!(store.latest_seq().await.unwrap(), seq, "nothing announced");
    store.set_user_role(bob.id, Role::Agent).await.unwrap();
    store.set_user_role(ann.id, Role::Admin).await.unwrap();
}

async fn two_nodes_demoting_the_last_two_admins_at_once_leave_one(h: &Harness) {
    let store = &*h.store;
    let mut survivor: Option<UserId> = None;
    for round in 0..5 {
        let ann = user(store, &format!("ann{round}"), Role::Admin).await;
        let bob = user(store, &format!("bob{round}"), Role::Admin).await;
        if let Some(survivor) = survivor {
            store.set_user_role(survivor, Role::Agent).await.unwrap();
        }
        assert_eq!(store.count_active_admins().await.unwrap(), 2, "round {round}");
        let (first, second) = tokio::join!(
            store.set_user_role(ann.id, Role::Agent),
            store.set_user_role(bob.id, Role::Agent),
        );
        let refused = [&first, &second]
            .iter()
            .filter(|result| matches!(result, Err(StoreError::Conflict(_))))
            .count();
        assert_eq!(refused, 1, "round {round}: {first:?} / {second:?}");
        assert_eq!(store.count_active_admins().await.unwrap(), 1, "round {round}");
        survivor = Some(if first.is_ok() { bob.id } else { ann.id });
    }
}

async fn removing_a_team_member_is_announced_and_a_non_member_is_not_found(h: &Harness) {
    let store = &*h.store;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    let support = team(store, "support", &[ann.id, bob.id]).await;
    let seq = store.latest_seq().await.unwrap();
    store.remove_team_member(support, ann.id).await.unwrap();
    assert_eq!(store.team_members(support).await.unwrap(), vec![bob.id]);
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), vec![ChangeKind::TeamUpdated]);
    assert_eq!(changes[0].entity_id, support.0);
    let err = store.remove_team_member(support, ann.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "no longer a member: {err}");
    let err = store.remove_team_member(TeamId(999), bob.id).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "team", .. }), "{err}");
    assert_eq!(store.team_members(support).await.unwrap(), vec![bob.id]);
}

async fn missing_users_are_not_found_by_any_access_call(h: &Harness) {
    let store = &*h.store;
    let nobody = UserId(999);
    let not_found = |result: Result<(), StoreError>, call: &str| match result {
        Err(StoreError::NotFound { entity: "user", .. }) => {}
        other => panic!("{call}: {other:?}"),
    };
    not_found(store.user_password_hash(nobody).await.map(drop), "user_password_hash");
    not_found(store.set_password_hash(nobody, PHC, at(0)).await, "set_password_hash");
    not_found(store.set_user_role(nobody, Role::Admin).await.map(drop), "set_user_role");
    not_found(store.set_user_name(nobody, "x").await.map(drop), "set_user_name");
    not_found(store.deactivate_user(nobody, at(0)).await.map(drop), "deactivate_user");
    not_found(store.reactivate_user(nobody).await.map(drop), "reactivate_user");
    not_found(store.create_session(session(nobody, "h", 0)).await.map(drop), "create_session");
    not_found(store.list_user_sessions(nobody).await.map(drop), "list_user_sessions");
    not_found(store.delete_user_sessions(nobody, None).await.map(drop), "delete_user_sessions");
    not_found(
        store.create_api_token(token(nobody, "t", "hhhh")).await.map(drop),
        "create_api_token",
    );
    not_found(store.api_tokens(Some(nobody)).await.map(drop), "api_tokens");
}
