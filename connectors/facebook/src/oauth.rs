//! Facebook Login for connecting a Page: the login dialog an admin is sent to, the code exchange
//! for a user token, the exchange for a long-lived (~60 day) user token, and the Page tokens the
//! user may hand over (`GET /me/accounts`), among which the admin picks the Pages to connect.
//!
//! The code exchange is standard OAuth and goes through the `oauth2` crate (the app's credentials
//! in the form, as Graph documents them). The long-lived exchange (`grant_type=fb_exchange_token`)
//! and `/me/accounts` are Graph's own and are plain Graph calls. Either way a refusal is a Graph
//! error envelope, judged like any other Graph answer.

use crate::connector::FacebookConnector;
use crate::http::{decode, endpoint, follow, refusal, Purpose};
use crate::wire::Page;
use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponse};
use oauth2::{
    AsyncHttpClient, AuthType, AuthorizationCode, ClientId, ClientSecret, HttpRequest,
    HttpResponse, RedirectUrl, RequestTokenError, TokenResponse, TokenUrl,
};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use trellis_connector_kit::http::{exchange_built, unreadable};
use trellis_core::{AccountAccess, AccountId, ConnectorError, Credentials};

/// The permissions trellis asks for: listing Pages, reading posts, comments and their authors,
/// moderating comments and answering on Messenger.
pub const OAUTH_SCOPES: &[&str] = &[
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_metadata",
    "pages_manage_engagement",
    "pages_messaging",
];

/// The registered Meta app.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

impl fmt::Debug for OAuthApp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

/// A user access token.
#[derive(Clone, PartialEq, Eq)]
pub struct UserToken {
    pub access_token: String,
    /// `None` when the platform stated no lifetime.
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for UserToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserToken")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A Page the user manages, with its Page token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageGrant {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub category: Option<String>,
    pub access_token: String,
    /// What the user may do on the Page (`MODERATE`, `MESSAGING`, …).
    #[serde(default)]
    pub tasks: Vec<String>,
}

impl fmt::Debug for PageGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageGrant")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("category", &self.category)
            .field("access_token", &"<redacted>")
            .field("tasks", &self.tasks)
            .finish()
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    expires_in: Option<i64>,
}

/// The login dialog URL: `dialog_base` is `https://www.facebook.com/v{N}.0` (or the simulator's
/// base URL); `state` ties the callback to the admin's session.
pub fn login_dialog_url(
    dialog_base: &str,
    app: &OAuthApp,
    state: &str,
) -> Result<Url, ConnectorError> {
    let mut url = endpoint(dialog_base, &["dialog", "oauth"])?;
    url.query_pairs_mut()
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &app.redirect_uri)
        .append_pair("state", state)
        .append_pair("scope", &OAUTH_SCOPES.join(","))
        .append_pair("response_type", "code");
    Ok(url)
}

impl FacebookConnector {
    /// The code from the login dialog's redirect for a short-lived user token:
    /// `POST /oauth/access_token` with `grant_type=authorization_code`, `code`, `redirect_uri`,
    /// `client_id` and `client_secret` in the form.
    pub async fn exchange_code(
        &self,
        base_url: &str,
        app: &OAuthApp,
        code: &str,
    ) -> Result<UserToken, ConnectorError> {
        let token_url = TokenUrl::from_url(endpoint(base_url, &["oauth", "access_token"])?);
        let redirect = RedirectUrl::new(app.redirect_uri.clone()).map_err(|error| {
            ConnectorError::Misconfigured(format!("redirect uri {:?}: {error}", app.redirect_uri))
        })?;
        let answer = BasicClient::new(ClientId::new(app.client_id.clone()))
            .set_client_secret(ClientSecret::new(app.client_secret.clone()))
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(token_url)
            .set_redirect_uri(redirect)
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.token_http())
            .await
            .map_err(token_error)?;
        let lifetime = answer.expires_in().and_then(|lifetime| Duration::from_std(lifetime).ok());
        Ok(UserToken {
            access_token: answer.access_token().secret().clone(),
            expires_at: lifetime.map(|lifetime| Utc::now() + lifetime),
        })
    }

    /// `GET /oauth/access_token?grant_type=fb_exchange_token&…`: a short-lived user token for a
    /// long-lived one, whose Page tokens do not expire with the session.
    pub async fn long_lived(
        &self,
        base_url: &str,
        app: &OAuthApp,
        short_lived: &str,
    ) -> Result<UserToken, ConnectorError> {
        self.graph_token(
            base_url,
            &[
                ("grant_type", "fb_exchange_token"),
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("fb_exchange_token", short_lived),
            ],
        )
        .await
    }

    /// Every Page the user token may act for, following paging to the end.
    pub async fn pages(
        &self,
        base_url: &str,
        user_token: &UserToken,
    ) -> Result<Vec<PageGrant>, ConnectorError> {
        let access = AccountAccess {
            account_id: AccountId(0),
            platform_account_id: "me".into(),
            base_url: base_url.to_owned(),
            credentials: Credentials { access_token: user_token.access_token.clone() },
        };
        let mut url = endpoint(base_url, &["me", "accounts"])?;
        url.query_pairs_mut().append_pair("fields", "id,name,category,access_token,tasks");
        let mut grants = Vec::new();
        loop {
            let answer = self.call(self.client.get(url), &access, Purpose::Read).await?;
            let page: Page = decode(&answer)?;
            for raw in &page.data {
                let grant = serde_json::from_value::<PageGrant>(raw.clone()).map_err(|error| {
                    ConnectorError::Malformed { reason: format!("page grant: {error}") }
                })?;
                grants.push(grant);
            }
            match page.next() {
                Some(next) => url = follow(base_url, next)?,
                None => return Ok(grants),
            }
        }
    }

    /// The HTTP client the `oauth2` crate sends this connector's token requests with.
    fn token_http(&self) -> TokenHttp {
        TokenHttp { client: self.token_client.clone(), throttle_wait: self.config.throttle_wait }
    }

    /// `GET /oauth/access_token` with Graph's own parameters.
    async fn graph_token(
        &self,
        base_url: &str,
        params: &[(&str, &str)],
    ) -> Result<UserToken, ConnectorError> {
        let url = endpoint(base_url, &["oauth", "access_token"])?;
        let request = self.client.get(url).query(params);
        // The token endpoint needs no token; an empty `access_token` is ignored by the platform.
        let access = AccountAccess {
            account_id: AccountId(0),
            platform_account_id: String::new(),
            base_url: base_url.to_owned(),
            credentials: Credentials { access_token: String::new() },
        };
        let answer = self.call(request, &access, Purpose::Read).await?;
        let token: TokenAnswer = decode(&answer)?;
        Ok(UserToken {
            access_token: token.access_token,
            expires_at: token.expires_in.map(|seconds| Utc::now() + Duration::seconds(seconds)),
        })
    }
}

