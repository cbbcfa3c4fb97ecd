//! Business-hours calendars: a time zone, working periods per weekday and holidays, which SLA
//! policies count their targets in and rules' business-hours conditions name. Everyone reads them;
//! supervisors write them, audited. A definition is checked as triage reads it, each problem named
//! by its field, and stored in its normal form. The REST API and `trellis calendar …` both call
//! here.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use chrono::NaiveDate;
use serde_json::{Map, Value};
use trellis_core::{CalendarId, CalendarInput, CalendarRecord, Store};
use trellis_triage::calendar::{BusinessCalendar, CalendarError, CalendarSpec, HoursSpec};
use trellis_triage::rules::{Calendars, RuleError, RuleSet};
use trellis_triage::stored::{calendar_from_record, rule_from_record};

/// The fields of a calendar definition (docs/examples/calendar.json).
const FIELDS: [&str; 3] = ["time_zone", "hours", "holidays"];

pub async fn list(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<CalendarRecord>> {
    principal.require(Permission::ReadInbox)?;
    Ok(store.list_calendars().await?)
}

pub async fn get(
    store: &dyn Store,
    principal: &Principal,
    id: CalendarId,
) -> ServiceResult<CalendarRecord> {
    principal.require(Permission::ReadInbox)?;
    find(store, id).await
}

pub async fn find(store: &dyn Store, id: CalendarId) -> ServiceResult<CalendarRecord> {
    store
        .list_calendars()
        .await?
        .into_iter()
        .find(|calendar| calendar.id == id)
        .ok_or_else(|| ServiceError::NotFound(format!("calendar {id} not found")))
}

/// A new calendar named `name` (rules' business-hours conditions name it so), unique.
pub async fn create(
    store: &dyn Store,
    principal: &Principal,
    name: &str,
    definition: &Value,
) -> ServiceResult<CalendarRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let name = checked_name(name)?;
    let definition = checked_definition(definition)?.1;
    unique(&store.list_calendars().await?, &name, None)?;
    let calendar = store.create_calendar(CalendarInput { name, definition }).await?;
    audit::record(
        store,
        principal,
        "calendar.created",
        "calendar",
        calendar.id,
        None::<()>,
        Some(&calendar),
    )
    .await?;
    Ok(calendar)
}

