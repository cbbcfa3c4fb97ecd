//! Full-text search for trellis: a tantivy index that is a projection of the store, kept current by
//! an [`Indexer`] following the change feed, queried in the trellis query language.

pub mod analysis;
