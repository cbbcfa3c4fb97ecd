//! The simulated Facebook Login: tokens and who they speak for, the login dialog (approving at
//! once, as the admin would), the code and long-lived exchanges, and `GET /me/accounts`.

use super::routes::{admit, Call, GraphFailure, GraphResult, Subject};
use super::Shared;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::collections::HashMap;

struct Grant {
    subject: Subject,
    expires_at: Option<DateTime<Utc>>,
    /// Invalidated by a password change or a removed app (subcode 460).
    invalidated: bool,
}

/// Every token and code issued.
pub(crate) struct Grants {
    pub client_id: String,
    pub client_secret: String,
    pub admin_id: String,
    pub admin_name: String,
    page_id: String,
    tokens: HashMap<String, Grant>,
    /// Code → the redirect URI it was issued for; single use.
    codes: HashMap<String, String>,
    counter: u64,
}

impl Grants {
    pub fn new(client_id: String, client_secret: String, page_id: String) -> Self {
        Self {
            client_id,
            client_secret,
            admin_id: "6100000000000042".into(),
            admin_name: "Ada Admin".into(),
            page_id,
            tokens: HashMap::new(),
            codes: HashMap::new(),
            counter: 0,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{:x}{:016x}", self.counter, rand::random::<u64>())
    }

    /// A Page token that does not expire, as one derived from a long-lived user token.
    pub fn issue_page_token(&mut self, token: String) {
        let grant = Grant {
            subject: Subject::Page(self.page_id.clone()),
            expires_at: None,
            invalidated: false,
        };
        self.tokens.insert(token, grant);
    }

    fn issue_user_token(&mut self, lifetime: Duration) -> String {
        let token = self.fresh("EAAU");
        let grant = Grant {
            subject: Subject::User(self.admin_id.clone()),
            expires_at: Some(Utc::now() + lifetime),
            invalidated: false,
        };
        self.tokens.insert(token.clone(), grant);
        token
    }

    /// A code as the login dialog would hand to `redirect_uri`.
    pub fn issue_code(&mut self, redirect_uri: &str) -> String {
        let code = self.fresh("AQ");
        self.codes.insert(code.clone(), redirect_uri.to_owned());
        code
    }

    pub fn expire(&mut self, token: &str) {
        if let Some(grant) = self.tokens.get_mut(token) {
            grant.expires_at = Some(Utc::now() - Duration::seconds(1));
        }
    }

    pub fn invalidate(&mut self, token: &str) {
        if let Some(grant) = self.tokens.get_mut(token) {
            grant.invalidated = true;
        }
    }

    /// Who a token speaks for, or the error 190 the Graph API answers.
    pub fn check(&self, token: &str, now: DateTime<Utc>) -> Result<Subject, GraphFailure> {
        let failure = |subcode, message: &str| {
            GraphFailure::new(StatusCode::BAD_REQUEST, 190, subcode, message)
        };
        let grant = self.tokens.get(token).ok_or_else(|| {
            failure(None, "Invalid OAuth access token - Cannot parse access token")
        })?;
        if grant.invalidated {
            return Err(failure(Some(460), "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons."));
        }
        if let Some(expires_at) = grant.expires_at.filter(|at| *at <= now) {
            let when = expires_at.format("%A, %d-%b-%y %H:%M:%S UTC");
            return Err(failure(Some(463), &format!("Error validating access token: Session has expired on {when}. The current time is {}.", now.format("%A, %d-%b-%y %H:%M:%S UTC"))));
        }
        Ok(grant.subject.clone())
    }
}

/// `GET /dialog/oauth`: approves at once and redirects with a code and the state.
pub(crate) fn dialog(shared: &Shared, call: &Call) -> GraphResult {
    let mut inner = shared.lock();
    if call.param("client_id") != Some(inner.grants.client_id.as_str()) {
        return Err(GraphFailure::invalid("Invalid App ID"));
    }
    let redirect = call
        .param("redirect_uri")
        .ok_or_else(|| GraphFailure::invalid("Missing redirect_uri parameter."))?
        .to_owned();
    let code = inner.grants.issue_code(&redirect);
    let mut target = url::Url::parse(&redirect)
        .map_err(|_| GraphFailure::invalid("Invalid redirect_uri parameter."))?;
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", call.param("state").unwrap_or_default());
    Ok((StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response())
}

/// `GET /oauth/access_token` (or `POST`, parameters in the form): a code for a short-lived user
/// token, or (`grant_type=fb_exchange_token`) a user token for a long-lived one. An OAuth client's
/// `grant_type=authorization_code` is accepted beside the code, as Graph does.
pub(crate) fn access_token(shared: &Shared, call: &Call) -> GraphResult {
    let mut inner = shared.lock();
    let grants = &mut inner.grants;
    let app_ok = call.param("client_id") == Some(grants.client_id.as_str())
        && call.param("client_secret") == Some(grants.client_secret.as_str());
    if !app_ok {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            1,
            None,
            "Error validating client secret.",
        ));
    }
    if call.param("grant_type") == Some("fb_exchange_token") {
        let short = call.param("fb_exchange_token").unwrap_or_default();
        match grants.check(short, Utc::now())? {
            Subject::User(_) => {}
            Subject::Page(_) => {
                return Err(GraphFailure::invalid("fb_exchange_token must be a user token"))
            }
        }
        let token = grants.issue_user_token(Duration::days(60));
        return Ok(axum::Json(
            json!({"access_token": token, "token_type": "bearer", "expires_in": 5_183_944}),
        )
        .into_response());
    }
    let code = call.param("code").unwrap_or_default();
    match grants.codes.remove(code) {
        Some(redirect) if Some(redirect.as_str()) == call.param("redirect_uri") => {
            let token = grants.issue_user_token(Duration::hours(2));
            Ok(axum::Json(json!({"access_token": token, "token_type": "bearer", "expires_in": 5_400})).into_response())
        }
        Some(_) => Err(GraphFailure::new(StatusCode::BAD_REQUEST, 100, Some(36008), "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request")),
        None => Err(GraphFailure::new(StatusCode::BAD_REQUEST, 100, Some(36009), "This authorization code has been used.")),
    }
}

/// `GET /me/accounts` with a user token: the Pages the admin manages, each with a new Page token.
pub(crate) fn accounts(shared: &Shared, call: &Call) -> GraphResult {
    let (subject, usage) = admit(shared, call)?;
    if !matches!(subject, Subject::User(_)) {
        return Err(GraphFailure::new(
            StatusCode::BAD_REQUEST,
            100,
            None,
            "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
        ));
    }
    let mut inner = shared.lock();
    let token = inner.grants.fresh("EAAP");
    inner.grants.issue_page_token(token.clone());
    let page = &inner.world.page;
    usage.answer(json!({
        "data": [{
            "access_token": token,
            "category": "Coffee Shop",
            "category_list": [{"id": "128673187201735", "name": "Coffee Shop"}],
            "name": page.name,
            "id": page.id,
            "tasks": ["ANALYZE", "ADVERTISE", "MESSAGING", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        }],
        "paging": {"cursors": {"before": "QVFIUmxt", "after": "QVFIUmxt"}},
    }))
}
