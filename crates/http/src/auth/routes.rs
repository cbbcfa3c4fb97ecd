//! Signing in and out, and what a signed-in user manages of their own sign-in:
//! - `POST /api/v1/auth/login` `{email, password}`: opens a session (the cookie) and answers the
//!   user with the session's CSRF token; open to anyone, throttled.
//! - `POST /api/v1/auth/logout`: ends this session.
//! - `GET /api/v1/auth/me`: who is signed in, how, and the CSRF token for a session.
//! - `POST /api/v1/auth/password` `{current_password, new_password}`: changes the password and
//!   ends every other session.
//! - `GET /api/v1/auth/sessions`, `DELETE /api/v1/auth/sessions`: one's sessions; end the others.

use super::{client_address, cookies, Auth};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use trellis_app::identity::{sessions, users};
use trellis_app::Principal;
use trellis_core::{Session, User};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Routes open to anyone.
pub fn open_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login))
}

/// Routes for a signed-in user.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(list_sessions, end_other_sessions))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

/// Who is signed in.
#[derive(Serialize)]
struct Me {
    user: User,
    principal: Principal,
    /// Send it as `X-CSRF-Token` with every change made with the session cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_expires_at: Option<DateTime<Utc>>,
}

#[utoipa::path(
    post,
    path = "/auth/login",
    tag = "sign-in",
    summary = "Sign in: sets the session cookie and answers the CSRF token",
    request_body = LoginRequest,
    responses((status = 200, description = "the user and the csrf_token"), (status = 401, description = "invalid_credentials (the same for an unknown email)"), (status = 429, description = "too many failures: Retry-After")),
    security(())
)]
async fn login(State(state): State<AppState>, request: Request) -> Result<Response, AppError> {
    let address = client_address(&request);
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let AppJson(body) = AppJson::<LoginRequest>::from_request(request, &state).await?;
    let attempt = sessions::SignIn {
        email: &body.email,
        password: &body.password,
        address: address.clone(),
        user_agent,
    };
    let signed_in = sessions::sign_in(
        state.store.as_ref(),
        state.auth.sessions,
        state.auth.throttle,
        attempt,
        Utc::now(),
    )
    .await?;
    let session = &signed_in.session.session;
    tracing::info!(user_id = %signed_in.session.user.id, "signed in");
    let max_age = (session.absolute_expires_at - Utc::now()).num_seconds().max(0);
    let mut principal = Principal::signed_in(
        state.store.as_ref(),
        &signed_in.session.user,
        trellis_app::access::Via::Session,
    )
    .await?;
    principal.address = address;
    let body = Me {
        user: signed_in.session.user.clone(),
        principal,
        csrf_token: Some(signed_in.csrf_token.clone()),
        session_expires_at: Some(session.idle_expires_at),
    };
    let cookie = cookies::session(&signed_in.secret, max_age, state.auth.secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], AppJson(body)).into_response())
}

#[utoipa::path(
    post,
    path = "/auth/logout",
    tag = "sign-in",
    summary = "Sign out: ends this session",
    responses((status = 204, description = "signed out"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn logout(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if auth.0.session.is_some() {
        if let Some(secret) = cookies::read(&headers, cookies::SESSION_COOKIE) {
            sessions::sign_out(state.store.as_ref(), &secret).await?;
        }
    }
    let cleared = cookies::cleared(state.auth.secure_cookies);
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cleared)]).into_response())
}

#[utoipa::path(
    get,
    path = "/auth/me",
    tag = "sign-in",
    summary = "Who is signed in, and the session's CSRF token",
    responses((status = 200, description = "the user"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn me(auth: Auth) -> AppJson<Me> {
    let Auth(authenticated) = auth;
    AppJson(Me {
        user: authenticated.user,
        principal: authenticated.principal,
        csrf_token: authenticated.session.map(|session| session.csrf_token),
        session_expires_at: None,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[utoipa::path(
    post,
    path = "/auth/password",
    tag = "sign-in",
    summary = "Change one's password; the other sessions end",
    request_body = PasswordChange,
    responses((status = 204, description = "changed"), (status = 422, description = "the current password is wrong, or the new one too weak"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn change_password(
    State(state): State<AppState>,
    auth: Auth,
    AppJson(body): AppJson<PasswordChange>,
) -> Result<StatusCode, AppError> {
    let this_session = auth.0.session.as_ref().map(|session| session.id_hash.as_str());
    users::change_own_password(
        state.store.as_ref(),
        auth.principal(),
        &body.current_password,
        &body.new_password,
        this_session,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A session as its owner sees it; `current` marks the one asking.
#[derive(Serialize)]
struct SessionView {
    #[serde(flatten)]
    session: Session,
    current: bool,
}

#[utoipa::path(
    get,
    path = "/auth/sessions",
    tag = "sign-in",
    summary = "One's live sessions",
    responses((status = 200, description = "the sessions; current marks this one"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn list_sessions(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Vec<SessionView>>, AppError> {
    let current = auth.0.session.as_ref().map(|session| session.id_hash.clone());
    let now = Utc::now();
    let sessions = state.store.list_user_sessions(auth.0.user.id).await?;
    Ok(AppJson(
        sessions
            .into_iter()
            .filter(|session| session.is_live(now))
            .map(|session| SessionView {
                current: Some(&session.id_hash) == current.as_ref(),
                session,
            })
            .collect(),
    ))
}

#[derive(Serialize)]
struct Ended {
    ended: u64,
}

#[utoipa::path(
    delete,
    path = "/auth/sessions",
    tag = "sign-in",
    summary = "End every session but this one",
    responses((status = 200, description = "how many ended"), (status = 401, description = "not signed in")),
    security(("token" = ["agent"]), ("session" = ["agent"]))
)]
async fn end_other_sessions(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<AppJson<Ended>, AppError> {
    let keep = auth.0.session.as_ref().map(|session| session.id_hash.as_str());
    let ended = state.store.delete_user_sessions(auth.0.user.id, keep).await?;
    Ok(AppJson(Ended { ended }))
}
