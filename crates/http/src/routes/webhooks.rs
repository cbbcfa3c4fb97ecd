//! Platform webhooks: a faster path than polling where platforms push.
//!
//! Every delivery is checked against its platform's signature over the raw body before anything
//! else is read; a missing or wrong signature is refused with 401 and a warning (never the body).
//! A signed delivery goes through the same idempotent `Store::ingest` as polling, so a message
//! that arrives both ways is stored once. Signed items that cannot be read are recorded as ingest
//! errors against their account (visible in `trellis account list`) and the rest of the delivery
//! is kept; the answer is still 200 so the platform does not redeliver the same bytes forever. A
//! signed body that cannot even be routed to an account (not JSON, no account id) is answered 400.
//!
//! - Facebook: `GET /webhooks/facebook` answers the subscription handshake; `POST` deliveries are
//!   routed by Page id. Feed changes are ingested; Messenger messages (which name people, not
//!   conversations) ring the doorbell of the account's `conversations` stream instead, so they
//!   enter through polling with the thread polling gives them.
//! - Discourse: `POST /webhooks/discourse/{account_id}`, one webhook per connected forum.
//! - X: `GET /webhooks/x?crc_token=` answers the CRC check; `POST` deliveries are doorbells that
//!   make the scheduler poll the announced streams now.

use crate::error::AppError;
use crate::extract::{AppPath, AppQuery};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use trellis_connector_discourse::webhook as discourse;
use trellis_connector_facebook::webhook as facebook;
use trellis_connector_x::webhook as x;
use trellis_core::{AccountId, Channel};
use trellis_sync::deliveries::{self, ingest_delivery, item_error, Delivered};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Deliveries larger than this are refused before they are read: platforms send small JSON.
pub const MAX_DELIVERY_BYTES: usize = 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(facebook_handshake, facebook_delivery))
        .routes(routes!(discourse_delivery))
        .routes(routes!(x_crc, x_delivery))
        .layer(DefaultBodyLimit::max(MAX_DELIVERY_BYTES))
}

/// Refuses a delivery whose signature does not hold, logging why but nothing of the body.
fn refuse(platform: &'static str, reason: &str) -> AppError {
    tracing::warn!(platform, reason, "webhook delivery refused");
    AppError::Unauthorized(format!("{platform} webhook signature is missing or wrong"))
}

/// The configured webhook secret `setting`; without it the platform's webhooks are not served.
fn configured<'a>(
    value: Option<&'a str>,
    platform: &'static str,
    setting: &'static str,
) -> Result<&'a str, AppError> {
    value.ok_or_else(|| {
        tracing::warn!(
            platform,
            setting,
            "webhook delivery received but webhooks are not configured"
        );
        AppError::NotFound(format!("{platform} webhooks are not configured (set {setting})"))
    })
}

#[utoipa::path(
    get,
    path = "/webhooks/facebook",
    tag = "webhooks",
    summary = "Facebook subscription handshake",
    params(("hub.mode" = String, Query, description = "subscribe"), ("hub.verify_token" = String, Query, description = "the configured verify token"), ("hub.challenge" = String, Query, description = "echoed back")),
    responses((status = 200, description = "the challenge"), (status = 403, description = "wrong verify token")),
    security(())
)]
async fn facebook_handshake(
    State(state): State<AppState>,
    AppQuery(params): AppQuery<HashMap<String, String>>,
) -> Result<String, AppError> {
    let verify_token = configured(
        state.config.connection.facebook.verify_token.as_deref(),
        "facebook",
        "facebook.verify_token",
    )?;
    facebook::verify_challenge(params.iter().map(|(k, v)| (k.as_str(), v.as_str())), verify_token)
        .map_err(|error| {
            tracing::warn!(platform = "facebook", reason = %error, "webhook subscription refused");
            AppError::Forbidden(error.to_string())
        })
}

#[utoipa::path(
    post,
    path = "/webhooks/facebook",
    tag = "webhooks",
    summary = "A signed Facebook delivery (X-Hub-Signature-256)",
    responses((status = 200, description = "ingested (items that cannot be read are recorded as ingest errors)"), (status = 401, description = "the signature is missing or wrong"), (status = 404, description = "webhooks of this platform are not configured")),
    security(())
)]
async fn facebook_delivery(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let secret = configured(
        state.config.connection.facebook.app_secret.as_deref(),
        "facebook",
        "facebook.app_secret",
    )?;
    facebook::verify_signature(secret, &headers, &body)
        .map_err(|error| refuse("facebook", &error.to_string()))?;
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|error| AppError::InvalidBody(format!("unreadable facebook delivery: {error}")))?;
    Ok(Json(deliveries::facebook(&state.store, &state.sync, &envelope).await?.to_json()))
}

