#![allow(clippy::unwrap_used, clippy::expect_used)]
//! SLA clocks through a conversation's life: replies, follow-ups, pauses, resolution, reopening,
//! priority and policy changes.

use chrono::{DateTime, Duration, Utc};
use trellis_core::{ConversationStatus, Priority};
use trellis_triage::{
    evaluate, BusinessCalendar, ClockState, Metric, SlaEvent, SlaPolicy, SlaReport, SlaTargets,
};

const T0: &str = "2024-03-04T10:00:00Z";

fn t(minutes: i64) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(T0).unwrap().to_utc() + Duration::minutes(minutes)
}

fn targets(first: i64, next: i64, resolution: i64) -> SlaTargets {
    SlaTargets {
        first_response: Some(Duration::minutes(first)),
        next_response: Some(Duration::minutes(next)),
        resolution: Some(Duration::minutes(resolution)),
    }
}

/// Around the clock, so due times are plain arithmetic: normal 60/30/480 min, high 15/10/120.
fn policy() -> SlaPolicy {
    SlaPolicy::new(BusinessCalendar::always_open("UTC").unwrap())
        .with_targets(Priority::Normal, targets(60, 30, 480))
        .unwrap()
        .with_targets(Priority::High, targets(15, 10, 120))
        .unwrap()
}

fn customer(minutes: i64) -> SlaEvent {
    SlaEvent::CustomerMessage { at: t(minutes) }
}

fn reply(minutes: i64) -> SlaEvent {
    SlaEvent::AgentReply { at: t(minutes) }
}

fn status(minutes: i64, to: ConversationStatus) -> SlaEvent {
    SlaEvent::StatusChanged { at: t(minutes), to }
}

fn report(history: &[SlaEvent], now: i64) -> SlaReport {
    evaluate(&policy(), Priority::Normal, history, t(now))
}

fn state(report: &SlaReport, metric: Metric) -> ClockState {
    report.latest(metric).unwrap().state
}

#[test]
fn a_customer_message_starts_first_response_and_resolution_clocks() {
    let report = report(&[customer(0)], 10);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Running);
    assert_eq!(first.due_at, Some(t(60)));
    assert_eq!(first.warning_at, Some(t(48)));
    assert_eq!(first.elapsed, Duration::minutes(10));
    assert_eq!(report.latest(Metric::Resolution).unwrap().due_at, Some(t(480)));
    assert!(report.latest(Metric::NextResponse).is_none());
    assert_eq!(report.next_transition_at, Some(t(48)), "the first-response warning comes first");
}

#[test]
fn a_clock_warns_at_eighty_percent_of_its_target() {
    assert_eq!(state(&report(&[customer(0)], 47), Metric::FirstResponse), ClockState::Running);
    let report = report(&[customer(0)], 48);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Warning);
    assert_eq!(first.next_transition_at, Some(t(60)));
}

#[test]
fn an_unanswered_clock_is_breached_from_its_due_time() {
    assert_eq!(state(&report(&[customer(0)], 59), Metric::FirstResponse), ClockState::Warning);
    let report = report(&[customer(0)], 90);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Breached);
    assert_eq!(first.due_at, Some(t(60)));
    assert_eq!(first.next_transition_at, None);
    assert!(report.any_breached());
    // The resolution clock still runs and is what to wake up for.
    assert_eq!(report.next_transition_at, Some(t(384)));
}

#[test]
fn a_reply_before_the_due_time_meets_the_target() {
    let report = report(&[customer(0), reply(30)], 200);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Met);
    assert_eq!(first.stopped_at, Some(t(30)));
    assert_eq!(first.elapsed, Duration::minutes(30));
    assert_eq!(first.next_transition_at, None);
    assert_eq!(state(&report, Metric::Resolution), ClockState::Running, "a reply does not resolve");
}

#[test]
fn a_reply_exactly_at_the_due_time_meets_it_and_a_later_one_does_not() {
    assert_eq!(
        state(&report(&[customer(0), reply(60)], 100), Metric::FirstResponse),
        ClockState::Met
    );
    let late = report(&[customer(0), reply(61)], 100);
    let first = late.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Breached);
    assert_eq!(first.due_at, Some(t(60)));
}

#[test]
fn a_customer_follow_up_after_a_reply_starts_a_next_response_clock() {
    let report = report(&[customer(0), reply(20), customer(40)], 45);
    let next = report.latest(Metric::NextResponse).unwrap();
    assert_eq!(next.state, ClockState::Running);
    assert_eq!(next.started_at, t(40));
    assert_eq!(next.due_at, Some(t(70)));
    assert_eq!(state(&report, Metric::FirstResponse), ClockState::Met);
    // The resolution clock was not restarted by the follow-up.
    assert_eq!(report.latest(Metric::Resolution).unwrap().started_at, t(0));
}

