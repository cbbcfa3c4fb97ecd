//! `trellis search`: runs a query against the local index and prints the hits.

use crate::cli::SearchArgs;
use crate::commands::render::{hit_line, Emphasis};
use crate::config::Config;
use anyhow::Context;
use std::io::{IsTerminal, Write};
use trellis_core::SearchRequest;

pub async fn run(config: &Config, args: &SearchArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let mut search = crate::startup::open_search(config, &store).await?;
    search.make_current().await?;
    // The store is the truth: bring the index up to date so a search right after an import (or
    // with no server running to follow the feed) sees everything.
    search.indexer.catch_up().await.context("cannot bring the search index up to date")?;

    let request = SearchRequest {
        query: args.query.clone(),
        sort: args.sort.into(),
        limit: args.limit as usize,
        offset: 0,
    };
    let index = search.index.clone();
    let results = tokio::task::spawn_blocking(move || index.search(&request))
        .await
        .context("search task failed")??;

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &results)?;
        writeln!(out)?;
    } else {
        let emphasis =
            if std::io::stdout().is_terminal() { Emphasis::Ansi } else { Emphasis::Brackets };
        for hit in &results.hits {
            writeln!(out, "{}", hit_line(hit, emphasis))?;
        }
        writeln!(out, "{} of {} matching messages", results.hits.len(), results.total)?;
    }
    Ok(())
}
