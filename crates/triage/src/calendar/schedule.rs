//! The weekly shape of a business calendar: working periods per weekday, in local wall-clock
//! minutes, validated once so the arithmetic never has to re-check them.

use chrono::Weekday;
use std::fmt;

pub(crate) const MINUTES_PER_DAY: u32 = 24 * 60;
const MINUTES_PER_WEEK: u32 = 7 * MINUTES_PER_DAY;

/// Why a calendar was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("unknown time zone {0:?}, expected an IANA name such as \"Europe/Berlin\"")]
    UnknownTimeZone(String),
    #[error("invalid working period {text:?}: {reason}")]
    BadPeriod { text: String, reason: &'static str },
    #[error("working periods {first} on {first_day} and {second} on {second_day} overlap")]
    Overlap { first_day: Weekday, first: WorkingPeriod, second_day: Weekday, second: WorkingPeriod },
    #[error("a business calendar needs at least one working period")]
    NoWorkingTime,
}

/// One stretch of working time in a day's schedule, in local wall-clock time.
///
/// `end_minute` counts from the same midnight as `start_minute`, so a period that runs past
/// midnight (`22:00-02:00`) has an end beyond 24:00 and belongs to the day it starts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingPeriod {
    start_minute: u32,
    end_minute: u32,
}

impl WorkingPeriod {
    /// Parses `HH:MM-HH:MM`. An end at or before the start means the period runs past midnight;
    /// `24:00` is accepted as an end (the whole day is `00:00-24:00`).
    pub fn parse(text: &str) -> Result<Self, CalendarError> {
        let bad = |reason| CalendarError::BadPeriod { text: text.to_owned(), reason };
        let (start, end) = text.trim().split_once('-').ok_or(bad("expected HH:MM-HH:MM"))?;
        let start = parse_clock(start.trim()).ok_or(bad("start is not a time HH:MM"))?;
        let end = parse_clock(end.trim()).ok_or(bad("end is not a time HH:MM"))?;
        if start >= MINUTES_PER_DAY {
            return Err(bad("a period cannot start at 24:00"));
        }
        // The same start and end would be either nothing or a full day; refuse rather than guess.
        if start == end {
            return Err(bad("zero length: start and end are the same time"));
        }
        let end_minute = if end > start { end } else { end + MINUTES_PER_DAY };
        Ok(Self { start_minute: start, end_minute })
    }

    /// Minutes after the local midnight of the period's day at which it opens.
    pub fn start_minute(&self) -> u32 {
        self.start_minute
    }

    /// Minutes after the same midnight at which it closes; above 1440 when it runs past midnight.
    pub fn end_minute(&self) -> u32 {
        self.end_minute
    }

    pub fn spans_midnight(&self) -> bool {
        self.end_minute > MINUTES_PER_DAY
    }
}

impl fmt::Display for WorkingPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let end = if self.end_minute > MINUTES_PER_DAY {
            self.end_minute - MINUTES_PER_DAY
        } else {
            self.end_minute
        };
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start_minute / 60,
            self.start_minute % 60,
            end / 60,
            end % 60
        )
    }
}

fn parse_clock(text: &str) -> Option<u32> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.is_empty() || hours.len() > 2 || minutes.len() != 2 {
        return None;
    }
    let hours: u32 = hours.parse().ok()?;
    let minutes: u32 = minutes.parse().ok()?;
    if minutes >= 60 || hours > 24 || (hours == 24 && minutes != 0) {
        return None;
    }
    Some(hours * 60 + minutes)
}

/// Working periods for each weekday, sorted, non-overlapping across the whole (cyclic) week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WeeklySchedule {
    /// Indexed by `Weekday::num_days_from_monday`.
    days: [Vec<WorkingPeriod>; 7],
    week_minutes: u32,
}

