//! Creating the first admin with the one-time link `serve` logs while no admin exists:
//! - `GET /setup?token=…`: a small form (no script) asking for the admin's email, name and
//!   password;
//! - `POST /setup` (the form) and `POST /api/v1/setup` `{token, email, name, password}` (for
//!   scripts): create the admin and sign them in.
//!
//! Open routes: the secret in the link is the proof, taken once (`trellis_app::identity::setup`).

use crate::auth::{cookies, ClientAddress};
use crate::error::AppError;
use crate::extract::AppJson;
use crate::state::AppState;
use axum::extract::{Form, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use trellis_app::identity::{sessions, setup};
use trellis_core::User;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(form, submit_form)).routes(routes!(submit_json))
}

#[derive(Deserialize)]
struct LinkQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SetupRequest {
    token: String,
    email: String,
    name: String,
    password: String,
}

#[utoipa::path(
    get,
    path = "/setup",
    tag = "setup",
    summary = "The first-admin form of the one-time setup link",
    params(("token" = String, Query, description = "the secret of the link")),
    responses((status = 200, description = "an HTML form")),
    security(())
)]
async fn form(Query(query): Query<LinkQuery>) -> Html<String> {
    Html(page(&query.token, None, None))
}

#[utoipa::path(
    post,
    path = "/setup",
    tag = "setup",
    summary = "Create the first admin from the form",
    responses((status = 200, description = "an HTML page; signed in"), (status = 401, description = "the link is unknown, used or expired"), (status = 409, description = "an admin exists")),
    security(())
)]
async fn submit_form(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Form(request): Form<SetupRequest>,
) -> Response {
    let token = request.token.clone();
    let email = request.email.clone();
    match create(&state, request, address).await {
        Ok((user, cookie)) => {
            let done = format!(
                "<p>{} &lt;{}&gt; is the first admin and is signed in. Sign in as them from now on.</p>",
                escape(&user.name),
                escape(&user.email)
            );
            ([(header::SET_COOKIE, cookie)], Html(shell(&done))).into_response()
        }
        Err(error) => {
            let status = error.status();
            (status, Html(page(&token, Some(&email), Some(&error.to_string())))).into_response()
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/setup",
    tag = "setup",
    summary = "Create the first admin (for scripts)",
    request_body = SetupRequest,
    responses((status = 201, description = "the admin; signed in"), (status = 401, description = "the link is unknown, used or expired"), (status = 409, description = "an admin exists"), (status = 422, description = "a field is wrong")),
    security(())
)]
async fn submit_json(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    AppJson(request): AppJson<SetupRequest>,
) -> Result<Response, AppError> {
    let (user, cookie) = create(&state, request, address).await?;
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], AppJson(user)).into_response())
}

/// Creates the admin and opens their session; the `Set-Cookie` value for it.
async fn create(
    state: &AppState,
    request: SetupRequest,
    address: Option<String>,
) -> Result<(User, axum::http::HeaderValue), AppError> {
    let store = state.store.as_ref();
    let user = setup::complete(
        store,
        request.token.trim(),
        request.email,
        request.name,
        request.password,
        address.clone(),
    )
    .await?;
    tracing::info!(user_id = %user.id, "first admin created with the setup link");
    let now = Utc::now();
    let opened =
        sessions::open_session(store, state.auth.sessions, &user, address, None, now).await?;
    let max_age = (opened.session.session.absolute_expires_at - now).num_seconds().max(0);
    Ok((user, cookies::session(&opened.secret, max_age, state.auth.secure_cookies)))
}

fn page(token: &str, email: Option<&str>, error: Option<&str>) -> String {
    let error = error.map_or_else(String::new, |error| {
        format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error))
    });
    let body = format!(
        "<h1>Create the first admin</h1>\
         <p>Nobody can manage this trellis yet. This link works once.</p>{error}\
         <form method=\"post\" action=\"/setup\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <label>Email <input type=\"email\" name=\"email\" required value=\"{email}\" autocomplete=\"username\"></label>\
         <label>Name <input name=\"name\" required autocomplete=\"name\"></label>\
         <label>Password <input type=\"password\" name=\"password\" required minlength=\"10\" autocomplete=\"new-password\"></label>\
         <button type=\"submit\">Create admin</button></form>",
        token = escape(token),
        email = escape(email.unwrap_or_default()),
    );
    shell(&body)
}

fn shell(body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>trellis setup</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem;color:#1f2328}}\
         label{{display:block;margin:.75rem 0}}input{{display:block;width:100%;padding:.4rem;font:inherit}}\
         button{{margin-top:1rem;padding:.5rem 1rem;font:inherit}}.error{{color:#b42318}}\
         </style></head><body>{body}</body></html>"
    )
}

/// Text made safe inside HTML text and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped_in_the_form() {
        let html = page("tok\"en", Some("<script>x</script>"), Some("a & b"));
        assert!(!html.contains("<script>x"));
        assert!(
            html.contains("&lt;script&gt;")
                && html.contains("tok&quot;en")
                && html.contains("a &amp; b")
        );
    }
}
