//! Turning stored rules into a [`RuleSet`]: every rule is validated once, and regexes, queries and
//! folded needles are prepared so evaluating a message parses nothing.

use super::facts::Calendars;
use super::model::{Condition, ConditionGroup, MatchMode, Rule, RuleId};
use super::query::CompiledQuery;
use super::scan::{RegexTest, Scanners, ScannersBuilder};
use super::text::{english, fold};
use super::vocabulary::Vocabulary;
use rust_stemmers::Stemmer;
use std::collections::HashSet;
use trellis_core::{
    AccountId, Channel, ConversationStatus, MessageKind, Priority, QueryError, TagName,
};

/// Why a rule set was refused. Each error names the rule and, for a condition, where it sits
/// (`conditions[1].conditions[0]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("rule {rule_id} has an empty name")]
    EmptyName { rule_id: RuleId },
    #[error("rule id {rule_id} is used by more than one rule")]
    DuplicateId { rule_id: RuleId },
    #[error("rule {rule_id} \"{rule}\": {path} has an invalid regex: {message}")]
    BadRegex { rule_id: RuleId, rule: String, path: String, message: String },
    #[error("rule {rule_id} \"{rule}\": {path} has an invalid query: {source}")]
    BadQuery {
        rule_id: RuleId,
        rule: String,
        path: String,
        #[source]
        source: QueryError,
    },
    #[error("rule {rule_id} \"{rule}\": {path} names unknown calendar \"{calendar}\"")]
    UnknownCalendar { rule_id: RuleId, rule: String, path: String, calendar: String },
    /// The rules are valid one by one but too large together (the combined regexes).
    #[error("the rule set is too large to compile: {0}")]
    Scanner(String),
    #[error("rule {rule_id} \"{rule}\": {path} {problem}")]
    BadCondition { rule_id: RuleId, rule: String, path: String, problem: String },
}

/// A condition ready to evaluate.
#[derive(Debug)]
pub(crate) enum Test {
    Channel(Vec<Channel>),
    Account(Vec<AccountId>),
    Kind(Vec<MessageKind>),
    /// Needle ids of the rule set's scanner.
    Contains(Vec<usize>),
    Query(Box<CompiledQuery>),
    Regex(RegexTest),
    /// Lowercased language tags.
    Language(Vec<String>),
    /// Handles as written; compared case-insensitively.
    AuthorHandle(Vec<String>),
    FollowersAtLeast(i64),
    Verified,
    ContactTag(Vec<TagName>),
    ConversationTag(Vec<TagName>),
    Status(Vec<ConversationStatus>),
    Priority(Vec<Priority>),
    /// Calendar by its index in [`RuleSet::calendar_names`].
    BusinessHours {
        calendar: usize,
        within: bool,
    },
    Group {
        any: bool,
        tests: Vec<Test>,
    },
    Not(Box<Test>),
}

impl Test {
    /// A rough cost, so a group tries cheap tests first and short-circuits before the text ones.
    fn cost(&self) -> u32 {
        match self {
            Test::Channel(_)
            | Test::Account(_)
            | Test::Kind(_)
            | Test::FollowersAtLeast(_)
            | Test::Verified
            | Test::Status(_)
            | Test::Priority(_) => 1,
            Test::Language(_)
            | Test::AuthorHandle(_)
            | Test::ContactTag(_)
            | Test::ConversationTag(_) => 2,
            Test::BusinessHours { .. } => 5,
            Test::Contains(_) => 10,
            Test::Query(_) => 20,
            Test::Regex(_) => 30,
            Test::Group { tests, .. } => tests.iter().map(Test::cost).sum(),
            Test::Not(inner) => inner.cost(),
        }
    }
}

/// The channels and kinds a rule can match at all, read from its top-level `all` conditions, so
/// most rules that cannot match a message are passed over with two bit tests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gate {
    channels: u32,
    kinds: u32,
}

