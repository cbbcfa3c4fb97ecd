//! Opening the index only to read it, beside the process that writes it. tantivy allows one writer
//! per index directory, held through a lock file; readers need no lock, and a reader in another
//! process sees each new commit once it reloads. So `trellis search` and rule previews can run
//! while `trellis serve` holds the writer, and beside each other.

use crate::index::{internal, TantivyIndex};
use crate::open::{check_version, open_writable, search_in_parallel, OpenError, OpenOutcome};
use std::path::Path;
use tantivy::directory::error::OpenDirectoryError;
use tantivy::directory::MmapDirectory;
use tantivy::Index;
use trellis_core::SearchError;

/// How [`TantivyIndex::open_for_reading`] opened the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Nobody held the writer, so this handle took it, exactly as [`TantivyIndex::open`] does:
    /// the outcome says whether the index was opened, created or recreated, and bringing it up to
    /// date with the store (rebuild, catch up) is the caller's job.
    Writable(OpenOutcome),
    /// Another handle holds the writer (usually `trellis serve`, whose indexer keeps the index
    /// current): this one only reads and follows that writer's commits. Writing through it fails;
    /// compare [`SearchIndex::committed_seq`](trellis_core::SearchIndex::committed_seq) with the
    /// store to tell how far behind the index is.
    ReadOnly,
}

impl TantivyIndex {
    /// Opens the existing index in `dir` to read it only, without taking the writer lock, so it
    /// works while another process (or another handle in this one) holds the writer, and beside
    /// any number of other readers.
    ///
    /// Searches see the writer's commits within about half a second of each, and
    /// [`SearchIndex::committed_seq`](trellis_core::SearchIndex::committed_seq) reads the latest
    /// commit from disk. [`SearchIndex::apply`](trellis_core::SearchIndex::apply) and
    /// [`SearchIndex::clear`](trellis_core::SearchIndex::clear) return an error and change
    /// nothing.
    ///
    /// Never creates, recreates or repairs the index, which would pull it from under its writer:
    /// a missing directory or one without an index is [`SearchError::Corrupt`] saying there is no
    /// index yet, and so is an index that cannot be opened or is of another schema version. Unlike
    /// [`TantivyIndex::open`] it does not verify every file's checksum: the writer did when it
    /// opened the index, and a command answering one query should not read the whole index first.
    pub fn open_read_only(dir: &Path) -> Result<TantivyIndex, SearchError> {
        let missing =
            || SearchError::Corrupt(format!("there is no search index in {} yet", dir.display()));
        let directory = MmapDirectory::open(dir).map_err(|error| match error {
            OpenDirectoryError::DoesNotExist(_) => missing(),
            other => internal(other),
        })?;
        if !Index::exists(&directory).map_err(internal)? {
            return Err(missing());
        }
        let corrupt = |error: String| {
            SearchError::Corrupt(format!("search index in {}: {error}", dir.display()))
        };
        let mut index = Index::open(directory).map_err(|error| corrupt(error.to_string()))?;
        check_version(&index).map_err(corrupt)?;
        search_in_parallel(&mut index).map_err(internal)?;
        TantivyIndex::read_only_from_index(index).map_err(|error| corrupt(error.to_string()))
    }

    /// Opens the index in `dir` for a command that only reads it (`trellis search`, rule
    /// previews): with the writer when nobody holds it, as [`TantivyIndex::open`] does, so the
    /// command can bring the index up to date itself; read-only, as
    /// [`TantivyIndex::open_read_only`] does, when (and only when) another handle holds the
    /// writer, which then keeps the index current. Any other failure is returned as is.
    ///
    /// `trellis serve` and other commands that must write keep using [`TantivyIndex::open`].
    pub fn open_for_reading(dir: &Path) -> Result<(TantivyIndex, Access), SearchError> {
        match open_writable(dir) {
            Ok((index, outcome)) => Ok((index, Access::Writable(outcome))),
            Err(OpenError::Locked) => {
                tracing::debug!(
                    dir = %dir.display(),
                    "search index writer is held elsewhere; opening it read-only"
                );
                Ok((TantivyIndex::open_read_only(dir)?, Access::ReadOnly))
            }
            Err(OpenError::Failed(error)) => Err(error),
        }
    }
}
