#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of SLA clocks over random histories in a business-hours calendar: a running clock's
//! due time is exactly its remaining target away, the promised next transition happens, and
//! breaches never heal as time passes.

use chrono::{DateTime, Duration, Utc, Weekday::*};
use proptest::prelude::*;
use trellis_core::{ConversationStatus, Priority};
use trellis_triage::{evaluate, BusinessCalendar, ClockState, SlaEvent, SlaPolicy, SlaTargets};

fn policy() -> SlaPolicy {
    let mut periods: Vec<_> = [Mon, Tue, Wed, Thu, Fri].map(|day| (day, "09:00-12:00")).to_vec();
    periods.extend([Mon, Tue, Wed, Thu, Fri].map(|day| (day, "13:00-17:30")));
    periods.push((Sat, "22:00-02:00"));
    let calendar = BusinessCalendar::weekly("Europe/Berlin", &periods).unwrap();
    let targets = |first, next, resolution| SlaTargets {
        first_response: Some(Duration::minutes(first)),
        next_response: Some(Duration::minutes(next)),
        resolution: Some(Duration::minutes(resolution)),
    };
    SlaPolicy::new(calendar)
        .with_targets(Priority::Normal, targets(60, 120, 1200))
        .unwrap()
        .with_targets(Priority::Urgent, targets(15, 30, 240))
        .unwrap()
}

fn start() -> DateTime<Utc> {
    // A week before Berlin springs forward, so some histories cross the change.
    DateTime::parse_from_rfc3339("2025-03-24T08:00:00+01:00").unwrap().to_utc()
}

fn event() -> impl Strategy<Value = (i64, u8)> {
    (0i64..20_000, 0u8..8)
}

fn history(raw: &[(i64, u8)]) -> Vec<SlaEvent> {
    raw.iter()
        .map(|&(minutes, kind)| {
            let at = start() + Duration::minutes(minutes);
            match kind {
                0 | 1 => SlaEvent::CustomerMessage { at },
                2 => SlaEvent::AgentReply { at },
                3 => SlaEvent::StatusChanged { at, to: ConversationStatus::Pending },
                4 => SlaEvent::StatusChanged { at, to: ConversationStatus::Open },
                5 => SlaEvent::StatusChanged { at, to: ConversationStatus::Snoozed },
                6 => SlaEvent::StatusChanged { at, to: ConversationStatus::Resolved },
                _ => SlaEvent::PriorityChanged { at, to: Priority::Urgent },
            }
        })
        .collect()
}

proptest! {
    #[test]
    fn a_counting_clock_is_due_exactly_its_remaining_target_from_now(
        raw in prop::collection::vec(event(), 1..12), now in 0i64..25_000,
    ) {
        let policy = policy();
        let now = start() + Duration::minutes(now);
        let report = evaluate(&policy, Priority::Normal, &history(&raw), now);
        for clock in &report.clocks {
            if matches!(clock.state, ClockState::Running | ClockState::Warning) {
                let due = clock.due_at.unwrap();
                prop_assert_eq!(policy.calendar().business_time_between(now, due), clock.target - clock.elapsed);
                prop_assert!(clock.next_transition_at.unwrap() > now);
            }
        }
    }

    #[test]
    fn the_promised_transition_happens_when_nothing_else_does(
        raw in prop::collection::vec(event(), 1..12), now in 0i64..25_000,
    ) {
        let policy = policy();
        let history = history(&raw);
        let now = start() + Duration::minutes(now);
        let before = evaluate(&policy, Priority::Normal, &history, now);
        let Some(when) = before.next_transition_at else { return Ok(()) };
        // Only meaningful when no event of the history falls before the transition.
        prop_assume!(history.iter().all(|event| event.at() <= now || event.at() > when));
        let after = evaluate(&policy, Priority::Normal, &history, when);
        let changed = before.clocks.iter().zip(&after.clocks).any(|(a, b)| {
            a.next_transition_at == Some(when) && a.state != b.state
        });
        prop_assert!(changed, "nothing changed at {when}");
    }

    #[test]
    fn breaches_never_heal_as_time_passes(
        raw in prop::collection::vec(event(), 1..12), a in 0i64..25_000, b in 0i64..25_000,
    ) {
        let policy = policy();
        let history = history(&raw);
        let (early, late) = (start() + Duration::minutes(a.min(b)), start() + Duration::minutes(a.max(b)));
        let breached = |now| {
            evaluate(&policy, Priority::Normal, &history, now)
                .clocks
                .iter()
                .filter(|clock| clock.state == ClockState::Breached)
                .map(|clock| (clock.metric, clock.started_at))
                .collect::<Vec<_>>()
        };
        let (before, after) = (breached(early), breached(late));
        prop_assert!(before.iter().all(|clock| after.contains(clock)), "{before:?} then {after:?}");
    }
}
