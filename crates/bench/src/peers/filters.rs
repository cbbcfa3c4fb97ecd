//! The non-text part of a query as SQL conditions, shared by the SQLite and PostgreSQL peers.

use crate::queries::QuerySpec;
use chrono::{DateTime, Utc};

/// A value bound to a placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Time(DateTime<Utc>),
}

/// SQL conditions joined with `and`, with their binds in placeholder order.
#[derive(Debug, Default)]
pub struct Conditions {
    pub clauses: Vec<String>,
    pub binds: Vec<Bind>,
    postgres: bool,
    /// Placeholders already used before these conditions (PostgreSQL numbers them).
    offset: usize,
}

impl Conditions {
    pub fn new(postgres: bool, offset: usize) -> Self {
        Self { postgres, offset, ..Default::default() }
    }

    /// The next placeholder for `bind`.
    pub fn bind(&mut self, bind: Bind) -> String {
        self.binds.push(bind);
        if self.postgres {
            format!("${}", self.offset + self.binds.len())
        } else {
            "?".to_owned()
        }
    }

    pub fn push(&mut self, clause: String) {
        self.clauses.push(clause);
    }

    /// `where …`, or nothing.
    pub fn where_clause(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!(" where {}", self.clauses.join(" and "))
        }
    }

    /// Adds the spec's structured filters on the table aliased `m`.
    pub fn add_filters(&mut self, spec: &QuerySpec) {
        if let Some(channel) = spec.channel {
            let p = self.bind(Bind::Text(channel.as_str().to_owned()));
            self.push(format!("m.channel = {p}"));
        }
        if let Some(author) = &spec.author {
            let p = self.bind(Bind::Text(author.clone()));
            self.push(format!("m.author = {p}"));
        }
        if let Some(status) = spec.status {
            let p = self.bind(Bind::Text(status.as_str().to_owned()));
            self.push(format!("m.status = {p}"));
        }
        if let Some(tag) = &spec.tag {
            if self.postgres {
                let p = self.bind(Bind::Text(tag.clone()));
                self.push(format!("{p} = any(m.tags)"));
            } else {
                // SQLite keeps tags as ' a b ', space-delimited on both ends.
                let p = self.bind(Bind::Text(format!("% {tag} %")));
                self.push(format!("m.tags like {p}"));
            }
        }
        if spec.unassigned {
            self.push(if self.postgres {
                "m.unassigned".into()
            } else {
                "m.unassigned = 1".into()
            });
        }
        if let Some(after) = spec.after {
            let p = self.bind(Bind::Time(after));
            self.push(format!("m.created_at >= {p}"));
        }
        if let Some(before) = spec.before {
            let p = self.bind(Bind::Time(before));
            self.push(format!("m.created_at < {p}"));
        }
    }
}

/// `term` as an `ILIKE`/`LIKE` pattern matching it anywhere, wildcards in it escaped.
pub fn contains_pattern(term: &str) -> String {
    let escaped = term.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}
