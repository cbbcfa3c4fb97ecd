//! On-demand work of the triage service: previewing a draft rule over stored messages found
//! through the search index, and the daily summary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod service_common;

use chrono::Utc;
use serde_json::json;
use service_common::*;
use std::sync::Arc;
use trellis_core::{
    Actor, ConversationPatch, ConversationStatus, Direction, Role, SearchIndex, TeamId,
};
use trellis_search::{Indexer, TantivyIndex};
use trellis_triage::rules::{Action, Condition, ConditionGroup, Rule, RuleId};
use trellis_triage::service::TriageService;

#[tokio::test]
async fn a_preview_reports_what_a_draft_rule_would_do_and_changes_nothing() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let refund =
        ingest(s, &account, tweet("1", "1", Direction::Inbound, "I want a refund now", ago(60)))
            .await;
    ingest(s, &account, tweet("2", "2", Direction::Inbound, "love the product", ago(50))).await;
    ingest(s, &account, tweet("3", "3", Direction::Outbound, "refund sent", ago(40))).await;
    let index: Arc<dyn SearchIndex> = Arc::new(TantivyIndex::in_memory().unwrap());
    Indexer::new(db.store.clone(), index.clone()).catch_up().await.unwrap();
    let latest = s.latest_seq().await.unwrap();

    let draft = Rule {
        id: RuleId(0),
        name: "Refunds".into(),
        enabled: false,
        conditions: ConditionGroup {
            conditions: vec![Condition::TextMatchesQuery { query: "refund".into() }],
            ..Default::default()
        },
        actions: vec![Action::AddTag { tag: "billing".parse().unwrap() }],
        stop_processing: false,
    };
    let report = TriageService::new(db.store.clone()).preview(index, draft, 7, 10).await.unwrap();

    // The outbound message is not a candidate; the inbound one without "refund" is looked at but
    // not matched, or not even a candidate when the prefilter narrows the search.
    assert_eq!(report.matched, 1);
    assert!(report.scanned >= 1 && report.scanned <= 2, "{report:?}");
    assert_eq!(report.samples.len(), 1);
    assert_eq!(report.samples[0].message_id, refund.id);
    assert_eq!(report.samples[0].actions, [Action::AddTag { tag: "billing".parse().unwrap() }]);
    assert_eq!(s.latest_seq().await.unwrap(), latest, "a preview wrote to the store");
    assert!(s.get_conversation(refund.conversation_id).await.unwrap().tags.is_empty());
}

#[tokio::test]
async fn the_daily_summary_counts_open_conversations_and_settled_clocks_per_team() {
    let db = sqlite().await;
    let s = db.store.as_ref();
    let account = account(s).await;
    let supervisor = user(s, "sam", Role::Supervisor).await;
    let team = s.create_team("Support").await.unwrap();
    policy(s, policy_input("Ten minutes", true, 600, 600, 86_400, 80, json!({}))).await;
    let route =
        |team: TeamId| ConversationPatch { team_id: Some(Some(team)), ..Default::default() };

    // Answered in time; answered late; still open and waiting.
    let on_time = ingest(s, &account, tweet("1", "1", Direction::Inbound, "a", ago(30))).await;
    ingest(s, &account, tweet("2", "1", Direction::Outbound, "b", ago(25))).await;
    let late = ingest(s, &account, tweet("3", "3", Direction::Inbound, "c", ago(30))).await;
    ingest(s, &account, tweet("4", "3", Direction::Outbound, "d", ago(5))).await;
    let waiting = ingest(s, &account, tweet("5", "5", Direction::Inbound, "e", ago(1))).await;
    for message in [&on_time, &late, &waiting] {
        s.patch_conversation(message.conversation_id, route(team.id), Actor::System).await.unwrap();
    }
    let resolved =
        ConversationPatch { status: Some(ConversationStatus::Resolved), ..Default::default() };
    s.patch_conversation(on_time.conversation_id, resolved, Actor::System).await.unwrap();
    let service = TriageService::new(db.store.clone());
    service.catch_up().await.unwrap();

    let summary = service.daily_summary(Utc::now()).await.unwrap();

    assert_eq!(summary.teams.len(), 1);
    let support = &summary.teams[0];
    assert_eq!((support.open, support.breached), (2, 1), "{support:?}");
    // On time: first response and resolution met; late: its first response breached.
    assert_eq!(support.met, 2, "{support:?}");
    let notes = s.notifications(supervisor.id, false, 10).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].notification.kind, "daily_summary");
    assert!(
        notes[0].notification.text.contains("Support: 2 open, 1 breached, 2 met"),
        "{}",
        notes[0].notification.text
    );
}
