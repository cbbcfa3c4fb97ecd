//! Running a search: parse, translate, collect the page (with tantivy's pruning) and a total that
//! is exact up to [`EXACT_TOTAL_LIMIT`], then fetch the page's stored documents and cut snippets.

use crate::count::{CappedCount, EXACT_TOTAL_LIMIT};
use crate::index::{internal, TantivyIndex};
use crate::schema::Fields;
use crate::translate::Translator;
use std::collections::BTreeMap;
use tantivy::collector::TopDocs;
use tantivy::schema::Value;
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Order, Searcher, TantivyDocument, Term};
use trellis_core::query::parse;
use trellis_core::{
    Channel, ConversationId, MessageId, SearchError, SearchHit, SearchRequest, SearchResults,
    SortOrder,
};

/// A page holds at most this many hits, whatever the caller asks.
const MAX_LIMIT: usize = 200;
/// Deep paging costs a heap of `offset + limit` entries; past this, refine the query instead.
const MAX_OFFSET: usize = 10_000;
/// Snippet length in characters.
const SNIPPET_CHARS: usize = 200;

pub(crate) fn run(
    index: &TantivyIndex,
    request: &SearchRequest,
) -> Result<SearchResults, SearchError> {
    let parsed =
        parse(&request.query).map_err(|error| SearchError::InvalidQuery(error.to_string()))?;
    let translated = Translator::new(&index.fields, index.query_tokenizer.clone())
        .translate(&parsed, request.brands.as_deref());
    let searcher = index.reader.searcher();
    let limit = request.limit.min(MAX_LIMIT);
    let offset = request.offset.min(MAX_OFFSET);
    // TopDocs refuses a limit of 0; a count-only request still takes one and drops it.
    let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
    // Without text, every match scores the same: relevance order would be arbitrary.
    let by_relevance = request.sort == SortOrder::Relevance && parsed.has_text();
    // The page and the total are collected apart: an exact count beside TopDocs would make it
    // visit every match, where alone it skips blocks that cannot reach the page.
    let mut page: Vec<(f32, DocAddress)> = if by_relevance {
        searcher.search(&translated.query, &top).map_err(internal)?
    } else {
        let newest = top.order_by_fast_field::<tantivy::DateTime>("created_at", Order::Desc);
        let docs = searcher.search(&translated.query, &newest).map_err(internal)?;
        docs.into_iter().map(|(_, address)| (0.0, address)).collect()
    };
    let total = searcher
        .search(&translated.query, &CappedCount::new(EXACT_TOTAL_LIMIT))
        .map_err(internal)?;
    page.truncate(limit);
    let snippets = Snippets::new(&searcher, &index.fields, &translated.highlight, index)?;
    let hits = page
        .into_iter()
        .map(|(score, address)| {
            let doc: TantivyDocument = searcher.doc(address).map_err(internal)?;
            hit(&index.fields, &doc, score, &snippets)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SearchResults { total: total.count, total_is_exact: total.exact, hits })
}

fn hit(
    fields: &Fields,
    doc: &TantivyDocument,
    score: f32,
    snippets: &Snippets,
) -> Result<SearchHit, SearchError> {
    let corrupt = |what: &str| SearchError::Corrupt(format!("stored document lacks {what}"));
    let i64_of = |field, what: &str| {
        doc.get_first(field).and_then(|value| value.as_i64()).ok_or_else(|| corrupt(what))
    };
    let channel: Channel = doc
        .get_first(fields.channel)
        .and_then(|value| value.as_str())
        .ok_or_else(|| corrupt("channel"))?
        .parse()
        .map_err(|error| SearchError::Corrupt(format!("stored channel: {error}")))?;
    let created_at = doc
        .get_first(fields.created_at)
        .and_then(|value| value.as_datetime())
        .and_then(|at| chrono::DateTime::from_timestamp_micros(at.into_timestamp_micros()))
        .ok_or_else(|| corrupt("created_at"))?;
    let text = doc.get_first(fields.text).and_then(|value| value.as_str()).unwrap_or_default();
    Ok(SearchHit {
        message_id: MessageId(i64_of(fields.message_id, "message_id")?),
        conversation_id: ConversationId(i64_of(fields.conversation_id, "conversation_id")?),
        channel,
        author_handle: doc
            .get_first(fields.author_display)
            .and_then(|value| value.as_str())
            .map(str::to_owned),
        created_at,
        score,
        snippet_html: snippets.html(text),
    })
}

/// Cuts snippets around the query's text terms, or the start of the text when none match.
struct Snippets {
    generator: Option<SnippetGenerator>,
}

impl Snippets {
    fn new(
        searcher: &Searcher,
        fields: &Fields,
        highlight: &[Term],
        index: &TantivyIndex,
    ) -> Result<Self, SearchError> {
        if highlight.is_empty() {
            return Ok(Self { generator: None });
        }
        // Rarer terms weigh more when choosing the fragment, as tantivy's own generator does.
        let mut terms = BTreeMap::new();
        for term in highlight {
            let value = term.value();
            let Some(text) = value.as_str() else { continue };
            let doc_freq = searcher.doc_freq(term).map_err(internal)?;
            terms.insert(text.to_owned(), 1.0 / (1.0 + doc_freq as f32));
        }
        let tokenizer = index.index.tokenizer_for_field(fields.text).map_err(internal)?;
        Ok(Self {
            generator: Some(SnippetGenerator::new(terms, tokenizer, fields.text, SNIPPET_CHARS)),
        })
    }

    fn html(&self, text: &str) -> String {
        if let Some(generator) = &self.generator {
            let mut snippet = generator.snippet(text);
            if !snippet.is_empty() {
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                return snippet.to_html();
            }
        }
        leading_html(text)
    }
}

/// The start of the text, HTML-escaped, cut at a character boundary with an ellipsis.
fn leading_html(text: &str) -> String {
    let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    let mut html = String::with_capacity(cut.len());
    for c in cut.chars() {
        match c {
            '&' => html.push_str("&amp;"),
            '<' => html.push_str("&lt;"),
            '>' => html.push_str("&gt;"),
            '"' => html.push_str("&quot;"),
            '\'' => html.push_str("&#x27;"),
            c => html.push(c),
        }
    }
    html
}
