//! `trellis import FILE`: loads a JSON Lines file (or stdin) into the store, then catches the
//! search index up so the messages are searchable at once.

use crate::cli::ImportArgs;
use crate::config::Config;
use crate::import::{import, ImportOptions, ImportSummary, Rejection};
use anyhow::Context;
use std::path::Path;
use tokio::io::{AsyncBufRead, BufReader};

/// What the command reports back to `main` for the exit code.
pub enum ImportResult {
    /// At least one line was accepted, or the input had no lines at all.
    Done(ImportSummary),
    /// Every line was rejected: almost certainly the wrong file.
    NothingAccepted(ImportSummary),
}

pub async fn run(config: &Config, args: &ImportArgs) -> anyhow::Result<ImportResult> {
    // Open the input first: an unreadable file should fail before touching the database.
    let input = open_input(&args.file).await?;
    let store = crate::startup::open_store(config).await?;
    let mut search = crate::startup::open_search(config, &store).await?;
    crate::startup::make_current(&mut search).await?;

    let options = ImportOptions { brand: args.brand.clone(), ..ImportOptions::default() };
    let mut report = |rejection: &Rejection| {
        eprintln!("line {}: rejected: {}", rejection.line, rejection.reason);
    };
    let summary = import(store.clone(), input, &options, &mut report)
        .await
        .with_context(|| format!("import of {} stopped", args.file.display()))?;

    let seq =
        search.indexer.catch_up().await.context("cannot bring the search index up to date")?;
    tracing::info!(index_seq = %seq, "search index caught up");

    println!("{}", summary_line(&summary));
    if summary.lines > 0 && summary.accepted() == 0 {
        Ok(ImportResult::NothingAccepted(summary))
    } else {
        Ok(ImportResult::Done(summary))
    }
}

async fn open_input(path: &Path) -> anyhow::Result<Box<dyn AsyncBufRead + Unpin + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(BufReader::new(tokio::io::stdin())));
    }
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Box::new(BufReader::with_capacity(256 * 1024, file)))
}

/// `imported 998 lines: 990 new, 3 updated, 5 unchanged, 2 rejected (1 account created)`
pub fn summary_line(summary: &ImportSummary) -> String {
    let mut line = format!(
        "read {} lines: {} new, {} updated, {} unchanged, {} rejected",
        summary.lines, summary.inserted, summary.updated, summary.unchanged, summary.rejected
    );
    if summary.accounts_created > 0 {
        let plural = if summary.accounts_created == 1 { "" } else { "s" };
        line.push_str(&format!(" ({} account{plural} created)", summary.accounts_created));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_every_count() {
        let summary = ImportSummary {
            lines: 10,
            inserted: 6,
            updated: 1,
            unchanged: 2,
            rejected: 1,
            accounts_created: 1,
        };
        assert_eq!(
            summary_line(&summary),
            "read 10 lines: 6 new, 1 updated, 2 unchanged, 1 rejected (1 account created)"
        );
    }
}
