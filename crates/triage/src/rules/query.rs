//! A trellis query evaluated in memory against one message, for `text_matches_query` conditions.
//! Filters that describe a message or its conversation test the facts (with the effects of earlier
//! rules); text terms and phrases match folded words, stemmed like the search index.

use super::subject::Subject;
use super::text::{fold, Words};
use super::vocabulary::{Vocabulary, WordId};
use chrono::{DateTime, Utc};
use rust_stemmers::Stemmer;
use trellis_core::query::{Atom, Filter, Query};
use trellis_core::AssigneeFilter;

#[derive(Debug, Clone)]
pub(crate) struct CompiledQuery {
    /// Every clause must hold; a clause holds when one of its literals does.
    clauses: Vec<Vec<CompiledLiteral>>,
}

#[derive(Debug, Clone)]
struct CompiledLiteral {
    negated: bool,
    atom: CompiledAtom,
}

#[derive(Debug, Clone)]
enum CompiledAtom {
    /// A term or phrase: adjacent words in order. No words (`!!!`) matches every message.
    Words(Vec<WordId>),
    Filter(Filter),
}

impl CompiledQuery {
    pub(crate) fn new(query: &Query, vocabulary: &mut Vocabulary, stemmer: &Stemmer) -> Self {
        let clauses = query
            .clauses
            .iter()
            .map(|clause| {
                clause
                    .any_of
                    .iter()
                    .map(|literal| {
                        let atom = match &literal.atom {
                            Atom::Term(text) | Atom::Phrase(text) => {
                                let folded = fold(text);
                                let words = Words::split(&folded);
                                CompiledAtom::Words(
                                    words
                                        .iter(&folded)
                                        .map(|word| vocabulary.intern(word, stemmer))
                                        .collect(),
                                )
                            }
                            Atom::Filter(filter) => CompiledAtom::Filter(filter.clone()),
                        };
                        CompiledLiteral { negated: literal.negated, atom }
                    })
                    .collect()
            })
            .collect();
        Self { clauses }
    }

    pub(crate) fn matches(
        &self,
        subject: &mut Subject<'_>,
        vocabulary: &Vocabulary,
        stemmer: &Stemmer,
    ) -> bool {
        self.clauses.iter().all(|clause| {
            clause.iter().any(|literal| {
                literal.atom.matches(subject, vocabulary, stemmer) != literal.negated
            })
        })
    }
}

impl CompiledAtom {
    fn matches(
        &self,
        subject: &mut Subject<'_>,
        vocabulary: &Vocabulary,
        stemmer: &Stemmer,
    ) -> bool {
        match self {
            CompiledAtom::Words(phrase) => {
                subject.hits(vocabulary, stemmer).contains_phrase(phrase)
            }
            CompiledAtom::Filter(filter) => filter_matches(filter, subject),
        }
    }
}

fn filter_matches(filter: &Filter, subject: &Subject<'_>) -> bool {
    let facts = subject.facts;
    let state = &subject.state;
    let created = |test: fn(DateTime<Utc>, DateTime<Utc>) -> bool, at: &DateTime<Utc>| {
        test(facts.created_at, *at)
    };
    match filter {
        Filter::From(handle) => facts
            .author_handle
            .as_ref()
            .is_some_and(|author| same_handle(author.as_str(), handle.as_str())),
        Filter::Channel(channel) => facts.channel == *channel,
        Filter::Account(account) => facts.account_id == *account,
        Filter::Team(team) => state.team_id == Some(*team),
        Filter::NoTeam => state.team_id.is_none(),
        Filter::Tag(tag) => subject.has_conversation_tag(tag),
        Filter::Status(status) => state.status == *status,
        Filter::Assignee(AssigneeFilter::Unassigned) => state.assignee_id.is_none(),
        Filter::Assignee(AssigneeFilter::User(user)) => state.assignee_id == Some(*user),
        Filter::Assigned => state.assignee_id.is_some(),
        Filter::Priority(priority) => state.priority == *priority,
        Filter::Kind(kind) => facts.kind == *kind,
        Filter::Direction(direction) => facts.direction == *direction,
        Filter::CreatedBefore(at) => created(|created, at| created < at, at),
        Filter::CreatedOnOrAfter(at) => created(|created, at| created >= at, at),
    }
}

/// Handles compare case-insensitively (as [`trellis_core::Handle::key`]) without allocating.
pub(crate) fn same_handle(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        return a.eq_ignore_ascii_case(b);
    }
    a.chars().flat_map(char::to_lowercase).eq(b.chars().flat_map(char::to_lowercase))
}
