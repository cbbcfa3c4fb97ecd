//! A conversation's SLA at a glance: the worst state of its clocks and when the next one falls
//! due. The inbox filters on it (the "SLA at risk" and "Breached" views) and shows it as a
//! countdown, so the store keeps it beside the clocks; it is computed here, from the clocks, and
//! nowhere else.

use crate::enums::string_enum_pub;
use crate::workflow::{ConversationSla, SlaClockRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

string_enum_pub!(
    /// How a conversation stands against its SLA: the worst state of its clocks. Ordered from
    /// best to worst, so the worst of several is their maximum.
    SlaLevel, "sla level" {
        /// No clock in warning or breached: each is running, paused or met.
        Ok = "ok",
        /// A clock passed its warning threshold and has not breached yet.
        Warning = "warning",
        /// A clock breached. A breached clock stays breached once the customer is answered, so
        /// this is also the level of a conversation that breached earlier.
        Breached = "breached",
    }
);

impl SlaLevel {
    /// The level one clock's stored state (`SlaClockRecord::state`) stands for. States this
    /// version does not know count as `ok`, like running and met.
    pub fn of_state(state: &str) -> Self {
        match state {
            "breached" => SlaLevel::Breached,
            "warning" => SlaLevel::Warning,
            _ => SlaLevel::Ok,
        }
    }
}

/// What the inbox shows of a conversation's SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaSummary {
    /// The worst state of the clocks.
    pub level: SlaLevel,
    /// The earliest due time among the clocks still counting down (running or in warning): what
    /// the countdown shows. `None` when no clock counts down (all paused, met or breached).
    pub due_at: Option<DateTime<Utc>>,
}

impl SlaSummary {
    /// The summary of `clocks`; `None` without clocks (no policy times the conversation).
    ///
    /// The store keeps this beside the clocks on every write; migration 0008 computed it in SQL
    /// for the rows written before, by the same rule (a test checks they agree).
    pub fn of(clocks: &[SlaClockRecord]) -> Option<Self> {
        let level = clocks.iter().map(|clock| SlaLevel::of_state(&clock.state)).max()?;
        let due_at = clocks
            .iter()
            .filter(|clock| matches!(clock.state.as_str(), "running" | "warning"))
            .filter_map(|clock| clock.due_at)
            .min();
        Some(Self { level, due_at })
    }
}

impl ConversationSla {
    /// The summary of these clocks (see [`SlaSummary::of`]).
    pub fn summary(&self) -> Option<SlaSummary> {
        SlaSummary::of(&self.clocks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
    }

    fn clock(state: &str, due: Option<i64>) -> SlaClockRecord {
        SlaClockRecord {
            metric: "first_response".into(),
            state: state.into(),
            due_at: due.map(at),
            warning_at: None,
            settled_at: None,
        }
    }

    #[test]
    fn no_clocks_have_no_summary() {
        assert_eq!(SlaSummary::of(&[]), None);
    }

    #[test]
    fn the_level_is_the_worst_clock() {
        let level = |clocks: &[SlaClockRecord]| SlaSummary::of(clocks).map(|s| s.level);
        assert_eq!(level(&[clock("running", Some(5)), clock("met", None)]), Some(SlaLevel::Ok));
        assert_eq!(level(&[clock("paused", Some(5))]), Some(SlaLevel::Ok));
        assert_eq!(
            level(&[clock("running", Some(5)), clock("warning", Some(9))]),
            Some(SlaLevel::Warning)
        );
        assert_eq!(
            level(&[clock("warning", Some(5)), clock("breached", Some(1)), clock("met", None)]),
            Some(SlaLevel::Breached)
        );
        assert_eq!(level(&[clock("someday", None)]), Some(SlaLevel::Ok));
    }

    #[test]
    fn the_countdown_is_the_earliest_clock_still_counting() {
        let due = |clocks: &[SlaClockRecord]| SlaSummary::of(clocks).and_then(|s| s.due_at);
        assert_eq!(due(&[clock("running", Some(30)), clock("warning", Some(20))]), Some(at(20)));
        // Paused, breached and met clocks do not count down, however early their due time.
        let others = [clock("paused", Some(1)), clock("breached", Some(2)), clock("met", Some(3))];
        assert_eq!(due(&others), None);
        let mut mixed = others.to_vec();
        mixed.push(clock("running", Some(40)));
        assert_eq!(due(&mixed), Some(at(40)));
    }

    #[test]
    fn levels_order_from_best_to_worst_and_read_back() {
        assert!(SlaLevel::Ok < SlaLevel::Warning && SlaLevel::Warning < SlaLevel::Breached);
        for level in SlaLevel::ALL {
            assert_eq!(level.as_str().parse::<SlaLevel>().ok(), Some(*level));
        }
        assert!("late".parse::<SlaLevel>().is_err());
    }
}
