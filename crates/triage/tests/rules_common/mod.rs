//! Fixtures shared by the rules tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc, Weekday::*};
use trellis_core::{
    AccountId, Channel, ConversationId, ConversationStatus, Direction, Handle, MessageId,
    MessageKind, Priority, TagName,
};
use trellis_triage::rules::{
    Action, Calendars, Condition, ConditionGroup, EvalContext, MatchMode, MessageFacts, Rule,
    RuleId, RuleSet,
};
use trellis_triage::BusinessCalendar;

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

pub fn tag(name: &str) -> TagName {
    TagName::parse(name).unwrap()
}

/// An inbound X mention written on a Monday at 10:00 Berlin time.
pub fn facts(text: &str) -> MessageFacts {
    MessageFacts {
        message_id: MessageId(1),
        channel: Channel::X,
        account_id: AccountId(1),
        kind: MessageKind::Mention,
        direction: Direction::Inbound,
        text: text.to_owned(),
        lang: Some("en".into()),
        author_handle: Some(Handle::parse("@JaneDoe").unwrap()),
        author_follower_count: Some(1_200),
        author_verified: false,
        contact_tags: vec![],
        conversation_id: ConversationId(10),
        status: ConversationStatus::Open,
        priority: Priority::Normal,
        assignee_id: None,
        team_id: None,
        conversation_tags: vec![],
        created_at: at("2025-03-24T10:00:00+01:00"),
    }
}

/// Mon–Fri 09:00–17:00 in Berlin, under the name `support-eu`.
pub fn calendars() -> Calendars {
    let periods: Vec<_> = [Mon, Tue, Wed, Thu, Fri].map(|day| (day, "09:00-17:00")).to_vec();
    let calendar = BusinessCalendar::weekly("Europe/Berlin", &periods).unwrap();
    Calendars::from([("support-eu".to_owned(), calendar)])
}

pub fn rule(id: i64, conditions: Vec<Condition>, actions: Vec<Action>) -> Rule {
    Rule {
        id: RuleId(id),
        name: format!("rule {id}"),
        enabled: true,
        conditions: ConditionGroup { match_mode: MatchMode::All, conditions },
        actions,
        stop_processing: false,
    }
}

pub fn flag() -> Action {
    Action::AddTag { tag: tag("hit") }
}

/// Whether a one-condition rule matches these facts.
pub fn holds(condition: Condition, facts: &MessageFacts) -> bool {
    let calendars = calendars();
    let set = RuleSet::compile(vec![rule(1, vec![condition], vec![flag()])], &calendars).unwrap();
    let context = EvalContext { calendars: &calendars, now: facts.created_at };
    !set.evaluate(facts, &context).matched.is_empty()
}

/// Whether a `text_matches_query` condition holds.
pub fn query_holds(query: &str, facts: &MessageFacts) -> bool {
    holds(Condition::TextMatchesQuery { query: query.to_owned() }, facts)
}
