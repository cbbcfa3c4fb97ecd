#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Worked examples of business-hours arithmetic: the peer bug report, split days, night periods,
//! holidays and clock changes.

use chrono::{DateTime, Duration, NaiveDate, Utc, Weekday::*};
use trellis_triage::{BusinessCalendar, CalendarError};

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).unwrap().to_utc()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn office(zone: &str) -> BusinessCalendar {
    let days = [Mon, Tue, Wed, Thu, Fri].map(|day| (day, "09:00-17:00"));
    BusinessCalendar::weekly(zone, &days).unwrap()
}

#[test]
fn a_friday_afternoon_message_with_a_one_hour_target_is_due_monday_morning() {
    let calendar = office("Europe/Berlin");
    // Friday 2024-03-08 16:30 in Berlin is 15:30 UTC.
    let due = calendar.add_business_time(at("2024-03-08T16:30:00+01:00"), Duration::hours(1));
    assert_eq!(due, at("2024-03-11T09:30:00+01:00"));
}

#[test]
fn counting_starts_at_the_next_opening_when_started_outside_hours() {
    let calendar = office("Europe/Berlin");
    let saturday = at("2024-03-09T11:00:00+01:00");
    assert!(!calendar.is_open(saturday));
    assert_eq!(calendar.next_open(saturday), at("2024-03-11T09:00:00+01:00"));
    assert_eq!(
        calendar.add_business_time(saturday, Duration::minutes(90)),
        at("2024-03-11T10:30:00+01:00")
    );
}

#[test]
fn a_lunch_break_does_not_count() {
    let calendar =
        BusinessCalendar::weekly("Europe/Berlin", &[(Mon, "09:00-12:00"), (Mon, "13:00-17:30")])
            .unwrap();
    let morning = at("2024-03-11T11:00:00+01:00");
    assert_eq!(
        calendar.add_business_time(morning, Duration::hours(2)),
        at("2024-03-11T14:00:00+01:00")
    );
    assert!(!calendar.is_open(at("2024-03-11T12:30:00+01:00")));
    assert_eq!(
        calendar.business_time_between(morning, at("2024-03-11T18:00:00+01:00")),
        Duration::minutes(60 + 4 * 60 + 30)
    );
    // 3 h + 4.5 h a week: the next Monday picks up what is left.
    assert_eq!(
        calendar.add_business_time(morning, Duration::minutes(6 * 60)),
        at("2024-03-18T09:30:00+01:00")
    );
}

#[test]
fn a_night_period_belongs_to_the_day_it_starts_and_runs_past_midnight() {
    let calendar = BusinessCalendar::weekly("Europe/Berlin", &[(Fri, "22:00-02:00")]).unwrap();
    assert!(calendar.is_open(at("2024-03-09T01:30:00+01:00")), "saturday 01:30");
    assert!(!calendar.is_open(at("2024-03-09T02:00:00+01:00")), "closed at the end");
    assert!(!calendar.is_open(at("2024-03-10T01:00:00+01:00")), "not on sunday");
    assert_eq!(
        calendar.add_business_time(at("2024-03-08T23:00:00+01:00"), Duration::hours(3)),
        at("2024-03-09T02:00:00+01:00")
    );
}

#[test]
fn a_holiday_cancels_its_own_night_period_but_not_the_previous_evenings() {
    let calendar =
        BusinessCalendar::weekly("Europe/Berlin", &[(Thu, "22:00-02:00"), (Fri, "22:00-02:00")])
            .unwrap()
            .with_holidays([date(2024, 3, 8)]);
    // Thursday's night period runs into the holiday Friday and is worked to its end.
    assert!(calendar.is_open(at("2024-03-08T01:00:00+01:00")));
    // Friday's own night period is cancelled, after midnight too.
    assert!(!calendar.is_open(at("2024-03-08T23:00:00+01:00")));
    assert!(!calendar.is_open(at("2024-03-09T01:00:00+01:00")));
    assert_eq!(
        calendar.add_business_time(at("2024-03-08T01:00:00+01:00"), Duration::hours(2)),
        at("2024-03-14T23:00:00+01:00")
    );
}

#[test]
fn holidays_close_whole_days_even_on_an_always_open_calendar() {
    let calendar =
        BusinessCalendar::always_open("Europe/Berlin").unwrap().with_holidays([date(2024, 12, 25)]);
    assert!(calendar.is_open(at("2024-12-24T23:59:00+01:00")));
    assert!(!calendar.is_open(at("2024-12-25T12:00:00+01:00")));
    assert_eq!(
        calendar.add_business_time(at("2024-12-24T23:00:00+01:00"), Duration::hours(2)),
        at("2024-12-26T01:00:00+01:00")
    );
    let plain = BusinessCalendar::always_open("UTC").unwrap();
    assert_eq!(
        plain.business_time_between(at("2024-01-01T00:00:00Z"), at("2024-01-08T00:00:00Z")),
        Duration::days(7)
    );
}

