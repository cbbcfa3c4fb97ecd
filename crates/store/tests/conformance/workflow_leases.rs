//! Named leases: one owner at a time until the lease expires or is released; of nodes racing for
//! a free lease exactly one gets it.

use crate::harness::Harness;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use tokio::sync::Barrier;
use trellis_core::StoreError;

crate::conformance!(
    a_named_lease_is_held_by_one_owner_until_it_expires,
    a_released_lease_can_be_taken_at_once_and_only_its_holder_releases_it,
    of_many_nodes_racing_for_a_free_lease_exactly_one_gets_it,
    a_lease_without_a_name_an_owner_or_a_duration_is_refused,
);

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0).unwrap()
}

async fn a_named_lease_is_held_by_one_owner_until_it_expires(h: &Harness) {
    let store = &*h.store;
    let ttl = Duration::seconds(30);
    assert!(store.acquire_named_lease("triage", "node-a", at(0), ttl).await.unwrap());
    assert!(!store.acquire_named_lease("triage", "node-b", at(10), ttl).await.unwrap());
    // Renewing moves the expiry: at 35 the first term is over but the renewal holds until 50.
    assert!(store.acquire_named_lease("triage", "node-a", at(20), ttl).await.unwrap());
    assert!(!store.acquire_named_lease("triage", "node-b", at(35), ttl).await.unwrap());
    // Another name is another lease.
    assert!(store.acquire_named_lease("other", "node-b", at(35), ttl).await.unwrap());

    // Not renewed: once expired, the next node takes it and the old holder is refused.
    assert!(store.acquire_named_lease("triage", "node-b", at(51), ttl).await.unwrap());
    assert!(!store.acquire_named_lease("triage", "node-a", at(52), ttl).await.unwrap());
}

async fn a_released_lease_can_be_taken_at_once_and_only_its_holder_releases_it(h: &Harness) {
    let store = &*h.store;
    let ttl = Duration::seconds(30);
    assert!(store.acquire_named_lease("triage", "node-a", at(0), ttl).await.unwrap());
    // A node that does not hold it cannot release it for the holder.
    store.release_named_lease("triage", "node-b").await.unwrap();
    assert!(!store.acquire_named_lease("triage", "node-b", at(1), ttl).await.unwrap());

    store.release_named_lease("triage", "node-a").await.unwrap();
    assert!(store.acquire_named_lease("triage", "node-b", at(2), ttl).await.unwrap());
    assert!(!store.acquire_named_lease("triage", "node-a", at(3), ttl).await.unwrap());
    // Releasing a lease nobody holds changes nothing.
    store.release_named_lease("never-taken", "node-a").await.unwrap();
}

async fn of_many_nodes_racing_for_a_free_lease_exactly_one_gets_it(h: &Harness) {
    let nodes = 6;
    for round in 0..5 {
        let name = format!("race-{round}");
        let barrier = Arc::new(Barrier::new(nodes));
        let tasks: Vec<_> = (0..nodes)
            .map(|node| {
                let (store, barrier, name) =
                    (Arc::clone(&h.store), Arc::clone(&barrier), name.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    let owner = format!("node-{node}");
                    store.acquire_named_lease(&name, &owner, at(0), Duration::seconds(30)).await
                })
            })
            .collect();
        let mut holders = 0;
        for task in tasks {
            if task.await.unwrap().unwrap() {
                holders += 1;
            }
        }
        assert_eq!(holders, 1, "round {round}");
    }
}

async fn a_lease_without_a_name_an_owner_or_a_duration_is_refused(h: &Harness) {
    let store = &*h.store;
    let ttl = Duration::seconds(30);
    let cases = [
        store.acquire_named_lease(" ", "node-a", at(0), ttl).await,
        store.acquire_named_lease("triage", "", at(0), ttl).await,
        store.acquire_named_lease("triage", "node-a", at(0), Duration::zero()).await,
    ];
    for result in cases {
        assert!(matches!(result, Err(StoreError::Invalid(_))), "{result:?}");
    }
    // Nothing was taken by the refused calls.
    assert!(store.acquire_named_lease("triage", "node-b", at(0), ttl).await.unwrap());
}
