//! The rules engine, pure part: ordered rules with conditions and actions, compiled once and
//! evaluated per inbound message, plus previews of draft rules. No IO: the service that follows the
//! change feed gathers [`MessageFacts`], calls [`RuleSet::evaluate`], and applies the resulting
//! [`Evaluation`] through the store, recording each [`AppliedAction`] on the timeline.
//!
//! Semantics (docs/triage.md, "Rules"): rules run in list order, disabled ones skipped; later rules
//! see earlier actions' effects on the conversation; the last action on a field wins; a matching
//! rule with `stop_processing` ends the run; outbound messages trigger nothing.

mod compile;
mod evaluate;
mod facts;
mod model;
mod preview;
mod query;
mod scan;
mod subject;
mod text;
mod vocabulary;

pub use compile::{RuleError, RuleSet};
pub use evaluate::{AppliedAction, Evaluation};
pub use facts::{Calendars, EvalContext, MessageFacts};
pub use model::{Action, Condition, ConditionGroup, MatchMode, Rule, RuleId};
pub use preview::{PreviewMatch, PreviewReport};
