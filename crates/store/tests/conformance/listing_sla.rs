//! The inbox views' filters (brands, teams, contacts, SLA level) and the SLA summary every SLA
//! write keeps beside the clocks, read back with each listed conversation.

use crate::harness::{account, at, batch, mention, Harness};
use crate::workflow_fixtures::{agent, conversations, team};
use std::collections::BTreeSet;
use trellis_core::{
    Channel, ConversationFilter, ConversationId, ConversationPatch, ConversationSla,
    ConversationStatus, SlaClockRecord, SlaLevel, SlaSummary, StoreError, UserId,
};

crate::conformance!(
    the_sla_summary_follows_the_clocks_as_they_change,
    sla_brand_team_and_contact_filters_select_exactly_their_conversations,
    user_teams_are_the_teams_a_user_is_a_member_of,
    the_sla_views_and_a_contacts_history_read_indexes,
);

pub fn clock(metric: &str, state: &str, due: Option<i64>) -> SlaClockRecord {
    SlaClockRecord {
        metric: metric.to_owned(),
        state: state.to_owned(),
        due_at: due.map(at),
        warning_at: due.map(|due| at(due - 10)),
        settled_at: (state == "breached" || state == "met").then(|| at(due.unwrap_or(0))),
    }
}

pub fn record(id: ConversationId, clocks: Vec<SlaClockRecord>) -> ConversationSla {
    ConversationSla {
        conversation_id: id,
        policy_id: None,
        clocks,
        next_transition_at: None,
        computed_at: at(0),
    }
}

async fn ids(h: &Harness, filter: ConversationFilter) -> BTreeSet<ConversationId> {
    let page =
        h.store.list_conversations(&ConversationFilter { limit: 500, ..filter }).await.unwrap();
    assert!(page.next.is_none());
    page.items.into_iter().map(|c| c.id).collect()
}

fn set(items: &[ConversationId]) -> BTreeSet<ConversationId> {
    items.iter().copied().collect()
}

fn at_level(levels: &[SlaLevel]) -> ConversationFilter {
    ConversationFilter { sla: levels.to_vec(), ..Default::default() }
}

/// The summary the list shows for `id`.
async fn listed_summary(h: &Harness, id: ConversationId) -> Option<SlaSummary> {
    let page = h.store.list_conversations(&ConversationFilter::default()).await.unwrap();
    assert!(page.items.iter().any(|c| c.id == id), "{id} is listed");
    page.sla.get(&id).copied()
}

async fn the_sla_summary_follows_the_clocks_as_they_change(h: &Harness) {
    let store = &*h.store;
    let c = conversations(h, "acme", 2).await;
    let (id, other) = (c[0], c[1]);
    assert_eq!(listed_summary(h, id).await, None, "no record, no summary");

    let steps = [
        // Both clocks count down: the countdown shows the earlier one.
        (
            vec![
                clock("first_response", "running", Some(100)),
                clock("resolution", "running", Some(900)),
            ],
            SlaLevel::Ok,
            Some(100),
        ),
        (
            vec![
                clock("first_response", "warning", Some(100)),
                clock("resolution", "running", Some(900)),
            ],
            SlaLevel::Warning,
            Some(100),
        ),
        // A breached clock no longer counts down; the level stays breached.
        (
            vec![
                clock("first_response", "breached", Some(100)),
                clock("resolution", "running", Some(900)),
            ],
            SlaLevel::Breached,
            Some(900),
        ),
        (
            vec![clock("first_response", "met", Some(100)), clock("resolution", "met", Some(900))],
            SlaLevel::Ok,
            None,
        ),
    ];
    for (clocks, level, due) in steps {
        store.put_conversation_sla(record(id, clocks)).await.unwrap();
        let expected = SlaSummary { level, due_at: due.map(at) };
        assert_eq!(listed_summary(h, id).await, Some(expected), "{level}");
        let stored = store.conversation_sla(id).await.unwrap().unwrap();
        assert_eq!(stored.summary(), Some(expected), "the record agrees with the list");
        assert_eq!(ids(h, at_level(&[level])).await, set(&[id]), "{level}");
        let others: Vec<SlaLevel> = SlaLevel::ALL.iter().copied().filter(|l| *l != level).collect();
        assert_eq!(ids(h, at_level(&others)).await, set(&[]), "not {level}");
    }

    // A record without clocks has no summary and no level to match.
    store.put_conversation_sla(record(other, Vec::new())).await.unwrap();
    assert_eq!(listed_summary(h, other).await, None);
    assert_eq!(ids(h, at_level(SlaLevel::ALL)).await, set(&[id]));
    // A record's summary is dropped with its clocks.
    store.put_conversation_sla(record(id, Vec::new())).await.unwrap();
    assert_eq!(listed_summary(h, id).await, None);
    assert_eq!(ids(h, at_level(SlaLevel::ALL)).await, set(&[]));
}

