//! Running a rule set over one message: which rules match, in order, and what they do.
//!
//! - Only inbound messages trigger rules; an outbound message (the brand's own reply) yields an
//!   empty evaluation, so a canned reply can never trigger a rule that sends another.
//! - Rules run in list order; disabled rules are skipped.
//! - A later rule sees what earlier rules did to the conversation (tags, priority, team, assignee,
//!   status), so "rule 1 raises priority, rule 2 routes urgent work" composes as written.
//! - When several actions set the same field, the last one wins ([`Evaluation::patch`]).
//! - A matching rule with `stop_processing` ends the run after its own actions.

use super::compile::{RuleSet, Test};
use super::facts::{EvalContext, MessageFacts};
use super::model::{Action, RuleId};
use super::query::same_handle;
use super::scan::{has_bit, RegexTest};
use super::subject::Subject;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use trellis_core::{ConversationPatch, Direction};

/// One action a rule took, with the rule that took it: the conversation's timeline shows
/// "priority set to urgent by rule *VIP escalation*".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedAction {
    pub rule_id: RuleId,
    /// Shared with the compiled rule set, so recording an action copies no string.
    #[serde(with = "shared_str")]
    pub rule_name: Arc<str>,
    pub action: Action,
}

/// What a run did for one message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Every action of every matching rule, in the order they apply.
    pub actions: Vec<AppliedAction>,
    /// The rules that matched, in order.
    pub matched: Vec<RuleId>,
    /// The rule whose `stop_processing` ended the run, if one did.
    pub stopped_by: Option<RuleId>,
    /// When the run happened.
    pub evaluated_at: Option<DateTime<Utc>>,
}

impl Evaluation {
    /// The conversation change the actions add up to, last action winning per field. Tags added
    /// then removed (or the reverse) end as the last action left them. Side effects that are not
    /// conversation fields (SLA policy, moderation flag, canned reply) are not part of it: the
    /// service reads them from [`Evaluation::actions`].
    pub fn patch(&self) -> ConversationPatch {
        let mut patch = ConversationPatch::default();
        for applied in &self.actions {
            match &applied.action {
                Action::AddTag { tag } => {
                    patch.remove_tags.retain(|removed| removed != tag);
                    if !patch.add_tags.contains(tag) {
                        patch.add_tags.push(tag.clone());
                    }
                }
                Action::RemoveTag { tag } => {
                    patch.add_tags.retain(|added| added != tag);
                    if !patch.remove_tags.contains(tag) {
                        patch.remove_tags.push(tag.clone());
                    }
                }
                Action::SetPriority { priority } => patch.priority = Some(*priority),
                Action::RouteToTeam { team_id } => patch.team_id = Some(Some(*team_id)),
                Action::AssignToUser { user_id } => patch.assignee_id = Some(Some(*user_id)),
                Action::SetStatus { status } => patch.status = Some(*status),
                Action::ApplySlaPolicy { .. }
                | Action::FlagForModeration { .. }
                | Action::SendCannedReply { .. } => {}
            }
        }
        patch
    }
}

impl RuleSet {
    /// Runs the enabled rules, in order, over one message. Pure: the caller applies the result.
    pub fn evaluate(&self, facts: &MessageFacts, context: &EvalContext<'_>) -> Evaluation {
        let mut evaluation =
            Evaluation { evaluated_at: Some(context.now), ..Evaluation::default() };
        if facts.direction != Direction::Inbound {
            return evaluation;
        }
        let mut subject = Subject::new(facts);
        for compiled in self.rules.iter().filter(|compiled| compiled.rule.enabled) {
            if !compiled.gate.admits(facts.channel, facts.kind)
                || !self.holds(&compiled.test, &mut subject, context)
            {
                continue;
            }
            let rule = &compiled.rule;
            evaluation.matched.push(rule.id);
            for action in &rule.actions {
                apply(action, &mut subject);
                evaluation.actions.push(AppliedAction {
                    rule_id: rule.id,
                    rule_name: Arc::clone(&compiled.name),
                    action: action.clone(),
                });
            }
            if rule.stop_processing {
                evaluation.stopped_by = Some(rule.id);
                break;
            }
        }
        evaluation
    }