#[utoipa::path(
    post,
    path = "/webhooks/discourse/{account_id}",
    tag = "webhooks",
    summary = "A signed Discourse delivery (X-Discourse-Event-Signature)",
    params(("account_id" = i64, Path, description = "the forum's account")),
    responses((status = 200, description = "ingested (items that cannot be read are recorded as ingest errors)"), (status = 401, description = "the signature is missing or wrong"), (status = 404, description = "webhooks of this platform are not configured")),
    security(())
)]
async fn discourse_delivery(
    State(state): State<AppState>,
    AppPath(account_id): AppPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let secret = configured(
        state.config.connection.discourse.webhook_secret.as_deref(),
        "discourse",
        "discourse.webhook_secret",
    )?;
    let signature = headers.get(discourse::SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    discourse::verify_signature(secret.as_bytes(), signature, &body)
        .map_err(|error| refuse("discourse", &error.to_string()))?;
    let account = state.store.get_account(AccountId(account_id)).await?;
    if account.channel != Channel::Discourse {
        return Err(AppError::NotFound(format!("account {account_id} is not a discourse account")));
    }
    let event = headers.get(discourse::EVENT_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    let delivered = match discourse::parse_delivery(event, &body, &account.platform_account_id) {
        Ok(discourse::Delivery::Ping) => Delivered::default(),
        Ok(discourse::Delivery::Ignored { event }) => {
            tracing::debug!(account_id = %account.id, event, "discourse event ignored");
            Delivered::default()
        }
        Ok(discourse::Delivery::Messages(messages)) => {
            ingest_delivery(&state.store, &account, messages, Vec::new()).await?
        }
        Err(error) => {
            let payload: Value = serde_json::from_slice(&body)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
            let stream = if event.is_empty() { "webhook" } else { event };
            let error = item_error(&account, stream, &payload, &error.to_string());
            ingest_delivery(&state.store, &account, Vec::new(), vec![error]).await?
        }
    };
    Ok(Json(delivered.to_json()))
}

#[derive(Deserialize)]
struct Crc {
    crc_token: String,
}

#[utoipa::path(
    get,
    path = "/webhooks/x",
    tag = "webhooks",
    summary = "X Account Activity CRC check",
    params(("crc_token" = String, Query, description = "the challenge")),
    responses((status = 200, description = "the response token")),
    security(())
)]
async fn x_crc(
    State(state): State<AppState>,
    AppQuery(crc): AppQuery<Crc>,
) -> Result<Json<Value>, AppError> {
    let secret =
        configured(state.config.connection.x.consumer_secret.as_deref(), "x", "x.consumer_secret")?;
    Ok(Json(x::crc_response(secret, &crc.crc_token)))
}

#[utoipa::path(
    post,
    path = "/webhooks/x",
    tag = "webhooks",
    summary = "A signed X delivery (x-twitter-webhooks-signature)",
    responses((status = 200, description = "ingested (items that cannot be read are recorded as ingest errors)"), (status = 401, description = "the signature is missing or wrong"), (status = 404, description = "webhooks of this platform are not configured")),
    security(())
)]
async fn x_delivery(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let secret =
        configured(state.config.connection.x.consumer_secret.as_deref(), "x", "x.consumer_secret")?;
    let signature = headers.get(x::SIGNATURE_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !x::verify_signature(secret, &body, signature) {
        return Err(refuse(
            "x",
            if signature.is_empty() { "missing signature" } else { "bad signature" },
        ));
    }
    let envelope: Value = serde_json::from_slice(&body)
        .map_err(|error| AppError::InvalidBody(format!("unreadable x delivery: {error}")))?;
    let Some(user_id) = envelope.get("for_user_id").and_then(Value::as_str) else {
        return Err(AppError::InvalidBody("x delivery without for_user_id".into()));
    };
    let mut delivered = Delivered::default();
    match state.store.find_account(Channel::X, user_id).await? {
        None => {
            tracing::warn!(platform = "x", user_id, "delivery for an account that is not connected")
        }
        Some(account) => match x::streams_with_news(&body, user_id) {
            Ok(streams) if streams.is_empty() => {}
            Ok(streams) => {
                let streams = streams.into_iter().map(str::to_owned).collect();
                delivered.poked += usize::from(state.sync.poke(account.id, streams));
            }
            Err(error) => {
                let error = item_error(&account, "webhook", &envelope, &error.to_string());
                delivered.absorb(
                    ingest_delivery(&state.store, &account, Vec::new(), vec![error]).await?,
                );
            }
        },
    }
    Ok(Json(delivered.to_json()))
}
