//! Connect flows between their steps: kept sealed, taken once, for their own step, until they
//! expire; abandoned ones are forgotten as new flows start.

use crate::harness::{at, Harness};
use trellis_core::{ConnectFlow, SealedSecret, StoreError};

crate::conformance!(
    a_flow_is_taken_once_for_its_own_kind,
    an_expired_flow_is_not_taken,
    abandoned_flows_are_forgotten_as_new_ones_start,
    a_reused_token_or_a_flow_that_never_lasts_is_refused,
    nodes_racing_for_a_flow_take_it_exactly_once,
);

fn flow(token: &str, kind: &str, started: i64) -> ConnectFlow {
    ConnectFlow {
        token: token.to_owned(),
        kind: kind.to_owned(),
        sealed: SealedSecret(format!("v1:sealed-{token}")),
        created_at: at(started),
        expires_at: at(started + 600),
    }
}

async fn a_flow_is_taken_once_for_its_own_kind(h: &Harness) {
    let store = &h.store;
    store.put_connect_flow(flow("state-1", "x", 0)).await.unwrap();

    let wrong_kind = store.take_connect_flow("facebook", "state-1", at(1)).await.unwrap();
    assert_eq!(wrong_kind, None, "a token is only good for the step it was made for");
    assert_eq!(store.take_connect_flow("x", "guessed", at(1)).await.unwrap(), None);

    let taken = store.take_connect_flow("x", "state-1", at(1)).await.unwrap();
    assert_eq!(taken, Some(SealedSecret("v1:sealed-state-1".to_owned())));
    assert_eq!(store.take_connect_flow("x", "state-1", at(2)).await.unwrap(), None, "once");
}

async fn an_expired_flow_is_not_taken(h: &Harness) {
    let store = &h.store;
    store.put_connect_flow(flow("late", "x", 0)).await.unwrap();
    assert_eq!(store.take_connect_flow("x", "late", at(600)).await.unwrap(), None);
    // Refusing it ended it: a clock that goes back does not bring it back.
    assert_eq!(store.take_connect_flow("x", "late", at(10)).await.unwrap(), None);
}

async fn abandoned_flows_are_forgotten_as_new_ones_start(h: &Harness) {
    let store = &h.store;
    store.put_connect_flow(flow("abandoned", "facebook", 0)).await.unwrap();
    store.put_connect_flow(flow("recent", "facebook", 500)).await.unwrap();
    // A flow started after the first one expired sweeps it; the second is still under way.
    store.put_connect_flow(flow("new", "facebook", 700)).await.unwrap();
    assert_eq!(store.take_connect_flow("facebook", "abandoned", at(0)).await.unwrap(), None);
    assert!(store.take_connect_flow("facebook", "recent", at(701)).await.unwrap().is_some());
    assert!(store.take_connect_flow("facebook", "new", at(701)).await.unwrap().is_some());
}

async fn a_reused_token_or_a_flow_that_never_lasts_is_refused(h: &Harness) {
    let store = &h.store;
    store.put_connect_flow(flow("same", "x", 0)).await.unwrap();
    let err = store.put_connect_flow(flow("same", "x", 1)).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(!err.to_string().contains("sealed-same"), "the error shows nothing of the flow: {err}");

    let mut instant = flow("instant", "x", 0);
    instant.expires_at = instant.created_at;
    let err = store.put_connect_flow(instant).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");

    let err = store.put_connect_flow(flow(" ", "x", 0)).await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");

    // The first flow is untouched by the refusals.
    assert!(store.take_connect_flow("x", "same", at(1)).await.unwrap().is_some());
}

async fn nodes_racing_for_a_flow_take_it_exactly_once(h: &Harness) {
    h.store.put_connect_flow(flow("raced", "x", 0)).await.unwrap();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = h.store.clone();
            tokio::spawn(async move { store.take_connect_flow("x", "raced", at(1)).await.unwrap() })
        })
        .collect();
    let mut taken = 0;
    for racer in racers {
        taken += usize::from(racer.await.unwrap().is_some());
    }
    assert_eq!(taken, 1);
}
