//! The trellis query language, parsed here without IO so the search index and the triage rules
//! engine share one grammar (docs/query-language.md).
//!
//! A query is a list of clauses that must all hold. A clause is one literal or several joined by
//! `OR`; a literal is a text term, a quoted phrase or a filter, possibly negated with `-`:
//!
//! ```text
//! refund -"gift card" from:@jane channel:x OR channel:facebook status:open after:2024-11-01
//! ```
//!
//! Text terms and phrases are kept as typed: how they match (case, accents, stemming, hashtags) is
//! decided by the analyzer of whoever evaluates the query.

mod lexer;
mod parse;

use crate::conversation::AssigneeFilter;
use crate::enums::{Channel, ConversationStatus, Direction, MessageKind, Priority};
use crate::ids::{AccountId, TeamId};
use crate::validated::{Handle, TagName};
use chrono::{DateTime, Utc};
use std::fmt;

pub use parse::parse;

/// A parsed query: every clause must match. An empty query matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Query {
    pub clauses: Vec<Clause>,
}

/// One or more literals joined by `OR`: at least one must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub any_of: Vec<Literal>,
}

/// A term, phrase or filter, possibly negated (`-term`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub negated: bool,
    pub atom: Atom,
}

/// What a literal tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Atom {
    /// A word as typed (`refund`, `#BlackFriday`, `@acme`, `acme.com`, `東京`).
    Term(String),
    /// The words of a quoted phrase, in order and adjacent.
    Phrase(String),
    Filter(Filter),
}

/// A structured condition on a message or its conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// `from:@handle`: the author, compared case-insensitively.
    From(Handle),
    Channel(Channel),
    Account(AccountId),
    Team(TeamId),
    /// `team:none`.
    NoTeam,
    Tag(TagName),
    Status(ConversationStatus),
    /// `assignee:<id>`, `assignee:none`, `is:unassigned`.
    Assignee(AssigneeFilter),
    /// `is:assigned`: any assignee.
    Assigned,
    Priority(Priority),
    Kind(MessageKind),
    Direction(Direction),
    /// `before:YYYY-MM-DD`: created strictly before that day's UTC midnight.
    CreatedBefore(DateTime<Utc>),
    /// `after:YYYY-MM-DD`: created at or after that day's UTC midnight.
    CreatedOnOrAfter(DateTime<Utc>),
}

/// Why a query string was refused. The message names the offending token, for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("unknown filter \"{key}:\" in \"{token}\", expected one of: {expected}")]
    UnknownFilter { key: String, token: String, expected: &'static str },
    #[error("\"{token}\" needs a value after the colon")]
    MissingValue { token: String },
    #[error("{message} (in \"{token}\")")]
    BadValue { token: String, message: String },
    #[error("\"OR\" needs a term on both sides")]
    DanglingOr,
}

/// The filter keys the parser knows, for error messages and docs.
pub const FILTER_KEYS: &str =
    "from channel account team tag status assignee is priority kind direction before after";

impl Query {
    /// Whether the query tests any text (terms or phrases), as opposed to filters only. A
    /// filter-only query has no meaningful relevance order.
    pub fn has_text(&self) -> bool {
        self.literals().any(|literal| !matches!(literal.atom, Atom::Filter(_)) && !literal.negated)
    }

    /// Every literal of every clause.
    pub fn literals(&self) -> impl Iterator<Item = &Literal> {
        self.clauses.iter().flat_map(|clause| clause.any_of.iter())
    }
}

impl fmt::Display for Query {
    /// The canonical spelling, which parses back to the same query.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, clause) in self.clauses.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            for (j, literal) in clause.any_of.iter().enumerate() {
                if j > 0 {
                    f.write_str(" OR ")?;
                }
                write!(f, "{literal}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("-")?;
        }
        match &self.atom {
            Atom::Term(term) => f.write_str(term),
            Atom::Phrase(phrase) => write!(f, "\"{phrase}\""),
            Atom::Filter(filter) => write!(f, "{filter}"),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |at: &DateTime<Utc>| at.format("%Y-%m-%d").to_string();
        match self {
            Filter::From(handle) => write!(f, "from:@{handle}"),
            Filter::Channel(channel) => write!(f, "channel:{channel}"),
            Filter::Account(id) => write!(f, "account:{id}"),
            Filter::Team(id) => write!(f, "team:{id}"),
            Filter::NoTeam => f.write_str("team:none"),
            Filter::Tag(tag) => write!(f, "tag:{tag}"),
            Filter::Status(status) => write!(f, "status:{status}"),
            Filter::Assignee(AssigneeFilter::User(id)) => write!(f, "assignee:{id}"),
            Filter::Assignee(AssigneeFilter::Unassigned) => f.write_str("is:unassigned"),
            Filter::Assigned => f.write_str("is:assigned"),
            Filter::Priority(priority) => write!(f, "priority:{priority}"),
            Filter::Kind(kind) => write!(f, "kind:{kind}"),
            Filter::Direction(direction) => write!(f, "direction:{direction}"),
            Filter::CreatedBefore(at) => write!(f, "before:{}", day(at)),
            Filter::CreatedOnOrAfter(at) => write!(f, "after:{}", day(at)),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
