//! Who is asking. Every route but the open ones (health, platform webhooks, OAuth callbacks,
//! sign-in) sits behind [`require_auth`], which accepts either
//! - `Authorization: Bearer trellis_pat_…`, a personal API token, or
//! - the `trellis_session` cookie of a browser session; then a request that changes anything
//!   must also carry the session's CSRF token in `X-CSRF-Token` and, when the browser names one,
//!   an `Origin` (or `Referer`) of this server.
//!
//! What it proved is handed to handlers as [`Auth`]; what each principal may do is decided in
//! `trellis_app::access`, not here.

pub mod cookies;
pub mod routes;

use crate::error::AppError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::net::SocketAddr;
use trellis_app::access::Via;
use trellis_app::identity::{secrets, sessions};
use trellis_app::{Permission, Principal};
use trellis_core::User;

/// The header a cookie-authenticated request that changes something carries its CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// What [`require_auth`] proved about a request.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub user: User,
    /// The browser session, when the request came with one.
    pub session: Option<SessionRef>,
}

/// The session a request came with.
#[derive(Debug, Clone)]
pub struct SessionRef {
    /// The hash the store keeps it under (to keep it when ending the others).
    pub id_hash: String,
    pub csrf_token: String,
}

/// Handlers behind [`require_auth`] take this to learn who is asking.
#[derive(Debug, Clone)]
pub struct Auth(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .map(Auth)
            .ok_or_else(|| AppError::Unauthenticated("sign in or send an API token".into()))
    }
}

impl Auth {
    pub fn principal(&self) -> &Principal {
        &self.0.principal
    }

    /// The principal, when it holds `permission`; a 403 naming the role needed otherwise.
    pub fn require(&self, permission: Permission) -> Result<&Principal, AppError> {
        self.0.principal.require(permission)?;
        Ok(&self.0.principal)
    }
}

/// The middleware in front of every protected route.
pub async fn require_auth(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = client_address(&request);
    let (method, headers) = (request.method().clone(), request.headers().clone());
    let matched = request.extensions().get::<MatchedPath>().map(|path| path.as_str().to_owned());
    let authenticated = match authenticate(&state, &method, &headers, address).await {
        Ok(authenticated) => authenticated,
        Err(error) => return error.into_response(),
    };
    if let Err(error) = check_role(&authenticated.principal, &method, matched.as_deref()) {
        return error.into_response();
    }
    request.extensions_mut().insert(authenticated);
    next.run(request).await
}

async fn authenticate(
    state: &AppState,
    method: &Method,
    headers: &HeaderMap,
    address: Option<String>,
) -> Result<Authenticated, AppError> {
    let now = Utc::now();
    let store = state.store.as_ref();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                AppError::Unauthenticated(
                    "the Authorization header must be `Bearer <token>`".into(),
                )
            })?;
        let (token, user) = sessions::token_for(store, token, now).await?.ok_or_else(|| {
            AppError::Unauthenticated("the API token is unknown, revoked or expired".into())
        })?;
        let mut principal =
            Principal::signed_in(store, &user, Via::Token { token_id: token.id.0 }).await?;
        principal.address = address;
        return Ok(Authenticated { principal, user, session: None });
    }
    let Some(secret) = cookies::read(headers, cookies::SESSION_COOKIE) else {
        return Err(AppError::Unauthenticated("sign in or send an API token".into()));
    };
    let found = sessions::session_for(store, state.auth.sessions, &secret, now).await?;
    let Some(found) = found else {
        return Err(AppError::Unauthenticated("the session has ended; sign in again".into()));
    };
    let csrf_token = secrets::csrf_token(&secret);
    if changes_something(method) {
        check_csrf(headers, &csrf_token, state.auth.public_origin.as_deref())?;
    }
    let mut principal = Principal::signed_in(store, &found.user, Via::Session).await?;
    principal.address = address;
    Ok(Authenticated {
        principal,
        user: found.user,
        session: Some(SessionRef { id_hash: found.session.id_hash, csrf_token }),
    })
}

