//! Opening what every command needs: the store (connected and migrated) and the search index
//! (rebuilt from the store when it is missing, unusable or out of step).

use crate::config::Config;
use anyhow::Context;
use std::sync::Arc;
use trellis_core::{SearchIndex, Store};
use trellis_search::{Indexer, OpenOutcome, TantivyIndex};

/// Connects to the configured database and applies pending migrations. Errors name the database
/// by its URL with the password redacted.
pub async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    let store = connect_store(config).await?;
    store
        .migrate()
        .await
        .with_context(|| format!("cannot migrate database {}", config.redacted_database_url()))?;
    Ok(store)
}

/// Connects without migrating.
pub async fn connect_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    ensure_data_dir(config)?;
    trellis_store::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open database {}", config.redacted_database_url()))
}

fn ensure_data_dir(config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create data dir {}", config.data_dir.display()))
}

/// The search index and the indexer that keeps it following the store.
pub struct Search {
    pub index: Arc<dyn SearchIndex>,
    pub indexer: Indexer,
    /// Why the index cannot be trusted and must be rebuilt before use, if it cannot.
    pub stale: Option<&'static str>,
}

impl Search {
    /// Rebuilds the index now if it is stale, with a progress bar on a terminal. For commands that
    /// read the index right away; `serve` rebuilds in the background instead.
    pub async fn make_current(&mut self) -> anyhow::Result<()> {
        if let Some(reason) = self.stale.take() {
            tracing::info!(reason, "rebuilding search index from the store");
            crate::commands::reindex::rebuild_with_bar(&self.indexer).await?;
        }
        Ok(())
    }
}

/// Opens `<data_dir>/index`, creating it if missing, and says whether it must be rebuilt: the index
/// is a projection of the store, so whenever it cannot be trusted it is rebuilt from the store.
pub async fn open_search(config: &Config, store: &Arc<dyn Store>) -> anyhow::Result<Search> {
    ensure_data_dir(config)?;
    let dir = config.index_dir();
    let open_dir = dir.clone();
    let (index, outcome) = tokio::task::spawn_blocking(move || TantivyIndex::open(&open_dir))
        .await
        .context("index open task failed")?
        .with_context(|| format!("cannot open search index {}", dir.display()))?;
    let index: Arc<dyn SearchIndex> = Arc::new(index);
    let indexer = Indexer::new(store.clone(), index.clone());

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
            (committed_seq > latest).then(|| {
                tracing::warn!(
                    index_seq = %committed_seq,
                    store_seq = %latest,
                    "search index is ahead of the store"
                );
                "ahead of the store"
            })
        }
    };
    Ok(Search { index, indexer, stale })
}
