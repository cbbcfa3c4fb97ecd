//! Serde forms for durations: policy targets in whole minutes (how people write SLAs), clock
//! readings in seconds.

use chrono::Duration;
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) mod minutes_opt {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(
        value: &Option<Duration>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => s.serialize_some(&duration.num_minutes()),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        let minutes: Option<i64> = Option::deserialize(d)?;
        minutes
            .map(|m| {
                Duration::try_minutes(m)
                    .ok_or_else(|| serde::de::Error::custom("target is too long"))
            })
            .transpose()
    }
}

pub(crate) mod seconds {
    use super::*;

    pub(crate) fn serialize<S: Serializer>(value: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(value.num_seconds())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let seconds = i64::deserialize(d)?;
        Duration::try_seconds(seconds)
            .ok_or_else(|| serde::de::Error::custom("duration is too long"))
    }
}
