//! trellis triage: business calendars, SLA clocks and the rules engine.
//!
//! This crate's core is pure: no IO, no clock reads. Everything takes `now` and the history it
//! needs, so the service that drives it (following the change feed, assignment, the scheduler:
//! coming next) can store policies and rules as JSON and recompute from the store at any time.

pub mod calendar;
pub mod rules;
pub mod sla;

pub use calendar::{
    BusinessCalendar, CalendarError, CalendarSpec, HoursSpec, WeekSpec, WorkingPeriod,
};
pub use sla::{
    evaluate, ClockState, ClockStatus, Metric, PolicyError, SlaEvent, SlaPolicy, SlaReport,
    SlaTargets,
};
