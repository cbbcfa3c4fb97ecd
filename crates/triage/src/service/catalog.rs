//! What the service evaluates with: the compiled rule set, the calendars rules name, and the SLA
//! policies, loaded from the store and reloaded when a `rule_updated` or `policy_updated` change
//! passes. A record that does not read is logged and left out, never stopping the others.

use crate::calendar::BusinessCalendar;
use crate::rules::{Calendars, Rule, RuleSet};
use crate::stored::{calendar_from_record, policy_from_record, rule_from_record, StoredPolicy};
use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{CalendarId, SlaPolicyId, Store, StoreResult};

/// One consistent view of the triage configuration.
pub(crate) struct Catalog {
    /// `None` when no rule set could be compiled: no rule runs.
    pub rules: Option<RuleSet>,
    /// By name, for business-hours conditions.
    pub calendars: Calendars,
    pub policies: HashMap<SlaPolicyId, StoredPolicy>,
}

impl Catalog {
    /// Nothing configured: no rule runs, nothing is timed.
    pub fn empty() -> Self {
        Self { rules: None, calendars: Calendars::new(), policies: HashMap::new() }
    }

    /// Reads rules, calendars and policies, and compiles the rules off the async runtime.
    pub async fn load(store: &Arc<dyn Store>) -> StoreResult<Self> {
        let calendar_records = store.list_calendars().await?;
        let mut by_id: HashMap<CalendarId, BusinessCalendar> = HashMap::new();
        let mut calendars = Calendars::new();
        for record in &calendar_records {
            match calendar_from_record(record) {
                Ok(calendar) => {
                    by_id.insert(record.id, calendar.clone());
                    calendars.insert(record.name.clone(), calendar);
                }
                Err(error) => {
                    tracing::error!(calendar_id = %record.id, %error, "skipping calendar")
                }
            }
        }
        let mut policies = HashMap::new();
        for record in store.list_sla_policies().await? {
            match policy_from_record(&record, &by_id) {
                Ok(policy) => {
                    policies.insert(record.id, policy);
                }
                Err(error) => {
                    tracing::error!(policy_id = %record.id, %error, "skipping sla policy")
                }
            }
        }
        let mut rules = Vec::new();
        for record in store.list_rules().await? {
            match rule_from_record(&record) {
                Ok(rule) => rules.push(rule),
                Err(error) => tracing::error!(rule_id = %record.id, %error, "skipping rule"),
            }
        }
        let compile_with = calendars.clone();
        let compiled = tokio::task::spawn_blocking(move || compile(rules, &compile_with)).await;
        let rules = compiled.unwrap_or_else(|error| {
            tracing::error!(%error, "rule compilation task failed; running no rules");
            None
        });
        Ok(Self { rules, calendars, policies })
    }

    /// The default policy, if one is set and valid.
    pub fn default_policy(&self) -> Option<&StoredPolicy> {
        self.policies.values().filter(|policy| policy.is_default).min_by_key(|policy| policy.id)
    }
}

/// Compiles the rules that compile on their own, so one bad rule never stops the others.
fn compile(rules: Vec<Rule>, calendars: &Calendars) -> Option<RuleSet> {
    let mut good = Vec::with_capacity(rules.len());
    for rule in rules {
        match RuleSet::compile(vec![rule.clone()], calendars) {
            Ok(_) => good.push(rule),
            Err(error) => tracing::error!(rule_id = %rule.id, %error, "skipping rule"),
        }
    }
    let count = good.len();
    match RuleSet::compile(good, calendars) {
        Ok(set) => Some(set),
        Err(error) => {
            // Each rule compiled alone: only the combined scanners can be too large.
            tracing::error!(rules = count, %error, "rule set does not compile; running no rules");
            None
        }
    }
}
