//! The fixed query mix, written once in the trellis query language and once as a structured spec
//! the peers translate into their own SQL, so every engine answers the same question.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use trellis_core::{Channel, ConversationStatus};

/// One query of the mix.
#[derive(Debug, Clone, Serialize)]
pub struct BenchQuery {
    /// Short stable name for reports.
    pub name: &'static str,
    /// In the trellis query language.
    pub trellis: String,
    #[serde(skip)]
    pub spec: QuerySpec,
    /// Whether every engine that can tokenize it should find something in a corpus of any size
    /// (false for terms only substring search can see, such as an emoji).
    #[serde(skip)]
    pub must_match: bool,
}

/// The same query, structured for SQL peers. Terms are as the user typed them (`#blackfriday`);
/// full-text peers let their tokenizer strip the decoration, `ILIKE` searches the raw substring.
#[derive(Debug, Clone, Default)]
pub struct QuerySpec {
    /// All must occur.
    pub terms: Vec<String>,
    /// Must occur as consecutive words.
    pub phrase: Option<String>,
    /// Must not occur.
    pub exclude: Vec<String>,
    pub channel: Option<Channel>,
    /// Author handle, case-folded, without `@`.
    pub author: Option<String>,
    pub status: Option<ConversationStatus>,
    pub tag: Option<String>,
    pub unassigned: bool,
    /// Inclusive.
    pub after: Option<DateTime<Utc>>,
    /// Exclusive.
    pub before: Option<DateTime<Utc>>,
}

impl QuerySpec {
    /// Whether the query has text to rank by; otherwise results are newest first.
    pub fn has_text(&self) -> bool {
        !self.terms.is_empty() || self.phrase.is_some()
    }
}

fn day(text: &str) -> Option<DateTime<Utc>> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

fn terms(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// The mix. `frequent_author` is the handle of the corpus's most active X author.
pub fn query_mix(frequent_author: &str) -> Vec<BenchQuery> {
    let author = frequent_author.to_lowercase();
    let q =
        |name, trellis: String, spec, must_match| BenchQuery { name, trellis, spec, must_match };
    vec![
        q(
            "word",
            "refund".into(),
            QuerySpec { terms: terms(&["refund"]), ..Default::default() },
            true,
        ),
        q(
            "phrase",
            "\"order number\"".into(),
            QuerySpec { phrase: Some("order number".into()), ..Default::default() },
            true,
        ),
        q(
            "hashtag_channel",
            "#blackfriday channel:x".into(),
            QuerySpec {
                terms: terms(&["#blackfriday"]),
                channel: Some(Channel::X),
                ..Default::default()
            },
            true,
        ),
        q(
            "from_author",
            format!("from:@{frequent_author}"),
            QuerySpec { author: Some(author), ..Default::default() },
            true,
        ),
        q(
            "negation",
            "shipping -delayed".into(),
            QuerySpec {
                terms: terms(&["shipping"]),
                exclude: terms(&["delayed"]),
                ..Default::default()
            },
            true,
        ),
        q(
            "two_words",
            "reset password".into(),
            QuerySpec { terms: terms(&["reset", "password"]), ..Default::default() },
            true,
        ),
        q(
            "tag_only",
            "tag:billing".into(),
            QuerySpec { tag: Some("billing".into()), ..Default::default() },
            true,
        ),
        q(
            "status_text",
            "status:open password".into(),
            QuerySpec {
                terms: terms(&["password"]),
                status: Some(ConversationStatus::Open),
                ..Default::default()
            },
            true,
        ),
        q(
            "channel_status_text",
            "refund channel:facebook status:resolved".into(),
            QuerySpec {
                terms: terms(&["refund"]),
                channel: Some(Channel::Facebook),
                status: Some(ConversationStatus::Resolved),
                ..Default::default()
            },
            true,
        ),
        q(
            "unassigned_text",
            "subscription is:unassigned".into(),
            QuerySpec { terms: terms(&["subscription"]), unassigned: true, ..Default::default() },
            true,
        ),
        q(
            "date_range",
            "delivery after:2024-11-01 before:2024-11-15".into(),
            QuerySpec {
                terms: terms(&["delivery"]),
                after: day("2024-11-01"),
                before: day("2024-11-15"),
                ..Default::default()
            },
            true,
        ),
        q(
            "japanese",
            "返金".into(),
            QuerySpec { terms: terms(&["返金"]), ..Default::default() },
            true,
        ),
        q("emoji", "🔥".into(), QuerySpec { terms: terms(&["🔥"]), ..Default::default() }, false),
        // Needles: what agents type most when a customer writes back, an order number or a rare
        // word pair. Few or no messages match, so nothing lets a scan stop early.
        q(
            "order_lookup",
            "4821937".into(),
            QuerySpec { terms: terms(&["4821937"]), ..Default::default() },
            false,
        ),
        q(
            "rare_words",
            "downgrade tax".into(),
            QuerySpec { terms: terms(&["downgrade", "tax"]), ..Default::default() },
            false,
        ),
    ]
}

/// Single-word queries without filters, where full-text engines should agree on the match count.
pub fn is_simple(query: &BenchQuery) -> bool {
    let spec = &query.spec;
    spec.terms.len() == 1
        && spec.phrase.is_none()
        && spec.exclude.is_empty()
        && spec.channel.is_none()
        && spec.author.is_none()
        && spec.status.is_none()
        && spec.tag.is_none()
        && !spec.unassigned
        && spec.after.is_none()
        && query.must_match
}
