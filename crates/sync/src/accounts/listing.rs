//! Accounts with their health, as admins see them: never a token, never a sealed secret.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use trellis_core::{Account, AccountHealth, Store, StoreResult};

/// One account and how it is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountSummary {
    #[serde(flatten)]
    pub account: Account,
    pub health: AccountHealth,
}

/// Every account with its health, by account id.
pub async fn list_accounts(store: &Arc<dyn Store>) -> StoreResult<Vec<AccountSummary>> {
    let accounts = store.list_accounts().await?;
    let mut health: HashMap<_, _> = store
        .list_account_health()
        .await?
        .into_iter()
        .map(|health| (health.account_id, health))
        .collect();
    let mut summaries: Vec<AccountSummary> = accounts
        .into_iter()
        .map(|account| {
            let health = health
                .remove(&account.id)
                .unwrap_or_else(|| AccountHealth { account_id: account.id, ..empty_health() });
            AccountSummary { account, health }
        })
        .collect();
    summaries.sort_by_key(|summary| summary.account.id);
    Ok(summaries)
}

/// The health of an account nothing has been recorded for yet.
fn empty_health() -> AccountHealth {
    AccountHealth {
        account_id: trellis_core::AccountId(0),
        status: Default::default(),
        status_reason: None,
        has_credentials: false,
        credentials_expire_at: None,
        last_poll_at: None,
        last_success_at: None,
        last_error: None,
        last_error_at: None,
        consecutive_failures: 0,
        rate_limit_limit: None,
        rate_limit_remaining: None,
        rate_limit_reset_at: None,
        next_poll_at: None,
        lease_owner: None,
        lease_expires_at: None,
        ingest_error_count: 0,
    }
}