async fn sla_brand_team_and_contact_filters_select_exactly_their_conversations(h: &Harness) {
    let store = &*h.store;
    let (x, y, z) = (
        account(store, Channel::X, "x").await,
        account(store, Channel::X, "y").await,
        account(store, Channel::X, "z").await,
    );
    let ingest = |account, id: &'static str, author: &'static str| async move {
        let outcome = store.ingest(batch(account, vec![mention(id, author, 0)])).await.unwrap();
        outcome.conversations[0]
    };
    // a and d share an author.
    let a = ingest(&x, "a", "alice").await;
    let b = ingest(&x, "b", "bob").await;
    let c = ingest(&y, "c", "carol").await;
    let d = ingest(&z, "d", "alice").await;
    let all = set(&[a, b, c, d]);

    assert_eq!(ids(h, ConversationFilter::default()).await, all);
    let brands = |brands: Vec<_>| ConversationFilter { brands, ..Default::default() };
    assert_eq!(ids(h, brands(vec![x.brand_id])).await, set(&[a, b]));
    assert_eq!(ids(h, brands(vec![x.brand_id, z.brand_id])).await, set(&[a, b, d]));
    assert_eq!(ids(h, brands(Vec::new())).await, all, "no brand is any brand");

    let support = team(store, "support", &[]).await;
    let billing = team(store, "billing", &[]).await;
    let empty = team(store, "empty", &[]).await;
    for (id, team) in [(a, support), (c, billing)] {
        let patch = ConversationPatch { team_id: Some(Some(team)), ..Default::default() };
        store.update_conversation(id, patch).await.unwrap();
    }
    let teams = |teams: Vec<_>| ConversationFilter { teams, ..Default::default() };
    assert_eq!(ids(h, teams(vec![support])).await, set(&[a]));
    assert_eq!(ids(h, teams(vec![support, billing])).await, set(&[a, c]));
    assert_eq!(ids(h, teams(vec![empty])).await, set(&[]));

    let alice = store.get_conversation(a).await.unwrap().contact_id.unwrap();
    let bob = store.get_conversation(b).await.unwrap().contact_id.unwrap();
    assert_eq!(store.get_conversation(d).await.unwrap().contact_id, Some(alice));
    let contacts = |contacts: Vec<_>| ConversationFilter { contacts, ..Default::default() };
    assert_eq!(ids(h, contacts(vec![alice])).await, set(&[a, d]));
    assert_eq!(ids(h, contacts(vec![alice, bob])).await, set(&[a, b, d]));

    let levels = [(a, "warning"), (b, "breached"), (c, "running")];
    for (id, state) in levels {
        let clocks = vec![clock("first_response", state, Some(100))];
        store.put_conversation_sla(record(id, clocks)).await.unwrap();
    }
    assert_eq!(ids(h, at_level(&[SlaLevel::Warning])).await, set(&[a]));
    assert_eq!(ids(h, at_level(&[SlaLevel::Breached])).await, set(&[b]));
    assert_eq!(ids(h, at_level(&[SlaLevel::Ok])).await, set(&[c]), "d has no clocks");
    assert_eq!(ids(h, at_level(&[SlaLevel::Warning, SlaLevel::Breached])).await, set(&[a, b]));

    // Views combine them: unresolved, at risk, in my teams, of my brands.
    let resolve =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    store.update_conversation(b, resolve).await.unwrap();
    let unresolved =
        vec![ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Snoozed];
    let breached_view = ConversationFilter {
        statuses: unresolved.clone(),
        sla: vec![SlaLevel::Breached],
        ..Default::default()
    };
    assert_eq!(ids(h, breached_view).await, set(&[]), "b is resolved");
    let my_teams_at_risk = ConversationFilter {
        statuses: unresolved,
        teams: vec![support, billing],
        brands: vec![x.brand_id, y.brand_id],
        sla: vec![SlaLevel::Warning],
        ..Default::default()
    };
    assert_eq!(ids(h, my_teams_at_risk).await, set(&[a]));
}

async fn user_teams_are_the_teams_a_user_is_a_member_of(h: &Harness) {
    let store = &*h.store;
    let (ann, ben) = (agent(store, "ann").await, agent(store, "ben").await);
    let support = team(store, "support", &[ann, ben]).await;
    let billing = team(store, "billing", &[ann]).await;
    team(store, "empty", &[]).await;
    let mut expected = vec![support, billing];
    expected.sort();
    assert_eq!(store.user_teams(ann).await.unwrap(), expected);
    assert_eq!(store.user_teams(ben).await.unwrap(), [support]);
    let carl = agent(store, "carl").await;
    assert_eq!(store.user_teams(carl).await.unwrap(), []);
    let missing = store.user_teams(UserId(4242)).await;
    assert!(matches!(missing, Err(StoreError::NotFound { entity: "user", .. })), "{missing:?}");
}

async fn the_sla_views_and_a_contacts_history_read_indexes(h: &Harness) {
    let store = &*h.store;
    let c = conversations(h, "acme", 40).await;
    for (i, id) in c.iter().enumerate() {
        let state = ["running", "warning", "breached", "met"][i % 4];
        let clocks = vec![clock("first_response", state, Some(100 + i as i64))];
        store.put_conversation_sla(record(*id, clocks)).await.unwrap();
    }
    let contact = store.get_conversation(c[0]).await.unwrap().contact_id.unwrap();
    let unresolved =
        vec![ConversationStatus::Open, ConversationStatus::Pending, ConversationStatus::Snoozed];
    let cases = [
        ("breached", at_level(&[SlaLevel::Breached]), "conversation_sla_level"),
        (
            "breached view",
            ConversationFilter {
                statuses: unresolved.clone(),
                sla: vec![SlaLevel::Breached],
                ..Default::default()
            },
            "conversation_sla_level",
        ),
        (
            "at risk view",
            ConversationFilter {
                statuses: unresolved,
                sla: vec![SlaLevel::Warning],
                ..Default::default()
            },
            "conversation_sla_level",
        ),
        (
            "contact",
            ConversationFilter { contacts: vec![contact], ..Default::default() },
            "conversations_contact",
        ),
    ];
    for (name, filter, index) in cases {
        let plan = h.explain(&filter).await;
        assert!(plan.contains(index), "{name}: {index} not used:\n{plan}");
        if h.is_sqlite() {
            for line in plan.lines().filter(|l| l.contains("scan")) {
                assert!(line.contains("index"), "{name}: scans a table:\n{plan}");
            }
        } else {
            assert!(!plan.contains("seq scan"), "{name}: scans a table:\n{plan}");
        }
    }
}
