//! The search seam: what the store hands the index for each message, and what a search returns.
//! The query language itself is parsed in [`crate::query`].

use crate::enums::{Channel, ConversationStatus, Direction, MessageKind, Priority};
use crate::ids::{AccountId, BrandId, ConversationId, MessageId, Seq, TeamId, UserId};
use crate::validated::TagName;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A message denormalized with the conversation fields that searches filter on. The store builds
/// these; the index keeps one per message and replaces it when the message or its conversation
/// changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDoc {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub account_id: AccountId,
    pub brand_id: BrandId,
    pub channel: Channel,
    pub kind: MessageKind,
    pub direction: Direction,
    pub text: String,
    pub lang: Option<String>,
    /// The author's handle without `@`, as displayed.
    pub author_handle: Option<String>,
    pub author_name: Option<String>,
    pub subject: Option<String>,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<UserId>,
    pub team_id: Option<TeamId>,
    pub tags: Vec<TagName>,
    pub created_at: DateTime<Utc>,
    pub deleted: bool,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first (BM25), ties newest first.
    #[default]
    Relevance,
    /// Newest first.
    Newest,
}

/// A search to run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchRequest {
    /// In the trellis query language (docs/query-language.md).
    pub query: String,
    #[serde(default)]
    pub sort: SortOrder,
    pub limit: usize,
    #[serde(default)]
    pub offset: usize,
    /// Only messages of these brands (an agent's); `None` searches every brand. `Some` of an
    /// empty list matches nothing.
    #[serde(default)]
    pub brands: Option<Vec<BrandId>>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub message_id: MessageId,
    pub conversation_id: ConversationId,
    pub channel: Channel,
    pub author_handle: Option<String>,
    pub created_at: DateTime<Utc>,
    pub score: f32,
    /// A fragment of the text with matches wrapped in `<mark>…</mark>`; the rest HTML-escaped.
    pub snippet_html: String,
}

/// A page of hits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// How many documents matched in all when `total_is_exact`; otherwise a lower bound (the
    /// index counts exactly only up to a limit, 10,000, and reports "10,000+" past it).
    pub total: usize,
    /// Whether `total` is the exact number of matches rather than a lower bound.
    #[serde(default = "exact_by_default")]
    pub total_is_exact: bool,
    pub hits: Vec<SearchHit>,
}

/// Results from before totals could be bounds carried exact totals.
fn exact_by_default() -> bool {
    true
}

/// Why a search or an index write failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query does not parse; the message says where and why, for the user.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The index on disk cannot be opened or read (corrupt, missing, wrong schema).
    #[error("search index is unusable: {0}")]
    Corrupt(String),
    #[error("search index failure: {0}")]
    Internal(String),
}

/// The full-text index. A projection of the store that can be rebuilt from it at any time.
///
/// Methods block (tantivy does CPU and disk work): call them from `spawn_blocking` or a dedicated
/// thread, never directly on the async runtime.
pub trait SearchIndex: Send + Sync + 'static {
    /// Replaces the documents of `upserts` (by message id), then commits, recording `through` as the
    /// last change-feed sequence reflected. One call is one commit: batch the changes.
    fn apply(&self, upserts: Vec<IndexDoc>, through: Seq) -> Result<(), SearchError>;

    /// The sequence recorded by the last commit; `Seq(0)` for a new index.
    fn committed_seq(&self) -> Result<Seq, SearchError>;

    /// Runs a query against the last committed state.
    fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError>;

    /// Drops every document (before a rebuild). Commits with `Seq(0)`.
    fn clear(&self) -> Result<(), SearchError>;

    /// How many documents the committed state holds.
    fn doc_count(&self) -> Result<u64, SearchError>;
}
