//! Full-text search for trellis: a tantivy index that is a projection of the store, kept current by
//! an [`Indexer`] following the change feed, queried in the trellis query language
//! (docs/query-language.md).

pub mod analysis;
mod count;
mod deleted;
mod following;
mod index;
mod indexer;
mod open;
mod read_only;
mod schema;
mod search;
mod translate;

pub use count::EXACT_TOTAL_LIMIT;
pub use following::{open_following, staleness, FollowedIndex};
pub use index::TantivyIndex;
pub use indexer::{Indexer, IndexerError};
pub use open::OpenOutcome;
pub use read_only::Access;
