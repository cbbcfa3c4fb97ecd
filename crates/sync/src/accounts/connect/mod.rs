//! Connecting accounts: each flow ends by verifying the credentials with the platform (learning
//! whose they are), then creating the account, or finding it when it is connected again, and
//! sealing its credentials. Connecting an account that needs re-authorization again makes it
//! active.

pub mod browserless;
mod facebook;
mod x;

pub use facebook::{facebook_callback, pick_pages, start_facebook, PageChoice, PagesToPick};
pub use x::{finish_x, start_x};

use crate::secrets::{AccountSecrets, SecretError, SecretKey};
use std::sync::{Arc, OnceLock};
use trellis_connector_discourse::ApiAuth;
use trellis_core::{
    Account, AccountAccess, AccountId, AccountIdentity, AccountStatus, BrandId, Channel, Connector,
    ConnectorError, Credentials, NewAccount, Store, StoreError,
};

/// Why an account could not be connected.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A platform app setting this flow needs is missing.
    #[error("{0} is not set: register an app with the platform and configure it (docs/connectors.md, \"Connecting accounts\")")]
    NotConfigured(&'static str),
    /// The state or selection token is unknown, used already or expired.
    #[error("unknown or expired {0}; start connecting again")]
    UnknownFlow(&'static str),
    #[error("{0}")]
    Invalid(String),
    /// The platform refused the code, token or key.
    #[error("the platform refused: {0}")]
    Refused(ConnectorError),
    /// The platform could not be reached or answered with a failure that may pass.
    #[error("the platform cannot be reached: {0}")]
    Unreachable(ConnectorError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ConnectorError> for ConnectError {
    fn from(error: ConnectorError) -> Self {
        if error.is_retryable() {
            Self::Unreachable(error)
        } else {
            Self::Refused(error)
        }
    }
}

/// Whose `token` is on `channel` at `base_url` (`platform_account_id` is the Page id or the
/// Discourse username the token acts as; X learns it from the token).
pub async fn verify(
    connector: &dyn Connector,
    base_url: &str,
    platform_account_id: &str,
    credentials: Credentials,
) -> Result<AccountIdentity, ConnectError> {
    let access = AccountAccess {
        account_id: AccountId(0),
        platform_account_id: platform_account_id.to_owned(),
        base_url: base_url.to_owned(),
        credentials,
    };
    Ok(connector.verify(&access).await?)
}

/// Connects an account from credentials an operator already holds (`trellis account add` with
/// `--access-token` or `--api-key`): verified with the platform before anything is saved.
pub async fn connect_with_token(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    connector: &dyn Connector,
    brand_id: BrandId,
    base_url: &str,
    platform_account_id: Option<&str>,
    secrets: AccountSecrets,
) -> Result<Account, ConnectError> {
    let channel = connector.channel();
    let claimed = platform_account_id.unwrap_or_default();
    let credentials = match channel {
        Channel::Discourse => {
            ApiAuth::AdminKey { key: secrets.access_token.clone() }.to_credentials()
        }
        Channel::X | Channel::Facebook => {
            Credentials { access_token: secrets.access_token.clone() }
        }
    };
    let identity = verify(connector, base_url, claimed, credentials).await?;
    if !claimed.is_empty() && identity.platform_account_id != claimed {
        return Err(ConnectError::Invalid(format!(
            "the token belongs to {channel} account {}, not {claimed}",
            identity.platform_account_id
        )));
    }
    let display_name = display_name(channel, &identity, base_url);
    let account = NewAccount {
        brand_id,
        channel,
        platform_account_id: identity.platform_account_id,
        display_name,
        base_url: base_url.to_owned(),
    };
    save_account(store, key, account, &secrets).await
}

/// Creates the account with its sealed credentials, or finds it when connected again (its brand
/// must match) and seals new ones. An account waiting for re-authorization becomes active; a
/// paused one stays paused.
pub async fn save_account(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    new: NewAccount,
    secrets: &AccountSecrets,
) -> Result<Account, ConnectError> {
    let account = match store.find_account(new.channel, &new.platform_account_id).await? {
        Some(existing) if existing.brand_id != new.brand_id => {
            return Err(ConnectError::Invalid(format!(
                "{} account {} is already connected to brand {} as account {}",
                new.channel, new.platform_account_id, existing.brand_id, existing.id
            )))
        }
        Some(existing) => reconnect(store, key, existing, secrets).await?,
        None => create(store, key, new, secrets).await?,
    };
    tracing::info!(account_id = %account.id, channel = %account.channel, platform_account_id = %account.platform_account_id, "account connected");
    Ok(account)
}

/// A new account and its credentials, in one store transaction: the credentials are sealed for
/// the id the store gives it, and if sealing fails there is no account either.
async fn create(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    new: NewAccount,
    secrets: &AccountSecrets,
) -> Result<Account, ConnectError> {
    // The store speaks only its own errors; the sealing error is kept here to be told as itself.
    let seal_failure = OnceLock::new();
    let seal = Box::new(|account| {
        key.seal(account, secrets).map_err(|error| {
            let reason = format!("credentials not sealed: {error}");
            let _ = seal_failure.set(error);
            StoreError::Invalid(reason)
        })
    });
    let created = store.create_account_with_credentials(new, seal, secrets.expires_at).await;
    created.map_err(|error| match seal_failure.into_inner() {
        Some(sealing) => ConnectError::Secret(sealing),
        None => ConnectError::Store(error),
    })
}

/// New credentials for an account connected before, which becomes active again if it was
/// waiting for re-authorization.
async fn reconnect(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    account: Account,
    secrets: &AccountSecrets,
) -> Result<Account, ConnectError> {
    let sealed = key.seal(account.id, secrets)?;
    store.set_credentials(account.id, sealed, secrets.expires_at).await?;
    if store.account_health(account.id).await?.status == AccountStatus::NeedsReauth {
        store.set_account_status(account.id, AccountStatus::Active, None).await?;
    }
    Ok(account)
}

/// What agents see: `@handle` on X, the Page name, `username@forum.host` on Discourse.
fn display_name(channel: Channel, identity: &AccountIdentity, base_url: &str) -> String {
    let id = &identity.platform_account_id;
    match channel {
        Channel::X => {
            identity.handle.as_ref().map_or_else(|| id.clone(), |handle| format!("@{handle}"))
        }
        Channel::Facebook => identity.display_name.clone().unwrap_or_else(|| id.clone()),
        Channel::Discourse => {
            let host =
                url::Url::parse(base_url).ok().and_then(|url| url.host_str().map(str::to_owned));
            match host {
                Some(host) => format!("{id}@{host}"),
                None => id.clone(),
            }
        }
    }
}

/// Where admins authorize when the API is served at `base_url`: the configured page, unless the
/// API is not the platform's own (a simulator or a proxy) while the page was left at the
/// platform's default, in which case that server serves both.
///
/// Every argument comes from the configuration (or the operator's `trellis account add` flags),
/// never from a request: the answer is where the server redirects an admin's browser.
pub fn authorize_base(
    configured: &str,
    platform_authorize: &str,
    base_url: &str,
    platform_base: &str,
) -> String {
    if configured == platform_authorize && base_url.trim_end_matches('/') != platform_base {
        base_url.trim_end_matches('/').to_owned()
    } else {
        configured.to_owned()
    }
}