impl Gate {
    fn of(test: &Test) -> Self {
        let mut gate = Gate { channels: u32::MAX, kinds: u32::MAX };
        if let Test::Group { any: false, tests } = test {
            for test in tests {
                match test {
                    Test::Channel(any_of) => {
                        gate.channels &= any_of.iter().map(|c| 1 << *c as u32).fold(0, |a, b| a | b)
                    }
                    Test::Kind(any_of) => {
                        gate.kinds &= any_of.iter().map(|k| 1 << *k as u32).fold(0, |a, b| a | b)
                    }
                    _ => {}
                }
            }
        }
        gate
    }

    pub(crate) fn admits(self, channel: Channel, kind: MessageKind) -> bool {
        self.channels & (1 << channel as u32) != 0 && self.kinds & (1 << kind as u32) != 0
    }
}

pub(crate) struct CompiledRule {
    pub gate: Gate,
    pub rule: Rule,
    /// The rule's name, shared by every action it records.
    pub name: std::sync::Arc<str>,
    pub test: Test,
}

/// An ordered, validated rule set. Build it with [`RuleSet::compile`]; evaluate with
/// [`RuleSet::evaluate`]. Immutable and `Sync`: one compiled set can serve many threads.
pub struct RuleSet {
    pub(crate) rules: Vec<CompiledRule>,
    /// Calendars named by business-hours conditions, each once.
    pub(crate) calendar_names: Vec<String>,
    pub(crate) stemmer: Stemmer,
    /// Every word the queries look for.
    pub(crate) vocabulary: Vocabulary,
    pub(crate) scanners: Scanners,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.iter().map(|r| r.rule.id).collect::<Vec<_>>())
            .field("calendars", &self.calendar_names)
            .finish()
    }
}

impl RuleSet {
    /// Validates and prepares `rules`, kept in the given order. `calendars` are those the
    /// business-hours conditions may name; evaluation looks them up again in its context, so the
    /// service may update a calendar without recompiling.
    pub fn compile(rules: Vec<Rule>, calendars: &Calendars) -> Result<RuleSet, RuleError> {
        let mut compiler = Compiler {
            calendars,
            names: Vec::new(),
            stemmer: english(),
            vocabulary: Vocabulary::default(),
            scanners: ScannersBuilder::default(),
        };
        let mut seen = HashSet::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            if !seen.insert(rule.id) {
                return Err(RuleError::DuplicateId { rule_id: rule.id });
            }
            let test = compiler.rule(&rule)?;
            let name = std::sync::Arc::from(rule.name.as_str());
            compiled.push(CompiledRule { gate: Gate::of(&test), rule, name, test });
        }
        Ok(RuleSet {
            rules: compiled,
            calendar_names: compiler.names,
            stemmer: compiler.stemmer,
            vocabulary: compiler.vocabulary,
            scanners: compiler.scanners.build().map_err(RuleError::Scanner)?,
        })
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|compiled| &compiled.rule)
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

struct Compiler<'a> {
    calendars: &'a Calendars,
    names: Vec<String>,
    stemmer: Stemmer,
    vocabulary: Vocabulary,
    scanners: ScannersBuilder,
}

