//! Stored calendars ⇄ [`BusinessCalendar`]. A calendar's `definition` is a [`crate::CalendarSpec`]
//! (IANA zone, weekly periods, holidays), validated when read.

use crate::calendar::BusinessCalendar;
use trellis_core::{CalendarId, CalendarInput, CalendarRecord};

/// A stored calendar whose definition is not a valid calendar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("calendar {calendar_id} \"{name}\" has an invalid definition: {reason}")]
pub struct StoredCalendarError {
    pub calendar_id: CalendarId,
    pub name: String,
    pub reason: String,
}

/// The calendar a record describes.
pub fn calendar_from_record(
    record: &CalendarRecord,
) -> Result<BusinessCalendar, StoredCalendarError> {
    serde_json::from_value(record.definition.clone()).map_err(|error| StoredCalendarError {
        calendar_id: record.id,
        name: record.name.clone(),
        reason: error.to_string(),
    })
}

/// The store's input for a calendar.
pub fn calendar_input(name: &str, calendar: &BusinessCalendar) -> CalendarInput {
    CalendarInput {
        name: name.to_owned(),
        // A calendar serializes as its spec, which is plain data.
        definition: serde_json::to_value(calendar).unwrap_or_default(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc, Weekday};
    use serde_json::json;

    fn record(definition: serde_json::Value) -> CalendarRecord {
        let at: DateTime<Utc> = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        CalendarRecord {
            id: CalendarId(2),
            name: "Support EU".into(),
            definition,
            created_at: at,
            updated_at: at,
        }
    }

    #[test]
    fn a_calendar_round_trips_through_its_stored_input() {
        let calendar =
            BusinessCalendar::weekly("Europe/Berlin", &[(Weekday::Mon, "09:00-17:00")]).unwrap();
        let input = calendar_input("Support EU", &calendar);
        assert_eq!(input.definition["time_zone"], "Europe/Berlin");
        assert_eq!(calendar_from_record(&record(input.definition)).unwrap(), calendar);
    }

    #[test]
    fn a_bad_calendar_names_itself_and_the_problem() {
        let err = calendar_from_record(&record(json!({
            "time_zone": "Mars/Olympus", "hours": "always_open"
        })))
        .unwrap_err();
        let message = err.to_string();
        assert!(message.starts_with("calendar 2 \"Support EU\""), "{message}");
        assert!(message.contains("unknown time zone"), "{message}");
    }
}
