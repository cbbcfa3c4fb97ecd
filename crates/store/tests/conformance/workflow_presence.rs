//! Presence on conversations: news (a new presence, a new state, an end) is on the feed, a renewal
//! is not, and an expired presence ends once however many nodes sweep.

use crate::harness::Harness;
use crate::workflow_fixtures::{agent, changes_after, conversations, kinds};
use chrono::{Duration, Utc};
use trellis_core::{ChangeKind, PresenceEntry, PresenceState, StoreError};

crate::conformance!(
    presence_news_is_on_the_feed_and_a_renewal_is_not,
    an_expired_presence_ends_once_however_many_sweep,
);

async fn presence_news_is_on_the_feed_and_a_renewal_is_not(h: &Harness) {
    let store = &*h.store;
    let (ana, ben) = (agent(store, "ana").await, agent(store, "ben").await);
    let id = conversations(h, "acme", 1).await[0];
    let entry = |user, state, seconds| PresenceEntry {
        conversation_id: id,
        user_id: user,
        state,
        expires_at: Utc::now() + Duration::seconds(seconds),
    };
    let seq = store.latest_seq().await.unwrap();
    assert!(store.set_presence(entry(ana, PresenceState::Viewing, 30)).await.unwrap());
    assert!(!store.set_presence(entry(ana, PresenceState::Viewing, 40)).await.unwrap(), "renewal");
    assert!(store.set_presence(entry(ana, PresenceState::Typing, 40)).await.unwrap());
    assert!(store.set_presence(entry(ben, PresenceState::Viewing, 30)).await.unwrap());
    let changes = changes_after(store, seq).await;
    assert_eq!(kinds(&changes), [ChangeKind::PresenceUpdated; 3]);
    assert_eq!((changes[0].entity_id, changes[0].conversation_id), (ana.0, Some(id)));

    let now = Utc::now();
    let on = store.presence(id, now).await.unwrap();
    let states: Vec<_> = on.iter().map(|p| (p.user_id, p.state)).collect();
    assert_eq!(states, [(ana, PresenceState::Typing), (ben, PresenceState::Viewing)]);
    let mine = store.presence_of(id, ana, now).await.unwrap().unwrap();
    assert_eq!(mine.state, PresenceState::Typing);

    assert!(store.clear_presence(id, ben).await.unwrap());
    assert!(!store.clear_presence(id, ben).await.unwrap(), "gone already");
    assert!(store.presence_of(id, ben, now).await.unwrap().is_none());
    assert_eq!(changes_after(store, seq).await.len(), 4);

    let missing =
        store.set_presence(PresenceEntry { user_id: trellis_core::UserId(999), ..mine }).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "user", .. })), "{missing:?}");
}

async fn an_expired_presence_ends_once_however_many_sweep(h: &Harness) {
    let store = &*h.store;
    let ana = agent(store, "ana").await;
    let id = conversations(h, "acme", 1).await[0];
    let now = Utc::now();
    let expired = PresenceEntry {
        conversation_id: id,
        user_id: ana,
        state: PresenceState::Viewing,
        expires_at: now - Duration::seconds(1),
    };
    store.set_presence(expired.clone()).await.unwrap();
    assert!(store.presence(id, now).await.unwrap().is_empty(), "expired is not listed");
    // Coming back after expiry is news, even before a sweep.
    let seq = store.latest_seq().await.unwrap();
    let back = PresenceEntry { expires_at: now + Duration::seconds(30), ..expired.clone() };
    assert!(store.set_presence(back).await.unwrap());
    assert_eq!(changes_after(store, seq).await.len(), 1);

    store.set_presence(expired).await.unwrap();
    let seq = store.latest_seq().await.unwrap();
    let (a, b, c) = tokio::join!(
        store.expire_presence(now),
        store.expire_presence(now),
        store.expire_presence(now)
    );
    assert_eq!(a.unwrap() + b.unwrap() + c.unwrap(), 1, "ended once");
    assert_eq!(kinds(&changes_after(store, seq).await), [ChangeKind::PresenceUpdated]);
}
