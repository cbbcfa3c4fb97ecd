//! SLA policies: response-time targets per priority (first response, next response, resolution),
//! the warning threshold and the escalation, counted in a business-hours calendar (none: round the
//! clock in UTC). One policy may be the default, applied to new conversations no rule gave a
//! policy. Everyone reads them; supervisors write them, audited. A definition is checked as triage
//! reads it, each problem named by its field, and stored in its normal form. The REST API and
//! `trellis sla policy …` both call here.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use trellis_core::{CalendarId, Priority, SlaPolicyId, SlaPolicyInput, SlaPolicyRecord, Store};
use trellis_triage::calendar::BusinessCalendar;
use trellis_triage::sla::{PolicyError, SlaPolicy};
use trellis_triage::stored::{
    calendar_from_record, policy_draft, Escalation, PolicyDefinition, TargetSpec,
};

/// The fields of a policy definition (docs/examples/policy.json).
const FIELDS: [&str; 3] = ["targets", "warning_percent", "escalation"];

/// A change to a policy; absent fields stay. Whether it is the default changes only by making
/// another policy the default ([`make_default`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyChange {
    pub name: Option<String>,
    /// `Some(None)`: count round the clock in UTC instead of in a calendar.
    pub calendar_id: Option<Option<CalendarId>>,
    /// Replaces the definition whole.
    pub definition: Option<Value>,
}

pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<SlaPolicyRecord>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.list_sla_policies().await?)
}

pub async fn get(
    store: &dyn Store,
    principal: &Principal,
    id: SlaPolicyId,
) -> ServiceResult<SlaPolicyRecord> {
    principal.require(Permission::ReadInbox)?;
    find(store, id).await
}

pub async fn find(store: &dyn Store, id: SlaPolicyId) -> ServiceResult<SlaPolicyRecord> {
    store
        .list_sla_policies()
        .await?
        .into_iter()
        .find(|policy| policy.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("sla policy {id} not found")))
}

/// A new policy. Made the default, it takes the flag from the previous default, whose change is
/// audited too.
pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    input: SlaPolicyInput,
) -> ServiceResult<SlaPolicyRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let name = checked_name(&input.name)?;
    let policies = store.list_sla_policies().await?;
    unique(&policies, &name, None)?;
    let definition = checked(store, &name, input.calendar_id, &input.definition).await?;
    let previous_default = policies.into_iter().find(|policy| policy.is_default);
    let input = SlaPolicyInput { name, definition, ..input };
    let policy = store.create_sla_policy(input).await?;
    audit::record(
        store,
        principal,
        "sla_policy.created",
        "sla_policy",
        policy.id,
        None::<()>,
        Some(&policy),
    )
    .await?;
    if policy.is_default {
        record_default_taken(store, principal, previous_default, policy.id).await?;
    }
    Ok(policy)
}

/// A new name, calendar or definition. The definition is checked again even when only the
/// calendar changes: its targets count in it.
pub async fn update(
    store: &dyn Store,
    principal: &Principal,
    id: SlaPolicyId,
    change: PolicyChange,
) -> ServiceResult<SlaPolicyRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let policies = store.list_sla_policies().await?;
    let before = policies
        .iter()
        .find(|policy| policy.id == id)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound(format!("sla policy {id} not found")))?;
    let name = match change.name {
        Some(name) => checked_name(&name)?,
        None => before.name.clone(),
    };
    if name != before.name {
        unique(&policies, &name, Some(id))?;
    }
    let calendar_id = change.calendar_id.unwrap_or(before.calendar_id);
    let definition = change.definition.as_ref().unwrap_or(&before.definition);
    let definition = checked(store, &name, calendar_id, definition).await?;
    let input = SlaPolicyInput { name, calendar_id, is_default: before.is_default, definition };
    let after = store.update_sla_policy(id, input).await?;
    audit::record(
        store,
        principal,
        "sla_policy.updated",
        "sla_policy",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Makes the policy the default, taking the flag from the previous default (both audited). The
/// default already is left as it is.
pub async fn make_default(
    store: &dyn Store,
    principal: &Principal,
    id: SlaPolicyId,
) -> ServiceResult<SlaPolicyRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let policies = store.list_sla_policies().await?;
    let before = policies
        .iter()
        .find(|policy| policy.id == id)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound(format!("sla policy {id} not found")))?;
    if before.is_default {
        return Ok(before);
    }
    let previous_default = policies.into_iter().find(|policy| policy.is_default);
    let input = SlaPolicyInput {
        name: before.name.clone(),
        calendar_id: before.calendar_id,
        is_default: true,
        definition: before.definition.clone(),
    };
    let after = store.update_sla_policy(id, input).await?;
    audit::record(
        store,
        principal,
        "sla_policy.default_set",
        "sla_policy",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    record_default_taken(store, principal, previous_default, id).await?;
    Ok(after)
}