/// A new name, a new definition (replacing the old one whole), or both. A rename is refused
/// while a rule's business-hours condition names the calendar: the rule would stop compiling.
pub async fn update(
    store: &dyn Store,
    principal: &Principal,
    id: CalendarId,
    name: Option<&str>,
    definition: Option<&Value>,
) -> ServiceResult<CalendarRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let calendars = store.list_calendars().await?;
    let before = calendars
        .iter()
        .find(|calendar| calendar.id == id)
        .cloned()
        .ok_or_else(|| ServiceError::NotFound(format!("calendar {id} not found")))?;
    let name = match name {
        Some(name) => checked_name(name)?,
        None => before.name.clone(),
    };
    let definition = match definition {
        Some(definition) => checked_definition(definition)?.1,
        None => before.definition.clone(),
    };
    if name != before.name {
        unique(&calendars, &name, Some(id))?;
        keeps_rules_compiling(store, &calendars, &before, &name).await?;
    }
    let after = store.update_calendar(id, CalendarInput { name, definition }).await?;
    audit::record(
        store,
        principal,
        "calendar.updated",
        "calendar",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Deletes a calendar nothing depends on; the store refuses (409, naming them) while an SLA
/// policy counts in it or a rule names it.
pub async fn delete(
    store: &dyn Store,
    principal: &Principal,
    id: CalendarId,
) -> ServiceResult<CalendarRecord> {
    principal.require(Permission::ManageWorkflow)?;
    let before = find(store, id).await?;
    store.delete_calendar(id).await?;
    audit::record(store, principal, "calendar.deleted", "calendar", id, Some(&before), None::<()>)
        .await?;
    Ok(before)
}

/// The JSON of a definition file, for the CLI: a syntax error says its line and column.
pub fn definition_from_text(text: &str) -> ServiceResult<Value> {
    serde_json::from_str(text).map_err(|error| {
        ServiceError::invalid_parameter("definition", format!("invalid calendar: {error}"))
    })
}

/// A calendar definition checked as triage reads it: the calendar, and the normal form to store
/// (zone name as IANA spells it, periods sorted, holidays sorted once each). A problem names its
/// field: `definition.time_zone`, `definition.hours`, `definition.holidays`, or `definition`.
pub fn checked_definition(definition: &Value) -> ServiceResult<(BusinessCalendar, Value)> {
    let whole = |message: String| ServiceError::invalid_parameter("definition", message);
    let fields = definition.as_object().ok_or_else(|| {
        whole("a calendar definition is a JSON object: time_zone, hours, holidays".into())
    })?;
    if let Some(unknown) = fields.keys().find(|key| !FIELDS.contains(&key.as_str())) {
        return Err(whole(format!(
            "unknown field {unknown:?}: a calendar definition has time_zone, hours and holidays"
        )));
    }
    let time_zone = match fields.get("time_zone") {
        Some(Value::String(zone)) => zone.clone(),
        _ => {
            return Err(ServiceError::invalid_parameter(
                "definition.time_zone",
                "time_zone is required: an IANA name such as \"Europe/Berlin\"",
            ))
        }
    };
    let spec = CalendarSpec { time_zone, hours: hours(fields)?, holidays: holidays(fields)? };
    let calendar = BusinessCalendar::try_from(spec).map_err(|error| {
        let field = match error {
            CalendarError::UnknownTimeZone(_) => "definition.time_zone",
            CalendarError::BadPeriod { .. }
            | CalendarError::Overlap { .. }
            | CalendarError::NoWorkingTime => "definition.hours",
        };
        ServiceError::invalid_parameter(field, error.to_string())
    })?;
    let normal = serde_json::to_value(&calendar)
        .map_err(|error| ServiceError::Internal(error.to_string()))?;
    Ok((calendar, normal))
}

fn hours(fields: &Map<String, Value>) -> ServiceResult<HoursSpec> {
    let bad = |message: String| ServiceError::invalid_parameter("definition.hours", message);
    let hours = fields.get("hours").ok_or_else(|| {
        bad("hours is required: \"always_open\" or {\"weekly\": {\"mon\": [\"09:00-17:00\"], …}}"
            .into())
    })?;
    serde_json::from_value(hours.clone()).map_err(|error| bad(format!("invalid hours: {error}")))
}

/// Holidays are local dates `YYYY-MM-DD`; absent means none.
fn holidays(fields: &Map<String, Value>) -> ServiceResult<Vec<NaiveDate>> {
    let bad = |message: String| ServiceError::invalid_parameter("definition.holidays", message);
    let Some(holidays) = fields.get("holidays") else { return Ok(Vec::new()) };
    let items =
        holidays.as_array().ok_or_else(|| bad("holidays is a list of dates YYYY-MM-DD".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            item.as_str()
                .and_then(|text| text.parse::<NaiveDate>().ok())
                .ok_or_else(|| bad(format!("holidays[{index}] {item} is not a date YYYY-MM-DD")))
        })
        .collect()
}

fn checked_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ServiceError::invalid_parameter(
            "name",
            "a calendar name has 1 to 100 characters",
        ));
    }
    Ok(name.to_owned())
}

/// Rules name calendars by name, so two calendars of one name (in any case) are refused.
fn unique(
    calendars: &[CalendarRecord],
    name: &str,
    except: Option<CalendarId>,
) -> ServiceResult<()> {
    let taken = calendars
        .iter()
        .any(|calendar| Some(calendar.id) != except && calendar.name.eq_ignore_ascii_case(name));
    if taken {
        return Err(ServiceError::Conflict(format!("a calendar named {name} exists already")));
    }
    Ok(())
}

