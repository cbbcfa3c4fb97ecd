//! The stored and wire form of a calendar. Deserializing a [`BusinessCalendar`] goes through
//! here and validates, so a calendar read back from storage is always usable.

use super::schedule::{weekday, CalendarError, WeeklySchedule, WorkingPeriod};
use super::{parse_zone, BusinessCalendar};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A calendar as written by an administrator:
///
/// ```json
/// { "time_zone": "Europe/Berlin",
///   "hours": { "weekly": { "mon": ["09:00-12:00", "13:00-17:30"], "fri": ["22:00-02:00"] } },
///   "holidays": ["2024-12-25"] }
/// ```
///
/// or `"hours": "always_open"` for a 24/7 team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarSpec {
    /// An IANA zone name such as `America/New_York`.
    pub time_zone: String,
    pub hours: HoursSpec,
    /// Local dates on which nothing opens.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoursSpec {
    AlwaysOpen,
    Weekly(WeekSpec),
}

/// Working periods per weekday as `HH:MM-HH:MM`; a missing day is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mon: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tue: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wed: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thu: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fri: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sat: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sun: Vec<String>,
}

impl WeekSpec {
    fn days(&self) -> [&Vec<String>; 7] {
        [&self.mon, &self.tue, &self.wed, &self.thu, &self.fri, &self.sat, &self.sun]
    }

    fn days_mut(&mut self) -> [&mut Vec<String>; 7] {
        [
            &mut self.mon,
            &mut self.tue,
            &mut self.wed,
            &mut self.thu,
            &mut self.fri,
            &mut self.sat,
            &mut self.sun,
        ]
    }
}

impl TryFrom<CalendarSpec> for BusinessCalendar {
    type Error = CalendarError;

    fn try_from(spec: CalendarSpec) -> Result<Self, Self::Error> {
        let zone = parse_zone(&spec.time_zone)?;
        let holidays: BTreeSet<NaiveDate> = spec.holidays.into_iter().collect();
        let (schedule, always_open) = match spec.hours {
            HoursSpec::AlwaysOpen => (WeeklySchedule::always_open(), true),
            HoursSpec::Weekly(week) => {
                let mut days: [Vec<WorkingPeriod>; 7] = Default::default();
                for (index, texts) in week.days().into_iter().enumerate() {
                    for text in texts {
                        days[index].push(WorkingPeriod::parse(text)?);
                    }
                }
                (WeeklySchedule::new(days)?, false)
            }
        };
        Ok(Self { zone, schedule, holidays, always_open })
    }
}

impl From<BusinessCalendar> for CalendarSpec {
    fn from(calendar: BusinessCalendar) -> Self {
        let hours = if calendar.always_open {
            HoursSpec::AlwaysOpen
        } else {
            let mut week = WeekSpec::default();
            for (index, texts) in week.days_mut().into_iter().enumerate() {
                let periods = calendar.schedule.periods(weekday(index));
                *texts = periods.iter().map(ToString::to_string).collect();
            }
            HoursSpec::Weekly(week)
        };
        Self {
            time_zone: calendar.zone.name().to_owned(),
            hours,
            holidays: calendar.holidays.into_iter().collect(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Weekday;

    #[test]
    fn a_calendar_round_trips_through_json() {
        let calendar = BusinessCalendar::weekly(
            "Europe/Berlin",
            &[
                (Weekday::Mon, "09:00-12:00"),
                (Weekday::Mon, "13:00-17:30"),
                (Weekday::Fri, "22:00-02:00"),
            ],
        )
        .unwrap()
        .with_holidays([NaiveDate::from_ymd_opt(2024, 12, 25).unwrap()]);
        let json = serde_json::to_value(&calendar).unwrap();
        assert_eq!(json["hours"]["weekly"]["mon"][1], "13:00-17:30");
        assert_eq!(json["holidays"][0], "2024-12-25");
        let back: BusinessCalendar = serde_json::from_value(json).unwrap();
        assert_eq!(back, calendar);
    }

    #[test]
    fn an_always_open_calendar_is_spelled_as_such() {
        let calendar = BusinessCalendar::always_open("UTC").unwrap();
        let json = serde_json::to_string(&calendar).unwrap();
        assert_eq!(json, r#"{"time_zone":"UTC","hours":"always_open","holidays":[]}"#);
    }

    #[test]
    fn deserializing_validates_zone_and_periods() {
        let bad_zone = r#"{"time_zone":"Mars/Olympus","hours":"always_open"}"#;
        let err = serde_json::from_str::<BusinessCalendar>(bad_zone).unwrap_err();
        assert!(err.to_string().contains("unknown time zone"), "{err}");
        let overlap =
            r#"{"time_zone":"UTC","hours":{"weekly":{"tue":["09:00-12:00","10:00-11:00"]}}}"#;
        let err = serde_json::from_str::<BusinessCalendar>(overlap).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }
}