/// Deletes a policy; the conversations it timed move to the default. The store refuses (409,
/// saying why) the default itself, a policy a rule applies, and one timing conversations while no
/// default exists to take them over.
pub async fn delete(
    store: &dyn Store,
    principal: &Principal,
    id: SlaPolicyId,
) -> ServiceResult<SlaPolicyRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    store.delete_sla_policy(id).await?;
    audit::record(
        store,
        principal,
        "sla_policy.deleted",
        "sla_policy",
        id,
        Some(&before),
        None::<()>,
    )
    .await?;
    Ok(before)
}

/// The JSON of a definition file, for the CLI: a syntax error says its line and column.
pub fn definition_from_text(text: &str) -> ServiceResult<Value> {
    serde_json::from_str(text).map_err(|error| {
        ServiceError::invalid_parameter("definition", format!("invalid sla policy: {error}"))
    })
}

/// The previous default lost its flag to `new`: recorded under its own id, before and after.
async fn record_default_taken(
    store: &dyn Store,
    principal: &Principal,
    previous: Option<SlaPolicyRecord>,
    new: SlaPolicyId,
) -> ServiceResult<()> {
    let Some(before) = previous.filter(|previous| previous.id != new) else { return Ok(()) };
    let after = store.list_sla_policies().await?.into_iter().find(|p| p.id == before.id);
    let id = before.id;
    audit::record(
        store,
        principal,
        "sla_policy.default_unset",
        "sla_policy",
        id,
        Some(&before),
        after,
    )
    .await
}

/// The definition to store for a policy named `name` counting in `calendar_id`: field by field
/// first, so a refusal names its field, then read exactly as the triage service reads the record.
async fn checked(
    store: &dyn Store,
    name: &str,
    calendar_id: Option<CalendarId>,
    definition: &Value,
) -> ServiceResult<Value> {
    let calendar = match calendar_id {
        Some(id) => Some((id, calendar(store, id).await?)),
        None => None,
    };
    let definition = checked_definition(definition)?;
    policy_draft(name, &definition.to_string(), calendar)
        .map_err(|error| ServiceError::invalid_parameter("definition", error.to_string()))?;
    Ok(definition)
}

/// The calendar a policy names; one that does not exist or does not read is the body's fault.
async fn calendar(store: &dyn Store, id: CalendarId) -> ServiceResult<BusinessCalendar> {
    let record =
        store.list_calendars().await?.into_iter().find(|calendar| calendar.id == id).ok_or_else(
            || ServiceError::invalid_parameter("calendar_id", format!("calendar {id} not found")),
        )?;
    calendar_from_record(&record)
        .map_err(|error| ServiceError::invalid_parameter("calendar_id", error.to_string()))
}

