//! The brands teams serve, and so the brands an agent works: every brand for a team that names
//! none, the union of their teams' brands otherwise, none for a user in no team.

use crate::access_users::user;
use crate::harness::Harness;
use crate::workflow_fixtures::{changes_after, kinds, team};
use trellis_core::{BrandId, ChangeKind, Role, StoreError, TeamId};

crate::conformance!(
    a_team_serves_every_brand_until_it_names_some_and_changes_are_announced,
    an_agent_works_the_union_of_their_teams_brands,
    unknown_teams_and_brands_are_not_found,
);

async fn a_team_serves_every_brand_until_it_names_some_and_changes_are_announced(h: &Harness) {
    let store = &*h.store;
    let acme = store.create_brand("Acme").await.unwrap().id;
    let globex = store.create_brand("Globex").await.unwrap().id;
    let ann = user(store, "ann", Role::Agent).await;
    let support = team(store, "support", &[ann.id]).await;
    assert_eq!(store.team_brands(support).await.unwrap(), Vec::<BrandId>::new());
    assert_eq!(store.brands_served_by(ann.id).await.unwrap(), None, "every brand");

    let seq = store.latest_seq().await.unwrap();
    let set = store.set_team_brands(support, &[globex, acme, globex]).await.unwrap();
    assert_eq!(set, [acme, globex], "sorted, duplicates dropped");
    assert_eq!(store.team_brands(support).await.unwrap(), [acme, globex]);
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::TeamUpdated]);

    let seq = store.latest_seq().await.unwrap();
    store.set_team_brands(support, &[acme, globex]).await.unwrap();
    assert!(changes_after(store, seq).await.is_empty(), "no change, no announcement");

    store.set_team_brands(support, &[]).await.unwrap();
    assert_eq!(store.brands_served_by(ann.id).await.unwrap(), None);
}

async fn an_agent_works_the_union_of_their_teams_brands(h: &Harness) {
    let store = &*h.store;
    let acme = store.create_brand("Acme").await.unwrap().id;
    let globex = store.create_brand("Globex").await.unwrap().id;
    let initech = store.create_brand("Initech").await.unwrap().id;
    let ann = user(store, "ann", Role::Agent).await;
    let bob = user(store, "bob", Role::Agent).await;
    let loner = user(store, "loner", Role::Agent).await;
    let first = team(store, "first", &[ann.id, bob.id]).await;
    let second = team(store, "second", &[ann.id]).await;
    store.set_team_brands(first, &[globex]).await.unwrap();
    store.set_team_brands(second, &[acme, globex]).await.unwrap();
    assert_eq!(store.brands_served_by(ann.id).await.unwrap(), Some(vec![acme, globex]));
    assert_eq!(store.brands_served_by(bob.id).await.unwrap(), Some(vec![globex]));
    assert_eq!(store.brands_served_by(loner.id).await.unwrap(), Some(vec![]));
    let everything = team(store, "everything", &[bob.id]).await;
    assert_eq!(store.brands_served_by(bob.id).await.unwrap(), None, "{everything} serves all");
    assert!(!store.brands_served_by(ann.id).await.unwrap().unwrap().contains(&initech));
}

async fn unknown_teams_and_brands_are_not_found(h: &Harness) {
    let store = &*h.store;
    let acme = store.create_brand("Acme").await.unwrap().id;
    let support = team(store, "support", &[]).await;
    let err = store.set_team_brands(TeamId(999), &[acme]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "team", .. }), "{err}");
    let err = store.set_team_brands(support, &[acme, BrandId(999)]).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "brand", .. }), "{err}");
    assert_eq!(store.team_brands(support).await.unwrap(), Vec::<BrandId>::new(), "unchanged");
    let err = store.team_brands(TeamId(999)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { entity: "team", .. }), "{err}");
}
