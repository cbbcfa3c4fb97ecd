//! First-run defaults: a "Business hours" calendar (Mon–Fri 09:00–17:00 UTC), a default SLA
//! policy counted in it, a "Spam" rule (disabled) and two canned replies.
//!
//! The SLA policies are the marker: the default policy cannot be deleted, so once one exists this
//! is not a first run and nothing is created (an administrator who deleted the Spam rule does not get it
//! back). Each item is looked up by name before it is created and the policy comes last, so a
//! first run interrupted half-way completes on the next start without duplicates.

use crate::calendar::BusinessCalendar;
use crate::rules::{Action, Condition, ConditionGroup, MatchMode, Rule, RuleId};
use crate::sla::SlaTargets;
use crate::stored::{
    calendar_input, policy_input, rule_input, Escalation, EscalationAction, PolicyDefinition,
    TargetSpec,
};
use chrono::{Duration, Weekday};
use std::collections::BTreeMap;
use std::sync::Arc;
use trellis_core::{CannedReplyInput, Priority, Store, StoreError, StoreResult, TagName};

pub const BUSINESS_HOURS: &str = "Business hours";
pub const DEFAULT_POLICY: &str = "Default";
pub const SPAM_RULE: &str = "Spam";

/// What [`ensure_defaults`] created.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatedDefaults {
    pub calendar: bool,
    pub policy: bool,
    pub rules: usize,
    pub canned_replies: usize,
}

/// Creates the defaults on a first run; does nothing once any SLA policy exists.
pub async fn ensure_defaults(store: &Arc<dyn Store>) -> StoreResult<CreatedDefaults> {
    let mut created = CreatedDefaults::default();
    if !store.list_sla_policies().await?.is_empty() {
        return Ok(created);
    }
    let calendar =
        match store.list_calendars().await?.into_iter().find(|c| c.name == BUSINESS_HOURS) {
            Some(existing) => existing,
            None => {
                created.calendar = true;
                store.create_calendar(calendar_input(BUSINESS_HOURS, &business_hours()?)).await?
            }
        };
    if !store.list_rules().await?.iter().any(|rule| rule.name == SPAM_RULE) {
        store.create_rule(rule_input(&spam_rule()?)).await?;
        created.rules += 1;
    }
    let existing: Vec<String> =
        store.list_canned_replies().await?.into_iter().map(|reply| reply.shortcut).collect();
    for reply in canned_replies() {
        if !existing.contains(&reply.shortcut) {
            store.create_canned_reply(reply).await?;
            created.canned_replies += 1;
        }
    }
    store
        .create_sla_policy(policy_input(DEFAULT_POLICY, Some(calendar.id), true, &default_policy()))
        .await?;
    created.policy = true;
    tracing::info!(
        calendar = created.calendar,
        rules = created.rules,
        canned_replies = created.canned_replies,
        "created triage defaults"
    );
    Ok(created)
}

fn business_hours() -> StoreResult<BusinessCalendar> {
    let weekdays = [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri];
    let periods: Vec<_> = weekdays.iter().map(|day| (*day, "09:00-17:00")).collect();
    BusinessCalendar::weekly("UTC", &periods).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// First and next response 1 h urgent, 2 h high, 4 h normal, 8 h low; resolution 24 h, 48 h,
/// 72 h, 5 days; warning at 80 %; supervisors notified on a breach.
pub fn default_policy() -> PolicyDefinition {
    let hours = |h: i64| Some(Duration::hours(h));
    let targets = [
        (Priority::Urgent, 1, 24),
        (Priority::High, 2, 48),
        (Priority::Normal, 4, 72),
        (Priority::Low, 8, 120),
    ]
    .into_iter()
    .map(|(priority, response, resolution)| {
        let targets = SlaTargets {
            first_response: hours(response),
            next_response: hours(response),
            resolution: hours(resolution),
        };
        (priority, TargetSpec(targets))
    })
    .collect::<BTreeMap<_, _>>();
    PolicyDefinition {
        targets,
        warning_percent: 80,
        escalation: Escalation {
            on_warning: Vec::new(),
            on_breach: vec![EscalationAction::NotifySupervisors],
        },
    }
}

/// Resolves obvious spam unseen; disabled until an administrator turns it on.
fn spam_rule() -> StoreResult<Rule> {
    let tag = |name: &str| TagName::parse(name).map_err(|e| StoreError::Invalid(e.to_string()));
    Ok(Rule {
        id: RuleId(0),
        name: SPAM_RULE.to_owned(),
        enabled: false,
        conditions: ConditionGroup {
            match_mode: MatchMode::Any,
            conditions: vec![
                Condition::TextMatchesRegex {
                    pattern: r"\b(free|cheap)\s+(crypto|followers|likes)\b".to_owned(),
                    case_sensitive: false,
                },
                Condition::ContactHasTag { any_of: vec![tag("spammer")?] },
            ],
        },
        actions: vec![
            Action::AddTag { tag: tag("spam")? },
            Action::SetStatus { status: trellis_core::ConversationStatus::Resolved },
        ],
        stop_processing: true,
    })
}

fn canned_replies() -> Vec<CannedReplyInput> {
    vec![
        CannedReplyInput {
            shortcut: "/thanks".to_owned(),
            title: "Thanks for reaching out".to_owned(),
            body: "Thanks for reaching out! We have your message and will get back to you shortly."
                .to_owned(),
        },
        CannedReplyInput {
            shortcut: "/dm".to_owned(),
            title: "Move to private messages".to_owned(),
            body: "We'd like to help with this. Could you send us a private message with your \
                   order number so we can look into it?"
                .to_owned(),
        },
    ]
}
