//! Brands, accounts, users, teams and persons.

use crate::harness::{account, batch, mention, Harness};
use trellis_core::{
    ChangeKind, Channel, ContactId, ConversationId, MessageId, NewAccount, NewUser, PersonId, Role,
    Seq, StoreError, TeamId, UserId,
};

crate::conformance!(
    the_directory_round_trips,
    a_duplicate_email_is_a_conflict_whatever_its_case,
    connecting_an_account_twice_is_a_conflict,
    persons_link_contacts_and_linking_again_moves_them,
    missing_entities_are_not_found,
    every_directory_write_appends_to_the_change_feed,
);

async fn the_directory_round_trips(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::Facebook, "page1").await;
    assert_eq!(store.get_account(acct.id).await.unwrap(), acct);
    assert_eq!(store.list_accounts().await.unwrap(), vec![acct.clone()]);
    assert_eq!(store.list_brands().await.unwrap().len(), 1);
    let ann = store
        .create_user(NewUser {
            email: "Ann@Example.com".into(),
            name: "Ann".into(),
            role: Role::Supervisor,
        })
        .await
        .unwrap();
    assert_eq!(ann.email, "Ann@Example.com", "the spelling given is kept");
    assert_eq!(store.get_user(ann.id).await.unwrap(), ann);
    let bob = store
        .create_user(NewUser {
            email: "bob@example.com".into(),
            name: "Bob".into(),
            role: Role::Agent,
        })
        .await
        .unwrap();
    assert_eq!(store.list_users().await.unwrap(), vec![ann.clone(), bob.clone()]);
    let team = store.create_team("Escalations").await.unwrap();
    assert_eq!(store.list_teams().await.unwrap(), vec![team.clone()]);
    store.add_team_member(team.id, bob.id).await.unwrap();
    store.add_team_member(team.id, ann.id).await.unwrap();
    store.add_team_member(team.id, ann.id).await.unwrap();
    assert_eq!(store.team_members(team.id).await.unwrap(), vec![ann.id, bob.id]);
    let err = store.create_brand("  ").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    store.ping().await.unwrap();
}

async fn a_duplicate_email_is_a_conflict_whatever_its_case(h: &Harness) {
    let store = &*h.store;
    let user = |email: &str| NewUser { email: email.into(), name: "X".into(), role: Role::Agent };
    store.create_user(user("jane@example.com")).await.unwrap();
    let err = store.create_user(user("JANE@example.COM")).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

async fn connecting_an_account_twice_is_a_conflict(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    let again = NewAccount {
        brand_id: acct.brand_id,
        channel: Channel::X,
        platform_account_id: "acme".into(),
        display_name: "again".into(),
        base_url: "http://127.0.0.1:1".into(),
    };
    let err = store.create_account(again).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
}

async fn persons_link_contacts_and_linking_again_moves_them(h: &Harness) {
    let store = &*h.store;
    let x = account(store, Channel::X, "acme").await;
    let fb = account(store, Channel::Facebook, "page").await;
    let on_x = store.ingest(batch(&x, vec![mention("1", "jane", 0)])).await.unwrap();
    let on_fb = store.ingest(batch(&fb, vec![mention("2", "jane-fb", 0)])).await.unwrap();
    let contact_x =
        store.get_conversation(on_x.conversations[0]).await.unwrap().contact_id.unwrap();
    let contact_fb =
        store.get_conversation(on_fb.conversations[0]).await.unwrap().contact_id.unwrap();

    let person = store.link_contact(contact_x, None).await.unwrap();
    assert_eq!(person.display_name.as_deref(), Some("Name of jane"));
    assert_eq!(store.link_contact(contact_fb, Some(person.id)).await.unwrap(), person);
    let contacts = store.person_contacts(person.id).await.unwrap();
    let ids: Vec<_> = contacts.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![contact_x, contact_fb]);
    assert!(contacts.iter().all(|c| c.person_id == Some(person.id)));
    assert_eq!(contacts[1].channel, Channel::Facebook);
    assert!(contacts[0].tags.is_empty());

    let other = store.link_contact(contact_fb, None).await.unwrap();
    assert_ne!(other.id, person.id);
    assert_eq!(store.person_contacts(person.id).await.unwrap().len(), 1);
    assert_eq!(store.person_contacts(other.id).await.unwrap()[0].id, contact_fb);
}

async fn missing_entities_are_not_found(h: &Harness) {
    let store = &*h.store;
    let acct = account(store, Channel::X, "acme").await;
    store.ingest(batch(&acct, vec![mention("1", "u1", 0)])).await.unwrap();
    let team = store.create_team("t").await.unwrap();
    let missing = 987_654;
    let errors = vec![
        store.get_account(trellis_core::AccountId(missing)).await.unwrap_err(),
        store.get_user(UserId(missing)).await.unwrap_err(),
        store.get_message(MessageId(missing)).await.unwrap_err(),
        store.get_contact(ContactId(missing)).await.unwrap_err(),
        store.get_conversation(ConversationId(missing)).await.unwrap_err(),
        store.conversation_messages(ConversationId(missing)).await.unwrap_err(),
        store.update_conversation(ConversationId(missing), Default::default()).await.unwrap_err(),
        store.link_contact(ContactId(missing), None).await.unwrap_err(),
        store.person_contacts(PersonId(missing)).await.unwrap_err(),
        store.team_members(TeamId(missing)).await.unwrap_err(),
        store.add_team_member(team.id, UserId(missing)).await.unwrap_err(),
        store.add_team_member(TeamId(missing), UserId(missing)).await.unwrap_err(),
        store
            .create_account(NewAccount {
                brand_id: trellis_core::BrandId(missing),
                channel: Channel::X,
                platform_account_id: "p".into(),
                display_name: "d".into(),
                base_url: "http://h".into(),
            })
            .await
            .unwrap_err(),
    ];
    for err in errors {
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains(&missing.to_string()), "{err}");
    }
    let contact =
        store.list_conversations(&Default::default()).await.unwrap().items[0].contact_id.unwrap();
    let err = store.link_contact(contact, Some(PersonId(missing))).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "person", .. }), "{err}");
}

async fn every_directory_write_appends_to_the_change_feed(h: &Harness) {
    let store = &*h.store;
    let brand = store.create_brand("Acme").await.unwrap();
    let user = store
        .create_user(NewUser { email: "a@example.com".into(), name: "A".into(), role: Role::Agent })
        .await
        .unwrap();
    let team = store.create_team("Support").await.unwrap();
    store.add_team_member(team.id, user.id).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    store.add_team_member(team.id, user.id).await.unwrap();
    assert_eq!(store.latest_seq().await.unwrap(), seq, "adding a member again changes nothing");

    let changes = store.changes_since(Seq(0), 10).await.unwrap();
    let written: Vec<_> = changes.iter().map(|c| (c.kind, c.entity_id)).collect();
    assert_eq!(
        written,
        [
            (ChangeKind::BrandUpdated, brand.id.0),
            (ChangeKind::UserUpdated, user.id.0),
            (ChangeKind::TeamUpdated, team.id.0),
            (ChangeKind::TeamUpdated, team.id.0),
        ]
    );
}
