//! [`SlaReport`] ⇄ [`ConversationSla`]: the clocks as the store keeps them, and which warnings and
//! breaches a new report adds to the stored one.
//!
//! A clock is known across recomputations by its metric and its rank among the clocks of that
//! metric (the second next-response clock stays the second): a history only grows, and a policy
//! that stops timing a metric drops all of its clocks at once.

use crate::sla::{ClockState, ClockStatus, Metric, SlaReport};
use chrono::{DateTime, Utc};
use trellis_core::{ConversationId, ConversationSla, SlaClockRecord, SlaPolicyId};

/// The stored spelling of a metric.
pub fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::FirstResponse => "first_response",
        Metric::NextResponse => "next_response",
        Metric::Resolution => "resolution",
    }
}

/// The stored spelling of a clock state.
pub fn state_name(state: ClockState) -> &'static str {
    match state {
        ClockState::Running => "running",
        ClockState::Paused => "paused",
        ClockState::Warning => "warning",
        ClockState::Breached => "breached",
        ClockState::Met => "met",
    }
}

/// How one clock is stored: met clocks settle when they stopped, breached ones when they breached.
pub fn clock_record(clock: &ClockStatus) -> SlaClockRecord {
    let settled_at = match clock.state {
        ClockState::Met => clock.stopped_at,
        ClockState::Breached => clock.due_at,
        ClockState::Running | ClockState::Paused | ClockState::Warning => None,
    };
    SlaClockRecord {
        metric: metric_name(clock.metric).to_owned(),
        state: state_name(clock.state).to_owned(),
        due_at: clock.due_at,
        warning_at: clock.warning_at,
        settled_at,
    }
}

