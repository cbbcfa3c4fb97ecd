//! A progress bar for rebuilding the search index from the store, on a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;
use trellis_search::Indexer;

/// Clears the index and indexes every message again, showing a progress bar on a terminal.
pub async fn rebuild_with_bar(indexer: &Indexer) -> anyhow::Result<u64> {
    let bar = ProgressBar::with_draw_target(Some(0), draw_target());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {pos}/{len} messages ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    let started = Instant::now();
    let progress = bar.clone();
    let documents = indexer
        .rebuild(&move |done, total| {
            progress.set_length(total);
            progress.set_position(done);
        })
        .await?;
    bar.finish_and_clear();
    // The indexer logs the rebuild itself; the wall-clock time is what an operator compares.
    tracing::debug!(documents, elapsed_ms = started.elapsed().as_millis() as u64, "reindex timing");
    Ok(documents)
}

/// The bar only makes sense on a terminal; in a pipe or a log file it would be noise.
fn draw_target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
