//! OAuth 2.0 with PKCE against X, on the `oauth2` crate: the authorize URL an admin is sent to, the
//! code exchange, and the refresh that keeps an account connected (access tokens live two hours;
//! refresh tokens are single-use and rotate).
//!
//! The crate builds the requests and reads the token answers; the HTTP goes through the connector
//! kit's redirect-free client, and what is not OAuth's to judge (an unreachable X, a 5xx, a 429)
//! is turned into a [`ConnectorError`] on the way back. A refusal in OAuth's own words
//! (`invalid_grant`, `invalid_request`, `unauthorized_client`) means the grant cannot work: the
//! account needs re-authorization.

use crate::connector::XConnector;
use crate::http::{endpoint, rate_limit};
use crate::wire::Problem;
use chrono::{DateTime, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse, BasicTokenResponse};
use oauth2::{
    AsyncHttpClient, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, HttpRequest, HttpResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use trellis_connector_kit::http::{exchange_built, unreadable, RawAnswer};
use trellis_core::ConnectorError;

/// How long to stay away after a token endpoint 429 that states no reset.
const DEFAULT_RETRY: chrono::Duration = chrono::Duration::seconds(60);

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

/// A PKCE pair for one connect attempt: the challenge goes in the authorize URL, the verifier stays
/// in the admin's session until the callback and goes with the code exchange.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    pub challenge: String,
    pub verifier: String,
}

impl Pkce {
    /// A random verifier (32 bytes, base64url) and its S256 challenge, by the `oauth2` crate.
    pub fn new_random() -> Self {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        Self { challenge: challenge.as_str().to_owned(), verifier: verifier.secret().clone() }
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("challenge", &self.challenge)
            .field("verifier", &"<redacted>")
            .finish()
    }
}

/// Where to send the admin's browser: `authorize_base` is `https://x.com` (configuration);
/// `scopes` space-separated; `code_challenge` the S256 challenge of the verifier the callback
/// will exchange (see [`Pkce`]).
pub fn authorize_url(
    authorize_base: &str,
    client: &OAuthClient,
    scopes: &str,
    state: &str,
    code_challenge: &str,
) -> Result<Url, ConnectorError> {
    let authorize = AuthUrl::from_url(endpoint(authorize_base, &["i", "oauth2", "authorize"])?);
    let (url, _) = BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_auth_uri(authorize)
        .set_redirect_uri(redirect_url(client)?)
        .authorize_url(|| CsrfToken::new(state.to_owned()))
        .add_scopes(scopes.split_whitespace().map(|scope| Scope::new(scope.to_owned())))
        // The crate writes a challenge only from a verifier it holds; this one was made earlier
        // (its verifier waits in the admin's session), so it goes in as the two parameters the
        // crate's `set_pkce_challenge` would write.
        .add_extra_param("code_challenge", code_challenge)
        .add_extra_param("code_challenge_method", "S256")
        .url();
    Ok(url)
}

fn redirect_url(client: &OAuthClient) -> Result<RedirectUrl, ConnectorError> {
    RedirectUrl::new(client.redirect_uri.clone()).map_err(|error| {
        ConnectorError::Misconfigured(format!("redirect uri {:?}: {error}", client.redirect_uri))
    })
}

impl XConnector {
    /// Trades the code from the callback, with the PKCE verifier its challenge was made from, for
    /// tokens.
    pub async fn exchange_code(
        &self,
        api_base: &str,
        client: &OAuthClient,
        code: &str,
        code_verifier: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let answer = token_endpoint(api_base, client)?
            .set_redirect_uri(redirect_url(client)?)
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(code_verifier.to_owned()))
            .request_async(&self.token_http())
            .await;
        token_set(answer)
    }

    /// A new access token and a new refresh token: the one sent is spent, so store the new one
    /// (`None` only if X stopped granting `offline.access`).
    pub async fn refresh_token(
        &self,
        api_base: &str,
        client: &OAuthClient,
        refresh_token: &str,
    ) -> Result<TokenSet, ConnectorError> {
        let refresh_token = RefreshToken::new(refresh_token.to_owned());
        let answer = token_endpoint(api_base, client)?
            .exchange_refresh_token(&refresh_token)
            .request_async(&self.token_http())
            .await;
        token_set(answer)
    }

    /// The HTTP client the `oauth2` crate sends this connector's token requests with.
    fn token_http(&self) -> TokenHttp {
        TokenHttp(self.token_client.clone())
    }
}