/// The record to store for a report computed at `now`. `wake_at` is another instant the clocks
/// change by themselves (a snooze ending); the timer looks again at the earlier of the two.
pub fn conversation_sla(
    conversation_id: ConversationId,
    policy_id: Option<SlaPolicyId>,
    report: &SlaReport,
    wake_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ConversationSla {
    let next_transition_at = match (report.next_transition_at, wake_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    ConversationSla {
        conversation_id,
        policy_id,
        clocks: report.clocks.iter().map(clock_record).collect(),
        next_transition_at,
        computed_at: now,
    }
}

/// A clock crossing its warning threshold or its due time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTransition {
    pub metric: Metric,
    /// `Warning` or `Breached`.
    pub to: ClockState,
    pub due_at: Option<DateTime<Utc>>,
    /// Whether the customer is still waiting on it (it has not been stopped by a reply or
    /// resolution): only then is there anything to escalate.
    pub waiting: bool,
}

/// The warnings and breaches in `report` that `previous` had not recorded, each once.
pub fn transitions(previous: Option<&ConversationSla>, report: &SlaReport) -> Vec<ClockTransition> {
    let mut found = Vec::new();
    for (rank, clock) in ranked(report.clocks.iter(), |clock| clock.metric) {
        let before = previous.and_then(|sla| {
            ranked(sla.clocks.iter(), |record| record.metric.clone())
                .find(|(r, record)| *r == rank && record.metric == metric_name(clock.metric))
                .map(|(_, record)| record.state.as_str())
        });
        let crossed = match clock.state {
            ClockState::Warning => !matches!(before, Some("warning" | "breached")),
            ClockState::Breached => before != Some("breached"),
            ClockState::Running | ClockState::Paused | ClockState::Met => false,
        };
        if crossed {
            found.push(ClockTransition {
                metric: clock.metric,
                to: clock.state,
                due_at: clock.due_at,
                waiting: clock.stopped_at.is_none(),
            });
        }
    }
    found
}

/// Pairs each item with its rank among the items of the same key, in order.
fn ranked<'a, T: 'a, K: PartialEq>(
    items: impl Iterator<Item = &'a T>,
    key: impl Fn(&T) -> K,
) -> impl Iterator<Item = (usize, &'a T)> {
    let mut seen: Vec<(K, usize)> = Vec::new();
    items.map(move |item| {
        let k = key(item);
        let rank = match seen.iter_mut().find(|(known, _)| *known == k) {
            Some((_, count)) => {
                *count += 1;
                *count - 1
            }
            None => {
                seen.push((k, 1));
                0
            }
        };
        (rank, item)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::calendar::BusinessCalendar;
    use crate::sla::{evaluate, SlaEvent, SlaPolicy, SlaTargets};
    use chrono::Duration;
    use trellis_core::Priority;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    /// First response 10 min, warning at 50 %.
    fn report(history: &[SlaEvent], now: i64) -> SlaReport {
        let targets =
            SlaTargets { first_response: Some(Duration::minutes(10)), ..Default::default() };
        let policy = SlaPolicy::new(BusinessCalendar::always_open("UTC").unwrap())
            .with_targets(Priority::Normal, targets)
            .unwrap()
            .with_warning_percent(50)
            .unwrap();
        evaluate(&policy, Priority::Normal, history, at(now))
    }

    fn stored(report: &SlaReport) -> ConversationSla {
        conversation_sla(ConversationId(1), None, report, None, at(0))
    }

    #[test]
    fn each_warning_and_breach_is_reported_once() {
        let asked = [SlaEvent::CustomerMessage { at: at(0) }];
        let running = report(&asked, 1);
        assert!(transitions(None, &running).is_empty());

        let warning = report(&asked, 6);
        let found = transitions(Some(&stored(&running)), &warning);
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].metric, found[0].to, found[0].waiting),
            (Metric::FirstResponse, ClockState::Warning, true)
        );
        assert!(transitions(Some(&stored(&warning)), &report(&asked, 7)).is_empty());

        let breached = report(&asked, 11);
        let found = transitions(Some(&stored(&warning)), &breached);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].to, found[0].due_at), (ClockState::Breached, Some(at(10))));
        assert!(transitions(Some(&stored(&breached)), &report(&asked, 20)).is_empty());
    }

    #[test]
    fn a_breach_found_after_the_reply_is_not_waiting() {
        let history =
            [SlaEvent::CustomerMessage { at: at(0) }, SlaEvent::AgentReply { at: at(15) }];
        let found = transitions(None, &report(&history, 20));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].to, found[0].waiting), (ClockState::Breached, false));
    }

    #[test]
    fn a_second_cycle_is_a_new_clock() {
        let mut history =
            vec![SlaEvent::CustomerMessage { at: at(0) }, SlaEvent::AgentReply { at: at(12) }];
        let first = report(&history, 13);
        history.push(SlaEvent::StatusChanged {
            at: at(14),
            to: trellis_core::ConversationStatus::Resolved,
        });
        history.push(SlaEvent::CustomerMessage { at: at(20) });
        // The next-response metric is not timed; only the first response was, and it stays
        // breached: nothing new.
        assert!(transitions(Some(&stored(&first)), &report(&history, 40)).is_empty());
    }

    #[test]
    fn stored_clocks_settle_when_met_or_breached() {
        let history = [SlaEvent::CustomerMessage { at: at(0) }, SlaEvent::AgentReply { at: at(4) }];
        let record = stored(&report(&history, 5));
        assert_eq!(record.clocks[0].state, "met");
        assert_eq!(record.clocks[0].settled_at, Some(at(4)));
        assert_eq!(record.next_transition_at, None);
        let late = stored(&report(&history[..1], 30));
        assert_eq!(late.clocks[0].state, "breached");
        assert_eq!(late.clocks[0].settled_at, Some(at(10)));
    }

    #[test]
    fn the_next_transition_is_the_earlier_of_the_clocks_and_a_wake_up() {
        let running = report(&[SlaEvent::CustomerMessage { at: at(0) }], 1);
        assert_eq!(running.next_transition_at, Some(at(5)));
        let record = conversation_sla(ConversationId(1), None, &running, Some(at(3)), at(1));
        assert_eq!(record.next_transition_at, Some(at(3)));
        let record = conversation_sla(ConversationId(1), None, &running, Some(at(9)), at(1));
        assert_eq!(record.next_transition_at, Some(at(5)));
    }
}
