//! [`ExcludeDeleted`]: a query's matches minus the messages marked deleted.
//!
//! A `MustNot` clause would do the same, but tantivy then wraps the query in an exclusion scorer
//! and top-k collection loses block-max pruning: every match gets visited and scored. Filtering
//! deleted documents inside the weight instead keeps the positive query's own pruning (a single
//! word searched in text and subject is a union of term scorers, which tantivy prunes with
//! block-max WAND) and costs one short postings list per segment.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TantivyError, Term, TERMINATED};

/// Matches what `positive` matches, except documents holding the `deleted` term.
#[derive(Debug)]
pub(crate) struct ExcludeDeleted {
    positive: Box<dyn Query>,
    deleted: Term,
}

impl ExcludeDeleted {
    pub(crate) fn new(positive: Box<dyn Query>, deleted: Term) -> Self {
        Self { positive, deleted }
    }
}

impl Clone for ExcludeDeleted {
    fn clone(&self) -> Self {
        Self { positive: self.positive.box_clone(), deleted: self.deleted.clone() }
    }
}

impl Query for ExcludeDeleted {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(ExcludeDeletedWeight {
            positive: self.positive.weight(enable_scoring)?,
            deleted: self.deleted.clone(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.positive.query_terms(visitor);
    }
}

struct ExcludeDeletedWeight {
    positive: Box<dyn Weight>,
    deleted: Term,
}

impl ExcludeDeletedWeight {
    /// The segment's documents holding the deleted term.
    fn deleted_docs(&self, reader: &SegmentReader) -> tantivy::Result<DocBits> {
        let inverted = reader.inverted_index(self.deleted.field())?;
        let Some(mut postings) = inverted.read_postings(&self.deleted, IndexRecordOption::Basic)?
        else {
            return Ok(DocBits::default());
        };
        let mut docs = DocBits::with_max_doc(reader.max_doc());
        let mut doc = postings.doc();
        while doc != TERMINATED {
            docs.insert(doc);
            doc = postings.advance();
        }
        Ok(docs)
    }
}

impl Weight for ExcludeDeletedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.positive.scorer(reader, boost)?;
        let deleted = self.deleted_docs(reader)?;
        if deleted.is_empty() {
            return Ok(inner);
        }
        Ok(Box::new(SkipDeleted::new(inner, deleted)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.deleted_docs(reader)?.contains(doc) {
            return Err(TantivyError::InvalidArgument(format!("document {doc} is deleted")));
        }
        self.positive.explain(reader, doc)
    }

    fn for_each_pruning(
        &self,
        threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let deleted = self.deleted_docs(reader)?;
        if deleted.is_empty() {
            return self.positive.for_each_pruning(threshold, reader, callback);
        }
        let mut current = threshold;
        self.positive.for_each_pruning(threshold, reader, &mut |doc, score| {
            if !deleted.contains(doc) {
                current = callback(doc, score);
            }
            current
        })
    }
}

/// A scorer that steps over deleted documents.
struct SkipDeleted {
    inner: Box<dyn Scorer>,
    deleted: DocBits,
}

impl SkipDeleted {
    fn new(inner: Box<dyn Scorer>, deleted: DocBits) -> Self {
        let mut scorer = Self { inner, deleted };
        scorer.skip_from(scorer.inner.doc());
        scorer
    }

    fn is_deleted(&self, doc: DocId) -> bool {
        self.deleted.contains(doc)
    }

    /// Advances from `doc` to the first document at or after it that is not deleted.
    fn skip_from(&mut self, mut doc: DocId) -> DocId {
        while doc != TERMINATED && self.is_deleted(doc) {
            doc = self.inner.advance();
        }
        doc
    }
}

impl DocSet for SkipDeleted {
    fn advance(&mut self) -> DocId {
        let doc = self.inner.advance();
        self.skip_from(doc)
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.inner.seek(target);
        self.skip_from(doc)
    }

    fn doc(&self) -> DocId {
        self.inner.doc()
    }

    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for SkipDeleted {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

/// A set of a segment's documents, one bit each: membership is checked for every match.
#[derive(Default)]
struct DocBits {
    words: Vec<u64>,
    len: usize,
}

impl DocBits {
    fn with_max_doc(max_doc: DocId) -> Self {
        Self { words: vec![0; (max_doc as usize).div_ceil(64)], len: 0 }
    }

    fn insert(&mut self, doc: DocId) {
        if let Some(word) = self.words.get_mut(doc as usize / 64) {
            *word |= 1 << (doc % 64);
            self.len += 1;
        }
    }

    fn contains(&self, doc: DocId) -> bool {
        self.words.get(doc as usize / 64).is_some_and(|word| word & (1 << (doc % 64)) != 0)
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}
