//! Changes to connected accounts: pausing and resuming their polling, removing one connected by
//! mistake, and the audit entry for a connect. Admins only; every change is audited with the
//! account's health (or the account) before and after. The REST API and `trellis account …` both
//! call here.
//!
//! Connecting itself is the connection runtime's (`trellis_sync::accounts::connect`): it talks to
//! the platform, and the transports drive its flows. They call [`connected`] once it succeeded.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use crate::identity::audit;
use trellis_core::{Account, AccountId, AccountStatus, Store};
use trellis_sync::accounts::listing::AccountSummary;

/// Stops polling an account. Pausing one that needs re-authorization is allowed: it stays paused
/// until it is connected again.
pub async fn pause(
    store: &dyn Store,
    principal: &Principal,
    id: AccountId,
) -> ServiceResult<AccountSummary> {
    principal.require(Permission::ManageAccounts)?;
    set_status(store, principal, id, AccountStatus::Paused).await
}

/// Polls a paused account again. One that needs re-authorization is refused with
/// [`ServiceError::Conflict`]: resuming would only have the platform refuse its token once more,
/// so it must be connected again instead.
pub async fn resume(
    store: &dyn Store,
    principal: &Principal,
    id: AccountId,
) -> ServiceResult<AccountSummary> {
    principal.require(Permission::ManageAccounts)?;
    let health = store.account_health(id).await?;
    if health.status == AccountStatus::NeedsReauth {
        return Err(ServiceError::Conflict(format!(
            "account {id} needs re-authorization ({}): connect it again",
            health.status_reason.as_deref().unwrap_or("the platform refused its token")
        )));
    }
    set_status(store, principal, id, AccountStatus::Active).await
}

/// Deletes an account with its credentials, cursors and ingest errors. The store refuses one with
/// conversations or actions waiting to be delivered ([`ServiceError::Conflict`], suggesting a
/// pause), so removing an account never loses history. Answers the account as it was.
pub async fn remove(
    store: &dyn Store,
    principal: &Principal,
    id: AccountId,
) -> ServiceResult<Account> {
    principal.require(Permission::ManageAccounts)?;
    let account = store.get_account(id).await?;
    store.delete_account(id).await?;
    tracing::info!(account_id = %id, channel = %account.channel, "account removed");
    audit::record(store, principal, "account.removed", "account", id, Some(&account), None::<()>)
        .await?;
    Ok(account)
}

/// Audits accounts just connected (or connected again) by `principal`. The transport checked
/// [`Permission::ManageAccounts`] when the connect began; this does not check it again, since the
/// account exists by now and the entry must say so. An OAuth callback carries no session: it
/// passes the principal who started the flow, or [`Principal::operator`] when the CLI did.
pub async fn connected<'a>(
    store: &dyn Store,
    principal: &Principal,
    accounts: impl IntoIterator<Item = &'a Account>,
) -> ServiceResult<()> {
    for account in accounts {
        let (action, id) = ("account.connected", account.id);
        audit::record(store, principal, action, "account", id, None::<()>, Some(account)).await?;
    }
    Ok(())
}

async fn set_status(
    store: &dyn Store,
    principal: &Principal,
    id: AccountId,
    status: AccountStatus,
) -> ServiceResult<AccountSummary> {
    let account = store.get_account(id).await?;
    let before = store.account_health(id).await?;
    store.set_account_status(id, status, None).await?;
    let health = store.account_health(id).await?;
    tracing::info!(account_id = %id, status = %status, "account status set");
    let action = match status {
        AccountStatus::Paused => "account.paused",
        _ => "account.resumed",
    };
    audit::record(store, principal, action, "account", id, Some(&before), Some(&health)).await?;
    Ok(AccountSummary { account, health })
}
