//! From local wall-clock periods to real (UTC) open intervals, one local date at a time.
//!
//! The mapping from a local time to an instant is monotone: a local time that does not exist
//! (spring forward) maps to the first instant after the gap, an ambiguous one (fall back) to its
//! first occurrence. Monotone mapping keeps the validated order and non-overlap of the periods,
//! so the intervals of consecutive dates come out sorted and disjoint.

use super::BusinessCalendar;
use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Utc,
};
use chrono_tz::{GapInfo, Tz};

/// An open stretch of real time, `[start, end)`.
pub(crate) type Interval = (DateTime<Utc>, DateTime<Utc>);

/// The instant a local wall-clock time denotes in `zone`, by the rules above.
pub(crate) fn local_to_utc(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(a, b) => a.with_timezone(&Utc).min(b.with_timezone(&Utc)),
        LocalResult::None => GapInfo::new(&local, &zone)
            .and_then(|gap| gap.end)
            .map(|end| end.with_timezone(&Utc))
            // Only at the edges of the zone's known history; the offset of the instant the
            // wall time would name in UTC is as good a guess as any there.
            .unwrap_or_else(|| {
                let offset = zone.offset_from_utc_datetime(&local).fix();
                local.and_utc() - Duration::seconds(i64::from(offset.local_minus_utc()))
            }),
    }
}

/// The local midnight that starts `date`, as an instant.
pub(crate) fn day_start(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_to_utc(zone, date.and_time(NaiveTime::MIN))
}

/// The local date an instant falls on.
pub(crate) fn local_date(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

impl BusinessCalendar {
    /// Appends to `out` the open intervals of the periods that start on local `date`, in order.
    /// A holiday contributes nothing, including the after-midnight part of its night periods.
    /// Periods that a clock change squeezes to nothing are left out.
    pub(crate) fn day_intervals(&self, date: NaiveDate, out: &mut Vec<Interval>) {
        if self.holidays.contains(&date) {
            return;
        }
        let midnight = date.and_time(NaiveTime::MIN);
        for period in self.schedule.periods(date.weekday()) {
            let minutes = |m: u32| midnight.checked_add_signed(Duration::minutes(i64::from(m)));
            // Only fails at the end of chrono's calendar, where nothing is open.
            let (Some(start), Some(end)) =
                (minutes(period.start_minute()), minutes(period.end_minute()))
            else {
                continue;
            };
            let start = local_to_utc(self.zone, start);
            let end = local_to_utc(self.zone, end);
            if end > start {
                out.push((start, end));
            }
        }
    }
}
