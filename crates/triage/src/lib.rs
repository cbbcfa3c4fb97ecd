//! trellis triage: business calendars, SLA clocks and the rules engine.
//!
//! This crate's core is pure: no IO, no clock reads. Everything takes `now` and the history it
//! needs, so the [`service`] that drives it (following the change feed, the SLA timer, the
//! scheduler) keeps policies and rules as JSON in the store ([`stored`]) and recomputes from the
//! store at any time.

pub mod assign;
pub mod calendar;
pub mod rules;
pub mod service;
pub mod sla;
pub mod stored;

pub use calendar::{
    BusinessCalendar, CalendarError, CalendarSpec, HoursSpec, WeekSpec, WorkingPeriod,
};
pub use sla::{
    evaluate, ClockState, ClockStatus, Metric, PolicyError, SlaEvent, SlaPolicy, SlaReport,
    SlaTargets,
};