impl Compiler<'_> {
    fn rule(&mut self, rule: &Rule) -> Result<Test, RuleError> {
        if rule.name.trim().is_empty() {
            return Err(RuleError::EmptyName { rule_id: rule.id });
        }
        self.group(rule, &rule.conditions, "conditions")
    }

    fn group(
        &mut self,
        rule: &Rule,
        group: &ConditionGroup,
        path: &str,
    ) -> Result<Test, RuleError> {
        let mut tests = group
            .conditions
            .iter()
            .enumerate()
            .map(|(i, condition)| self.condition(rule, condition, &format!("{path}[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        // Conditions are pure, so their order inside a group changes only the cost.
        tests.sort_by_key(Test::cost);
        Ok(Test::Group { any: group.match_mode == MatchMode::Any, tests })
    }

    fn condition(
        &mut self,
        rule: &Rule,
        condition: &Condition,
        path: &str,
    ) -> Result<Test, RuleError> {
        let bad = |problem: &str| RuleError::BadCondition {
            rule_id: rule.id,
            rule: rule.name.clone(),
            path: path.to_owned(),
            problem: problem.to_owned(),
        };
        let nonempty =
            |len: usize| if len == 0 { Err(bad("needs at least one value")) } else { Ok(()) };
        Ok(match condition {
            Condition::Channel { any_of } => {
                nonempty(any_of.len())?;
                Test::Channel(any_of.clone())
            }
            Condition::Account { any_of } => {
                nonempty(any_of.len())?;
                Test::Account(any_of.clone())
            }
            Condition::Kind { any_of } => {
                nonempty(any_of.len())?;
                Test::Kind(any_of.clone())
            }
            Condition::TextContains { any_of } => {
                nonempty(any_of.len())?;
                let needles: Vec<String> =
                    any_of.iter().map(|needle| fold(needle.trim())).collect();
                if needles.iter().any(String::is_empty) {
                    return Err(bad("has an empty text to look for"));
                }
                Test::Contains(
                    needles.into_iter().map(|needle| self.scanners.needle(needle)).collect(),
                )
            }
            Condition::TextMatchesQuery { query } => {
                let parsed =
                    trellis_core::query::parse(query).map_err(|source| RuleError::BadQuery {
                        rule_id: rule.id,
                        rule: rule.name.clone(),
                        path: path.to_owned(),
                        source,
                    })?;
                Test::Query(Box::new(CompiledQuery::new(
                    &parsed,
                    &mut self.vocabulary,
                    &self.stemmer,
                )))
            }
            Condition::TextMatchesRegex { pattern, case_sensitive } => {
                let regex = self.scanners.regex(pattern, *case_sensitive).map_err(|error| {
                    RuleError::BadRegex {
                        rule_id: rule.id,
                        rule: rule.name.clone(),
                        path: path.to_owned(),
                        message: error.to_string(),
                    }
                })?;
                Test::Regex(regex)
            }
            Condition::Language { any_of } => {
                nonempty(any_of.len())?;
                let tags: Vec<String> =
                    any_of.iter().map(|tag| tag.trim().to_ascii_lowercase()).collect();
                if tags.iter().any(String::is_empty) {
                    return Err(bad("has an empty language"));
                }
                Test::Language(tags)
            }
            Condition::AuthorHandle { any_of } => {
                nonempty(any_of.len())?;
                Test::AuthorHandle(any_of.iter().map(|handle| handle.as_str().to_owned()).collect())
            }
            Condition::AuthorFollowersAtLeast { count } => Test::FollowersAtLeast(*count),
            Condition::AuthorVerified => Test::Verified,
            Condition::ContactHasTag { any_of } => {
                nonempty(any_of.len())?;
                Test::ContactTag(any_of.clone())
            }
            Condition::ConversationHasTag { any_of } => {
                nonempty(any_of.len())?;
                Test::ConversationTag(any_of.clone())
            }
            Condition::ConversationStatus { any_of } => {
                nonempty(any_of.len())?;
                Test::Status(any_of.clone())
            }
            Condition::Priority { any_of } => {
                nonempty(any_of.len())?;
                Test::Priority(any_of.clone())
            }
            Condition::WithinBusinessHours { calendar } => {
                Test::BusinessHours { calendar: self.calendar(rule, calendar, path)?, within: true }
            }
            Condition::OutsideBusinessHours { calendar } => Test::BusinessHours {
                calendar: self.calendar(rule, calendar, path)?,
                within: false,
            },
            Condition::Group(group) => self.group(rule, group, &format!("{path}.conditions"))?,
            Condition::Not { condition } => Test::Not(Box::new(self.condition(
                rule,
                condition,
                &format!("{path}.condition"),
            )?)),
        })
    }

    fn calendar(&mut self, rule: &Rule, name: &str, path: &str) -> Result<usize, RuleError> {
        if !self.calendars.contains_key(name) {
            return Err(RuleError::UnknownCalendar {
                rule_id: rule.id,
                rule: rule.name.clone(),
                path: path.to_owned(),
                calendar: name.to_owned(),
            });
        }
        if let Some(index) = self.names.iter().position(|known| known == name) {
            return Ok(index);
        }
        self.names.push(name.to_owned());
        Ok(self.names.len() - 1)
    }
}
