//! Fixtures the workflow conformance tests share: agents, teams and conversations to act on.

use crate::harness::{account, batch, mention, Harness};
use trellis_core::{
    Change, ChangeKind, Channel, ConversationId, NewUser, Role, Seq, Store, TeamId, UserId,
};

pub async fn agent(store: &dyn Store, name: &str) -> UserId {
    let user =
        NewUser { email: format!("{name}@example.com"), name: name.to_owned(), role: Role::Agent };
    store.create_user(user).await.unwrap().id
}

/// A team with these members.
pub async fn team(store: &dyn Store, name: &str, members: &[UserId]) -> TeamId {
    let team = store.create_team(name).await.unwrap().id;
    for member in members {
        store.add_team_member(team, *member).await.unwrap();
    }
    team
}

/// `count` open conversations, one mention each, the first the oldest (one second apart).
pub async fn conversations(h: &Harness, name: &str, count: usize) -> Vec<ConversationId> {
    let store = &*h.store;
    let acct = account(store, Channel::X, name).await;
    let messages = (0..count)
        .map(|i| mention(&format!("{name}-m{i}"), &format!("{name}-u{i}"), i as i64))
        .collect();
    let outcome = store.ingest(batch(&acct, messages)).await.unwrap();
    assert_eq!(outcome.conversations.len(), count);
    outcome.conversations
}

/// The changes appended after `after`.
pub async fn changes_after(store: &dyn Store, after: Seq) -> Vec<Change> {
    store.changes_since(after, 1_000).await.unwrap()
}

pub fn kinds(changes: &[Change]) -> Vec<ChangeKind> {
    changes.iter().map(|c| c.kind).collect()
}
