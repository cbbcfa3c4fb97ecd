//! Trying a draft rule on stored messages without changing anything, and the search query that
//! narrows which stored messages are worth trying.

use super::compile::{RuleError, RuleSet};
use super::facts::{EvalContext, MessageFacts};
use super::model::{Action, Condition, ConditionGroup, MatchMode, Rule};
use serde::{Deserialize, Serialize};
use trellis_core::query::{Atom, Clause, Filter, Literal, Query};
use trellis_core::{ConversationId, Direction, MessageId};

/// What a draft rule would have done.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreviewReport {
    /// Messages looked at.
    pub scanned: u64,
    /// Of those, the ones the rule matched.
    pub matched: u64,
    /// The first matches, up to the requested sample size, in the order given.
    pub samples: Vec<PreviewMatch>,
}

/// One message the draft rule matched and what it would have done there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreviewMatch {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub actions: Vec<Action>,
    /// Whether the rule would have stopped later rules.
    pub stops_processing: bool,
}

impl RuleSet {
    /// Runs `rule` alone over `messages`, as if it were the only rule and enabled, and reports what
    /// it would match and do. Changes nothing; the service feeds it the candidates a search for
    /// [`Rule::search_prefilter`] returns over the last N days.
    pub fn preview(
        rule: Rule,
        messages: impl IntoIterator<Item = MessageFacts>,
        context: &EvalContext<'_>,
        sample_size: usize,
    ) -> Result<PreviewReport, RuleError> {
        let draft = Rule { enabled: true, ..rule };
        let set = RuleSet::compile(vec![draft], context.calendars)?;
        let mut report = PreviewReport::default();
        for facts in messages {
            report.scanned += 1;
            let evaluation = set.evaluate(&facts, context);
            if evaluation.matched.is_empty() {
                continue;
            }
            report.matched += 1;
            if report.samples.len() < sample_size {
                report.samples.push(PreviewMatch {
                    message_id: facts.message_id,
                    conversation_id: facts.conversation_id,
                    actions: evaluation.actions.into_iter().map(|applied| applied.action).collect(),
                    stops_processing: evaluation.stopped_by.is_some(),
                });
            }
        }
        Ok(report)
    }
}

impl Rule {
    /// A trellis query selecting a superset of the messages this rule can match, so a preview asks
    /// the index for candidates instead of scanning every message; `None` when no condition can be
    /// said in the query language (the preview then scans).
    ///
    /// Only what a stored message cannot lose is used: positive text terms and phrases (the index
    /// stems at least as broadly as rules do), and filters on the message itself (channel, account,
    /// kind, author, dates). Conversation fields (status, tags, priority, …) are left out because
    /// earlier rules may change them during a run; substring, regex and language conditions have no
    /// query form.
    pub fn search_prefilter(&self) -> Option<String> {
        let clauses = group_clauses(&self.conditions);
        if clauses.is_empty() {
            return None;
        }
        let mut query = Query {
            clauses: vec![clause(vec![positive(Atom::Filter(Filter::Direction(
                Direction::Inbound,
            )))])],
        };
        query.clauses.extend(clauses);
        Some(query.to_string())
    }
}

/// Clauses that every message matching the group satisfies.
fn group_clauses(group: &ConditionGroup) -> Vec<Clause> {
    match group.match_mode {
        MatchMode::All => group.conditions.iter().flat_map(condition_clauses).collect(),
        // Without parentheses, an any-group is sayable only when each member is one clause: their
        // literals then join into a single OR. One unsayable member makes the group unconstrained.
        MatchMode::Any => {
            let mut joined = Vec::new();
            for condition in &group.conditions {
                let mut clauses = condition_clauses(condition);
                if clauses.len() != 1 {
                    return Vec::new();
                }
                joined.append(&mut clauses.remove(0).any_of);
            }
            if joined.is_empty() {
                Vec::new()
            } else {
                vec![clause(joined)]
            }
        }
    }
}

fn condition_clauses(condition: &Condition) -> Vec<Clause> {
    let one_of = |filters: Vec<Filter>| {
        vec![clause(filters.into_iter().map(|f| positive(Atom::Filter(f))).collect())]
    };
    match condition {
        Condition::Channel { any_of } => {
            one_of(any_of.iter().map(|c| Filter::Channel(*c)).collect())
        }
        Condition::Account { any_of } => {
            one_of(any_of.iter().map(|a| Filter::Account(*a)).collect())
        }
        Condition::Kind { any_of } => one_of(any_of.iter().map(|k| Filter::Kind(*k)).collect()),
        Condition::AuthorHandle { any_of } => {
            one_of(any_of.iter().map(|h| Filter::From(h.clone())).collect())
        }
        Condition::TextMatchesQuery { query } => match trellis_core::query::parse(query) {
            Ok(parsed) => parsed.clauses.into_iter().filter(stable_clause).collect(),
            Err(_) => Vec::new(),
        },
        Condition::Group(group) => group_clauses(group),
        _ => Vec::new(),
    }
}

/// Whether a query clause selects the same messages in the index as in a rule run, or more.
fn stable_clause(clause: &Clause) -> bool {
    clause.any_of.iter().all(|literal| match &literal.atom {
        // A negated word excludes more in the index (which stems) than in a rule: not a superset.
        Atom::Term(_) | Atom::Phrase(_) => !literal.negated,
        Atom::Filter(filter) => matches!(
            filter,
            Filter::From(_)
                | Filter::Channel(_)
                | Filter::Account(_)
                | Filter::Kind(_)
                | Filter::Direction(_)
                | Filter::CreatedBefore(_)
                | Filter::CreatedOnOrAfter(_)
        ),
    })
}

fn clause(any_of: Vec<Literal>) -> Clause {
    Clause { any_of }
}

fn positive(atom: Atom) -> Literal {
    Literal { negated: false, atom }
}
