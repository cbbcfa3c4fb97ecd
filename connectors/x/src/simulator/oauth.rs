//! OAuth 2.0 with PKCE as X runs it: an authorize page that consents at once (the simulated admin
//! always clicks "Authorize app"), the token endpoint with code and refresh grants (refresh tokens
//! are single-use and rotate), and revocation. Access tokens live two hours.

use super::routes::problem;
use super::Shared;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The scopes trellis asks for (PLATFORMS.md).
pub const OAUTH_SCOPES: &str =
    "tweet.read tweet.write tweet.moderate.write users.read dm.read dm.write offline.access";

const ACCESS_LIFETIME: Duration = Duration::hours(2);

struct Access {
    user_id: String,
    expires_at: DateTime<Utc>,
}

struct PendingCode {
    user_id: String,
    challenge: String,
    redirect_uri: String,
}

/// Tokens, refresh tokens and pending authorization codes.
pub(crate) struct Grants {
    client_id: String,
    client_secret: String,
    access: HashMap<String, Access>,
    refresh: HashMap<String, String>,
    codes: HashMap<String, PendingCode>,
    issued: u64,
}

impl Grants {
    pub fn new(client_id: String, client_secret: String) -> Self {
        Self {
            client_id,
            client_secret,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            issued: 0,
        }
    }

    pub fn issue_pair(&mut self, user_id: &str, access: String, refresh: String) {
        self.access.insert(
            access,
            Access { user_id: user_id.to_owned(), expires_at: Utc::now() + ACCESS_LIFETIME },
        );
        self.refresh.insert(refresh, user_id.to_owned());
    }

    fn mint(&mut self, prefix: &str) -> String {
        self.issued += 1;
        format!("{prefix}-{}-{}", self.issued, Utc::now().timestamp_micros())
    }

    /// The user a live access token belongs to.
    pub fn user_for(&self, token: &str, now: DateTime<Utc>) -> Option<String> {
        self.access
            .get(token)
            .filter(|access| access.expires_at > now)
            .map(|access| access.user_id.clone())
    }

    pub fn expire(&mut self, token: &str) {
        if let Some(access) = self.access.get_mut(token) {
            access.expires_at = DateTime::<Utc>::MIN_UTC;
        }
    }

    fn token_answer(&mut self, user_id: &str) -> serde_json::Value {
        let (access, refresh) = (self.mint("sim-access"), self.mint("sim-refresh"));
        self.issue_pair(user_id, access.clone(), refresh.clone());
        json!({"token_type": "bearer", "expires_in": ACCESS_LIFETIME.num_seconds(), "access_token": access, "scope": OAUTH_SCOPES, "refresh_token": refresh})
    }
}

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/i/oauth2/authorize", get(authorize))
        .route("/2/oauth2/token", post(token))
        .route("/2/oauth2/revoke", post(revoke))
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, axum::Json(json!({"error": error, "error_description": description}))).into_response()
}

/// Consents for the brand account and sends the browser back with a code.
async fn authorize(
    State(shared): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let mut inner = shared.lock();
    let method_ok = get("code_challenge_method").eq_ignore_ascii_case("s256");
    if get("response_type") != "code"
        || get("client_id") != inner.grants.client_id
        || !method_ok
        || get("code_challenge").is_empty()
        || get("redirect_uri").is_empty()
    {
        return problem(
            StatusCode::BAD_REQUEST,
            "Invalid Request",
            "response_type=code, client_id, redirect_uri and an S256 code_challenge are required",
            "about:blank",
        );
    }
    let code = inner.grants.mint("sim-code");
    let user_id = inner.world.brand_id.clone();
    inner.grants.codes.insert(
        code.clone(),
        PendingCode {
            user_id,
            challenge: get("code_challenge"),
            redirect_uri: get("redirect_uri"),
        },
    );
    let mut target = match url::Url::parse(&get("redirect_uri")) {
        Ok(url) => url,
        Err(_) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "Invalid Request",
                "redirect_uri is not a url",
                "about:blank",
            )
        }
    };
    target.query_pairs_mut().append_pair("state", &get("state")).append_pair("code", &code);
    Redirect::to(target.as_str()).into_response()
}

/// Which client is calling: Basic credentials (confidential client) or the `client_id` field.
fn client_ok(grants: &Grants, headers: &HeaderMap, form: &HashMap<String, String>) -> bool {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    match basic {
        Some(encoded) => STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .is_some_and(|pair| pair == format!("{}:{}", grants.client_id, grants.client_secret)),
        None => form.get("client_id") == Some(&grants.client_id),
    }
}

async fn token(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> =
        trellis_connector_kit::record::url_pairs(&String::from_utf8_lossy(&body)).collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let mut inner = shared.lock();
    if !client_ok(&inner.grants, &headers, &form) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Missing valid authorization header",
        );
    }
    match field("grant_type") {
        "refresh_token" => match inner.grants.refresh.remove(field("refresh_token")) {
            Some(user_id) => {
                (StatusCode::OK, axum::Json(inner.grants.token_answer(&user_id))).into_response()
            }
            None => oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "Value passed for the token was invalid.",
            ),
        },
        "authorization_code" => {
            let Some(pending) = inner.grants.codes.remove(field("code")) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Value passed for the authorization code was invalid.",
                );
            };
            let challenge =
                URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
            if challenge != pending.challenge || field("redirect_uri") != pending.redirect_uri {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "Value passed for the code_verifier or redirect_uri was invalid.",
                );
            }
            (StatusCode::OK, axum::Json(inner.grants.token_answer(&pending.user_id)))
                .into_response()
        }
        other => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            &format!("grant_type {other:?} is not supported"),
        ),
    }
}

async fn revoke(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form: HashMap<String, String> =
        trellis_connector_kit::record::url_pairs(&String::from_utf8_lossy(&body)).collect();
    let mut inner = shared.lock();
    if !client_ok(&inner.grants, &headers, &form) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized_client",
            "Missing valid authorization header",
        );
    }
    let token = form.get("token").cloned().unwrap_or_default();
    let revoked = inner.grants.access.remove(&token).is_some()
        | inner.grants.refresh.remove(&token).is_some();
    (StatusCode::OK, axum::Json(json!({"revoked": revoked}))).into_response()
}
