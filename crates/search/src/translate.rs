//! Turns a parsed trellis query into a tantivy query. Text goes through the query-mode analyzer;
//! filters become keyword or range queries scored as constants, so only text affects relevance.

use crate::analysis::SocialTokenizer;
use crate::deleted::ExcludeDeleted;
use crate::schema::{date, keyword_id, Fields, NONE};
use std::ops::Bound;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::Term;
use trellis_core::query::{Atom, Filter, Literal, Query as Parsed};
use trellis_core::{AssigneeFilter, BrandId};

/// A translated query and what to highlight in snippets.
pub(crate) struct Translated {
    pub query: Box<dyn Query>,
    /// Terms of the `text` field from positive text literals.
    pub highlight: Vec<Term>,
}

pub(crate) struct Translator<'a> {
    pub fields: &'a Fields,
    pub tokenizer: SocialTokenizer,
    highlight: Vec<Term>,
}

/// What one literal's atom means in the index.
enum Matcher {
    /// Matches every document: a term with no searchable characters (`!!!`).
    Everything,
    Some(Box<dyn Query>),
}

impl<'a> Translator<'a> {
    pub(crate) fn new(fields: &'a Fields, tokenizer: SocialTokenizer) -> Self {
        Self { fields, tokenizer, highlight: Vec::new() }
    }

