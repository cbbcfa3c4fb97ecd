//! Opening a node's index together with the indexer that keeps it following the store, and saying
//! whether it must be rebuilt first: the index is a projection of the store, so whenever it cannot
//! be trusted it is rebuilt from the store. `trellis serve` rebuilds in the background, commands
//! that read at once rebuild before reading.

use crate::indexer::{Indexer, IndexerError};
use crate::open::OpenOutcome;
use crate::TantivyIndex;
use std::path::Path;
use std::sync::Arc;
use trellis_core::{SearchIndex, Store};

/// A node's search index and the indexer that keeps it following the store.
pub struct FollowedIndex {
    pub index: Arc<dyn SearchIndex>,
    pub indexer: Indexer,
    /// Why the index cannot be trusted and must be rebuilt before use, if it cannot.
    pub stale: Option<&'static str>,
}

/// Opens the index in `dir` (creating it when missing) and checks it against `store`.
pub async fn open_following(
    dir: &Path,
    store: Arc<dyn Store>,
) -> Result<FollowedIndex, IndexerError> {
    let open_dir = dir.to_owned();
    let (index, outcome) = tokio::task::spawn_blocking(move || TantivyIndex::open(&open_dir))
        .await
        .map_err(|error| IndexerError::Task(error.to_string()))??;
    let index: Arc<dyn SearchIndex> = Arc::new(index);
    let indexer = Indexer::new(store.clone(), index.clone());

    let stale = staleness(dir, &outcome, store.as_ref()).await?;
    Ok(FollowedIndex { index, indexer, stale })
}

/// Why an index just opened with `outcome` must be rebuilt from `store` before use, if it must.
pub async fn staleness(
    dir: &Path,
    outcome: &OpenOutcome,
    store: &dyn Store,
) -> Result<Option<&'static str>, IndexerError> {
    let stale = match outcome {
        OpenOutcome::Recreated { reason } => {
            tracing::warn!(index_dir = %dir.display(), reason = %reason, "search index was unusable and has been recreated");
            Some("recreated")
        }
        OpenOutcome::Created => (store.message_count().await? > 0).then_some("missing"),
        OpenOutcome::Opened { committed_seq } => {
            // An index ahead of the store belongs to another database (the store was replaced or
            // restored from an older backup): its documents cannot be trusted.
            let latest = store.latest_seq().await?;
            (*committed_seq > latest).then(|| {
                tracing::warn!(
                    index_seq = %committed_seq,
                    store_seq = %latest,
                    "search index is ahead of the store"
                );
                "ahead of the store"
            })
        }
    };
    Ok(stale)
}