    pub(crate) fn holds(
        &self,
        test: &Test,
        subject: &mut Subject<'_>,
        context: &EvalContext<'_>,
    ) -> bool {
        let facts = subject.facts;
        match test {
            Test::Channel(any_of) => any_of.contains(&facts.channel),
            Test::Account(any_of) => any_of.contains(&facts.account_id),
            Test::Kind(any_of) => any_of.contains(&facts.kind),
            Test::Contains(needles) => {
                let found = subject.needles(&self.scanners);
                needles.iter().any(|&needle| has_bit(found, needle))
            }
            Test::Query(query) => query.matches(subject, &self.vocabulary, &self.stemmer),
            Test::Regex(RegexTest::Alone(regex)) => regex.is_match(&facts.text),
            Test::Regex(RegexTest::InSet(pattern)) => {
                subject.patterns(&self.scanners).is_some_and(|matched| matched.matched(*pattern))
            }
            Test::Language(any_of) => facts
                .lang
                .as_deref()
                .is_some_and(|lang| any_of.iter().any(|wanted| same_language(lang, wanted))),
            Test::AuthorHandle(any_of) => facts.author_handle.as_ref().is_some_and(|author| {
                any_of.iter().any(|handle| same_handle(author.as_str(), handle))
            }),
            Test::FollowersAtLeast(count) => {
                facts.author_follower_count.is_some_and(|followers| followers >= *count)
            }
            Test::Verified => facts.author_verified,
            Test::ContactTag(any_of) => any_of.iter().any(|tag| facts.contact_tags.contains(tag)),
            Test::ConversationTag(any_of) => {
                any_of.iter().any(|tag| subject.has_conversation_tag(tag))
            }
            Test::Status(any_of) => any_of.contains(&subject.state.status),
            Test::Priority(any_of) => any_of.contains(&subject.state.priority),
            Test::BusinessHours { calendar, within } => {
                let name = self.calendar_names.get(*calendar);
                let open = subject.open_at(*calendar, || {
                    let calendar = context.calendars.get(name?)?;
                    Some(calendar.is_open(facts.created_at))
                });
                // A calendar removed since compiling answers neither "within" nor "outside": a rule
                // about business hours never fires on hours nobody can state.
                open.is_some_and(|open| open == *within)
            }
            Test::Group { any: true, tests } => {
                tests.is_empty() || tests.iter().any(|test| self.holds(test, subject, context))
            }
            Test::Group { any: false, tests } => {
                tests.iter().all(|test| self.holds(test, subject, context))
            }
            Test::Not(inner) => !self.holds(inner, subject, context),
        }
    }
}

/// Whether a message's language tag is the wanted one or a regional form of it (`en-GB` is `en`).
fn same_language(lang: &str, wanted: &str) -> bool {
    let lang = lang.trim();
    if lang.len() < wanted.len() || !lang.is_char_boundary(wanted.len()) {
        return false;
    }
    let (head, rest) = lang.split_at(wanted.len());
    head.eq_ignore_ascii_case(wanted) && (rest.is_empty() || rest.starts_with(['-', '_']))
}

/// Records an action's effect on the conversation for the rules after it.
fn apply<'a>(action: &'a Action, subject: &mut Subject<'a>) {
    let state = &mut subject.state;
    match action {
        Action::AddTag { tag } => state.add_tag(tag),
        Action::RemoveTag { tag } => state.remove_tag(tag),
        Action::SetPriority { priority } => state.priority = *priority,
        Action::RouteToTeam { team_id } => state.team_id = Some(*team_id),
        Action::AssignToUser { user_id } => state.assignee_id = Some(*user_id),
        Action::SetStatus { status } => state.status = *status,
        Action::ApplySlaPolicy { .. }
        | Action::FlagForModeration { .. }
        | Action::SendCannedReply { .. } => {}
    }
}

/// Serde for `Arc<str>` without serde's `rc` feature: a plain string on the wire.
mod shared_str {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::sync::Arc;

    pub(super) fn serialize<S: Serializer>(
        value: &Arc<str>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(value)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Arc<str>, D::Error> {
        String::deserialize(deserializer).map(Arc::from)
    }
}