    /// The index query for `parsed`, limited to messages of `brands` when given (an agent's
    /// brands: a restriction the query cannot lift).
    pub(crate) fn translate(mut self, parsed: &Parsed, brands: Option<&[BrandId]>) -> Translated {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for clause in &parsed.clauses {
            if let [literal] = clause.any_of.as_slice() {
                match (self.atom(literal), literal.negated) {
                    (Matcher::Everything, false) => {}
                    (Matcher::Everything, true) => {
                        clauses.push((Occur::Must, Box::new(EmptyQuery)))
                    }
                    (Matcher::Some(query), false) => clauses.push((Occur::Must, query)),
                    (Matcher::Some(query), true) => clauses.push((Occur::MustNot, query)),
                }
                continue;
            }
            let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut always_true = false;
            for literal in &clause.any_of {
                match (self.atom(literal), literal.negated) {
                    (Matcher::Everything, false) => always_true = true,
                    (Matcher::Everything, true) => {}
                    (Matcher::Some(query), false) => alternatives.push((Occur::Should, query)),
                    (Matcher::Some(query), true) => {
                        alternatives.push((Occur::Should, not(query)));
                    }
                }
            }
            if always_true {
                continue;
            }
            let query: Box<dyn Query> = if alternatives.is_empty() {
                Box::new(EmptyQuery)
            } else {
                Box::new(BooleanQuery::new(alternatives))
            };
            clauses.push((Occur::Must, query));
        }
        // Exclusions alone match nothing in tantivy: give them every document to exclude from.
        if !clauses.iter().any(|(occur, _)| *occur == Occur::Must) {
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        // One required clause is the query itself: unwrapped, a word stays a union of term
        // scorers that top-k collection can prune.
        let positive: Box<dyn Query> = match <[_; 1]>::try_from(clauses) {
            Ok([(Occur::Must, query)]) => query,
            Ok(single) => Box::new(BooleanQuery::new(Vec::from(single))),
            Err(clauses) => Box::new(BooleanQuery::new(clauses)),
        };
        let positive = match brands {
            None => positive,
            Some(brands) => {
                let any_brand: Vec<(Occur, Box<dyn Query>)> = brands
                    .iter()
                    .map(|brand| {
                        let term = Term::from_field_i64(self.fields.brand_id, brand.0);
                        let query: Box<dyn Query> =
                            Box::new(TermQuery::new(term, IndexRecordOption::Basic));
                        (
                            Occur::Should,
                            Box::new(ConstScoreQuery::new(query, 0.0)) as Box<dyn Query>,
                        )
                    })
                    .collect();
                let scope: Box<dyn Query> = if any_brand.is_empty() {
                    Box::new(EmptyQuery)
                } else {
                    Box::new(BooleanQuery::new(any_brand))
                };
                Box::new(BooleanQuery::new(vec![(Occur::Must, positive), (Occur::Must, scope)]))
            }
        };
        // Deleted messages stay in the index (they may be undeleted) but are never found.
        let deleted = Term::from_field_bool(self.fields.deleted, true);
        Translated {
            query: Box::new(ExcludeDeleted::new(positive, deleted)),
            highlight: self.highlight,
        }
    }

    fn atom(&mut self, literal: &Literal) -> Matcher {
        match &literal.atom {
            Atom::Term(text) | Atom::Phrase(text) => self.text(text, !literal.negated),
            Atom::Filter(filter) => {
                Matcher::Some(Box::new(ConstScoreQuery::new(self.filter(filter), 0.0)))
            }
        }
    }

    /// A word or phrase, searched in the message text and the conversation subject.
    fn text(&mut self, text: &str, highlight: bool) -> Matcher {
        let tokens = self.tokenizer.analyze(text);
        if tokens.is_empty() {
            return Matcher::Everything;
        }
        let per_field = |field: Field| -> Box<dyn Query> {
            let mut terms: Vec<(usize, Term)> = tokens
                .iter()
                .map(|token| (token.position, Term::from_field_text(field, &token.text)))
                .collect();
            if terms.len() == 1 {
                let (_, term) = terms.remove(0);
                Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
            } else {
                Box::new(PhraseQuery::new_with_offset(terms))
            }
        };
        if highlight {
            self.highlight.extend(
                tokens.iter().map(|token| Term::from_field_text(self.fields.text, &token.text)),
            );
        }
        Matcher::Some(Box::new(BooleanQuery::new(vec![
            (Occur::Should, per_field(self.fields.text)),
            (Occur::Should, per_field(self.fields.subject)),
        ])))
    }

    fn filter(&self, filter: &Filter) -> Box<dyn Query> {
        let f = self.fields;
        let keyword = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        let number = |field: Field, value: i64| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_i64(field, value), IndexRecordOption::Basic))
        };
        let day = |at| Term::from_field_date_for_search(f.created_at, date(at));
        match filter {
            Filter::From(handle) => keyword(f.author, &handle.key()),
            Filter::Channel(channel) => keyword(f.channel, channel.as_str()),
            Filter::Account(id) => number(f.account_id, id.0),
            Filter::Team(id) => keyword(f.team, &keyword_id(Some(id.0))),
            Filter::NoTeam => keyword(f.team, NONE),
            Filter::Tag(tag) => keyword(f.tags, tag.as_str()),
            Filter::Status(status) => keyword(f.status, status.as_str()),
            Filter::Assignee(AssigneeFilter::User(id)) => {
                keyword(f.assignee, &keyword_id(Some(id.0)))
            }
            Filter::Assignee(AssigneeFilter::Unassigned) => keyword(f.assignee, NONE),
            Filter::Assigned => not(keyword(f.assignee, NONE)),
            Filter::Priority(priority) => keyword(f.priority, priority.as_str()),
            Filter::Kind(kind) => keyword(f.kind, kind.as_str()),
            Filter::Direction(direction) => keyword(f.direction, direction.as_str()),
            Filter::CreatedBefore(at) => {
                Box::new(RangeQuery::new(Bound::Unbounded, Bound::Excluded(day(*at))))
            }
            Filter::CreatedOnOrAfter(at) => {
                Box::new(RangeQuery::new(Bound::Included(day(*at)), Bound::Unbounded))
            }
        }
    }
}

/// Every document except those matching `query` (tantivy has no bare negation).
fn not(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![(Occur::Must, Box::new(AllQuery)), (Occur::MustNot, query)]))
}
