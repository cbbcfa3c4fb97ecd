//! Opening what every command needs: the store (connected and migrated) and the search index
//! (rebuilt from the store when it is missing, unusable or out of step).

use crate::config::Config;
use anyhow::Context;
use std::sync::Arc;
use trellis_core::SearchIndex;
use trellis_core::Store;
use trellis_search::{Access, FollowedIndex, Indexer, TantivyIndex};

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
pub type Search = FollowedIndex;

/// Rebuilds the index now if it is stale, with a progress bar on a terminal. For commands that read
/// the index right away; `serve` rebuilds in the background instead.
pub async fn make_current(search: &mut Search) -> anyhow::Result<()> {
    if let Some(reason) = search.stale.take() {
        tracing::info!(reason, "rebuilding search index from the store");
        crate::progress::rebuild_with_bar(&search.indexer).await?;
    }
    Ok(())
}

/// Opens `<data_dir>/index`, creating it if missing, and says whether it must be rebuilt.
pub async fn open_search(config: &Config, store: &Arc<dyn Store>) -> anyhow::Result<Search> {
    ensure_data_dir(config)?;
    let dir = config.index_dir();
    trellis_search::open_following(&dir, store.clone())
        .await
        .with_context(|| format!("cannot open search index {}", dir.display()))
}

/// Opens the index for a command that only reads it (`trellis search`, rule previews), current
/// as far as this process can make it: with the writer free, the index is rebuilt when stale and
/// caught up with the store, as before; while another process (`serve`, `demo`) holds the writer
/// and keeps the index current, it is opened read-only and searched as it is, with a warning when
/// it trails the store.
pub async fn open_search_for_reading(
    config: &Config,
    store: &Arc<dyn Store>,
) -> anyhow::Result<Arc<dyn SearchIndex>> {
    ensure_data_dir(config)?;
    let dir = config.index_dir();
    let open_dir = dir.clone();
    let (index, access) =
        tokio::task::spawn_blocking(move || TantivyIndex::open_for_reading(&open_dir))
            .await
            .context("index open task failed")?
            .with_context(|| format!("cannot open search index {}", dir.display()))?;
    let index: Arc<dyn SearchIndex> = Arc::new(index);
    match access {
        Access::Writable(outcome) => {
            let mut search = FollowedIndex {
                index: index.clone(),
                indexer: Indexer::new(store.clone(), index.clone()),
                stale: trellis_search::staleness(&dir, &outcome, store.as_ref()).await?,
            };
            make_current(&mut search).await?;
            // The store is the truth: bring the index up to date so a search right after an
            // import (or with no server running to follow the feed) sees everything.
            search.indexer.catch_up().await.context("cannot bring the search index up to date")?;
        }
        Access::ReadOnly => {
            let reader = index.clone();
            let indexed = tokio::task::spawn_blocking(move || reader.committed_seq())
                .await
                .context("index read task failed")?
                .context("cannot read the search index")?;
            let latest = store.latest_seq().await?;
            if indexed < latest {
                tracing::warn!(
                    index_seq = %indexed,
                    store_seq = %latest,
                    "the search index is being updated by the running server and trails the store; results may miss the newest messages"
                );
            }
        }
    }
    Ok(index)
}
