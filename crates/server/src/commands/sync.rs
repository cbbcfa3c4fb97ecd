//! `trellis sync --once`: poll every connected account once, print what each brought, deliver
//! the outbox entries due (unless `--no-deliver`), print how each went, exit.

use crate::cli::SyncArgs;
use crate::config::Config;
use anyhow::Context;
use trellis_sync::once::{deliver_outbox_once, sync_once, AccountSync, SyncOutcome};
use trellis_sync::SyncContext;

/// Runs one sync of every account, then one delivery of the outbox. `Ok(false)` when some account
/// did not sync cleanly (a platform error, a refused token) or an entry failed for good: the
/// summary says which and why.
pub async fn run(config: &Config, args: &SyncArgs) -> anyhow::Result<bool> {
    let store = crate::startup::open_store(config).await?;
    let ctx = SyncContext::from_settings(&config.connection_settings(), store)?;
    let owner = format!("sync-once-{}", std::process::id());
    let results =
        sync_once(&ctx, &owner, args.max_rounds).await.context("cannot sync the accounts")?;
    if results.is_empty() {
        println!("no accounts to sync; connect one with `trellis account add`");
        return Ok(true);
    }
    let mut clean = true;
    for result in &results {
        let (line, ok) = summary(result);
        clean &= ok;
        println!("{line}");
    }
    if !args.no_deliver {
        let delivered =
            deliver_outbox_once(&ctx, &owner).await.context("cannot deliver the outbox")?;
        for item in &delivered {
            let (line, ok) = crate::commands::outbox::delivery_line(item);
            clean &= ok;
            println!("{line}");
        }
    }
    Ok(clean)
}

/// One line for an account, and whether it synced cleanly.
pub fn summary(result: &AccountSync) -> (String, bool) {
    let account = &result.account;
    let name = format!("account {} ({} {})", account.id, account.channel, account.display_name);
    match &result.outcome {
        SyncOutcome::Synced { ingested, refused, rounds, more, errors } => {
            let mut line = format!(
                "{name}: {} new, {} updated, {} unchanged, {refused} refused in {rounds} {}",
                ingested.inserted,
                ingested.updated,
                ingested.unchanged,
                if *rounds == 1 { "poll" } else { "polls" },
            );
            if *more {
                line.push_str("; more waiting");
            }
            for error in errors {
                line.push_str(&format!("; error: {error}"));
            }
            (line, errors.is_empty())
        }
        SyncOutcome::Skipped { status } => (format!("{name}: skipped ({status})"), true),
        SyncOutcome::LeasedElsewhere => {
            (format!("{name}: skipped (polled by a running trellis serve node)"), true)
        }
        SyncOutcome::NeedsReauth { reason } => {
            (format!("{name}: needs re-authorization: {reason}"), false)
        }
        SyncOutcome::NoAccess { error } => (format!("{name}: not polled: {error}"), false),
    }
}
