//! Connecting Facebook Pages: Facebook Login → code → long-lived user token → the Pages the admin
//! manages (`/me/accounts`) → the admin picks which → one account per Page, each with its own
//! Page token (which does not expire with the user's session).

use super::{save_account, verify, ConnectError};
use crate::accounts::pending::{PageSelection, PendingFacebook};
use crate::accounts::{Connectors, PendingConnects};
use crate::secrets::{AccountSecrets, SecretKey};
use serde::Serialize;
use std::sync::Arc;
use trellis_core::{Account, BrandId, Channel, Credentials, NewAccount, Store};

/// A Page the admin may connect; never its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageChoice {
    pub id: String,
    pub name: String,
    pub category: Option<String>,
    /// What the admin may do on the Page; trellis needs `MODERATE` and `MESSAGING`.
    pub tasks: Vec<String>,
}

/// The Pages granted at the callback and the one-time token that picks among them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PagesToPick {
    pub selection: String,
    pub pages: Vec<PageChoice>,
}

/// Starts connecting Pages of `brand_id` served at `base_url` (`https://graph.facebook.com/v19.0`):
/// keeps `base_url` for the callback under a fresh `state` and answers the login dialog (at
/// `dialog_base`) to send the admin to. Both come from the configuration, never from a request.
pub async fn start_facebook(
    connectors: &Connectors,
    pending: &PendingConnects,
    brand_id: BrandId,
    base_url: &str,
    dialog_base: &str,
    redirect_uri: &str,
) -> Result<url::Url, ConnectError> {
    let app = facebook_app(connectors, redirect_uri)?;
    let state = pending
        .put_facebook(&PendingFacebook {
            brand_id,
            base_url: base_url.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
        })
        .await?;
    Ok(trellis_connector_facebook::login_dialog_url(dialog_base, &app, &state)?)
}

/// Trades the callback's `code` for a long-lived user token and lists the Pages it manages,
/// keeping their tokens server-side under the answer's selection token.
pub async fn facebook_callback(
    connectors: &Connectors,
    pending: &PendingConnects,
    code: &str,
    state: &str,
) -> Result<PagesToPick, ConnectError> {
    let flow =
        pending.take_facebook(state).await?.ok_or(ConnectError::UnknownFlow("login state"))?;
    let app = facebook_app(connectors, &flow.redirect_uri)?;
    let facebook = connectors.facebook();
    let short_lived = facebook.exchange_code(&flow.base_url, &app, code).await?;
    let long_lived = facebook.long_lived(&flow.base_url, &app, &short_lived.access_token).await?;
    let grants = facebook.pages(&flow.base_url, &long_lived).await?;
    let pages = grants
        .iter()
        .map(|grant| PageChoice {
            id: grant.id.clone(),
            name: grant.name.clone(),
            category: grant.category.clone(),
            tasks: grant.tasks.clone(),
        })
        .collect();
    let selection = pending
        .put_selection(&PageSelection {
            brand_id: flow.brand_id,
            base_url: flow.base_url,
            pages: grants,
        })
        .await?;
    Ok(PagesToPick { selection, pages })
}

/// Connects the picked Pages of a selection (single use), each verified with its Page token.
pub async fn pick_pages(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    connectors: &Connectors,
    pending: &PendingConnects,
    selection: &str,
    page_ids: &[String],
) -> Result<Vec<Account>, ConnectError> {
    if page_ids.is_empty() {
        return Err(ConnectError::Invalid("pick at least one page id".to_owned()));
    }
    let picked = pending
        .take_selection(selection)
        .await?
        .ok_or(ConnectError::UnknownFlow("page selection"))?;
    let unknown: Vec<&str> = page_ids
        .iter()
        .filter(|id| !picked.pages.iter().any(|page| &page.id == *id))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ConnectError::Invalid(format!(
            "page ids {} were not granted at login; start connecting again",
            unknown.join(", ")
        )));
    }
    let connector = connectors.get(Channel::Facebook);
    let mut accounts = Vec::with_capacity(page_ids.len());
    let chosen: Vec<_> =
        picked.pages.into_iter().filter(|page| page_ids.contains(&page.id)).collect();
    for page in chosen {
        let credentials = Credentials { access_token: page.access_token.clone() };
        verify(connector.as_ref(), &picked.base_url, &page.id, credentials).await?;
        let account = NewAccount {
            brand_id: picked.brand_id,
            channel: Channel::Facebook,
            platform_account_id: page.id,
            display_name: page.name,
            base_url: picked.base_url.clone(),
        };
        // Page tokens from a long-lived user token carry no expiry; error 190 says otherwise.
        let secrets = AccountSecrets {
            access_token: page.access_token,
            refresh_token: None,
            expires_at: None,
            api_username: None,
        };
        accounts.push(save_account(store, key, account, &secrets).await?);
    }
    Ok(accounts)
}

fn facebook_app(
    connectors: &Connectors,
    redirect_uri: &str,
) -> Result<trellis_connector_facebook::OAuthApp, ConnectError> {
    let app = connectors.facebook_app();
    if app.app_id.is_none() {
        return Err(ConnectError::NotConfigured("facebook.app_id"));
    }
    connectors
        .facebook_oauth_app(redirect_uri)
        .ok_or(ConnectError::NotConfigured("facebook.app_secret"))
}