#[test]
fn more_customer_messages_while_waiting_do_not_restart_the_wait() {
    let report = report(&[customer(0), customer(20), customer(50)], 55);
    assert_eq!(report.clocks.len(), 2);
    assert_eq!(report.latest(Metric::FirstResponse).unwrap().due_at, Some(t(60)));
}

#[test]
fn each_reply_and_follow_up_is_its_own_next_response_cycle() {
    let history = [customer(0), reply(10), customer(20), reply(60), customer(70), reply(80)];
    let report = report(&history, 100);
    let cycles: Vec<_> = report
        .clocks
        .iter()
        .filter(|clock| clock.metric == Metric::NextResponse)
        .map(|clock| (clock.started_at, clock.state))
        .collect();
    assert_eq!(cycles, [(t(20), ClockState::Breached), (t(70), ClockState::Met)]);
}

#[test]
fn pending_pauses_the_clocks_and_moves_the_due_time_by_the_pause() {
    use ConversationStatus::{Open, Pending};
    let paused = report(&[customer(0), status(10, Pending)], 30);
    let first = paused.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Paused);
    assert_eq!(first.elapsed, Duration::minutes(10));
    assert_eq!((first.due_at, first.next_transition_at), (None, None));
    assert_eq!(paused.next_transition_at, None, "nothing changes until an event");

    let resumed = report(&[customer(0), status(10, Pending), status(40, Open)], 45);
    assert_eq!(resumed.latest(Metric::FirstResponse).unwrap().due_at, Some(t(90)));
    assert_eq!(resumed.latest(Metric::Resolution).unwrap().due_at, Some(t(510)));
}

#[test]
fn a_customer_message_wakes_a_snoozed_conversation_and_resumes_its_clocks() {
    let history = [customer(0), status(10, ConversationStatus::Snoozed), customer(100)];
    let report = report(&history, 110);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Running);
    assert_eq!(first.elapsed, Duration::minutes(20));
    assert_eq!(first.due_at, Some(t(150)));
}

#[test]
fn a_clock_that_breached_before_the_pause_stays_breached() {
    let report = report(&[customer(0), status(70, ConversationStatus::Pending)], 100);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Breached);
    assert_eq!(first.due_at, Some(t(60)));
}

#[test]
fn resolving_stops_every_clock_with_its_verdict() {
    let report = report(&[customer(0), status(20, ConversationStatus::Resolved)], 1000);
    assert_eq!(state(&report, Metric::FirstResponse), ClockState::Met);
    let resolution = report.latest(Metric::Resolution).unwrap();
    assert_eq!(resolution.state, ClockState::Met);
    assert_eq!(resolution.elapsed, Duration::minutes(20));
    assert_eq!(report.next_transition_at, None, "nothing keeps counting after resolution");

    let late = evaluate(
        &policy(),
        Priority::Normal,
        &[customer(0), reply(5), status(500, ConversationStatus::Resolved)],
        t(1000),
    );
    assert_eq!(state(&late, Metric::Resolution), ClockState::Breached);
}

#[test]
fn a_customer_message_after_resolution_starts_fresh_response_and_resolution_clocks() {
    use ConversationStatus::Resolved;
    let history = [customer(0), reply(5), status(10, Resolved), customer(100)];
    let report = report(&history, 110);
    let next = report.latest(Metric::NextResponse).unwrap();
    assert_eq!((next.started_at, next.due_at), (t(100), Some(t(130))));
    let resolution = report.latest(Metric::Resolution).unwrap();
    assert_eq!((resolution.started_at, resolution.due_at), (t(100), Some(t(580))));
    assert_eq!(report.clocks.len(), 4, "the first cycle's clocks keep their verdicts");
}

#[test]
fn an_agent_reopening_restarts_only_the_resolution_clock() {
    use ConversationStatus::{Open, Resolved};
    let history = [customer(0), reply(5), status(10, Resolved), status(100, Open)];
    let report = report(&history, 110);
    let resolution = report.latest(Metric::Resolution).unwrap();
    assert_eq!((resolution.started_at, resolution.state), (t(100), ClockState::Running));
    assert!(report.latest(Metric::NextResponse).is_none());
}

#[test]
fn raising_the_priority_tightens_the_running_clocks() {
    let history = [customer(0), SlaEvent::PriorityChanged { at: t(10), to: Priority::High }];
    let early = report(&history, 12);
    assert_eq!(early.latest(Metric::FirstResponse).unwrap().due_at, Some(t(15)));
    assert_eq!(state(&early, Metric::FirstResponse), ClockState::Warning);
    let report = report(&history, 20);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!((first.state, first.due_at), (ClockState::Breached, Some(t(15))));
}

#[test]
fn a_priority_change_after_a_clock_stopped_keeps_its_verdict() {
    let history =
        [customer(0), reply(30), SlaEvent::PriorityChanged { at: t(40), to: Priority::High }];
    let report = report(&history, 50);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!((first.state, first.target), (ClockState::Met, Duration::minutes(60)));
    assert_eq!(report.latest(Metric::Resolution).unwrap().target, Duration::minutes(120));
}

