//! The tantivy schema: which message and conversation fields are searchable how, and how an
//! [`IndexDoc`] becomes a tantivy document.
//!
//! Filter fields are untokenized keywords without positions or frequencies (cheap term lookups);
//! only `text` and `subject` carry positions, for phrases. `created_at` is a fast field so range
//! filters and newest-first sorting read columns instead of stored documents.

use crate::analysis::INDEX_TOKENIZER;
use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema,
    TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::{DateTime, TantivyDocument};
use trellis_core::IndexDoc;

/// Bumped whenever the schema or the analysis changes in a way that old indexes cannot serve; an
/// index with another version is recreated and rebuilt from the store.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// The keyword stored for "no assignee" and "no team".
pub(crate) const NONE: &str = "none";

#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub message_id: Field,
    pub conversation_id: Field,
    pub account_id: Field,
    pub brand_id: Field,
    pub channel: Field,
    pub kind: Field,
    pub direction: Field,
    pub status: Field,
    pub priority: Field,
    pub assignee: Field,
    pub team: Field,
    pub tags: Field,
    /// The author's handle folded to lowercase, for `from:`.
    pub author: Field,
    /// The author's handle as displayed, returned with hits.
    pub author_display: Field,
    pub subject: Field,
    pub text: Field,
    pub created_at: Field,
    pub deleted: Field,
}

impl Fields {
    pub(crate) fn schema() -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let analyzed = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(INDEX_TOKENIZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let id = NumericOptions::default().set_indexed();
        let fields = Fields {
            message_id: builder.add_i64_field("message_id", id.clone().set_stored()),
            conversation_id: builder.add_i64_field("conversation_id", STORED),
            account_id: builder.add_i64_field("account_id", id.clone()),
            brand_id: builder.add_i64_field("brand_id", id),
            channel: builder.add_text_field("channel", STRING | STORED),
            kind: builder.add_text_field("kind", STRING),
            direction: builder.add_text_field("direction", STRING),
            status: builder.add_text_field("status", STRING),
            priority: builder.add_text_field("priority", STRING),
            assignee: builder.add_text_field("assignee", STRING),
            team: builder.add_text_field("team", STRING),
            tags: builder.add_text_field("tags", STRING),
            author: builder.add_text_field("author", STRING),
            author_display: builder.add_text_field("author_display", STORED),
            subject: builder.add_text_field("subject", analyzed.clone()),
            text: builder.add_text_field("text", analyzed.set_stored()),
            created_at: builder.add_date_field(
                "created_at",
                DateOptions::default()
                    .set_indexed()
                    .set_fast()
                    .set_stored()
                    .set_precision(DateTimePrecision::Microseconds),
            ),
            deleted: builder.add_bool_field("deleted", NumericOptions::default().set_indexed()),
        };
        (builder.build(), fields)
    }

    pub(crate) fn document(&self, doc: &IndexDoc) -> TantivyDocument {
        let mut out = TantivyDocument::new();
        out.add_i64(self.message_id, doc.message_id.0);
        out.add_i64(self.conversation_id, doc.conversation_id.0);
        out.add_i64(self.account_id, doc.account_id.0);
        out.add_i64(self.brand_id, doc.brand_id.0);
        out.add_text(self.channel, doc.channel.as_str());
        out.add_text(self.kind, doc.kind.as_str());
        out.add_text(self.direction, doc.direction.as_str());
        out.add_text(self.status, doc.status.as_str());
        out.add_text(self.priority, doc.priority.as_str());
        out.add_text(self.assignee, keyword_id(doc.assignee_id.map(|id| id.0)));
        out.add_text(self.team, keyword_id(doc.team_id.map(|id| id.0)));
        for tag in &doc.tags {
            out.add_text(self.tags, tag.as_str());
        }
        if let Some(handle) = &doc.author_handle {
            let handle = handle.trim_start_matches('@');
            out.add_text(self.author, handle.to_lowercase());
            out.add_text(self.author_display, handle);
        }
        if let Some(subject) = &doc.subject {
            out.add_text(self.subject, subject);
        }
        out.add_text(self.text, &doc.text);
        out.add_date(self.created_at, date(doc.created_at));
        out.add_bool(self.deleted, doc.deleted);
        out
    }
}

/// An optional id as a keyword: its digits, or [`NONE`].
pub(crate) fn keyword_id(id: Option<i64>) -> String {
    id.map_or_else(|| NONE.to_owned(), |id| id.to_string())
}

pub(crate) fn date(at: chrono::DateTime<chrono::Utc>) -> DateTime {
    DateTime::from_timestamp_micros(at.timestamp_micros())
}