/// Refuses renaming `renamed` to `name` when a rule that names it would no longer compile (triage
/// would skip the rule), naming those rules. Compiling is CPU work, done off the runtime.
async fn keeps_rules_compiling(
    store: &dyn Store,
    calendars: &[CalendarRecord],
    renamed: &CalendarRecord,
    name: &str,
) -> ServiceResult<()> {
    let mut after = Calendars::new();
    for record in calendars {
        if let Ok(calendar) = calendar_from_record(record) {
            let known_as = if record.id == renamed.id { name } else { &record.name };
            after.insert(known_as.to_owned(), calendar);
        }
    }
    let old_name = renamed.name.clone();
    let rules = store.list_rules().await?;
    let naming = tokio::task::spawn_blocking(move || {
        rules
            .iter()
            .filter(|record| {
                let Ok(rule) = rule_from_record(record) else { return false };
                matches!(
                    RuleSet::compile(vec![rule], &after),
                    Err(RuleError::UnknownCalendar { calendar, .. }) if calendar == old_name
                )
            })
            .map(|record| format!("{} \"{}\"", record.id, record.name))
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|error| ServiceError::Internal(error.to_string()))?;
    if naming.is_empty() {
        return Ok(());
    }
    let (noun, them) = if naming.len() == 1 { ("rule", "it") } else { ("rules", "them") };
    Err(ServiceError::Conflict(format!(
        "calendar {} \"{}\" is named by the business-hours conditions of {noun} {}: change {them} \
         first, or keep the name",
        renamed.id,
        renamed.name,
        naming.join(", ")
    )))
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
        let (calendar, normal) = checked_definition(&json!({
            "time_zone": "Europe/Berlin",
            "hours": {"weekly": {"mon": ["13:00-17:00", " 09:00-12:00"]}},
            "holidays": ["2025-12-26", "2025-12-25", "2025-12-25"]
        }))
        .unwrap();
        assert_eq!(calendar.zone().name(), "Europe/Berlin");
        assert_eq!(normal["hours"]["weekly"]["mon"], json!(["09:00-12:00", "13:00-17:00"]));
        assert_eq!(normal["holidays"], json!(["2025-12-25", "2025-12-26"]));
        let open = checked_definition(&json!({"time_zone": "UTC", "hours": "always_open"}));
        assert_eq!(open.unwrap().1["holidays"], json!([]));
    }

    #[test]
    fn each_problem_names_its_field() {
        let week = json!({"weekly": {"mon": ["09:00-17:00"]}});
        assert_eq!(
            field(json!({"time_zone": "Mars/Olympus", "hours": week})),
            "definition.time_zone"
        );
        assert_eq!(field(json!({"hours": week})), "definition.time_zone");
        let overlap = json!({"weekly": {"tue": ["09:00-12:00", "11:00-13:00"]}});
        assert_eq!(field(json!({"time_zone": "UTC", "hours": overlap})), "definition.hours");
        let empty = json!({"weekly": {"tue": ["09:00-09:00"]}});
        assert_eq!(field(json!({"time_zone": "UTC", "hours": empty})), "definition.hours");
        let day = json!({"weekly": {"monday": ["09:00-17:00"]}});
        assert_eq!(field(json!({"time_zone": "UTC", "hours": day})), "definition.hours");
        let date = json!({"time_zone": "UTC", "hours": week, "holidays": ["2025-02-30"]});
        assert_eq!(field(date), "definition.holidays");
        assert_eq!(field(json!({"time_zone": "UTC", "hours": week, "colour": 1})), "definition");
        assert_eq!(field(json!(["UTC"])), "definition");
    }

    #[test]
    fn a_night_period_runs_past_midnight_rather_than_backwards() {
        let night = json!({"time_zone": "UTC", "hours": {"weekly": {"fri": ["22:00-02:00"]}}});
        let (calendar, _) = checked_definition(&night).unwrap();
        assert!(calendar.periods(chrono::Weekday::Fri)[0].spans_midnight());
    }
}