#[test]
fn a_policy_change_recomputes_open_clocks_from_their_start() {
    let relaxed = SlaPolicy::new(BusinessCalendar::always_open("UTC").unwrap())
        .with_targets(Priority::Normal, targets(240, 60, 2880))
        .unwrap();
    let history = [
        customer(0),
        reply(90),
        customer(100),
        SlaEvent::PolicyChanged { at: t(120), policy: Box::new(relaxed) },
    ];
    let report = report(&history, 125);
    // Stopped before the change: judged by the old 60-minute target.
    assert_eq!(state(&report, Metric::FirstResponse), ClockState::Breached);
    // Still waiting: held to the new 60-minute next-response target from its start.
    let next = report.latest(Metric::NextResponse).unwrap();
    assert_eq!((next.state, next.due_at), (ClockState::Running, Some(t(160))));
    assert_eq!(report.latest(Metric::Resolution).unwrap().due_at, Some(t(2880)));
}

#[test]
fn priorities_without_targets_are_not_timed() {
    let report = evaluate(&policy(), Priority::Low, &[customer(0)], t(10));
    assert!(report.clocks.is_empty());
    assert_eq!(report.next_transition_at, None);
}

#[test]
fn history_is_read_in_time_order_and_the_future_is_ignored() {
    let shuffled = [reply(30), customer(0), customer(500)];
    let report = report(&shuffled, 100);
    assert_eq!(state(&report, Metric::FirstResponse), ClockState::Met);
    assert!(report.latest(Metric::NextResponse).is_none(), "the message at +500 has not happened");
}

fn office_policy() -> SlaPolicy {
    use chrono::Weekday::*;
    let days = [Mon, Tue, Wed, Thu, Fri].map(|day| (day, "09:00-17:00"));
    let calendar = BusinessCalendar::weekly("Europe/Berlin", &days).unwrap();
    SlaPolicy::new(calendar).with_targets(Priority::Normal, targets(60, 60, 16 * 60)).unwrap()
}

fn berlin(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

#[test]
fn a_friday_afternoon_message_is_due_monday_and_the_weekend_does_not_count() {
    let history = [SlaEvent::CustomerMessage { at: berlin("2024-03-08T16:30:00+01:00") }];
    let sunday = berlin("2024-03-10T12:00:00+01:00");
    let report = evaluate(&office_policy(), Priority::Normal, &history, sunday);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.state, ClockState::Running);
    assert_eq!(first.elapsed, Duration::minutes(30));
    assert_eq!(first.due_at, Some(berlin("2024-03-11T09:30:00+01:00")));
    assert_eq!(first.warning_at, Some(berlin("2024-03-11T09:18:00+01:00")));
}

#[test]
fn a_pause_moves_the_due_time_by_the_business_time_it_covered() {
    let history = [
        SlaEvent::CustomerMessage { at: berlin("2024-03-08T16:30:00+01:00") },
        SlaEvent::StatusChanged {
            at: berlin("2024-03-08T16:45:00+01:00"),
            to: ConversationStatus::Pending,
        },
        // Paused over the weekend and the first hour of Monday: only that hour and Friday's
        // last 15 minutes were business time.
        SlaEvent::StatusChanged {
            at: berlin("2024-03-11T10:00:00+01:00"),
            to: ConversationStatus::Open,
        },
    ];
    let now = berlin("2024-03-11T10:05:00+01:00");
    let report = evaluate(&office_policy(), Priority::Normal, &history, now);
    let first = report.latest(Metric::FirstResponse).unwrap();
    assert_eq!(first.elapsed, Duration::minutes(20));
    assert_eq!(first.due_at, Some(berlin("2024-03-11T10:45:00+01:00")));
}

#[test]
fn a_policy_round_trips_through_json_and_is_validated() {
    let json = serde_json::to_value(policy()).unwrap();
    assert_eq!(json["targets"]["normal"]["first_response_minutes"], 60);
    assert_eq!(json["warning_percent"], 80);
    let back: SlaPolicy = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, policy());

    let mut bad = json;
    bad["warning_percent"] = 100.into();
    let err = serde_json::from_value::<SlaPolicy>(bad).unwrap_err();
    assert!(err.to_string().contains("warning threshold"), "{err}");
    let negative = SlaPolicy::new(BusinessCalendar::always_open("UTC").unwrap())
        .with_targets(Priority::Urgent, targets(0, 10, 10));
    assert!(negative.is_err());
}

#[test]
fn history_events_serialize_with_a_type_tag() {
    let event = SlaEvent::StatusChanged { at: t(0), to: ConversationStatus::Snoozed };
    let json = serde_json::to_string(&event).unwrap();
    assert_eq!(json, r#"{"type":"status_changed","at":"2024-03-04T10:00:00Z","to":"snoozed"}"#);
    assert_eq!(serde_json::from_str::<SlaEvent>(&json).unwrap(), event);
}
