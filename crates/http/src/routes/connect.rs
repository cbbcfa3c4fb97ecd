//! Connecting accounts over HTTP:
//!
//! - `GET /api/v1/connect/x/start?brand_id=` → 302 to X's authorize page (PKCE);
//!   `GET /api/v1/connect/x/callback?code&state` → the connected account.
//! - `GET /api/v1/connect/facebook/start?brand_id=` → 302 to the login dialog;
//!   `GET /api/v1/connect/facebook/callback?code&state` → the Pages to pick and a one-time
//!   `selection`; `POST /api/v1/connect/facebook/pages {selection, page_ids}` → the accounts.
//! - `POST /api/v1/connect/discourse {brand_id, base_url, username, api_key}` → the account.
//!
//! Starting a flow, picking Pages and connecting Discourse need the admin role; the two callbacks
//! are open and bound to their flow's one-time `state`. No answer ever holds a token.
//!
//! Where the server connects and redirects is never the request's to choose: the X and Facebook
//! APIs and their authorize pages come from the configuration only (a start route refuses any
//! parameter but `brand_id`), and a forum's `base_url`, which an admin gives, is refused when it
//! points into a private network unless `sync.allow_private_addresses` is set
//! ([`trellis_sync::addresses`]).

use crate::auth::Auth;
use crate::error::AppError;
use crate::extract::{AppJson, AppQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use trellis_app::access::Via;
use trellis_app::{accounts, Permission, Principal};
use trellis_core::{Account, BrandId, Channel};
use trellis_sync::accounts::connect::{self, authorize_base, PagesToPick};
use trellis_sync::accounts::{Connectors, PendingConnects};
use trellis_sync::addresses::check_platform_url;
use trellis_sync::apps::{FACEBOOK_BASE_URL, FACEBOOK_DIALOG_URL, X_AUTHORIZE_URL, X_BASE_URL};
use trellis_sync::secrets::{AccountSecrets, SecretKey};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Starting a connection and finishing it by hand: admins only.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(x_start))
        .routes(routes!(facebook_start))
        .routes(routes!(facebook_pages))
        .routes(routes!(discourse))
}

/// Where the platforms send the admin back: open, since the platform's redirect carries no
/// session of ours for certain (another site, another browser tab policy); each callback is bound
/// to the flow an admin started by its one-time `state`.
pub fn callbacks() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(x_callback)).routes(routes!(facebook_callback))
}

/// What a start route reads: only the brand. The API and the page the admin is sent to are the
/// configured ones; an unknown parameter (a `base_url` an older client sends) is refused with 400
/// so the client learns it is not used.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartParams {
    brand_id: i64,
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

#[utoipa::path(
    get,
    path = "/connect/x/start",
    tag = "accounts",
    summary = "Start connecting an X account: 302 to X's consent page",
    params(("brand_id" = i64, Query, description = "the brand the account will belong to")),
    responses((status = 302, description = "to the configured authorize page"), (status = 404, description = "no such brand"), (status = 422, description = "the X app is not configured"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn x_start(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(params): AppQuery<StartParams>,
) -> Result<Response, AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, params.brand_id).await?;
    let (pending, connectors) = flows(&state)?;
    let app = &state.config.connection.x;
    let base_url = &app.base_url;
    let authorize = authorize_base(&app.authorize_url, X_AUTHORIZE_URL, base_url, X_BASE_URL);
    let redirect = redirect_uri(&state, app.redirect_url.as_deref(), "x");
    let by = principal.user_id;
    let url =
        connect::start_x(&connectors, &pending, brand_id, base_url, &authorize, &redirect, by)
            .await?;
    Ok(found(url))
}

#[utoipa::path(
    get,
    path = "/connect/x/callback",
    tag = "accounts",
    summary = "Where X sends the admin back; bound to the flow's one-time state",
    params(("code" = Option<String>, Query, description = "the authorization code"), ("state" = String, Query, description = "the flow"), ("error" = Option<String>, Query, description = "why there is no code")),
    responses((status = 201, description = "the connected account"), (status = 400, description = "unknown or expired state"), (status = 422, description = "authorization was not granted, or the platform refused")),
    security(())
)]
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
    let (account, started_by) =
        connect::finish_x(&state.store, &key, &connectors, &pending, code, &params.state).await?;
    // The callback carries no session: the audit names whoever started the flow.
    let store = state.store.as_ref();
    let principal = match started_by {
        Some(user) => Principal::user(&store.get_user(user).await?, Via::Session),
        None => Principal::operator(),
    };
    accounts::connected(store, &principal, [&account]).await?;
    Ok((StatusCode::CREATED, AppJson(account)))
}

