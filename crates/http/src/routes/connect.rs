//! Connecting accounts over HTTP:
//!
//! - `GET /api/v1/connect/x/start?brand_id=[&base_url=]` → 302 to X's authorize page (PKCE);
//!   `GET /api/v1/connect/x/callback?code&state` → the connected account.
//! - `GET /api/v1/connect/facebook/start?brand_id=[&base_url=]` → 302 to the login dialog;
//!   `GET /api/v1/connect/facebook/callback?code&state` → the Pages to pick and a one-time
//!   `selection`; `POST /api/v1/connect/facebook/pages {selection, page_ids}` → the accounts.
//! - `POST /api/v1/connect/discourse {brand_id, base_url, username, api_key}` → the account.
//!
//! Starting a flow, picking Pages and connecting Discourse need the admin role; the two callbacks
//! are open and bound to their flow's one-time `state`. No answer ever holds a token.

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use trellis_app::identity::audit;
use trellis_app::Permission;
use trellis_core::{Account, BrandId, Channel};
use trellis_sync::accounts::connect::{self, authorize_base, PagesToPick};
use trellis_sync::accounts::{Connectors, PendingConnects};
use trellis_sync::apps::{FACEBOOK_BASE_URL, FACEBOOK_DIALOG_URL, X_AUTHORIZE_URL, X_BASE_URL};
use trellis_sync::secrets::{AccountSecrets, SecretKey};

/// Starting a connection and finishing it by hand: admins only.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connect/x/start", get(x_start))
        .route("/connect/facebook/start", get(facebook_start))
        .route("/connect/facebook/pages", post(facebook_pages))
        .route("/connect/discourse", post(discourse))
}

/// Where the platforms send the admin back: open, since the platform's redirect carries no
/// session of ours for certain (another site, another browser tab policy); each callback is bound
/// to the flow an admin started by its one-time `state`.
pub fn callbacks() -> Router<AppState> {
    Router::new()
        .route("/connect/x/callback", get(x_callback))
        .route("/connect/facebook/callback", get(facebook_callback))
}

#[derive(Debug, Deserialize)]
struct StartParams {
    brand_id: i64,
    /// The API to connect against when not the platform's own (a proxy, a simulator).
    base_url: Option<String>,
}

/// What a platform sends the admin back with: a code, or why there is none.
#[derive(Debug, Deserialize)]
struct CallbackParams {
    code: Option<String>,
    state: String,
    error: Option<String>,
    error_description: Option<String>,
}

impl CallbackParams {
    fn code(&self) -> Result<&str, AppError> {
        match (&self.code, &self.error) {
            (Some(code), None) => Ok(code),
            (_, error) => Err(AppError::Invalid(format!(
                "authorization was not granted: {}",
                self.error_description.as_deref().or(error.as_deref()).unwrap_or("no code given")
            ))),
        }
    }
}

async fn x_start(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(params): AppQuery<StartParams>,
) -> Result<Response, AppError> {
    auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, params.brand_id).await?;
    let (pending, connectors) = flows(&state)?;
    let app = &state.config.connection.x;
    let base_url = checked_base_url(params.base_url, &app.base_url)?;
    let authorize = authorize_base(&app.authorize_url, X_AUTHORIZE_URL, &base_url, X_BASE_URL);
    let redirect = redirect_uri(&state, app.redirect_url.as_deref(), "x");
    let url =
        connect::start_x(&connectors, &pending, brand_id, &base_url, &authorize, &redirect).await?;
    Ok(found(url))
}

async fn x_callback(
    State(state): State<AppState>,
    AppQuery(params): AppQuery<CallbackParams>,
) -> Result<(StatusCode, AppJson<Account>), AppError> {
    let (pending, connectors) = flows(&state)?;
    let code = match params.code() {
        Ok(code) => code,
        Err(error) => {
            // The flow is over either way: forget its verifier.
            pending.take_x(&params.state).await?;
            return Err(error);
        }
    };
    let (key, _) = services(&state)?;
    let account =
        connect::finish_x(&state.store, &key, &connectors, &pending, code, &params.state).await?;
    Ok((StatusCode::CREATED, AppJson(account)))
}

async fn facebook_start(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(params): AppQuery<StartParams>,
) -> Result<Response, AppError> {
    auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, params.brand_id).await?;
    let (pending, connectors) = flows(&state)?;
    let app = &state.config.connection.facebook;
    let base_url = checked_base_url(params.base_url, &app.base_url)?;
    let dialog = authorize_base(&app.dialog_url, FACEBOOK_DIALOG_URL, &base_url, FACEBOOK_BASE_URL);
    let redirect = redirect_uri(&state, app.redirect_url.as_deref(), "facebook");
    let url =
        connect::start_facebook(&connectors, &pending, brand_id, &base_url, &dialog, &redirect)
            .await?;
    Ok(found(url))
}

