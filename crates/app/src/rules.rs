//! Triage rules, in evaluation order: read by everyone, written by supervisors (audited), each
//! definition validated exactly as the triage service compiles it (regexes, queries, the calendars
//! a business-hours condition names) before anything is stored, and previewed against history.
//! The REST API and `trellis rule …` both call here.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use serde_json::Value;
use std::sync::Arc;
use trellis_core::{RuleInput, RuleRecord, RuleRecordId, SearchIndex, Store};
use trellis_triage::rules::{Calendars, PreviewReport, Rule, RuleId};
use trellis_triage::service::TriageService;
use trellis_triage::stored::{calendar_from_record, rule_draft};

/// The longest preview window, in days.
pub const MAX_PREVIEW_DAYS: u32 = 365;

pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<RuleRecord>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.list_rules().await?)
}

pub async fn get(
    store: &dyn Store,
    principal: &Principal,
    id: RuleRecordId,
) -> ServiceResult<RuleRecord> {
    principal.require(Permission::ReadInbox)?;
    find(store, id).await
}

pub async fn find(store: &dyn Store, id: RuleRecordId) -> ServiceResult<RuleRecord> {
    store
        .list_rules()
        .await?
        .into_iter()
        .find(|rule| rule.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("rule {id} not found")))
}

/// A new rule, appended after the last one. `definition` is the JSON text of the rule (its
/// conditions, actions and stop_processing); errors point into it by line and column.
pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    name: &str,
    enabled: bool,
    definition: &str,
) -> ServiceResult<RuleRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let name = checked_name(name)?;
    let definition = validate(store, RuleId(0), &name, enabled, definition).await?.0;
    let rule = store.create_rule(RuleInput { name, enabled, definition }).await?;
    audit::record(store, principal, "rule.created", "rule", rule.id, None::<()>, Some(&rule))
        .await?;
    Ok(rule)
}

/// A new name, a new definition, or both.
pub async fn update(
    store: &dyn Store,
    principal: &Principal,
    id: RuleRecordId,
    name: Option<&str>,
    definition: Option<&str>,
) -> ServiceResult<RuleRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    let name = match name {
        Some(name) => checked_name(name)?,
        None => before.name.clone(),
    };
    let stored = before.definition.to_string();
    let definition = definition.unwrap_or(&stored);
    let definition = validate(store, RuleId(id.0), &name, before.enabled, definition).await?.0;
    let after =
        store.update_rule(id, RuleInput { name, enabled: before.enabled, definition }).await?;
    audit::record(store, principal, "rule.updated", "rule", id, Some(&before), Some(&after))
        .await?;
    Ok(after)
}

pub async fn set_enabled(
    store: &dyn Store,
    principal: &Principal,
    id: RuleRecordId,
    enabled: bool,
) -> ServiceResult<RuleRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    let input =
        RuleInput { name: before.name.clone(), enabled, definition: before.definition.clone() };
    let after = store.update_rule(id, input).await?;
    let action = if enabled { "rule.enabled" } else { "rule.disabled" };
    audit::record(store, principal, action, "rule", id, Some(&before), Some(&after)).await?;
    Ok(after)
}

pub async fn delete(
    store: &dyn Store,
    principal: &Principal,
    id: RuleRecordId,
) -> ServiceResult<RuleRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    store.delete_rule(id).await?;
    audit::record(store, principal, "rule.deleted", "rule", id, Some(&before), None::<()>).await?;
    Ok(before)
}

/// Moves the rule to `position` (1-based; past the end means last), the others keeping their
/// order; the rules in their new order.
pub async fn move_to(
    store: &dyn Store,
    principal: &Principal,
    id: RuleRecordId,
    position: u32,
) -> ServiceResult<Vec<RuleRecord>> {
    principal.require(Permission::ManageWorkflow)?;
    let before: Vec<RuleRecordId> = store.list_rules().await?.iter().map(|r| r.id).collect();
    let from = before
        .iter()
        .position(|rule| *rule == id)
        .ok_or_else(|| ServiceError::NotFound(format!("rule {id} not found")))?;
    let mut order = before.clone();
    let moved = order.remove(from);
    order.insert((position as usize).saturating_sub(1).min(order.len()), moved);
    store.reorder_rules(&order).await?;
    audit::record(store, principal, "rule.moved", "rule", id, Some(&before), Some(&order)).await?;
    Ok(store.list_rules().await?)
}

/// What `definition` would have matched and done over the inbound messages of the last `days`
/// days, with up to `samples` examples. Nothing is changed.
pub async fn preview(
    store: &Arc<dyn Store>,
    principal: &Principal,
    index: Arc<dyn SearchIndex>,
    definition: &str,
    days: u32,
    samples: usize,
) -> ServiceResult<PreviewReport> {
    principal.require(Permission::ManageWorkflow)?;
    if !(1..=MAX_PREVIEW_DAYS).contains(&days) {
        return Err(ServiceError::invalid_parameter(
            "days",
            format!("days must be between 1 and {MAX_PREVIEW_DAYS}"),
        ));
    }
    let (_, rule) = validate(store.as_ref(), RuleId(0), "draft", true, definition).await?;
    let service = TriageService::new(store.clone());
    service.reload().await.map_err(|error| ServiceError::Internal(error.to_string()))?;
    service
        .preview(index, rule, days, samples.min(100))
        .await
        .map_err(|error| ServiceError::Internal(error.to_string()))
}

/// The stored calendars by name, as business-hours conditions of rules name them. A calendar that
/// does not read is left out, as the triage service leaves it out.
pub async fn calendars_by_name(store: &dyn Store) -> ServiceResult<Calendars> {
    let mut calendars = Calendars::new();
    for record in store.list_calendars().await? {
        match calendar_from_record(&record) {
            Ok(calendar) => {
                calendars.insert(record.name.clone(), calendar);
            }
            Err(error) => tracing::warn!(calendar_id = %record.id, %error, "skipping calendar"),
        }
    }
    Ok(calendars)
}

/// The definition to store and the rule it compiles to, or why it does not.
async fn validate(
    store: &dyn Store,
    id: RuleId,
    name: &str,
    enabled: bool,
    definition: &str,
) -> ServiceResult<(Value, Rule)> {
    let calendars = calendars_by_name(store).await?;
    let draft = rule_draft(id, name, enabled, definition, &calendars)
        .map_err(|error| ServiceError::invalid_parameter("definition", error.to_string()))?;
    Ok((draft.definition, draft.parsed))
}

fn checked_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ServiceError::invalid_parameter("name", "a rule name has 1 to 200 characters"));
    }
    Ok(name.to_owned())
}
