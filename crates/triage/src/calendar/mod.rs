//! Business calendars: when a team works, in its own time zone, with holidays.
//!
//! Rules (docs/triage.md has worked examples):
//! - Periods are local wall-clock times in the calendar's IANA zone; a day may have several.
//! - A period whose end is at or before its start runs past midnight and belongs to the day it
//!   starts on (`Fri 22:00-02:00` is Friday's, and runs into Saturday).
//! - A holiday cancels every period that starts on that local date, including the part of a night
//!   period after midnight. A night period that started the evening before runs to its end.
//! - Open time is counted in real elapsed time between the instants the local start and end
//!   denote. A nonexistent local time (spring forward) denotes the first instant after the gap;
//!   an ambiguous one (fall back) its first occurrence. So a 09:00-17:00 day is 8 real hours on
//!   any day, but a 00:00-04:00 period over a clock change is 3 or 5.

mod arithmetic;
mod resolve;
mod schedule;
mod spec;

pub use schedule::{CalendarError, WorkingPeriod};
pub use spec::{CalendarSpec, HoursSpec, WeekSpec};

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;
use resolve::local_date;
use schedule::WeeklySchedule;
use std::collections::BTreeSet;

/// When a team is at work. Cheap to clone; serializes as a [`CalendarSpec`] and validates when
/// deserialized, so a stored calendar that reads back is always usable.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct BusinessCalendar {
    zone: Tz,
    schedule: WeeklySchedule,
    holidays: BTreeSet<NaiveDate>,
    /// Open around the clock: kept apart from the schedule so a holiday-free 24/7 calendar can
    /// answer every question without looking at dates.
    always_open: bool,
}

impl BusinessCalendar {
    /// A calendar with these working periods (`HH:MM-HH:MM`, see [`WorkingPeriod::parse`]).
    pub fn weekly(zone: &str, periods: &[(Weekday, &str)]) -> Result<Self, CalendarError> {
        let zone = parse_zone(zone)?;
        let mut days: [Vec<WorkingPeriod>; 7] = Default::default();
        for (day, text) in periods {
            days[day.num_days_from_monday() as usize].push(WorkingPeriod::parse(text)?);
        }
        Ok(Self {
            zone,
            schedule: WeeklySchedule::new(days)?,
            holidays: BTreeSet::new(),
            always_open: false,
        })
    }

    /// Open 24 hours a day, 7 days a week. Holidays added later still close whole dates.
    pub fn always_open(zone: &str) -> Result<Self, CalendarError> {
        Ok(Self {
            zone: parse_zone(zone)?,
            schedule: WeeklySchedule::always_open(),
            holidays: BTreeSet::new(),
            always_open: true,
        })
    }

    /// Closes these local dates (see the module rules for night periods).
    pub fn with_holidays(mut self, holidays: impl IntoIterator<Item = NaiveDate>) -> Self {
        self.holidays.extend(holidays);
        self
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    pub fn periods(&self, day: Weekday) -> &[WorkingPeriod] {
        self.schedule.periods(day)
    }

    pub fn holidays(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.holidays.iter().copied()
    }

    pub fn is_always_open(&self) -> bool {
        self.always_open
    }

    /// Whether `at` falls inside working time. Periods are half-open: open at their start,
    /// closed at their end.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        if self.always_open && self.holidays.is_empty() {
            return true;
        }
        let date = local_date(self.zone, at);
        let mut intervals = Vec::new();
        // The day before may have a night period still running.
        if let Some(before) = date.pred_opt() {
            self.day_intervals(before, &mut intervals);
        }
        self.day_intervals(date, &mut intervals);
        intervals.iter().any(|&(start, end)| start <= at && at < end)
    }

    /// `at` itself when open, else the next instant working time begins.
    pub fn next_open(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.always_open && self.holidays.is_empty() {
            return at;
        }
        self.open_intervals_from(at).next().map_or(DateTime::<Utc>::MAX_UTC, |(start, _)| start)
    }

    /// Open intervals clipped to start no earlier than `at`, in order, without end. Ends only at
    /// the end of chrono's calendar; callers stop early.
    pub(crate) fn open_intervals_from(
        &self,
        at: DateTime<Utc>,
    ) -> impl Iterator<Item = resolve::Interval> + '_ {
        let mut date = local_date(self.zone, at).pred_opt();
        let mut buffer: Vec<resolve::Interval> = Vec::new();
        let mut index = 0;
        std::iter::from_fn(move || loop {
            if let Some(&(start, end)) = buffer.get(index) {
                index += 1;
                if end > at {
                    return Some((start.max(at), end));
                }
                continue;
            }
            let day = date?;
            buffer.clear();
            index = 0;
            self.day_intervals(day, &mut buffer);
            date = day.succ_opt();
        })
    }
}

fn parse_zone(name: &str) -> Result<Tz, CalendarError> {
    name.trim().parse().map_err(|_| CalendarError::UnknownTimeZone(name.to_owned()))
}