/// The least role the route's documented operation needs, checked before any handler runs (and
/// before a body is read). A protected route without a documented role is refused: fail closed.
fn check_role(
    principal: &Principal,
    method: &Method,
    matched: Option<&str>,
) -> Result<(), AppError> {
    let Some(path) = matched else {
        return Err(AppError::Forbidden("this route has no documented role".into()));
    };
    let key = (method.as_str().to_owned(), path.to_owned());
    let Some(least) = crate::routes::openapi::least_roles().get(&key) else {
        tracing::error!(method = %method, path, "protected route without a documented role");
        return Err(AppError::Forbidden("this route has no documented role".into()));
    };
    if trellis_app::access::role_at_least(principal.role, *least) {
        return Ok(());
    }
    Err(AppError::Forbidden(format!(
        "this needs the {least} role or above; you are {}",
        principal.role
    )))
}

/// Methods that may change state: they need the CSRF proof when a cookie authenticates them.
pub fn changes_something(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A cookie-authenticated change must carry the session's token, and come from this server's
/// pages: the browser's `Origin` (or, without it, `Referer`) must name this server, and
/// `Sec-Fetch-Site: cross-site` is refused outright.
pub fn check_csrf(
    headers: &HeaderMap,
    expected: &str,
    public_origin: Option<&str>,
) -> Result<(), AppError> {
    let refuse = |why: &str| Err(AppError::Forbidden(format!("csrf check failed: {why}")));
    if headers.get("sec-fetch-site").and_then(|value| value.to_str().ok()) == Some("cross-site") {
        return refuse("the request came from another site");
    }
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    if let Some(origin) = origin {
        if !same_origin(origin, headers, public_origin) {
            return refuse("the request came from another origin");
        }
    }
    let sent = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok());
    match sent {
        Some(sent) if secrets::same(sent, expected) => Ok(()),
        Some(_) => refuse("the X-CSRF-Token header does not match the session"),
        None => refuse("the X-CSRF-Token header is missing"),
    }
}

/// Whether `origin` (an `Origin` value or a `Referer` URL) is this server: the configured public
/// origin, or else the `Host` the request was sent to.
fn same_origin(origin: &str, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    let Ok(url) = url::Url::parse(origin) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let authority = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    if let Some(public) = public_origin.and_then(|public| url::Url::parse(public).ok()) {
        return url.origin() == public.origin();
    }
    headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|host_header| host_header.eq_ignore_ascii_case(&authority))
}

/// The peer address of the request, when the server was started with connection info.
#[derive(Debug, Clone)]
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(address)| address.ip().to_string());
        Ok(Self(address))
    }
}

/// The peer address of the connection, when the server was started with connection info.
pub fn client_address(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn a_change_needs_the_token_and_this_origin() {
        let good = [("host", "inbox.example:8080"), ("x-csrf-token", "t0k")];
        assert!(check_csrf(&headers(&good), "t0k", None).is_ok());
        let same = [
            ("host", "inbox.example:8080"),
            ("origin", "http://inbox.example:8080"),
            ("x-csrf-token", "t0k"),
        ];
        assert!(check_csrf(&headers(&same), "t0k", None).is_ok());
        let missing = [("host", "inbox.example:8080")];
        assert!(check_csrf(&headers(&missing), "t0k", None).is_err());
        let wrong = [("host", "inbox.example:8080"), ("x-csrf-token", "nope")];
        assert!(check_csrf(&headers(&wrong), "t0k", None).is_err());
        let foreign = [
            ("host", "inbox.example:8080"),
            ("origin", "https://evil.example"),
            ("x-csrf-token", "t0k"),
        ];
        assert!(check_csrf(&headers(&foreign), "t0k", None).is_err());
        let cross = [
            ("host", "inbox.example:8080"),
            ("sec-fetch-site", "cross-site"),
            ("x-csrf-token", "t0k"),
        ];
        assert!(check_csrf(&headers(&cross), "t0k", None).is_err());
    }

    #[test]
    fn a_configured_public_origin_is_what_counts() {
        let proxied = [
            ("host", "127.0.0.1:8080"),
            ("origin", "https://inbox.example"),
            ("x-csrf-token", "t"),
        ];
        assert!(check_csrf(&headers(&proxied), "t", Some("https://inbox.example")).is_ok());
        assert!(check_csrf(&headers(&proxied), "t", Some("https://other.example")).is_err());
        let referer =
            [("host", "x"), ("referer", "https://inbox.example/inbox?q=1"), ("x-csrf-token", "t")];
        assert!(check_csrf(&headers(&referer), "t", Some("https://inbox.example")).is_ok());
    }

    #[test]
    fn reading_does_not_need_the_csrf_proof() {
        assert!(!changes_something(&Method::GET));
        assert!(changes_something(&Method::POST));
        assert!(changes_something(&Method::DELETE));
    }
}
