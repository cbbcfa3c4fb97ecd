//! Opening the index directory with its writer. The index is a projection of the store, so
//! anything wrong with it (corrupt files, another schema) is answered by setting it aside and
//! starting empty: the indexer then rebuilds it from the change feed. Only a writer lock held by
//! another handle is an error, since wiping an index in use would hurt its owner; so nothing here
//! looks at the index before holding that lock.

use crate::index::{committed_seq, internal, TantivyIndex, WRITER_BUDGET_BYTES};
use crate::schema::Fields;
use std::path::{Path, PathBuf};
use tantivy::directory::error::LockError;
use tantivy::directory::{Directory, DirectoryLock, MmapDirectory, INDEX_WRITER_LOCK};
use tantivy::{Index, ReloadPolicy, TantivyError};
use trellis_core::{SearchError, Seq};

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

/// Why [`open_writable`] failed.
pub(crate) enum OpenError {
    /// Another writer holds the index's lock, in this process or another; the index was not
    /// touched.
    Locked,
    Failed(SearchError),
}

impl From<SearchError> for OpenError {
    fn from(error: SearchError) -> Self {
        OpenError::Failed(error)
    }
}

impl TantivyIndex {
    /// Opens the index in `dir` with its writer, creating the directory and an empty index when
    /// missing, and recreating an empty one (with a warning) when the index there is corrupt or
    /// incompatible. For the process that keeps the index current (`trellis serve`, `reindex`).
    ///
    /// Fails, leaving the index untouched, when another handle holds the writer, in this process
    /// or another: a command that only reads should use [`TantivyIndex::open_for_reading`].
    pub fn open(dir: &Path) -> Result<(TantivyIndex, OpenOutcome), SearchError> {
        open_writable(dir).map_err(|error| match error {
            OpenError::Locked => SearchError::Internal(format!(
                "search index at {} is in use by another writer",
                dir.display()
            )),
            OpenError::Failed(error) => error,
        })
    }
}

/// [`TantivyIndex::open`], telling a busy writer lock apart from other failures.
pub(crate) fn open_writable(dir: &Path) -> Result<(TantivyIndex, OpenOutcome), OpenError> {
    std::fs::create_dir_all(dir).map_err(|error| {
        SearchError::Internal(format!("cannot create index directory {}: {error}", dir.display()))
    })?;
    let mut lock = lock_writer(dir)?;
    let directory = MmapDirectory::open(dir).map_err(internal)?;
    let exists = Index::exists(&directory).map_err(internal)?;
    let (mut index, outcome) = if !exists {
        (create(dir)?, OpenOutcome::Created)
    } else {
        match check_existing(dir) {
            Ok((index, seq)) => (index, OpenOutcome::Opened { committed_seq: seq }),
            Err(reason) => {
                let aside = set_aside(dir)?;
                tracing::warn!(
                    dir = %dir.display(),
                    moved_to = %aside.display(),
                    %reason,
                    "search index is unusable; recreated empty, it will be rebuilt from the store"
                );
                // The lock file went aside with the old index: take the fresh directory's.
                lock = lock_writer(dir)?;
                (create(dir)?, OpenOutcome::Recreated { reason })
            }
        }
    };
    search_in_parallel(&mut index).map_err(internal)?;
    // The writer takes the lock itself, on a file handle of its own that this lock would refuse:
    // hand it over. A writer starting in between makes this open fail as Locked, wiping nothing.
    drop(lock);
    let opened = TantivyIndex::from_index(index, threads(), WRITER_BUDGET_BYTES);
    let opened = opened.map_err(|error| match error {
        TantivyError::LockFailure(LockError::LockBusy, _) => OpenError::Locked,
        other => OpenError::Failed(internal(other)),
    })?;
    Ok((opened, outcome))
}

/// Takes the writer lock of the index directory `dir` (it does not wait).
fn lock_writer(dir: &Path) -> Result<DirectoryLock, OpenError> {
    let directory = MmapDirectory::open(dir).map_err(internal)?;
    directory.acquire_lock(&INDEX_WRITER_LOCK).map_err(|error| match error {
        LockError::LockBusy => OpenError::Locked,
        LockError::IoError(error) => OpenError::Failed(SearchError::Internal(format!(
            "cannot lock search index {}: {error}",
            dir.display()
        ))),
    })
}

/// Indexing threads: half the cores, so merges, searches and the async runtime keep the rest.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).clamp(1, 4))
}

/// Searches spread a query's segments over every core: a broad query over a million messages
/// touches a dozen segments, and one thread per segment roughly halves it on two cores.
pub(crate) fn search_in_parallel(index: &mut Index) -> tantivy::Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if cores > 1 {
        index.set_multithread_executor(cores)?;
    }
    Ok(())
}

fn create(dir: &Path) -> Result<Index, SearchError> {
    let (schema, _) = Fields::schema();
    Index::create_in_dir(dir, schema).map_err(internal)
}

/// Opens the existing index in `dir` and proves it usable, or says why it is not.
fn check_existing(dir: &Path) -> Result<(Index, Seq), String> {
    let unusable = |error: TantivyError| error.to_string();
    let index = Index::open_in_dir(dir).map_err(unusable)?;
    let seq = check_version(&index)?;
    // Reading every file once at start is the price of never serving from a damaged segment.
    let damaged = index.validate_checksum().map_err(unusable)?;
    if !damaged.is_empty() {
        let files: Vec<String> = damaged.iter().map(|path| path.display().to_string()).collect();
        return Err(format!("checksum mismatch in {}", files.join(", ")));
    }
    // A reader over every segment proves the segment files open, not only that they checksum.
    index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into().map_err(unusable)?;
    Ok((index, seq))
}

/// Checks that an opened index is of this version's schema and returns the sequence its last
/// commit records, or says why it cannot be used.
pub(crate) fn check_version(index: &Index) -> Result<Seq, String> {
    let (schema, _) = Fields::schema();
    if index.schema() != schema {
        return Err("index schema differs from this version's".into());
    }
    let metas = index.load_metas().map_err(|error| error.to_string())?;
    committed_seq(metas.payload.as_deref())
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
