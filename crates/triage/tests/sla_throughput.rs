#![allow(clippy::unwrap_used, clippy::expect_used)]
//! How fast clocks recompute. The target is 100,000 open conversations in at most 2 s on one
//! core, measured in release: `cargo test -p trellis-triage --release --test sla_throughput --
//! --ignored --nocapture`. Ignored by default because a debug build says little about speed.

use chrono::{DateTime, Duration, Utc, Weekday::*};
use std::time::Instant;
use trellis_core::{ConversationStatus, Priority};
use trellis_triage::{evaluate, BusinessCalendar, SlaEvent, SlaPolicy, SlaTargets};

fn policy() -> SlaPolicy {
    let mut periods: Vec<_> = [Mon, Tue, Wed, Thu, Fri].map(|day| (day, "09:00-12:00")).to_vec();
    periods.extend([Mon, Tue, Wed, Thu, Fri].map(|day| (day, "13:00-17:30")));
    let calendar = BusinessCalendar::weekly("Europe/Berlin", &periods).unwrap();
    let targets = SlaTargets {
        first_response: Some(Duration::hours(1)),
        next_response: Some(Duration::hours(4)),
        resolution: Some(Duration::hours(40)),
    };
    SlaPolicy::new(calendar).with_targets(Priority::Normal, targets).unwrap()
}

/// A conversation with a reply, a follow-up and a pause, started `offset` minutes into the week.
fn history(start: DateTime<Utc>, offset: i64) -> Vec<SlaEvent> {
    let at = |minutes: i64| start + Duration::minutes(offset + minutes);
    vec![
        SlaEvent::CustomerMessage { at: at(0) },
        SlaEvent::AgentReply { at: at(45) },
        SlaEvent::CustomerMessage { at: at(300) },
        SlaEvent::StatusChanged { at: at(400), to: ConversationStatus::Pending },
        SlaEvent::StatusChanged { at: at(1500), to: ConversationStatus::Open },
    ]
}

#[test]
#[ignore = "timing; run in release"]
fn a_hundred_thousand_conversations_recompute_within_two_seconds() {
    let policy = policy();
    let start = DateTime::parse_from_rfc3339("2025-03-24T08:00:00+01:00").unwrap().to_utc();
    let histories: Vec<_> = (0..100_000).map(|i| history(start, (i * 7) % 10_000)).collect();
    let now = start + Duration::days(3);
    let began = Instant::now();
    let mut breached = 0usize;
    for history in &histories {
        breached += usize::from(evaluate(&policy, Priority::Normal, history, now).any_breached());
    }
    let took = began.elapsed();
    println!("recomputed {} conversations in {took:?} ({breached} breached)", histories.len());
    assert!(breached > 0, "the workload should include breaches");
}
