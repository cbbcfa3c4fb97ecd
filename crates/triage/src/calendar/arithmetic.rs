//! Counting open time: due times and business time between two instants.
//!
//! Both walk the calendar one local date at a time, one period at a time (never per minute).
//! For long spans they skip whole weeks at the wall-clock weekly total when that is exact: no
//! holiday inside the skipped weeks and one UTC offset throughout them. The offset is sampled at
//! every local midnight of the skipped span plus one day, which assumes a zone never changes its
//! offset twice within one day, which holds for the rules zones use today. The unit tests below
//! check the fast walk against the plain one.

use super::resolve::{day_start, local_date, Interval};
use super::BusinessCalendar;
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};

impl BusinessCalendar {
    /// The instant at which `duration` of open time has passed since `start`. `start` may be
    /// outside working time; counting begins at the next opening. The result is open or exactly
    /// the end of a period. A zero or negative duration returns `start`.
    pub fn add_business_time(&self, start: DateTime<Utc>, duration: Duration) -> DateTime<Utc> {
        self.add_walking(start, duration, true)
    }

    /// Open time between `from` and `to`; zero when `to` is not after `from`.
    pub fn business_time_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        self.between_walking(from, to, true)
    }

    fn add_walking(&self, start: DateTime<Utc>, duration: Duration, fast: bool) -> DateTime<Utc> {
        if duration <= Duration::zero() {
            return start;
        }
        if self.always_open && self.holidays.is_empty() {
            return start.checked_add_signed(duration).unwrap_or(DateTime::<Utc>::MAX_UTC);
        }
        let first_date = local_date(self.zone, start);
        // The day before may have a night period still running at `start`.
        let Some(mut date) = first_date.pred_opt() else {
            return DateTime::<Utc>::MAX_UTC;
        };
        let mut remaining = duration;
        let mut cursor = start;
        let mut intervals: Vec<Interval> = Vec::new();
        loop {
            if fast && date > first_date {
                let week = self.week_duration();
                let mut wanted = remaining.num_seconds() / week.num_seconds();
                // Leave the last stretch to the exact walk, so a due time on a period end is
                // found the same way with and without skipping.
                if wanted > 0 && week_multiple(week, wanted) >= remaining {
                    wanted -= 1;
                }
                let weeks = self.skippable_weeks(date, wanted);
                if weeks > 0 {
                    remaining -= week_multiple(week, weeks);
                    date = match date.checked_add_days(chrono::Days::new(weeks as u64 * 7)) {
                        Some(date) => date,
                        None => return DateTime::<Utc>::MAX_UTC,
                    };
                }
            }
            intervals.clear();
            self.day_intervals(date, &mut intervals);
            for &(start, end) in &intervals {
                let start = start.max(cursor);
                if end <= start {
                    continue;
                }
                let open = end - start;
                if remaining <= open {
                    return start + remaining;
                }
                remaining -= open;
                cursor = end;
            }
            date = match date.succ_opt() {
                Some(date) => date,
                None => return DateTime::<Utc>::MAX_UTC,
            };
        }
    }

    fn between_walking(&self, from: DateTime<Utc>, to: DateTime<Utc>, fast: bool) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        if self.always_open && self.holidays.is_empty() {
            return to - from;
        }
        let first_date = local_date(self.zone, from);
        let last_date = local_date(self.zone, to);
        let mut date = first_date.pred_opt().unwrap_or(first_date);
        let mut total = Duration::zero();
        let mut intervals: Vec<Interval> = Vec::new();
        while date <= last_date {
            if fast && date > first_date {
                // Periods starting on the skipped dates end by the local midnight one day after
                // them, which must not pass `to`.
                let wanted = ((last_date - date).num_days() - 1) / 7;
                let weeks = self.skippable_weeks(date, wanted);
                if weeks > 0 {
                    total += week_multiple(self.week_duration(), weeks);
                    date = match date.checked_add_days(chrono::Days::new(weeks as u64 * 7)) {
                        Some(date) => date,
                        None => break,
                    };
                    continue;
                }
            }
            intervals.clear();
            self.day_intervals(date, &mut intervals);
            for &(start, end) in &intervals {
                let (start, end) = (start.max(from), end.min(to));
                if end > start {
                    total += end - start;
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    fn week_duration(&self) -> Duration {
        Duration::minutes(i64::from(self.schedule.week_minutes()))
    }

    /// How many of the `wanted` weeks of periods starting on `date` hold exactly the wall-clock
    /// weekly total: none of their dates is a holiday, and the offset stays the same from the
    /// first midnight to one day past the last (night periods run into it).
    fn skippable_weeks(&self, date: NaiveDate, wanted: i64) -> i64 {
        if wanted <= 0 {
            return 0;
        }
        let mut weeks = wanted;
        if let Some(holiday) = self.holidays.range(date..).next() {
            weeks = weeks.min((*holiday - date).num_days() / 7);
        }
        if weeks <= 0 {
            return 0;
        }
        let zone = self.zone;
        let first = day_start(zone, date);
        let offset = zone.offset_from_utc_datetime(&first.naive_utc()).fix();
        let midnight = date.and_time(chrono::NaiveTime::MIN);
        for day in 1..=(weeks * 7 + 1) {
            let Some(local) = midnight.checked_add_signed(Duration::days(day)) else {
                return 0;
            };
            let Some(instant) = offset.from_local_datetime(&local).single() else {
                return 0;
            };
            if zone.offset_from_utc_datetime(&instant.naive_utc()).fix() != offset {
                // Midnights 0..day-1 share the offset; the last skipped week needs 7 more + 1.
                weeks = weeks.min((day - 2) / 7);
                break;
            }
        }
        weeks.max(0)
    }
}

fn week_multiple(week: Duration, count: i64) -> Duration {
    Duration::seconds(week.num_seconds().saturating_mul(count))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Weekday::*;
    use proptest::prelude::*;

    fn calendars() -> Vec<BusinessCalendar> {
        let holidays = |dates: &[(i32, u32, u32)]| {
            dates
                .iter()
                .map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
                .collect::<Vec<_>>()
        };
        let weekdays = [Mon, Tue, Wed, Thu, Fri];
        let office: Vec<_> = weekdays.iter().map(|d| (*d, "09:00-17:00")).collect();
        let mut split: Vec<_> = weekdays.iter().map(|d| (*d, "09:00-12:00")).collect();
        split.extend(weekdays.iter().map(|d| (*d, "13:00-17:30")));
        split.push((Fri, "22:00-02:00"));
        split.push((Sun, "01:30-03:30"));
        vec![
            BusinessCalendar::weekly("Europe/Berlin", &office).unwrap().with_holidays(holidays(&[
                (2024, 12, 25),
                (2024, 12, 26),
                (2025, 4, 18),
                (2025, 5, 1),
            ])),
            BusinessCalendar::weekly("America/New_York", &split)
                .unwrap()
                .with_holidays(holidays(&[(2024, 11, 28), (2025, 7, 4), (2025, 3, 7)])),
            BusinessCalendar::weekly(
                "Australia/Sydney",
                &[(Sat, "10:00-14:00"), (Sun, "02:00-03:00")],
            )
            .unwrap(),
            BusinessCalendar::always_open("Europe/Berlin")
                .unwrap()
                .with_holidays(holidays(&[(2024, 12, 25), (2025, 10, 26)])),
        ]
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2024-01-01 .. 2026-06-01, to the second.
        (1_704_067_200i64..1_780_272_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
    }

    proptest! {
        #[test]
        fn skipping_weeks_finds_the_same_due_time_as_walking_every_day(
            which in 0usize..4, start in instant(), minutes in 0i64..200_000,
        ) {
            let calendar = &calendars()[which];
            let duration = Duration::minutes(minutes) + Duration::seconds(minutes % 59);
            prop_assert_eq!(
                calendar.add_walking(start, duration, true),
                calendar.add_walking(start, duration, false)
            );
        }

        #[test]
        fn skipping_weeks_counts_the_same_open_time_as_walking_every_day(
            which in 0usize..4, from in instant(), to in instant(),
        ) {
            let calendar = &calendars()[which];
            prop_assert_eq!(
                calendar.between_walking(from, to, true),
                calendar.between_walking(from, to, false)
            );
        }
    }

    #[test]
    fn a_long_target_skips_weeks_but_stops_at_a_holiday() {
        let calendar = &calendars()[0];
        let start = DateTime::parse_from_rfc3339("2024-11-04T09:00:00+01:00").unwrap().to_utc();
        // 40 working days over the DST-free November and December: 37 up to Christmas Eve,
        // then Christmas and Boxing Day are closed, so the 40th ends on New Year's Eve.
        let due = calendar.add_business_time(start, Duration::hours(8 * 40));
        assert_eq!(due, calendar.add_walking(start, Duration::hours(8 * 40), false));
        assert_eq!(due.to_rfc3339(), "2024-12-31T16:00:00+00:00");
    }
}