async fn facebook_callback(
    State(state): State<AppState>,
    AppQuery(params): AppQuery<CallbackParams>,
) -> Result<AppJson<PagesToPick>, AppError> {
    let (pending, connectors) = flows(&state)?;
    let code = match params.code() {
        Ok(code) => code,
        Err(error) => {
            pending.take_facebook(&params.state).await?;
            return Err(error);
        }
    };
    let pages = connect::facebook_callback(&connectors, &pending, code, &params.state).await?;
    Ok(AppJson(pages))
}

#[derive(Debug, Deserialize)]
struct PickPages {
    selection: String,
    page_ids: Vec<String>,
}

async fn facebook_pages(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<PickPages>,
) -> Result<(StatusCode, AppJson<Vec<Account>>), AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    let (key, connectors) = services(&state)?;
    let pending = PendingConnects::new(state.store.clone(), key.clone());
    let accounts = connect::pick_pages(
        &state.store,
        &key,
        &connectors,
        &pending,
        &body.selection,
        &body.page_ids,
    )
    .await?;
    for account in &accounts {
        let store = state.store.as_ref();
        audit::record(
            store,
            principal,
            "account.connected",
            "account",
            account.id,
            None::<()>,
            Some(account),
        )
        .await?;
    }
    Ok((StatusCode::CREATED, AppJson(accounts)))
}

#[derive(Deserialize)]
struct ConnectDiscourse {
    brand_id: i64,
    base_url: String,
    username: String,
    api_key: String,
}

async fn discourse(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<ConnectDiscourse>,
) -> Result<(StatusCode, AppJson<Account>), AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, body.brand_id).await?;
    let base_url = checked_base_url(Some(body.base_url), "")?;
    if body.username.trim().is_empty() || body.api_key.trim().is_empty() {
        return Err(AppError::InvalidBody("username and api_key must not be empty".to_owned()));
    }
    let (key, connectors) = services(&state)?;
    let secrets = AccountSecrets {
        access_token: body.api_key,
        refresh_token: None,
        expires_at: None,
        api_username: Some(body.username.clone()),
    };
    let connector = connectors.get(Channel::Discourse);
    let account = connect::connect_with_token(
        &state.store,
        &key,
        connector.as_ref(),
        brand_id,
        &base_url,
        Some(&body.username),
        secrets,
    )
    .await?;
    let store = state.store.as_ref();
    audit::record(
        store,
        principal,
        "account.connected",
        "account",
        account.id,
        None::<()>,
        Some(&account),
    )
    .await?;
    Ok((StatusCode::CREATED, AppJson(account)))
}

/// The connect flows under way (in the store, sealed with the secret key) and the connectors.
fn flows(state: &AppState) -> Result<(PendingConnects, Arc<Connectors>), AppError> {
    let (key, connectors) = services(state)?;
    Ok((PendingConnects::new(state.store.clone(), key), connectors))
}

/// The secret key and connectors, made on first use.
fn services(state: &AppState) -> Result<(Arc<SecretKey>, Arc<Connectors>), AppError> {
    let key = state.accounts.key().map_err(AppError::internal)?;
    let connectors = state.accounts.connectors().map_err(AppError::internal)?;
    Ok((key, connectors))
}

async fn known_brand(state: &AppState, brand_id: i64) -> Result<BrandId, AppError> {
    let brands = state.store.list_brands().await?;
    brands
        .iter()
        .find(|brand| brand.id == BrandId(brand_id))
        .map(|brand| brand.id)
        .ok_or_else(|| AppError::NotFound(format!("brand {brand_id} not found")))
}

/// `given` (or `default`) as an http(s) URL without a trailing slash.
fn checked_base_url(given: Option<String>, default: &str) -> Result<String, AppError> {
    let base_url = given.unwrap_or_else(|| default.to_owned());
    match url::Url::parse(base_url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            Ok(base_url.trim().trim_end_matches('/').to_owned())
        }
        _ => Err(AppError::InvalidParameter(format!(
            "base_url {base_url:?} is not an http:// or https:// URL"
        ))),
    }
}

/// The configured redirect URL, or this server's own callback when none is (fine on one machine;
/// a registered app needs the public URL configured).
fn redirect_uri(state: &AppState, configured: Option<&str>, platform: &str) -> String {
    configured.map_or_else(
        || format!("http://{}/api/v1/connect/{platform}/callback", state.config.bind),
        str::to_owned,
    )
}

fn found(url: url::Url) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}
