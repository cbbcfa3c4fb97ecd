//! SLA policies: response-time targets per priority, counted in a business calendar.

use super::durations::minutes_opt;
use crate::calendar::BusinessCalendar;
use chrono::Duration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trellis_core::Priority;

/// What an SLA clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// From the first customer message to the brand's first reply.
    FirstResponse,
    /// From a customer message that finds no reply pending to the brand's next reply.
    NextResponse,
    /// From the first customer message (or a reopening) to resolution.
    Resolution,
}

/// The targets for one priority; a missing target means that metric is not timed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargets {
    #[serde(default, rename = "first_response_minutes", with = "minutes_opt")]
    pub first_response: Option<Duration>,
    #[serde(default, rename = "next_response_minutes", with = "minutes_opt")]
    pub next_response: Option<Duration>,
    #[serde(default, rename = "resolution_minutes", with = "minutes_opt")]
    pub resolution: Option<Duration>,
}

impl SlaTargets {
    pub fn get(&self, metric: Metric) -> Option<Duration> {
        match metric {
            Metric::FirstResponse => self.first_response,
            Metric::NextResponse => self.next_response,
            Metric::Resolution => self.resolution,
        }
    }
}

/// Why a policy was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("warning threshold must be between 1 and 99 percent, got {0}")]
    WarningPercent(u8),
    #[error("the {metric:?} target for {priority} priority must be positive")]
    NonPositiveTarget { priority: Priority, metric: Metric },
}

/// Response-time targets per priority, the calendar they are counted in, and when to warn.
/// Serializes as JSON and validates when read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "PolicySpec", into = "PolicySpec")]
pub struct SlaPolicy {
    calendar: BusinessCalendar,
    targets: BTreeMap<Priority, SlaTargets>,
    warning_percent: u8,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec {
    calendar: BusinessCalendar,
    #[serde(default)]
    targets: BTreeMap<Priority, SlaTargets>,
    #[serde(default = "default_warning_percent")]
    warning_percent: u8,
}

fn default_warning_percent() -> u8 {
    SlaPolicy::DEFAULT_WARNING_PERCENT
}

impl SlaPolicy {
    pub const DEFAULT_WARNING_PERCENT: u8 = 80;

    /// A policy with no targets yet (nothing is timed) and the default warning threshold.
    pub fn new(calendar: BusinessCalendar) -> Self {
        Self { calendar, targets: BTreeMap::new(), warning_percent: Self::DEFAULT_WARNING_PERCENT }
    }

    /// Sets the targets of one priority. Priorities without targets are not timed.
    pub fn with_targets(
        mut self,
        priority: Priority,
        targets: SlaTargets,
    ) -> Result<Self, PolicyError> {
        for metric in [Metric::FirstResponse, Metric::NextResponse, Metric::Resolution] {
            if targets.get(metric).is_some_and(|target| target <= Duration::zero()) {
                return Err(PolicyError::NonPositiveTarget { priority, metric });
            }
        }
        self.targets.insert(priority, targets);
        Ok(self)
    }

    /// Warn once this share of a target has elapsed.
    pub fn with_warning_percent(mut self, percent: u8) -> Result<Self, PolicyError> {
        if !(1..=99).contains(&percent) {
            return Err(PolicyError::WarningPercent(percent));
        }
        self.warning_percent = percent;
        Ok(self)
    }

    pub fn calendar(&self) -> &BusinessCalendar {
        &self.calendar
    }

    pub fn warning_percent(&self) -> u8 {
        self.warning_percent
    }

    pub fn target(&self, priority: Priority, metric: Metric) -> Option<Duration> {
        self.targets.get(&priority).and_then(|targets| targets.get(metric))
    }

    /// The share of `target` after which a clock warns, to the millisecond.
    pub(crate) fn warning_after(&self, target: Duration) -> Duration {
        Duration::milliseconds(
            target.num_milliseconds().saturating_mul(i64::from(self.warning_percent)) / 100,
        )
    }
}

impl TryFrom<PolicySpec> for SlaPolicy {
    type Error = PolicyError;

    fn try_from(spec: PolicySpec) -> Result<Self, Self::Error> {
        let mut policy = Self::new(spec.calendar).with_warning_percent(spec.warning_percent)?;
        for (priority, targets) in spec.targets {
            policy = policy.with_targets(priority, targets)?;
        }
        Ok(policy)
    }
}

impl From<SlaPolicy> for PolicySpec {
    fn from(policy: SlaPolicy) -> Self {
        Self {
            calendar: policy.calendar,
            targets: policy.targets,
            warning_percent: policy.warning_percent,
        }
    }
}
