//! One SLA clock: when it started, when it counted, when it stopped; and what that means at a
//! given instant under a policy.

use super::durations::seconds;
use super::policy::{Metric, SlaPolicy};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use trellis_core::Priority;

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Counting, below the warning threshold.
    Running,
    /// Not counting (pending or snoozed), not breached.
    Paused,
    /// Counting, past the warning threshold, not yet due.
    Warning,
    /// The target was exceeded, whether the clock still runs, is paused or has stopped.
    Breached,
    /// Stopped at or before its due time.
    Met,
}

/// A clock's reading at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockStatus {
    pub metric: Metric,
    pub state: ClockState,
    pub started_at: DateTime<Utc>,
    /// When a reply or resolution stopped it.
    pub stopped_at: Option<DateTime<Utc>>,
    /// The target it is held to (the one in force when it stopped, or now if it has not).
    #[serde(with = "seconds")]
    pub target: Duration,
    /// Business time counted so far, pauses excluded.
    #[serde(with = "seconds")]
    pub elapsed: Duration,
    /// When it is due while counting; when it breached once breached. `None` while paused (the
    /// due time moves with the pause) and once met.
    pub due_at: Option<DateTime<Utc>>,
    /// When it turns to warning while counting below the threshold; when it did, once it has.
    pub warning_at: Option<DateTime<Utc>>,
    /// The next instant its state changes without any new event: the warning time while
    /// running, the due time while warning; `None` otherwise.
    pub next_transition_at: Option<DateTime<Utc>>,
}

/// A clock as the history built it: independent of targets, so a policy or priority change can
/// re-read it.
#[derive(Debug, Clone)]
pub(crate) struct ClockRecord {
    pub(crate) metric: Metric,
    pub(crate) started_at: DateTime<Utc>,
    /// Spans during which it counted; the last is open-ended while it runs.
    pub(crate) segments: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    pub(crate) stopped_at: Option<DateTime<Utc>>,
}

impl ClockRecord {
    pub(crate) fn start(metric: Metric, at: DateTime<Utc>, running: bool) -> Self {
        let segments = if running { vec![(at, None)] } else { Vec::new() };
        Self { metric, started_at: at, segments, stopped_at: None }
    }

    pub(crate) fn is_running(&self) -> bool {
        matches!(self.segments.last(), Some((_, None)))
    }

    pub(crate) fn pause(&mut self, at: DateTime<Utc>) {
        if let Some(last) = self.segments.last_mut() {
            if last.1.is_none() {
                last.1 = Some(at.max(last.0));
            }
        }
    }

    pub(crate) fn resume(&mut self, at: DateTime<Utc>) {
        if !self.is_running() {
            self.segments.push((at, None));
        }
    }

    pub(crate) fn stop(&mut self, at: DateTime<Utc>) {
        self.pause(at);
        self.stopped_at = Some(at);
    }

    /// The reading at `now` under `policy` for `priority`; `None` when that metric is not timed.
    /// Costs one business-time count per segment, plus a due-time search for each threshold.
    pub(crate) fn read(
        &self,
        policy: &SlaPolicy,
        priority: Priority,
        now: DateTime<Utc>,
    ) -> Option<ClockStatus> {
        let target = policy.target(priority, self.metric)?;
        let warn_after = policy.warning_after(target);
        let calendar = policy.calendar();
        let until = self.stopped_at.unwrap_or(now);
        let mut elapsed = Duration::zero();
        let mut warned_at = None;
        let mut breached_at = None;
        for &(from, to) in &self.segments {
            let to = to.unwrap_or(until).min(until);
            let counted = calendar.business_time_between(from, to);
            if warned_at.is_none() && elapsed + counted >= warn_after {
                warned_at = Some(calendar.add_business_time(from, warn_after - elapsed));
            }
            if breached_at.is_none() && elapsed + counted >= target {
                breached_at = Some(calendar.add_business_time(from, target - elapsed));
            }
            elapsed += counted;
        }
        let mut status = ClockStatus {
            metric: self.metric,
            state: ClockState::Running,
            started_at: self.started_at,
            stopped_at: self.stopped_at,
            target,
            elapsed,
            due_at: None,
            warning_at: warned_at,
            next_transition_at: None,
        };
        if let Some(stopped_at) = self.stopped_at {
            // Due is inclusive: a reply at the due instant meets the target.
            match breached_at {
                Some(due) if stopped_at > due => {
                    status.state = ClockState::Breached;
                    status.due_at = Some(due);
                }
                _ => status.state = ClockState::Met,
            }
            return Some(status);
        }
        if let Some(due) = breached_at.filter(|due| *due <= now) {
            status.state = ClockState::Breached;
            status.due_at = Some(due);
            return Some(status);
        }
        if !self.is_running() {
            status.state = ClockState::Paused;
            return Some(status);
        }
        let due = calendar.add_business_time(now, target - elapsed);
        status.due_at = Some(due);
        match warned_at {
            Some(_) => {
                status.state = ClockState::Warning;
                status.next_transition_at = Some(due);
            }
            None => {
                let warning_at = calendar.add_business_time(now, warn_after - elapsed);
                status.warning_at = Some(warning_at);
                status.next_transition_at = Some(warning_at);
            }
        }
        Some(status)
    }
}
