#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of business-hours arithmetic over calendars that exercise split days, night
//! periods, holidays and clock changes in both hemispheres.

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday::*};
use proptest::prelude::*;
use trellis_triage::BusinessCalendar;

fn holidays(dates: &[(i32, u32, u32)]) -> Vec<NaiveDate> {
    dates.iter().map(|&(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap()).collect()
}

fn calendars() -> Vec<BusinessCalendar> {
    let weekdays = [Mon, Tue, Wed, Thu, Fri];
    let office = weekdays.map(|day| (day, "09:00-17:00"));
    let mut split: Vec<_> = weekdays.iter().map(|day| (*day, "09:00-12:00")).collect();
    split.extend(weekdays.iter().map(|day| (*day, "13:00-17:30")));
    split.extend([(Fri, "22:00-02:00"), (Sat, "21:00-01:00"), (Sun, "01:30-02:30")]);
    vec![
        BusinessCalendar::weekly("Europe/Berlin", &office).unwrap().with_holidays(holidays(&[
            (2024, 12, 25),
            (2025, 3, 31),
            (2025, 10, 27),
        ])),
        BusinessCalendar::weekly("America/New_York", &split).unwrap().with_holidays(holidays(&[
            (2024, 11, 28),
            (2025, 3, 8),
            (2025, 7, 4),
        ])),
        BusinessCalendar::weekly("Australia/Sydney", &[(Sun, "00:00-04:00"), (Wed, "20:00-08:00")])
            .unwrap(),
        BusinessCalendar::always_open("Europe/Berlin")
            .unwrap()
            .with_holidays(holidays(&[(2024, 12, 25), (2025, 10, 26)])),
        BusinessCalendar::weekly("Asia/Kolkata", &[(Mon, "00:00-24:00"), (Thu, "10:15-10:45")])
            .unwrap(),
    ]
}

fn calendar() -> impl Strategy<Value = BusinessCalendar> {
    (0..calendars().len()).prop_map(|index| calendars().swap_remove(index))
}

/// 2024-01-01 .. 2026-06-01 to the second: covers four clock changes per zone.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (1_704_067_200i64..1_780_272_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// Up to ten weeks of open time, to the second.
fn duration() -> impl Strategy<Value = Duration> {
    (1i64..10 * 7 * 24 * 3600).prop_map(Duration::seconds)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_due_time_is_open_or_exactly_at_a_period_end(
        calendar in calendar(), start in instant(), target in duration(),
    ) {
        let due = calendar.add_business_time(start, target);
        prop_assert!(due > start);
        prop_assert!(
            calendar.is_open(due) || calendar.is_open(due - Duration::seconds(1)),
            "due {due} is neither open nor at a period end"
        );
    }

    #[test]
    fn the_open_time_up_to_a_due_time_is_the_target(
        calendar in calendar(), start in instant(), target in duration(),
    ) {
        let due = calendar.add_business_time(start, target);
        prop_assert_eq!(calendar.business_time_between(start, due), target);
    }

    #[test]
    fn a_longer_target_is_never_due_earlier(
        calendar in calendar(), start in instant(), a in duration(), b in duration(),
    ) {
        let (short, long) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(calendar.add_business_time(start, short) <= calendar.add_business_time(start, long));
    }

    #[test]
    fn open_time_adds_up_over_a_split(
        calendar in calendar(), a in instant(), b in instant(), c in instant(),
    ) {
        let mut points = [a, b, c];
        points.sort();
        let [a, b, c] = points;
        prop_assert_eq!(
            calendar.business_time_between(a, c),
            calendar.business_time_between(a, b) + calendar.business_time_between(b, c)
        );
        prop_assert!(calendar.business_time_between(a, c) <= c - a);
    }

    #[test]
    fn the_next_opening_is_open_and_nothing_before_it_counts(
        calendar in calendar(), at in instant(),
    ) {
        let opening = calendar.next_open(at);
        prop_assert!(opening >= at);
        prop_assert!(calendar.is_open(opening));
        prop_assert_eq!(calendar.business_time_between(at, opening), Duration::zero());
    }
}

#[test]
fn a_target_of_many_months_lands_where_counting_day_by_day_lands() {
    // A 2000-hour target from the Berlin office spans a year with two clock changes; compare
    // against adding it in 10-hour steps, which never skips a week.
    let calendar = &calendars()[0];
    let start = DateTime::parse_from_rfc3339("2024-06-03T10:00:00+02:00").unwrap().to_utc();
    let mut stepped = start;
    for _ in 0..200 {
        stepped = calendar.add_business_time(stepped, Duration::hours(10));
    }
    assert_eq!(calendar.add_business_time(start, Duration::hours(2000)), stepped);
}
