//! Opening the index directory. The index is a projection of the store, so anything wrong with it
//! (corrupt files, another schema) is answered by setting it aside and starting empty: the
//! indexer then rebuilds it from the change feed. Only a lock held by another process is an error,
//! since wiping an index in use would hurt its owner.

use crate::index::{committed_seq, internal, TantivyIndex, WRITER_BUDGET_BYTES};
use crate::schema::Fields;
use std::path::{Path, PathBuf};
use tantivy::directory::MmapDirectory;
use tantivy::{Index, TantivyError};
use trellis_core::{SearchError, SearchIndex, Seq};

/// What [`TantivyIndex::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// There was no index: an empty one was created.
    Created,
    /// An existing index, which reflects the change feed up to `committed_seq`.
    Opened { committed_seq: Seq },
    /// The index was unusable and was replaced by an empty one (at seq 0), to be rebuilt.
    Recreated { reason: String },
}

/// Why an existing index could not be opened.
enum OpenFailure {
    /// Broken or incompatible: recreate.
    Unusable(String),
    /// Not the index's fault (locked by another writer, disk unreadable): report.
    Fatal(SearchError),
}

impl TantivyIndex {
    /// Opens the index in `dir`, creating the directory and an empty index when missing, and
    /// recreating an empty one (with a warning) when the index there is corrupt or incompatible.
    pub fn open(dir: &Path) -> Result<(TantivyIndex, OpenOutcome), SearchError> {
        std::fs::create_dir_all(dir).map_err(|error| {
            SearchError::Internal(format!(
                "cannot create index directory {}: {error}",
                dir.display()
            ))
        })?;
        let directory = MmapDirectory::open(dir).map_err(internal)?;
        let exists = Index::exists(&directory).map_err(internal)?;
        if !exists {
            return Ok((create(dir)?, OpenOutcome::Created));
        }
        match open_existing(dir) {
            Ok((index, seq)) => Ok((index, OpenOutcome::Opened { committed_seq: seq })),
            Err(OpenFailure::Fatal(error)) => Err(error),
            Err(OpenFailure::Unusable(reason)) => {
                let aside = set_aside(dir)?;
                tracing::warn!(
                    dir = %dir.display(),
                    moved_to = %aside.display(),
                    %reason,
                    "search index is unusable; recreated empty, it will be rebuilt from the store"
                );
                Ok((create(dir)?, OpenOutcome::Recreated { reason }))
            }
        }
    }
}

/// Indexing threads: half the cores, so merges, searches and the async runtime keep the rest.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 4))
}

/// Searches spread a query's segments over every core: a broad query over a million messages
/// touches a dozen segments, and one thread per segment roughly halves it on two cores.
fn search_in_parallel(index: &mut Index) -> tantivy::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if cores > 1 {
        index.set_multithread_executor(cores)?;
    }
    Ok(())
}

fn create(dir: &Path) -> Result<TantivyIndex, SearchError> {
    let (schema, _) = Fields::schema();
    let mut index = Index::create_in_dir(dir, schema).map_err(internal)?;
    search_in_parallel(&mut index).map_err(internal)?;
    TantivyIndex::from_index(index, threads(), WRITER_BUDGET_BYTES).map_err(internal)
}

fn open_existing(dir: &Path) -> Result<(TantivyIndex, Seq), OpenFailure> {
    let unusable = |error: TantivyError| OpenFailure::Unusable(error.to_string());
    let mut index = Index::open_in_dir(dir).map_err(unusable)?;
    search_in_parallel(&mut index).map_err(unusable)?;
    let (schema, _) = Fields::schema();
    if index.schema() != schema {
        return Err(OpenFailure::Unusable("index schema differs from this version's".into()));
    }
    let metas = index.load_metas().map_err(unusable)?;
    let seq = committed_seq(metas.payload.as_deref()).map_err(OpenFailure::Unusable)?;
    // Reading every file once at start is the price of never serving from a damaged segment.
    let damaged = index.validate_checksum().map_err(unusable)?;
    if !damaged.is_empty() {
        let files: Vec<String> = damaged.iter().map(|path| path.display().to_string()).collect();
        return Err(OpenFailure::Unusable(format!("checksum mismatch in {}", files.join(", "))));
    }
    let opened = TantivyIndex::from_index(index, threads(), WRITER_BUDGET_BYTES);
    let opened = opened.map_err(|error| match error {
        TantivyError::LockFailure(..) => OpenFailure::Fatal(SearchError::Internal(format!(
            "search index at {} is in use by another process: {error}",
            dir.display()
        ))),
        other => OpenFailure::Unusable(other.to_string()),
    })?;
    // A reader over every segment proves the segment files open, not only that they checksum.
    opened.doc_count().map_err(|error| OpenFailure::Unusable(error.to_string()))?;
    Ok((opened, seq))
}

/// Moves a broken index to `<dir>.corrupt` (replacing an older one) for inspection, falling back to
/// deleting it; leaves `dir` empty.
fn set_aside(dir: &Path) -> Result<PathBuf, SearchError> {
    let mut aside = dir.as_os_str().to_owned();
    aside.push(".corrupt");
    let aside = PathBuf::from(aside);
    let io = |error: std::io::Error| {
        SearchError::Internal(format!("cannot clear index directory {}: {error}", dir.display()))
    };
    if aside.exists() {
        std::fs::remove_dir_all(&aside).map_err(io)?;
    }
    if std::fs::rename(dir, &aside).is_err() {
        std::fs::remove_dir_all(dir).map_err(io)?;
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    Ok(aside)
}
