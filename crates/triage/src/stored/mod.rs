//! Triage's records as the store keeps them, turned into the pure types and back: rules,
//! calendars and SLA policies stored as JSON, SLA reports stored as clocks, and a conversation's
//! SLA history rebuilt from its messages and timeline.

mod calendars;
mod clocks;
mod drafts;
mod history;
mod policies;
mod rules;

pub use calendars::{calendar_from_record, calendar_input, StoredCalendarError};
pub use clocks::{
    clock_record, conversation_sla, metric_name, state_name, transitions, ClockTransition,
};
pub use drafts::{calendar_draft, policy_draft, rule_draft, Draft, DraftError};
pub use history::{
    applied_policy, sla_history, SlaHistory, PRIORITY_CHANGED, SLA_POLICY_APPLIED, SNOOZED,
    STATUS_CHANGED,
};
pub use policies::{
    policy_from_record, policy_input, Escalation, EscalationAction, PolicyDefinition, StoredPolicy,
    StoredPolicyError, TargetSpec,
};
pub use rules::{rule_from_record, rule_input, RuleDefinition, StoredRuleError};
