//! Opening an account's credentials for a poll or a delivery, refreshing them first when they
//! are about to expire, and marking an account whose token the platform refused.

use super::Connectors;
use crate::secrets::{AccountSecrets, SecretError, SecretKey};
use chrono::{Duration, Utc};
use std::sync::Arc;
use trellis_core::{
    Account, AccountAccess, AccountId, AccountStatus, Channel, ConnectorError, Credentials,
    SealedSecret, Store, StoreError,
};

/// A token expiring within this is refreshed before use.
pub const REFRESH_AHEAD: Duration = Duration::minutes(5);

/// Why an account's access could not be given.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The platform refused the token or its refresh: an admin must connect the account again.
    /// The account is already marked; polling it pauses.
    #[error("account needs re-authorization: {0}")]
    NeedsReauth(String),
    #[error(
        "account {0} has no credentials; connect it with `trellis account add` or the connect API"
    )]
    NoCredentials(AccountId),
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// The refresh failed for a reason that may pass (a 5xx, a timeout) and the token has
    /// expired already; retry later.
    #[error("cannot refresh the token of account {account}: {error}")]
    Refresh { account: AccountId, error: ConnectorError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The access a connector needs for `account`, its token refreshed first when it expires within
/// [`REFRESH_AHEAD`] and a refresh token is held (X rotates refresh tokens: the new one is sealed
/// and saved before this returns). A refused refresh, or a token already expired with nothing to
/// refresh it, marks the account needs-reauth and answers [`AccessError::NeedsReauth`]. The sync
/// runtime calls this before every poll and outbox delivery.
pub async fn access(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    connectors: &Connectors,
    account: &Account,
) -> Result<AccountAccess, AccessError> {
    let (sealed, secrets) = open(store, key, account.id).await?;
    if !needs_refresh(&secrets) {
        return Ok(access_with(account, secrets));
    }
    // Refresh under the account's lock, then look again: another task may have refreshed while
    // this one waited, spending the refresh token this one holds.
    let lock = connectors.refresh_lock(account.id);
    let _guard = lock.lock().await;
    let (sealed_now, secrets_now) = open(store, key, account.id).await?;
    if sealed_now != sealed && !needs_refresh(&secrets_now) {
        return Ok(access_with(account, secrets_now));
    }
    refresh(store, key, connectors, account, sealed_now, secrets_now).await
}

/// Marks `account` as needing re-authorization with the platform's reason (never a token), so
/// polling pauses for it alone and admins see why.
pub async fn mark_needs_reauth(
    store: &Arc<dyn Store>,
    account: &Account,
    reason: &str,
) -> Result<(), StoreError> {
    tracing::warn!(account_id = %account.id, channel = %account.channel, reason, "account needs re-authorization");
    store.set_account_status(account.id, AccountStatus::NeedsReauth, Some(reason.to_owned())).await
}

async fn open(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    account: AccountId,
) -> Result<(SealedSecret, AccountSecrets), AccessError> {
    let stored = store.credentials(account).await?.ok_or(AccessError::NoCredentials(account))?;
    let secrets = key.open(account, &stored.sealed)?;
    Ok((stored.sealed, secrets))
}

fn needs_refresh(secrets: &AccountSecrets) -> bool {
    secrets.expires_at.is_some_and(|expires_at| expires_at - REFRESH_AHEAD <= Utc::now())
}

fn access_with(account: &Account, secrets: AccountSecrets) -> AccountAccess {
    AccountAccess {
        account_id: account.id,
        platform_account_id: account.platform_account_id.clone(),
        base_url: account.base_url.clone(),
        credentials: Credentials { access_token: secrets.access_token },
    }
}

async fn refresh(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    connectors: &Connectors,
    account: &Account,
    sealed: SealedSecret,
    secrets: AccountSecrets,
) -> Result<AccountAccess, AccessError> {
    let expired = secrets.expires_at.is_some_and(|expires_at| expires_at <= Utc::now());
    let redirect = connectors.x_app().redirect_url.clone().unwrap_or_default();
    let client = connectors.x_oauth_client(&redirect);
    let (Channel::X, Some(refresh_token), Some(client)) =
        (account.channel, secrets.refresh_token.clone(), client)
    else {
        if expired {
            let reason = "the access token expired and there is no refresh token";
            mark_needs_reauth(store, account, reason).await?;
            return Err(AccessError::NeedsReauth(reason.to_owned()));
        }
        // Still valid for a few minutes and nothing to refresh it with: use it while it lasts.
        return Ok(access_with(account, secrets));
    };

    let refreshed = connectors.x().refresh_token(&account.base_url, &client, &refresh_token).await;
    match refreshed {
        Ok(tokens) => {
            let renewed = AccountSecrets {
                access_token: tokens.access_token,
                // OAuth 2.0: without a new refresh token, the old one stays valid.
                refresh_token: tokens.refresh_token.or(secrets.refresh_token),
                expires_at: Some(tokens.expires_at),
                api_username: secrets.api_username,
            };
            let sealed = key.seal(account.id, &renewed)?;
            store.set_credentials(account.id, sealed, renewed.expires_at).await?;
            tracing::info!(account_id = %account.id, expires_at = %tokens.expires_at, "access token refreshed");
            Ok(access_with(account, renewed))
        }
        Err(ConnectorError::Unauthorized { platform_reason }) => {
            // Another node may have refreshed in between, spending the token this one held.
            if let Ok((sealed_now, secrets_now)) = open(store, key, account.id).await {
                if sealed_now != sealed && !needs_refresh(&secrets_now) {
                    return Ok(access_with(account, secrets_now));
                }
            }
            let reason = format!("token refresh refused: {platform_reason}");
            mark_needs_reauth(store, account, &reason).await?;
            Err(AccessError::NeedsReauth(reason))
        }
        Err(error) if !expired => {
            tracing::warn!(account_id = %account.id, error = %error, "token refresh failed, using the current token while it lasts");
            Ok(access_with(account, secrets))
        }
        Err(error) => Err(AccessError::Refresh { account: account.id, error }),
    }
}
