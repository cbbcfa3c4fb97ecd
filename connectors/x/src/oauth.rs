//! OAuth 2.0 with PKCE against X: the authorize URL an admin is sent to, the code exchange, and the
//! refresh that keeps an account connected (access tokens live two hours; refresh tokens rotate).

use crate::connector::XConnector;
use crate::http::{decode, endpoint};
use chrono::{DateTime, Duration, Utc};
use reqwest::Url;
use serde::Deserialize;
use std::fmt;
use trellis_core::ConnectorError;

/// The registered X app.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    /// Confidential clients authenticate with HTTP Basic; public clients send `client_id` only.
    pub client_secret: Option<String>,
    pub redirect_uri: String,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "<redacted>"))
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// Tokens granted for an account. Store the new refresh token: the old one no longer works.
#[derive(Clone, PartialEq, Eq, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    /// Present only when `offline.access` was granted.
    pub refresh_token: Option<String>,
    #[serde(skip, default = "Utc::now")]
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub scope: String,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .finish()
    }
}

#[derive(Deserialize)]
struct Lifetime {
    expires_in: i64,
}

/// Where to send the admin's browser: `authorize_base` is `https://x.com` (configuration).
pub fn authorize_url(
    authorize_base: &str,
    client: &OAuthClient,
    scopes: &str,
    state: &str,
    code_challenge: &str,
) -> Result<Url, ConnectorError> {
    let mut url = endpoint(authorize_base, &["i", "oauth2", "authorize"])?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("scope", scopes)
        .append_pair("state", state)
        .append_pair("code_challenge", code_challenge)
        .append_pair("code_challenge_method", "S256");
    Ok(url)
}

impl XConnector {
    /// Trades the code from the callback for tokens.
    pub async fn exchange_code(
        &self,
        api_base: &str,
        client: &OAuthClient,
        code: &str,
        code_verifier: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let form = [
            ("code", code),
            ("grant_type", "authorization_code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_verifier", code_verifier),
        ];
        self.token_request(api_base, client, &form).await
    }

    /// A new access token (and a new refresh token, the old one being spent).
    pub async fn refresh_token(
        &self,
        api_base: &str,
        client: &OAuthClient,
        refresh_token: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let form = [
            ("refresh_token", refresh_token),
            ("grant_type", "refresh_token"),
            ("client_id", client.client_id.as_str()),
        ];
        self.token_request(api_base, client, &form).await
    }

    async fn token_request(
        &self,
        api_base: &str,
        client: &OAuthClient,
        form: &[(&str, &str)],
    ) -> Result<TokenSet, ConnectorError> {
        let url = endpoint(api_base, &["2", "oauth2", "token"])?;
        let mut request = self.client.post(url).form(form);
        if let Some(secret) = &client.client_secret {
            request = request.basic_auth(&client.client_id, Some(secret));
        }
        let response = request.send().await.map_err(|error| ConnectorError::Transient {
            reason: format!("token request failed: {error}"),
        })?;
        let status = response.status();
        let rate_limit = crate::http::rate_limit(response.headers(), Utc::now());
        let body = response.bytes().await.map_err(|error| ConnectorError::Transient {
            reason: format!("token answer interrupted: {error}"),
        })?;
        let answer = crate::http::Answer { status, rate_limit, body: body.to_vec() };
        if status.is_server_error() {
            return Err(ConnectorError::Transient {
                reason: format!("token endpoint answered {status}"),
            });
        }
        if !status.is_success() {
            // A spent or revoked grant cannot be fixed by retrying: an admin has to connect again.
            let problem: crate::wire::Problem =
                serde_json::from_slice(&answer.body).unwrap_or_default();
            return Err(ConnectorError::Unauthorized {
                platform_reason: problem.reason().unwrap_or_else(|| status.to_string()),
            });
        }
        let mut tokens: TokenSet = decode(&answer)?;
        let lifetime: Lifetime = decode(&answer)?;
        tokens.expires_at = Utc::now() + Duration::seconds(lifetime.expires_in);
        Ok(tokens)
    }
}