#[test]
fn an_office_day_is_eight_real_hours_on_both_clock_change_days() {
    let every_day = [Mon, Tue, Wed, Thu, Fri, Sat, Sun].map(|day| (day, "09:00-17:00"));
    let changes = [
        ("Europe/Berlin", date(2025, 3, 30)),
        ("Europe/Berlin", date(2025, 10, 26)),
        ("America/New_York", date(2024, 3, 10)),
        ("America/New_York", date(2024, 11, 3)),
    ];
    for (zone, change_day) in changes {
        let calendar = BusinessCalendar::weekly(zone, &every_day).unwrap();
        let midnight = change_day.and_hms_opt(0, 0, 0).unwrap().and_utc();
        let opening = calendar.next_open(midnight);
        let closing = calendar.add_business_time(opening, Duration::hours(8));
        assert_eq!(closing - opening, Duration::hours(8), "{zone} {change_day}");
        assert!(!calendar.is_open(closing), "{zone} {change_day}");
        assert_eq!(
            calendar.business_time_between(midnight, midnight + Duration::days(1)),
            Duration::hours(8)
        );
    }
}

#[test]
fn a_period_across_the_spring_forward_gap_is_one_hour_shorter() {
    // New York springs forward at 02:00 on Sunday 2024-03-10 (EST to EDT).
    let calendar = BusinessCalendar::weekly("America/New_York", &[(Sun, "00:00-04:00")]).unwrap();
    let sunday = at("2024-03-10T00:00:00-05:00");
    assert_eq!(
        calendar.business_time_between(sunday, at("2024-03-10T12:00:00-04:00")),
        Duration::hours(3)
    );
    assert_eq!(
        calendar.add_business_time(sunday, Duration::hours(3)),
        at("2024-03-10T04:00:00-04:00")
    );
}

#[test]
fn a_period_across_the_fall_back_overlap_is_one_hour_longer() {
    // New York falls back at 02:00 on Sunday 2024-11-03 (EDT to EST); Berlin on 2025-10-26.
    let calendar = BusinessCalendar::weekly("America/New_York", &[(Sun, "00:00-04:00")]).unwrap();
    let sunday = at("2024-11-03T00:00:00-04:00");
    assert_eq!(
        calendar.business_time_between(sunday, at("2024-11-03T12:00:00-05:00")),
        Duration::hours(5)
    );
    let berlin = BusinessCalendar::weekly("Europe/Berlin", &[(Sun, "01:00-05:00")]).unwrap();
    let sunday = at("2025-10-26T01:00:00+02:00");
    assert_eq!(
        berlin.business_time_between(sunday, at("2025-10-26T12:00:00+01:00")),
        Duration::hours(5)
    );
}

#[test]
fn a_period_starting_inside_the_gap_opens_when_the_clock_jumps() {
    let calendar = BusinessCalendar::weekly("America/New_York", &[(Sun, "02:30-04:00")]).unwrap();
    assert_eq!(
        calendar.next_open(at("2024-03-10T00:00:00-05:00")),
        at("2024-03-10T03:00:00-04:00")
    );
    // A period wholly inside the gap does not exist that day.
    let lost = BusinessCalendar::weekly("America/New_York", &[(Sun, "02:00-02:30")]).unwrap();
    assert_eq!(lost.next_open(at("2024-03-10T00:00:00-05:00")), at("2024-03-17T02:00:00-04:00"));
}

#[test]
fn an_ambiguous_start_means_its_first_occurrence() {
    let calendar = BusinessCalendar::weekly("America/New_York", &[(Sun, "01:30-03:00")]).unwrap();
    // 01:30 happens twice on 2024-11-03; the period opens at the first (EDT).
    assert_eq!(
        calendar.next_open(at("2024-11-03T00:00:00-04:00")),
        at("2024-11-03T01:30:00-04:00")
    );
    assert_eq!(
        calendar.business_time_between(
            at("2024-11-03T00:00:00-04:00"),
            at("2024-11-03T06:00:00-05:00")
        ),
        Duration::minutes(150)
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_error() {
    assert_eq!(
        BusinessCalendar::weekly("Europe/Berln", &[(Mon, "09:00-17:00")]).unwrap_err(),
        CalendarError::UnknownTimeZone("Europe/Berln".into())
    );
    let err = BusinessCalendar::weekly("UTC", &[(Mon, "09:00-09:00")]).unwrap_err();
    assert!(err.to_string().contains("zero length"), "{err}");
    let err =
        BusinessCalendar::weekly("UTC", &[(Mon, "09:00-12:00"), (Mon, "11:30-13:00")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "working periods 09:00-12:00 on Mon and 11:30-13:00 on Mon overlap"
    );
    assert_eq!(BusinessCalendar::weekly("UTC", &[]).unwrap_err(), CalendarError::NoWorkingTime);
}