/// A policy definition checked field by field, in its normal form (targets in minutes where whole,
/// the warning threshold and escalation spelled out). A problem names its field:
/// `definition.targets`, `definition.warning_percent`, `definition.escalation`, or `definition`.
pub fn checked_definition(definition: &Value) -> ServiceResult<Value> {
    let whole = |message: String| ServiceError::invalid_parameter("definition", message);
    let fields = definition.as_object().ok_or_else(|| {
        whole("a policy definition is a JSON object: targets, warning_percent, escalation".into())
    })?;
    if let Some(unknown) = fields.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(whole(format!(
            "unknown field {unknown:?}: a policy definition has targets, warning_percent and \
             escalation"
        )));
    }
    let targets: BTreeMap<Priority, TargetSpec> =
        field(fields, "targets", "definition.targets")?.unwrap_or_default();
    let warning_percent: u8 = field(fields, "warning_percent", "definition.warning_percent")?
        .unwrap_or(SlaPolicy::DEFAULT_WARNING_PERCENT);
    let escalation: Escalation =
        field(fields, "escalation", "definition.escalation")?.unwrap_or_default();
    // The calendar changes none of these checks; the whole policy is read with it afterwards.
    let round_the_clock = BusinessCalendar::always_open("UTC")
        .map_err(|error| ServiceError::Internal(error.to_string()))?;
    let refused = |error: PolicyError| {
        let field = match error {
            PolicyError::WarningPercent(_) => "definition.warning_percent",
            PolicyError::NonPositiveTarget { .. } => "definition.targets",
        };
        ServiceError::invalid_parameter(field, error.to_string())
    };
    let mut policy = SlaPolicy::new(round_the_clock).with_warning_percent(warning_percent);
    for (priority, target) in &targets {
        policy = policy.and_then(|policy| policy.with_targets(*priority, target.0));
    }
    policy.map_err(refused)?;
    serde_json::to_value(PolicyDefinition { targets, warning_percent, escalation })
        .map_err(|error| ServiceError::Internal(error.to_string()))
}

/// One field of a definition, `None` when absent; a value of the wrong shape is refused naming
/// `name` (e.g. `definition.targets`).
fn field<T: DeserializeOwned>(
    fields: &Map<String, Value>,
    key: &str,
    name: &'static str,
) -> ServiceResult<Option<T>> {
    let Some(value) = fields.get(key) else { return Ok(None) };
    serde_json::from_value(value.clone())
        .map(Some)
        .map_err(|error| ServiceError::invalid_parameter(name, format!("invalid {key}: {error}")))
}

fn checked_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid_parameter(
            "name",
            "an sla policy name has 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

fn unique(
    policies: &[SlaPolicyRecord],
    name: &str,
    except: Option<SlaPolicyId>,
) -> ServiceResult<()> {
    let taken = policies
        .iter()
        .any(|policy| Some(policy.id) != except && policy.name.eq_ignore_ascii_case(name));
    if taken {
        return Err(ServiceError::Conflict(format!("an sla policy named {name} exists already")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(definition: Value) -> &'static str {
        match checked_definition(&definition) {
            Err(ServiceError::InvalidParameter { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_good_definition_is_stored_in_its_normal_form() {
        let normal = checked_definition(&json!({
            "targets": {"urgent": {"first_response_seconds": 1800, "resolution_minutes": 480}}
        }))
        .unwrap();
        assert_eq!(
            normal,
            json!({
                "targets": {"urgent": {"first_response_minutes": 30, "resolution_minutes": 480}},
                "warning_percent": 80,
                "escalation": {"on_warning": [], "on_breach": []}
            })
        );
    }

    #[test]
    fn each_problem_names_its_field() {
        let zero = json!({"targets": {"low": {"first_response_minutes": 0}}});
        assert_eq!(field(zero), "definition.targets");
        let both = json!({"targets": {"low": {"resolution_minutes": 1, "resolution_seconds": 60}}});
        assert_eq!(field(both), "definition.targets");
        assert_eq!(field(json!({"targets": {"critical": {}}})), "definition.targets");
        assert_eq!(field(json!({"warning_percent": 100})), "definition.warning_percent");
        assert_eq!(field(json!({"warning_percent": 300})), "definition.warning_percent");
        let escalation = json!({"escalation": {"on_breach": ["page_the_ceo"]}});
        assert_eq!(field(escalation), "definition.escalation");
        assert_eq!(field(json!({"colour": "red"})), "definition");
        assert_eq!(field(json!(42)), "definition");
    }
}
