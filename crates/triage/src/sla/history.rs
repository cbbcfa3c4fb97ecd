//! Replaying a conversation's history into SLA clocks.
//!
//! The rules (docs/triage.md walks through examples):
//! - A customer message starts a response clock unless one is already waiting for a reply: the
//!   conversation's first is the first-response clock, every later one a next-response clock.
//!   It also starts a resolution clock unless one is running. A customer message on a pending,
//!   snoozed or resolved conversation reopens it.
//! - An agent reply stops the waiting response clock. The resolution clock keeps counting.
//! - Pending and snoozed pause every clock; back to open resumes them. Paused time never counts,
//!   so the due time moves by the paused business time.
//! - Resolved stops every clock; each keeps its verdict (met or breached). An agent reopening a
//!   resolved conversation starts a fresh resolution clock at that instant; the next customer
//!   message starts a fresh next-response clock.
//! - A priority or policy change applies to clocks still open (waiting or paused), re-read from
//!   their start; a stopped clock keeps the target that was in force when it stopped.

use super::clock::{ClockRecord, ClockStatus};
use super::policy::{Metric, SlaPolicy};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trellis_core::{ConversationStatus, Priority};

/// Something that happened to a conversation that bears on its SLA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SlaEvent {
    CustomerMessage { at: DateTime<Utc> },
    AgentReply { at: DateTime<Utc> },
    StatusChanged { at: DateTime<Utc>, to: ConversationStatus },
    PriorityChanged { at: DateTime<Utc>, to: Priority },
    PolicyChanged { at: DateTime<Utc>, policy: Box<SlaPolicy> },
}

impl SlaEvent {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            SlaEvent::CustomerMessage { at }
            | SlaEvent::AgentReply { at }
            | SlaEvent::StatusChanged { at, .. }
            | SlaEvent::PriorityChanged { at, .. }
            | SlaEvent::PolicyChanged { at, .. } => *at,
        }
    }
}

/// Every clock of a conversation read at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaReport {
    /// Timed clocks in the order they started; metrics without a target are left out.
    pub clocks: Vec<ClockStatus>,
    /// The earliest instant any clock changes state by itself: when to look again.
    pub next_transition_at: Option<DateTime<Utc>>,
}

impl SlaReport {
    /// The latest clock of a metric (the current one when it is still open).
    pub fn latest(&self, metric: Metric) -> Option<&ClockStatus> {
        self.clocks.iter().rev().find(|clock| clock.metric == metric)
    }

    pub fn any_breached(&self) -> bool {
        self.clocks.iter().any(|clock| clock.state == super::ClockState::Breached)
    }
}

/// The SLA clocks of a conversation at `now`, from its history.
///
/// `policy` and `priority` are those in force before the first event; later changes come as
/// events. Events after `now` are ignored; events are taken in time order, and those sharing an
/// instant in the order given.
pub fn evaluate(
    policy: &SlaPolicy,
    priority: Priority,
    history: &[SlaEvent],
    now: DateTime<Utc>,
) -> SlaReport {
    let mut sorted;
    let mut events = history;
    if !history.is_sorted_by_key(SlaEvent::at) {
        sorted = history.to_vec();
        sorted.sort_by_key(SlaEvent::at);
        events = &sorted;
    }
    let mut replay = Replay::new(policy, priority);
    for event in events.iter().take_while(|event| event.at() <= now) {
        replay.apply(event);
    }
    replay.finish(now)
}

struct Replay<'a> {
    policy: &'a SlaPolicy,
    priority: Priority,
    status: ConversationStatus,
    /// Whether any customer message has been seen: decides first versus next response.
    customer_seen: bool,
    response: Option<ClockRecord>,
    resolution: Option<ClockRecord>,
    /// Stopped clocks, already read under the policy and priority in force when they stopped.
    stopped: Vec<ClockStatus>,
}

impl<'a> Replay<'a> {
    fn new(policy: &'a SlaPolicy, priority: Priority) -> Self {
        Self {
            policy,
            priority,
            status: ConversationStatus::Open,
            customer_seen: false,
            response: None,
            resolution: None,
            stopped: Vec::new(),
        }
    }

    fn apply(&mut self, event: &'a SlaEvent) {
        match event {
            SlaEvent::CustomerMessage { at } => {
                if self.status != ConversationStatus::Open {
                    self.change_status(*at, ConversationStatus::Open);
                }
                if self.response.is_none() {
                    let metric = if self.customer_seen {
                        Metric::NextResponse
                    } else {
                        Metric::FirstResponse
                    };
                    self.response = Some(ClockRecord::start(metric, *at, true));
                }
                if self.resolution.is_none() {
                    self.resolution = Some(ClockRecord::start(Metric::Resolution, *at, true));
                }
                self.customer_seen = true;
            }
            SlaEvent::AgentReply { at } => {
                if let Some(clock) = self.response.take() {
                    self.stop(clock, *at);
                }
            }
            SlaEvent::StatusChanged { at, to } => self.change_status(*at, *to),
            SlaEvent::PriorityChanged { to, .. } => self.priority = *to,
            SlaEvent::PolicyChanged { policy, .. } => self.policy = policy,
        }
    }

    fn change_status(&mut self, at: DateTime<Utc>, to: ConversationStatus) {
        use ConversationStatus::{Open, Pending, Resolved, Snoozed};
        let from = std::mem::replace(&mut self.status, to);
        match (from, to) {
            (from, to) if from == to => {}
            (_, Resolved) => {
                for clock in [self.response.take(), self.resolution.take()].into_iter().flatten() {
                    self.stop(clock, at);
                }
            }
            (Resolved, to) => {
                // Only a conversation that ever heard from the customer has anything to resolve.
                if self.customer_seen {
                    self.resolution = Some(ClockRecord::start(Metric::Resolution, at, to == Open));
                }
            }
            (_, Open) => self.open_clocks().for_each(|clock| clock.resume(at)),
            (_, Pending | Snoozed) => self.open_clocks().for_each(|clock| clock.pause(at)),
        }
    }

    fn open_clocks(&mut self) -> impl Iterator<Item = &mut ClockRecord> {
        self.response.iter_mut().chain(self.resolution.iter_mut())
    }

    fn stop(&mut self, mut clock: ClockRecord, at: DateTime<Utc>) {
        clock.stop(at);
        if let Some(status) = clock.read(self.policy, self.priority, at) {
            self.stopped.push(status);
        }
    }

    fn finish(self, now: DateTime<Utc>) -> SlaReport {
        let mut clocks = self.stopped;
        for clock in [self.response, self.resolution].into_iter().flatten() {
            clocks.extend(clock.read(self.policy, self.priority, now));
        }
        clocks.sort_by_key(|clock| (clock.started_at, clock.metric));
        let next_transition_at = clocks.iter().filter_map(|clock| clock.next_transition_at).min();
        SlaReport { clocks, next_transition_at }
    }
}
