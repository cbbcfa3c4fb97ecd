//! Checking a burst instead of assuming it: every generated message is stored once on its
//! platform's account, every stored message that is not deleted on its platform is found by
//! search (deleted ones are kept for the record but never match), and known messages are found
//! by searching for their words.

use super::platforms::{Generated, KnownMessage};
use super::trellis::Trellis;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{
    AccountId, MessageId, SearchIndex, SearchRequest, SearchResults, SortOrder, Store,
};

/// Index documents read per page of the store scan.
const SCAN_PAGE: u32 = 5_000;
/// Hits per page, and pages at most, when looking for one known message among its matches.
const HITS_PER_PAGE: usize = 100;
const MAX_PAGES: usize = 50;

/// What the checks found, per platform.
#[derive(Debug, Clone, Serialize)]
pub struct Verified {
    pub platform: String,
    pub generated: u64,
    pub stored: u64,
    /// Stored messages their platform has deleted since (they do not match searches).
    pub deleted: u64,
    /// Documents an `account:` search matches.
    pub searchable: u64,
    /// Known messages searched for by their words, and found.
    pub known_found: usize,
}

/// Runs every check; an error names the first that failed.
pub async fn verify(trellis: &Trellis, generated: &[Generated]) -> anyhow::Result<Vec<Verified>> {
    let stored = stored_per_account(&trellis.store).await?;
    let total: u64 = stored.values().map(|count| count.stored).sum();
    let message_count = trellis.store.message_count().await?;
    anyhow::ensure!(
        total == message_count,
        "the store counts {message_count} messages but its documents number {total}"
    );
    let mut verified = Vec::with_capacity(generated.len());
    for platform in generated {
        let account = trellis.account(platform.channel)?.id;
        let expected = platform.ids.len() as u64;
        let Counts { stored: count, deleted } = stored.get(&account).copied().unwrap_or_default();
        anyhow::ensure!(
            count == expected,
            "{} generated {expected} messages but {count} were stored",
            platform.channel
        );
        let searchable = search(&trellis.search.index, &format!("account:{account}"), 0).await?;
        anyhow::ensure!(
            searchable.total as u64 == count - deleted,
            "{} has {count} messages stored, {deleted} of them deleted, but {} searchable",
            platform.channel,
            searchable.total
        );
        anyhow::ensure!(!platform.known.is_empty(), "{} has no known message", platform.channel);
        for known in &platform.known {
            find_known(trellis, account, known).await?;
        }
        verified.push(Verified {
            platform: platform.channel.to_string(),
            generated: expected,
            stored: count,
            deleted,
            searchable: searchable.total as u64,
            known_found: platform.known.len(),
        });
    }
    Ok(verified)
}

/// One account's stored messages, and how many of them are deleted.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    stored: u64,
    deleted: u64,
}

/// Stored messages per account, from a scan of the store's index documents.
async fn stored_per_account(store: &Arc<dyn Store>) -> anyhow::Result<HashMap<AccountId, Counts>> {
    let mut counts = HashMap::new();
    let mut after = MessageId(0);
    loop {
        let page = store.scan_index_docs(after, SCAN_PAGE).await?;
        for doc in &page {
            let counts: &mut Counts = counts.entry(doc.account_id).or_default();
            counts.stored += 1;
            counts.deleted += u64::from(doc.deleted);
        }
        match page.last() {
            Some(last) if page.len() == SCAN_PAGE as usize => after = last.message_id,
            _ => return Ok(counts),
        }
    }
}

/// Searches the account for the plain words of a known message and pages through the matches
/// until that very message (by its platform id) is among them.
async fn find_known(
    trellis: &Trellis,
    account: AccountId,
    known: &KnownMessage,
) -> anyhow::Result<()> {
    let words = plain_words(&known.text);
    anyhow::ensure!(!words.is_empty(), "known message {} has no plain word", known.platform_id);
    let query = format!("account:{account} {}", words.join(" "));
    for page in 0..MAX_PAGES {
        let found = search(&trellis.search.index, &query, page * HITS_PER_PAGE).await?;
        for hit in &found.hits {
            let message = trellis.store.get_message(hit.message_id).await?;
            if message.platform_id.as_str() == known.platform_id {
                return Ok(());
            }
        }
        if found.hits.len() < HITS_PER_PAGE {
            break;
        }
    }
    anyhow::bail!("searching {query:?} did not find message {}", known.platform_id)
}

/// Up to six words of letters and digits only (no handles, hashtags or punctuation), as a person
/// would type them into the search box.
pub(crate) fn plain_words(text: &str) -> Vec<&str> {
    text.split_whitespace()
        .filter(|word| word.chars().count() >= 3 && word.chars().all(char::is_alphanumeric))
        .take(6)
        .collect()
}

async fn search(
    index: &Arc<dyn SearchIndex>,
    query: &str,
    offset: usize,
) -> anyhow::Result<SearchResults> {
    let index = index.clone();
    let request = SearchRequest {
        query: query.to_owned(),
        sort: SortOrder::Newest,
        limit: HITS_PER_PAGE,
        offset,
        brands: None,
    };
    Ok(tokio::task::spawn_blocking(move || index.search(&request)).await??)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_leave_out_handles_numbers_with_signs_and_short_words() {
        let words = plain_words("@acme my order #4821 still hasn't shipped 😤 Lieferung verspätet");
        assert_eq!(words, ["order", "still", "shipped", "Lieferung", "verspätet"]);
    }
}
