//! Turns lexemes into a [`Query`], validating every filter value with the domain's own types.

use super::lexer::{lex, Body, Lexeme};
use super::{Atom, Clause, Filter, Literal, Query, QueryError, FILTER_KEYS};
use crate::conversation::AssigneeFilter;
use crate::enums::UnknownVariant;
use crate::ids::{AccountId, TeamId, UserId};
use crate::validated::{Handle, TagName};
use chrono::NaiveDate;
use std::str::FromStr;

/// Parses a query string. Never panics; every refusal names the offending token.
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let mut clauses: Vec<Clause> = Vec::new();
    // Set after `OR`: the next literal joins the last clause instead of starting one.
    let mut joining = false;
    for lexeme in lex(input) {
        match lexeme {
            Lexeme::Or => {
                if joining || clauses.is_empty() {
                    return Err(QueryError::DanglingOr);
                }
                joining = true;
            }
            Lexeme::Item { negated, body } => {
                let Some(atom) = atom(body)? else { continue };
                let literal = Literal { negated, atom };
                match clauses.last_mut() {
                    Some(last) if joining => last.any_of.push(literal),
                    _ => clauses.push(Clause { any_of: vec![literal] }),
                }
                joining = false;
            }
        }
    }
    if joining {
        return Err(QueryError::DanglingOr);
    }
    Ok(Query { clauses })
}

/// The atom of one item; `None` for an empty phrase, which tests nothing.
fn atom(body: Body) -> Result<Option<Atom>, QueryError> {
    let word = match body {
        Body::Quoted(phrase) => {
            let phrase = phrase.trim();
            return Ok((!phrase.is_empty()).then(|| Atom::Phrase(phrase.to_owned())));
        }
        Body::Word(word) => word,
    };
    let Some((key, value)) = word.split_once(':') else { return Ok(Some(Atom::Term(word))) };
    // Only `letters:` starts a filter, so `10:30`, `https://…` and `:)` stay text.
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphabetic()) || value.starts_with("//") {
        return Ok(Some(Atom::Term(word)));
    }
    let key = key.to_ascii_lowercase();
    let known = FILTER_KEYS.split(' ').any(|known| known == key);
    if value.is_empty() {
        // `Note:` in pasted text is a word; `status:` alone is an unfinished filter.
        return if known {
            Err(QueryError::MissingValue { token: word.clone() })
        } else {
            Ok(Some(Atom::Term(word)))
        };
    }
    if !known {
        return Err(QueryError::UnknownFilter { key, token: word.clone(), expected: FILTER_KEYS });
    }
    let unquoted = value.trim_matches('"').trim();
    if unquoted.is_empty() {
        return Err(QueryError::MissingValue { token: word.clone() });
    }
    let filter = filter(&key, unquoted)
        .map_err(|message| QueryError::BadValue { token: word.clone(), message })?;
    Ok(Some(Atom::Filter(filter)))
}

fn filter(key: &str, value: &str) -> Result<Filter, String> {
    let lowered = value.to_ascii_lowercase();
    Ok(match key {
        "from" => Filter::From(Handle::parse(value).map_err(|e| e.to_string())?),
        "channel" => Filter::Channel(variant(value)?),
        "account" => Filter::Account(AccountId(id("account", value)?)),
        "team" if lowered == "none" => Filter::NoTeam,
        "team" => Filter::Team(TeamId(id("team", value)?)),
        "tag" => Filter::Tag(TagName::parse(value).map_err(|e| e.to_string())?),
        "status" => Filter::Status(variant(value)?),
        "assignee" if lowered == "none" => Filter::Assignee(AssigneeFilter::Unassigned),
        "assignee" => Filter::Assignee(AssigneeFilter::User(UserId(id("assignee", value)?))),
        "is" => match lowered.as_str() {
            "unassigned" => Filter::Assignee(AssigneeFilter::Unassigned),
            "assigned" => Filter::Assigned,
            _ => return Err(format!("unknown is:{value:?}, expected one of: unassigned assigned")),
        },
        "priority" => Filter::Priority(variant(value)?),
        "kind" => Filter::Kind(variant(value)?),
        "direction" => Filter::Direction(variant(value)?),
        "before" => Filter::CreatedBefore(day("before", value)?),
        "after" => Filter::CreatedOnOrAfter(day("after", value)?),
        _ => return Err(format!("unknown filter {key:?}, expected one of: {FILTER_KEYS}")),
    })
}

fn variant<T: FromStr<Err = UnknownVariant>>(value: &str) -> Result<T, String> {
    value.parse::<T>().map_err(|e| {
        format!("unknown {} {:?}, expected one of: {}", e.kind, e.value, e.expected.trim_end())
    })
}

fn id(what: &str, value: &str) -> Result<i64, String> {
    match value.parse::<i64>() {
        Ok(id) if id > 0 => Ok(id),
        _ => Err(format!("{what} must be a positive number, got {value:?}")),
    }
}

fn day(what: &str, value: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| format!("{what}: expects a date as YYYY-MM-DD, got {value:?}"))
}
