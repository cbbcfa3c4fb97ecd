//! [`TantivyIndex`]: the [`SearchIndex`] implementation. One long-lived writer behind a mutex, a
//! manually reloaded reader, and the change-feed sequence recorded in each commit's payload so the
//! index and its position in the feed can never disagree. Opened read-only, it has no writer and
//! its reader follows the commits of the process that has.

use crate::analysis::{Mode, SocialTokenizer, INDEX_TOKENIZER};
use crate::schema::{Fields, SCHEMA_VERSION};
use serde::{Deserialize, Serialize};
use std::sync::{Mutex, MutexGuard};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};
use trellis_core::{IndexDoc, SearchError, SearchIndex, SearchRequest, SearchResults, Seq};

/// Writer memory budget on disk: large batches (a rebuild) flush fewer, bigger segments.
pub(crate) const WRITER_BUDGET_BYTES: usize = 96 * 1024 * 1024;
/// In memory (tests), a small budget and one thread keep many indexes cheap.
const IN_MEMORY_BUDGET_BYTES: usize = 20 * 1024 * 1024;

/// What each commit records, as JSON in tantivy's commit payload.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CommitPayload {
    pub schema_version: u32,
    pub seq: i64,
}

/// The tantivy full-text index. Methods block: call them from `spawn_blocking`.
pub struct TantivyIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    /// `None` when opened read-only: another handle, usually in another process, owns the
    /// index's one writer.
    writer: Option<Mutex<IndexWriter<TantivyDocument>>>,
    pub(crate) fields: Fields,
    pub(crate) query_tokenizer: SocialTokenizer,
}

impl std::fmt::Debug for TantivyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivyIndex").finish_non_exhaustive()
    }
}

impl TantivyIndex {
    /// An empty index held in memory, for tests.
    pub fn in_memory() -> Result<TantivyIndex, SearchError> {
        let (schema, _) = Fields::schema();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, 1, IN_MEMORY_BUDGET_BYTES).map_err(internal)
    }

    /// Wraps an opened tantivy index: registers the analyzer, opens the writer (taking the
    /// directory's writer lock) and the reader.
    pub(crate) fn from_index(
        index: Index,
        threads: usize,
        budget: usize,
    ) -> tantivy::Result<TantivyIndex> {
        // Before the writer: its indexing threads look the analyzer up.
        register_analyzer(&index);
        let writer = index.writer_with_num_threads(threads, budget)?;
        // Only this handle commits, and `commit` reloads the reader right after.
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(Self::assemble(index, reader, Some(writer)))
    }

    /// Wraps an opened tantivy index without a writer, so without taking the writer lock.
    pub(crate) fn read_only_from_index(index: Index) -> tantivy::Result<TantivyIndex> {
        register_analyzer(&index);
        // Another process commits: tantivy watches meta.json and reloads within about half a
        // second of each commit, so a long-lived handle keeps up.
        let reader =
            index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        Ok(Self::assemble(index, reader, None))
    }

    fn assemble(
        index: Index,
        reader: IndexReader,
        writer: Option<IndexWriter<TantivyDocument>>,
    ) -> TantivyIndex {
        let (_, fields) = Fields::schema();
        TantivyIndex {
            index,
            reader,
            writer: writer.map(Mutex::new),
            fields,
            query_tokenizer: SocialTokenizer::new(Mode::Query),
        }
    }

    /// Whether this handle only reads: opened by [`TantivyIndex::open_read_only`], or by
    /// [`TantivyIndex::open_for_reading`] while another handle held the writer. Its
    /// [`SearchIndex::apply`] and [`SearchIndex::clear`] return an error.
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter<TantivyDocument>>, SearchError> {
        let Some(writer) = &self.writer else {
            return Err(SearchError::Internal(
                "search index is open read-only: only the process holding its writer can change it"
                    .into(),
            ));
        };
        writer.lock().map_err(|_| SearchError::Internal("index writer lock poisoned".into()))
    }

    /// Commits what the writer holds with `through` in the payload, then makes it searchable. On
    /// failure the uncommitted operations are rolled back so the next batch starts clean.
    fn commit(
        &self,
        writer: &mut IndexWriter<TantivyDocument>,
        through: Seq,
    ) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&CommitPayload {
            schema_version: SCHEMA_VERSION,
            seq: through.0,
        })
        .map_err(internal)?;
        let committed = writer.prepare_commit().and_then(|mut prepared| {
            prepared.set_payload(&payload);
            prepared.commit()
        });
        if let Err(error) = committed {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(error = %rollback, "search index rollback failed");
            }
            return Err(internal(error));
        }
        self.reader.reload().map_err(internal)
    }
}

impl SearchIndex for TantivyIndex {
    fn apply(&self, upserts: Vec<IndexDoc>, through: Seq) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        for doc in &upserts {
            // A delete only removes documents added before it, so delete-then-add is a replace.
            writer.delete_term(Term::from_field_i64(self.fields.message_id, doc.message_id.0));
            if let Err(error) = writer.add_document(self.fields.document(doc)) {
                if let Err(rollback) = writer.rollback() {
                    tracing::error!(error = %rollback, "search index rollback failed");
                }
                return Err(internal(error));
            }
        }
        self.commit(&mut writer, through)
    }

    /// Read from meta.json on disk, so a read-only handle sees the writer's latest commit.
    fn committed_seq(&self) -> Result<Seq, SearchError> {
        let metas = self.index.load_metas().map_err(internal)?;
        let seq = committed_seq(metas.payload.as_deref()).map_err(SearchError::Corrupt)?;
        if self.is_read_only() {
            // The reader may still lag the commit just read by up to its watch delay; reloading
            // after reading the payload means searches from now on reflect at least `seq`.
            self.reader.reload().map_err(internal)?;
        }
        Ok(seq)
    }

    fn search(&self, request: &SearchRequest) -> Result<SearchResults, SearchError> {
        crate::search::run(self, request)
    }

    fn clear(&self) -> Result<(), SearchError> {
        let mut writer = self.writer()?;
        writer.delete_all_documents().map_err(internal)?;
        self.commit(&mut writer, Seq(0))
    }

    fn doc_count(&self) -> Result<u64, SearchError> {
        Ok(self.reader.searcher().num_docs())
    }
}

fn register_analyzer(index: &Index) {
    index
        .tokenizers()
        .register(INDEX_TOKENIZER, TextAnalyzer::from(SocialTokenizer::new(Mode::Index)));
}

/// The sequence in a commit payload: `Seq(0)` before the first commit, an error for a payload of
/// another schema version or one that does not parse.
pub(crate) fn committed_seq(payload: Option<&str>) -> Result<Seq, String> {
    let Some(payload) = payload else { return Ok(Seq(0)) };
    let payload: CommitPayload = serde_json::from_str(payload)
        .map_err(|error| format!("unreadable commit payload: {error}"))?;
    if payload.schema_version != SCHEMA_VERSION {
        return Err(format!(
            "index schema version {} differs from {SCHEMA_VERSION}",
            payload.schema_version
        ));
    }
    Ok(Seq(payload.seq))
}

pub(crate) fn internal(error: impl std::fmt::Display) -> SearchError {
    SearchError::Internal(error.to_string())
}