/// The `oauth2` crate's HTTP client for Graph's token endpoint: the kit's redirect-free client,
/// owned (a `reqwest::Client` is a handle on a shared pool), so a token call borrows nothing from
/// the connector and its future is `Send`: handlers and spawned tasks await it like any other.
struct TokenHttp {
    client: reqwest::Client,
    /// How long to stay away after a throttle that states no time, as for every Graph call.
    throttle_wait: Duration,
}

impl<'c> AsyncHttpClient<'c> for TokenHttp {
    type Error = ConnectorError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, ConnectorError>> + Send + 'c>>;

    /// Sends a token request the `oauth2` crate built. Graph refuses in its own error envelope,
    /// not in OAuth's, so a refusal is judged here, as any Graph answer is.
    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let answer = exchange_built(&self.client, request).await?;
            if answer.status.is_success() {
                return Ok(answer.into_http());
            }
            Err(refusal(&answer, Purpose::Read, Utc::now(), self.throttle_wait))
        })
    }
}

/// What a failed code exchange means. Refusals were judged on the way in; what is left is a token
/// answer that could not be read.
fn token_error(error: RequestTokenError<ConnectorError, BasicErrorResponse>) -> ConnectorError {
    match error {
        RequestTokenError::Request(error) => error,
        // Only a success status other than 200 carrying an OAuth error reaches here.
        RequestTokenError::ServerResponse(refusal) => {
            ConnectorError::Unauthorized { platform_reason: refusal.to_string() }
        }
        RequestTokenError::Parse(error, body) => {
            unreadable(&body, format!("token answer: {error}"))
        }
        RequestTokenError::Other(reason) => ConnectorError::Malformed { reason },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_login_dialog_asks_for_a_code_with_every_scope() {
        let app = OAuthApp {
            client_id: "123".into(),
            client_secret: "s3cret".into(),
            redirect_uri: "https://trellis.example/cb".into(),
        };
        let url = login_dialog_url("https://www.facebook.com/v19.0", &app, "st").unwrap();
        assert_eq!(url.path(), "/v19.0/dialog/oauth");
        let query: std::collections::HashMap<_, _> = url.query_pairs().collect();
        assert_eq!(query["client_id"], "123");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["state"], "st");
        assert!(query["scope"].contains("pages_messaging"));
        assert!(!url.as_str().contains("s3cret"));
        assert!(!format!("{app:?}").contains("s3cret"));
    }

    fn assert_send<T: Send>(_: T) {}

    /// Compiles only while the code exchange can be awaited in a spawned task or an axum handler.
    #[test]
    fn the_code_exchange_can_be_awaited_on_any_runtime_thread() {
        let facebook = FacebookConnector::new(crate::FacebookConfig::default()).unwrap();
        let app = OAuthApp {
            client_id: "123".into(),
            client_secret: "s3cret".into(),
            redirect_uri: "https://trellis.example/cb".into(),
        };
        assert_send(facebook.exchange_code("http://127.0.0.1:9", &app, "code"));
        assert_send(facebook.long_lived("http://127.0.0.1:9", &app, "short"));
        let token = UserToken { access_token: "t".into(), expires_at: None };
        assert_send(facebook.pages("http://127.0.0.1:9", &token));
    }
}
