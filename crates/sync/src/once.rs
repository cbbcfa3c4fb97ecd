//! `trellis sync --once`: every active account polled once, each stream followed until it has
//! nothing more waiting (within a bound), then a summary per account.

use crate::ingest::add_outcome;
use crate::poll::{poll_account, AccountPoll, PollScope};
use crate::SyncContext;
use chrono::Utc;
use trellis_core::{Account, AccountStatus, IngestOutcome, StoreResult};

/// How one account's sync ended.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountSync {
    pub account: Account,
    pub outcome: SyncOutcome,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SyncOutcome {
    /// Polled `rounds` times; `more` when the round bound stopped it with more waiting.
    Synced {
        ingested: IngestOutcome,
        refused: usize,
        rounds: u32,
        more: bool,
        /// Each stream's last error, `stream: reason`.
        errors: Vec<String>,
    },
    /// Not polled: paused or waiting for re-authorization.
    Skipped { status: AccountStatus },
    /// Another node holds the polling lease.
    LeasedElsewhere,
    /// The platform refused the token during this sync.
    NeedsReauth { reason: String },
    /// The credentials could not be opened or refreshed.
    NoAccess { error: String },
}

/// Polls every account once, taking each account's lease as `owner` for the duration so a
/// running `trellis serve` node does not poll it at the same time.
pub async fn sync_once(
    ctx: &SyncContext,
    owner: &str,
    max_rounds: u32,
) -> StoreResult<Vec<AccountSync>> {
    let accounts = ctx.store.list_accounts().await?;
    let mut results = Vec::with_capacity(accounts.len());
    for account in accounts {
        let lease_ttl = chrono::Duration::minutes(10);
        if !ctx.store.acquire_lease(account.id, owner, Utc::now(), lease_ttl).await? {
            results.push(AccountSync { account, outcome: SyncOutcome::LeasedElsewhere });
            continue;
        }
        let outcome = sync_account(ctx, &account, max_rounds).await;
        if let Err(error) = ctx.store.release_lease(account.id, owner).await {
            tracing::warn!(account_id = %account.id, error = %error, "cannot release the polling lease");
        }
        results.push(AccountSync { account, outcome: outcome? });
    }
    Ok(results)
}

async fn sync_account(
    ctx: &SyncContext,
    account: &Account,
    max_rounds: u32,
) -> StoreResult<SyncOutcome> {
    let mut ingested = IngestOutcome::default();
    let mut refused = 0;
    let mut rounds = 0;
    let mut more = true;
    let mut scope = PollScope::default();
    let mut errors = Vec::new();
    while more && rounds < max_rounds.max(1) {
        rounds += 1;
        match poll_account(ctx, account, &scope).await? {
            AccountPoll::Polled { streams, .. } => {
                errors.clear();
                let waiting: Vec<String> =
                    streams.iter().filter(|s| s.more).map(|s| s.stream.clone()).collect();
                for stream in streams {
                    add_outcome(&mut ingested, stream.outcome);
                    refused += stream.refused;
                    if let Some(error) = stream.error {
                        errors.push(format!("{}: {error}", stream.stream));
                    }
                }
                more = !waiting.is_empty();
                // Only the streams with more waiting go round again.
                scope = PollScope { streams: Some(waiting), others_due: None };
            }
            AccountPoll::Inactive { status } => return Ok(SyncOutcome::Skipped { status }),
            AccountPoll::NeedsReauth { reason } => return Ok(SyncOutcome::NeedsReauth { reason }),
            AccountPoll::NoAccess { error, .. } => return Ok(SyncOutcome::NoAccess { error }),
        }
    }
    Ok(SyncOutcome::Synced { ingested, refused, rounds, more, errors })
}

/// Delivers every outbox entry due now, once each, through the worker's own pass
/// ([`crate::outbox::deliver_due`]); returns each entry as its delivery left it. An entry queued
/// again for a retry waits for the next run (or a running worker).
pub async fn deliver_outbox_once(
    ctx: &SyncContext,
    owner: &str,
) -> StoreResult<Vec<trellis_core::OutboxItem>> {
    let settings = crate::outbox::OutboxSettings::new(owner.to_owned());
    let never = tokio_util::sync::CancellationToken::new();
    let mut delivered = Vec::new();
    crate::outbox::deliver_due(ctx, &settings, Utc::now(), &never, |item| {
        delivered.push(item.clone());
    })
    .await?;
    Ok(delivered)
}
