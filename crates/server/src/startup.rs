//! Opening what every command needs: the store (connected and migrated) and the search index
//! (rebuilt from the store when it is missing, unusable or out of step).

use crate::config::Config;
use anyhow::Context;
use std::sync::Arc;
use trellis_core::Store;
use trellis_search::FollowedIndex;

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
