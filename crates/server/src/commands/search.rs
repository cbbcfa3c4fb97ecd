//! `trellis search`: runs a query against the local index and prints the hits.

use crate::cli::SearchArgs;
use crate::commands::render::{hit_line, Emphasis};
use crate::config::Config;
use anyhow::Context;
use std::io::{IsTerminal, Write};
use trellis_core::{SearchRequest, SearchResults};

pub async fn run(config: &Config, args: &SearchArgs) -> anyhow::Result<()> {
    let store = crate::startup::open_store(config).await?;
    let index = crate::startup::open_search_for_reading(config, &store).await?;

    let request = SearchRequest {
        query: args.query.clone(),
        sort: args.sort.into(),
        limit: args.limit as usize,
        offset: 0,
        brands: None,
    };
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
        writeln!(out, "{} of {} matching messages", results.hits.len(), total_text(&results))?;
    }
    Ok(())
}

/// The total as a user reads it: exact (`42`), or a lower bound with thousands separated
/// (`10,000+`) when the index stopped counting.
fn total_text(results: &SearchResults) -> String {
    if results.total_is_exact {
        return results.total.to_string();
    }
    let digits = results.total.to_string();
    let mut text = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            text.push(',');
        }
        text.push(digit);
    }
    text.push('+');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(total: usize, total_is_exact: bool) -> SearchResults {
        SearchResults { total, total_is_exact, hits: Vec::new() }
    }

    #[test]
    fn an_exact_total_prints_as_the_number() {
        assert_eq!(total_text(&results(12345, true)), "12345");
    }

    #[test]
    fn a_lower_bound_prints_with_separators_and_a_plus() {
        assert_eq!(total_text(&results(10_000, false)), "10,000+");
        assert_eq!(total_text(&results(1_234_567, false)), "1,234,567+");
        assert_eq!(total_text(&results(999, false)), "999+");
    }
}