#[utoipa::path(
    get,
    path = "/connect/facebook/start",
    tag = "accounts",
    summary = "Start connecting Facebook Pages: 302 to the login dialog",
    params(("brand_id" = i64, Query, description = "the brand the Pages will belong to")),
    responses((status = 302, description = "to the configured dialog"), (status = 404, description = "no such brand"), (status = 422, description = "the Meta app is not configured"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn facebook_start(
    State(state): State<AppState>,
    auth: Auth,
    AppQuery(params): AppQuery<StartParams>,
) -> Result<Response, AppError> {
    auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, params.brand_id).await?;
    let (pending, connectors) = flows(&state)?;
    let app = &state.config.connection.facebook;
    let base_url = &app.base_url;
    let dialog = authorize_base(&app.dialog_url, FACEBOOK_DIALOG_URL, base_url, FACEBOOK_BASE_URL);
    let redirect = redirect_uri(&state, app.redirect_url.as_deref(), "facebook");
    let url =
        connect::start_facebook(&connectors, &pending, brand_id, base_url, &dialog, &redirect)
            .await?;
    Ok(found(url))
}

#[utoipa::path(
    get,
    path = "/connect/facebook/callback",
    tag = "accounts",
    summary = "Where Facebook sends the admin back: the Pages to pick and a one-time selection",
    params(("code" = Option<String>, Query, description = "the authorization code"), ("state" = String, Query, description = "the flow"), ("error" = Option<String>, Query, description = "why there is no code")),
    responses((status = 200, description = "the Pages to pick"), (status = 400, description = "unknown or expired state"), (status = 422, description = "authorization was not granted, or the platform refused")),
    security(())
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct PickPages {
    selection: String,
    page_ids: Vec<String>,
}

#[utoipa::path(
    post,
    path = "/connect/facebook/pages",
    tag = "accounts",
    summary = "Connect the picked Pages",
    request_body = PickPages,
    responses((status = 201, description = "the connected accounts"), (status = 400, description = "unknown or expired selection"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
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
    accounts::connected(state.store.as_ref(), principal, &accounts).await?;
    Ok((StatusCode::CREATED, AppJson(accounts)))
}

#[derive(Deserialize, utoipa::ToSchema)]
struct ConnectDiscourse {
    brand_id: i64,
    base_url: String,
    username: String,
    api_key: String,
}

#[utoipa::path(
    post,
    path = "/connect/discourse",
    tag = "accounts",
    summary = "Connect a Discourse forum with an API key",
    request_body = ConnectDiscourse,
    responses((status = 201, description = "the connected account"), (status = 404, description = "no such brand"), (status = 422, description = "a field is wrong, the address is refused, or the forum refused the key"), (status = 401, description = "not signed in"), (status = 403, description = "the role does not allow it")),
    security(("token" = ["admin"]), ("session" = ["admin"]))
)]
async fn discourse(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<ConnectDiscourse>,
) -> Result<(StatusCode, AppJson<Account>), AppError> {
    let principal = auth.require(Permission::ManageAccounts)?;
    let brand_id = known_brand(&state, body.brand_id).await?;
    let base_url = checked_forum_url(&state, &body.base_url).await?;
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
    accounts::connected(state.store.as_ref(), principal, [&account]).await?;
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

/// The forum address an admin gave, checked ([`check_platform_url`]) and kept as it was checked
/// (the URL standard's spelling, no trailing slash), so the connector connects to what was judged.
async fn checked_forum_url(state: &AppState, given: &str) -> Result<String, AppError> {
    let allow_private = state.config.connection.sync.allow_private_addresses;
    let url = check_platform_url(given, allow_private).await.map_err(|error| {
        AppError::InvalidField { field: "base_url", message: format!("base_url {error}") }
    })?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The configured redirect URL, or this server's own callback when none is (fine on one machine;
/// a registered app needs the public URL configured).
fn redirect_uri(state: &AppState, configured: Option<&str>, platform: &str) -> String {
    configured.map_or_else(
        || format!("{}/api/v1/connect/{platform}/callback", state.config.base_url()),
        str::to_owned,
    )
}

fn found(url: url::Url) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}
