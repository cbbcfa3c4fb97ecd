//! `trellis reindex`: rebuilds the search index from the store.

use crate::config::Config;

pub async fn run(config: &Config) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    // Whatever state the index is in, it is rebuilt: no need to check whether it is stale.
    let search = crate::startup::open_search(config, &store).await?;
    let documents = crate::progress::rebuild_with_bar(&search.indexer).await?;
    println!("reindexed {documents} messages");
    Ok(())
}
