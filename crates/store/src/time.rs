//! The one time representation of both schemas: `bigint` microseconds since the Unix epoch, UTC.
//! Integers compare, index and bind the same way in SQLite and PostgreSQL, so every query text is
//! shared, and microseconds match what the page cursor encodes.

use chrono::{DateTime, Utc};
use trellis_core::StoreError;

pub(crate) fn to_micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

pub(crate) fn from_micros(micros: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Corrupt(format!("time {micros} is out of range")))
}

pub(crate) fn opt_from_micros(micros: Option<i64>) -> Result<Option<DateTime<Utc>>, StoreError> {
    micros.map(from_micros).transpose()
}

/// Now, truncated to what the database keeps, so a value written and read back compares equal.
pub(crate) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_time_round_trips_through_microseconds() {
        let at = now();
        assert_eq!(from_micros(to_micros(at)).ok(), Some(at));
    }

    #[test]
    fn an_out_of_range_value_is_reported_as_corrupt() {
        assert!(matches!(from_micros(i64::MAX), Err(StoreError::Corrupt(_))));
    }
}
