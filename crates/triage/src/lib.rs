//! trellis triage: business calendars and SLA clocks.
//!
//! This crate's core is pure: no IO, no clock reads. Everything takes `now` and the history it
//! needs, so the service that drives it (rules, assignment, the scheduler: coming next) can store
//! policies as JSON and recompute clocks from the store at any time.

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