/// The `oauth2` crate's HTTP client for X's token endpoint: the kit's redirect-free client, owned
/// (a `reqwest::Client` is a handle on a shared pool), so a token call borrows nothing from the
/// connector and its future is `Send`: handlers and spawned tasks await it like any other call.
struct TokenHttp(reqwest::Client);

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = ConnectorError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, ConnectorError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(token_call(&self.0, request))
    }
}

/// Sends a token request the `oauth2` crate built and hands back the answers that are OAuth's to
/// read: a success, or a refusal in OAuth's error shape. The rest is judged here.
async fn token_call(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, ConnectorError> {
    let answer = exchange_built(client, request).await?;
    let status = answer.status;
    if status.is_success() || is_oauth_error(&answer) {
        return Ok(answer.into_http());
    }
    let problem: Problem = serde_json::from_slice(&answer.body).unwrap_or_default();
    let reason = problem.reason().unwrap_or_else(|| status.to_string());
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => {
            let limit = rate_limit(&answer.headers, Utc::now());
            let retry_at = limit.retry_after.or(limit.reset_at);
            ConnectorError::RateLimited {
                retry_at: retry_at.unwrap_or_else(|| Utc::now() + DEFAULT_RETRY),
            }
        }
        status if status.is_server_error() => ConnectorError::Transient {
            reason: format!("token endpoint answered {status}: {reason}"),
        },
        // A refusal in no OAuth words (a proxy's 403, a problem body): still the grant failing.
        _ => ConnectorError::Unauthorized { platform_reason: reason },
    })
}

/// An oauth2 client that knows only the token endpoint (the type spells which endpoints are set:
/// auth, device authorization, introspection, revocation, token).
type TokenEndpoint =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The token endpoint of the registered app. A confidential client authenticates with HTTP Basic
/// (the crate's default); a public one sends its `client_id` in the form.
fn token_endpoint(api_base: &str, client: &OAuthClient) -> Result<TokenEndpoint, ConnectorError> {
    let token = TokenUrl::from_url(endpoint(api_base, &["2", "oauth2", "token"])?);
    let mut oauth = BasicClient::new(ClientId::new(client.client_id.clone())).set_token_uri(token);
    if let Some(secret) = &client.client_secret {
        oauth = oauth.set_client_secret(ClientSecret::new(secret.clone()));
    }
    Ok(oauth)
}

/// Whether a refusal speaks OAuth (`{"error": "invalid_grant", …}`), for the crate to read.
fn is_oauth_error(answer: &RawAnswer) -> bool {
    answer.status.is_client_error()
        && answer.status != StatusCode::TOO_MANY_REQUESTS
        && serde_json::from_slice::<BasicErrorResponse>(&answer.body).is_ok()
}

/// The tokens of a granted request, or what its failure means.
fn token_set(
    answer: Result<BasicTokenResponse, RequestTokenError<ConnectorError, BasicErrorResponse>>,
) -> Result<TokenSet, ConnectorError> {
    let answer = answer.map_err(|error| match error {
        RequestTokenError::Request(error) => error,
        // A spent or revoked grant cannot be fixed by retrying: an admin has to connect again.
        RequestTokenError::ServerResponse(refusal) => {
            ConnectorError::Unauthorized { platform_reason: refusal.to_string() }
        }
        RequestTokenError::Parse(error, body) => {
            unreadable(&body, format!("token answer: {error}"))
        }
        RequestTokenError::Other(reason) => ConnectorError::Malformed { reason },
    })?;
    let lifetime = answer.expires_in().ok_or_else(|| ConnectorError::Malformed {
        reason: "token answer states no expires_in".into(),
    })?;
    let lifetime = chrono::Duration::from_std(lifetime).map_err(|error| {
        ConnectorError::Malformed { reason: format!("token lifetime: {error}") }
    })?;
    Ok(TokenSet {
        access_token: answer.access_token().secret().clone(),
        refresh_token: answer.refresh_token().map(|token| token.secret().clone()),
        expires_at: Utc::now() + lifetime,
        scope: answer
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: T) {}

    /// Compiles only while the token calls can be awaited in a spawned task or an axum handler.
    #[test]
    fn token_calls_can_be_awaited_on_any_runtime_thread() {
        let x = XConnector::new(crate::XConfig::default()).unwrap();
        let client = OAuthClient {
            client_id: "trellis".into(),
            client_secret: None,
            redirect_uri: "http://localhost/cb".into(),
        };
        assert_send(x.exchange_code("http://127.0.0.1:9", &client, "code", "verifier"));
        assert_send(x.refresh_token("http://127.0.0.1:9", &client, "refresh"));
    }
}
