//! Connecting an X account: OAuth 2.0 authorization code with PKCE.

use super::{save_account, verify, ConnectError};
use crate::accounts::pending::PendingX;
use crate::accounts::{Connectors, PendingConnects};
use crate::secrets::{AccountSecrets, SecretKey};
use oauth2::PkceCodeChallenge;
use std::sync::Arc;
use trellis_core::{Account, BrandId, Channel, Credentials, NewAccount, Store, UserId};

/// What trellis asks X for: reading mentions and DMs, replying, moderating replies, and
/// `offline.access` for a refresh token.
pub const X_SCOPES: &str =
    "tweet.read tweet.write tweet.moderate.write users.read dm.read dm.write offline.access";

/// Starts connecting an X account of `brand_id` served at `base_url`: keeps the PKCE verifier
/// (and `base_url`, for the callback) under a fresh `state` and answers where to send the admin
/// (`authorize_base`'s `/i/oauth2/authorize`), who comes back to `redirect_uri` with a code.
/// `base_url` and `authorize_base` come from the configuration, never from a request.
pub async fn start_x(
    connectors: &Connectors,
    pending: &PendingConnects,
    brand_id: BrandId,
    base_url: &str,
    authorize_base: &str,
    redirect_uri: &str,
    started_by: Option<UserId>,
) -> Result<url::Url, ConnectError> {
    let client = connectors
        .x_oauth_client(redirect_uri)
        .ok_or(ConnectError::NotConfigured("x.client_id"))?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let state = pending
        .put_x(&PendingX {
            brand_id,
            base_url: base_url.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            code_verifier: verifier.secret().clone(),
            started_by,
        })
        .await?;
    Ok(trellis_connector_x::authorize_url(
        authorize_base,
        &client,
        X_SCOPES,
        &state,
        challenge.as_str(),
    )?)
}

/// Finishes the flow `state` started: trades `code` (with the PKCE verifier) for tokens, asks X
/// whose they are, and connects that account. Answers the account and who started the flow.
pub async fn finish_x(
    store: &Arc<dyn Store>,
    key: &SecretKey,
    connectors: &Connectors,
    pending: &PendingConnects,
    code: &str,
    state: &str,
) -> Result<(Account, Option<UserId>), ConnectError> {
    let flow =
        pending.take_x(state).await?.ok_or(ConnectError::UnknownFlow("authorization state"))?;
    let client = connectors
        .x_oauth_client(&flow.redirect_uri)
        .ok_or(ConnectError::NotConfigured("x.client_id"))?;
    let tokens =
        connectors.x().exchange_code(&flow.base_url, &client, code, &flow.code_verifier).await?;
    let credentials = Credentials { access_token: tokens.access_token.clone() };
    let identity =
        verify(connectors.get(Channel::X).as_ref(), &flow.base_url, "", credentials).await?;
    let display_name = identity
        .handle
        .as_ref()
        .map_or_else(|| identity.platform_account_id.clone(), |handle| format!("@{handle}"));
    let account = NewAccount {
        brand_id: flow.brand_id,
        channel: Channel::X,
        platform_account_id: identity.platform_account_id,
        display_name,
        base_url: flow.base_url,
    };
    let secrets = AccountSecrets {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: Some(tokens.expires_at),
        api_username: None,
    };
    Ok((save_account(store, key, account, &secrets).await?, flow.started_by))
}
