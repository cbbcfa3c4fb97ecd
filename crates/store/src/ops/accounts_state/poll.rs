//! How a poll changes an account's health, and which changes an admin would notice. Pure, so the
//! rules are unit-tested without a database.

use super::excerpt;
use crate::rows_connection::PollColumns;
use trellis_core::{PollReport, StoreError};

/// Refuses a report that cannot be recorded, before any row is read or locked.
pub(crate) fn check_report(report: &PollReport) -> Result<(), StoreError> {
    match report.error.as_deref() {
        Some(error) if error.trim().is_empty() => {
            Err(StoreError::Invalid("a failed poll must say what went wrong".into()))
        }
        _ => Ok(()),
    }
}

/// The poll columns after a `report` that passed [`check_report`]: a success resets the failure count and keeps the last error
/// as history; a failure counts and records its (bounded) text. A stated rate limit replaces the
/// one stored; an unstated one leaves it.
pub(crate) fn after_poll(before: &PollColumns, report: &PollReport) -> PollColumns {
    let at = crate::time::to_micros(report.at);
    let mut after = before.clone();
    after.last_poll_at = Some(at);
    after.next_poll_at = Some(crate::time::to_micros(report.next_poll_at));
    match report.error.as_deref().map(str::trim) {
        None => {
            after.last_success_at = Some(at);
            after.consecutive_failures = 0;
        }
        Some(error) => {
            after.last_error = Some(excerpt(error).to_owned());
            after.last_error_at = Some(at);
            after.consecutive_failures = before.consecutive_failures.saturating_add(1);
        }
    }
    if let Some(rate_limit) = report.rate_limit {
        after.rate_limit_limit = rate_limit.limit.map(i64::from);
        after.rate_limit_remaining = rate_limit.remaining.map(i64::from);
        after.rate_limit_reset_at = rate_limit.reset_at.map(crate::time::to_micros);
    }
    after
}

/// Whether an admin would see a difference: the account starts or stops failing, or fails with
/// another error. Timestamps, counters and rate-limit headroom move with every poll and would
/// flood the change feed.
pub(crate) fn health_visibly_changed(before: &PollColumns, after: &PollColumns) -> bool {
    let failing = |columns: &PollColumns| columns.consecutive_failures > 0;
    failing(before) != failing(after) || before.last_error != after.last_error
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use trellis_core::RateLimit;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap()
    }

    fn report(seconds: i64, error: Option<&str>) -> PollReport {
        PollReport {
            at: at(seconds),
            error: error.map(str::to_owned),
            rate_limit: None,
            next_poll_at: at(seconds + 60),
        }
    }

    fn healthy() -> PollColumns {
        PollColumns {
            last_poll_at: None,
            last_success_at: None,
            last_error: None,
            last_error_at: None,
            consecutive_failures: 0,
            rate_limit_limit: Some(900),
            rate_limit_remaining: Some(10),
            rate_limit_reset_at: None,
            next_poll_at: None,
        }
    }

    #[test]
    fn failures_count_and_a_success_resets_the_count_keeping_the_error() {
        let once = after_poll(&healthy(), &report(0, Some(" timeout ")));
        let twice = after_poll(&once, &report(60, Some("timeout")));
        assert_eq!(twice.consecutive_failures, 2);
        assert_eq!(twice.last_error.as_deref(), Some("timeout"));
        assert_eq!(twice.last_error_at, Some(at(60).timestamp_micros()));
        let recovered = after_poll(&twice, &report(120, None));
        assert_eq!(recovered.consecutive_failures, 0);
        assert_eq!(recovered.last_success_at, Some(at(120).timestamp_micros()));
        assert_eq!(recovered.last_error.as_deref(), Some("timeout"));
        assert_eq!(recovered.next_poll_at, Some(at(180).timestamp_micros()));
    }

    #[test]
    fn only_starting_stopping_or_changing_failure_is_visible() {
        let ok = after_poll(&healthy(), &report(0, None));
        assert!(!health_visibly_changed(&healthy(), &ok), "another success");
        let failing = after_poll(&ok, &report(60, Some("timeout")));
        assert!(health_visibly_changed(&ok, &failing), "starts failing");
        let still = after_poll(&failing, &report(120, Some("timeout")));
        assert!(!health_visibly_changed(&failing, &still), "same failure again");
        let other = after_poll(&still, &report(180, Some("http 500")));
        assert!(health_visibly_changed(&still, &other), "another failure");
        let recovered = after_poll(&other, &report(240, None));
        assert!(health_visibly_changed(&other, &recovered), "recovers");
    }

    #[test]
    fn a_stated_rate_limit_replaces_the_stored_one_and_silence_keeps_it() {
        let silent = after_poll(&healthy(), &report(0, None));
        assert_eq!(silent.rate_limit_remaining, Some(10));
        let stated = PollReport {
            rate_limit: Some(RateLimit { remaining: Some(3), ..Default::default() }),
            ..report(60, None)
        };
        let after = after_poll(&silent, &stated);
        assert_eq!((after.rate_limit_limit, after.rate_limit_remaining), (None, Some(3)));
    }

    #[test]
    fn a_failure_without_words_is_refused() {
        let err = check_report(&report(0, Some("  "))).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err}");
        assert!(check_report(&report(0, Some("http 500"))).is_ok());
    }
}