impl WeeklySchedule {
    /// Validates and sorts. Periods may touch but not overlap, including a period that runs past
    /// midnight into the next day's first period and Sunday night into Monday morning.
    pub(crate) fn new(mut days: [Vec<WorkingPeriod>; 7]) -> Result<Self, CalendarError> {
        let mut week: Vec<(u32, u32, Weekday, WorkingPeriod)> = Vec::new();
        for (index, periods) in days.iter_mut().enumerate() {
            periods.sort();
            let day = weekday(index);
            for period in periods.iter() {
                let offset = index as u32 * MINUTES_PER_DAY;
                week.push((offset + period.start_minute, offset + period.end_minute, day, *period));
            }
        }
        if week.is_empty() {
            return Err(CalendarError::NoWorkingTime);
        }
        week.sort_by_key(|(start, end, _, _)| (*start, *end));
        let overlap = |a: &(u32, u32, Weekday, WorkingPeriod),
                       b: &(u32, u32, Weekday, WorkingPeriod)| {
            CalendarError::Overlap { first_day: a.2, first: a.3, second_day: b.2, second: b.3 }
        };
        for pair in week.windows(2) {
            if pair[0].1 > pair[1].0 {
                return Err(overlap(&pair[0], &pair[1]));
            }
        }
        // Sunday night running into Monday morning wraps around the week.
        if let (Some(first), Some(last)) = (week.first(), week.last()) {
            if week.len() > 1 && last.1 > MINUTES_PER_WEEK + first.0 {
                return Err(overlap(last, first));
            }
        }
        let week_minutes = week.iter().map(|(start, end, _, _)| end - start).sum();
        Ok(Self { days, week_minutes })
    }

    /// Every day `00:00-24:00`.
    pub(crate) fn always_open() -> Self {
        let full = WorkingPeriod { start_minute: 0, end_minute: MINUTES_PER_DAY };
        Self { days: std::array::from_fn(|_| vec![full]), week_minutes: MINUTES_PER_WEEK }
    }

    pub(crate) fn periods(&self, day: Weekday) -> &[WorkingPeriod] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Wall-clock working minutes in one week without holidays or clock changes.
    pub(crate) fn week_minutes(&self) -> u32 {
        self.week_minutes
    }
}

pub(crate) fn weekday(index: usize) -> Weekday {
    match index {
        0 => Weekday::Mon,
        1 => Weekday::Tue,
        2 => Weekday::Wed,
        3 => Weekday::Thu,
        4 => Weekday::Fri,
        5 => Weekday::Sat,
        _ => Weekday::Sun,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn period(text: &str) -> WorkingPeriod {
        WorkingPeriod::parse(text).unwrap()
    }

    fn week(day: usize, periods: &[&str]) -> [Vec<WorkingPeriod>; 7] {
        let mut days: [Vec<WorkingPeriod>; 7] = Default::default();
        days[day] = periods.iter().map(|p| period(p)).collect();
        days
    }

    #[test]
    fn a_period_past_midnight_ends_on_the_next_day() {
        let night = period("22:00-02:00");
        assert!(night.spans_midnight());
        assert_eq!((night.start_minute(), night.end_minute()), (22 * 60, 26 * 60));
        assert_eq!(night.to_string(), "22:00-02:00");
        assert_eq!(period("00:00-24:00").end_minute(), MINUTES_PER_DAY);
    }

    #[test]
    fn malformed_periods_are_refused_with_a_reason() {
        for text in ["9-17", "09:00", "25:00-26:00", "09:60-10:00", "24:00-01:00", "09:00-09:00"] {
            assert!(
                matches!(WorkingPeriod::parse(text), Err(CalendarError::BadPeriod { .. })),
                "{text}"
            );
        }
    }

    #[test]
    fn overlapping_periods_on_one_day_are_refused() {
        let err = WeeklySchedule::new(week(0, &["09:00-12:00", "11:00-13:00"])).unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    #[test]
    fn touching_periods_are_allowed() {
        let schedule = WeeklySchedule::new(week(0, &["13:00-17:00", "09:00-13:00"])).unwrap();
        assert_eq!(schedule.periods(Weekday::Mon)[0], period("09:00-13:00"));
        assert_eq!(schedule.week_minutes(), 8 * 60);
    }

    #[test]
    fn a_night_period_overlapping_the_next_morning_is_refused() {
        let mut days = week(0, &["22:00-03:00"]);
        days[1] = vec![period("02:00-05:00")];
        assert!(matches!(WeeklySchedule::new(days), Err(CalendarError::Overlap { .. })));
    }

    #[test]
    fn sunday_night_overlapping_monday_morning_is_refused() {
        let mut days = week(6, &["22:00-03:00"]);
        days[0] = vec![period("02:00-05:00")];
        assert!(matches!(WeeklySchedule::new(days), Err(CalendarError::Overlap { .. })));
    }

    #[test]
    fn an_empty_week_is_refused() {
        assert_eq!(WeeklySchedule::new(Default::default()), Err(CalendarError::NoWorkingTime));
    }
}
