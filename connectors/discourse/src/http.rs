//! One request to Discourse and the translation of its answer: `Retry-After` and `wait_seconds`
//! into a [`RateLimit`], error bodies and statuses into [`ConnectorError`], bodies into JSON.

use crate::auth::ApiAuth;
use crate::wire::ErrorBody;
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
pub(crate) use trellis_connector_kit::http::endpoint;
use trellis_connector_kit::http::{exchange, header_value, RawAnswer};
use trellis_core::{AccountAccess, ConnectorError, RateLimit};

/// How long to stay away after a 429 that names no wait: Discourse's limiters count per minute.
const DEFAULT_RETRY: Duration = Duration::seconds(60);

/// What a refused 403 means for the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// Reading the account's own streams: any 403 means the key cannot do its job any more.
    Read,
    /// Acting on one post: a 403 is about that post (not permitted), unless it names the key.
    Act,
}

/// A successful answer: the budget it stated and its raw body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub rate_limit: RateLimit,
    pub body: Vec<u8>,
}

/// Sends a request with the account's key headers and reads the whole body, mapping failures.
pub(crate) async fn send(
    request: RequestBuilder,
    access: &AccountAccess,
    purpose: Purpose,
) -> Result<Answer, ConnectorError> {
    let auth = ApiAuth::from_credentials(&access.credentials);
    let mut request = request.header(reqwest::header::ACCEPT, "application/json");
    for (name, value) in auth.headers(&access.platform_account_id) {
        request = request.header(name, value);
    }
    let RawAnswer { status, headers, body } = exchange(request).await?;
    if status.is_success() {
        return Ok(Answer { rate_limit: rate_limit(&headers, None, Utc::now()), body });
    }
    Err(error_for(status, &headers, &body, purpose, Utc::now()))
}

/// The error a refused answer stands for.
pub(crate) fn error_for(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    purpose: Purpose,
    now: DateTime<Utc>,
) -> ConnectorError {
    // The per-IP limiter and proxies answer in text/plain or HTML: no JSON body is normal.
    let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
    let reason = parsed.reason().unwrap_or_else(|| status.to_string());
    match status {
        StatusCode::TOO_MANY_REQUESTS => {
            let wait = parsed.extras.as_ref().and_then(|extras| extras.wait_seconds);
            let limit = rate_limit(headers, wait, now);
            ConnectorError::RateLimited {
                retry_at: limit.retry_after.unwrap_or(now + DEFAULT_RETRY),
            }
        }
        StatusCode::UNAUTHORIZED => ConnectorError::Unauthorized { platform_reason: reason },
        StatusCode::FORBIDDEN if purpose == Purpose::Read || names_the_key(&reason) => {
            ConnectorError::Unauthorized { platform_reason: reason }
        }
        status if status.is_server_error() => {
            ConnectorError::Transient { reason: format!("{status}: {reason}") }
        }
        status => ConnectorError::Refused { status: status.as_u16(), platform_reason: reason },
    }
}

/// Whether a refusal is about the credentials rather than the post ("The API username or key is
/// invalid.", "User API key is invalid").
fn names_the_key(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    reason.contains("api") && reason.contains("key")
}

/// Parses a successful body; see [`trellis_connector_kit::http::decode`].
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, ConnectorError> {
    trellis_connector_kit::http::decode(&answer.body)
}

/// Discourse states no budget on success; a 429 says when to come back in `Retry-After`
/// (seconds) and in the body's `extras.wait_seconds`. The later of the two wins.
pub(crate) fn rate_limit(
    headers: &HeaderMap,
    wait_seconds: Option<f64>,
    now: DateTime<Utc>,
) -> RateLimit {
    let header = header_value::<f64>(headers, reqwest::header::RETRY_AFTER.as_str());
    let wait = match (header, wait_seconds) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    };
    let retry_after = wait
        .filter(|secs| secs.is_finite())
        .map(|secs| now + Duration::milliseconds((secs.max(0.0) * 1000.0).ceil() as i64));
    RateLimit { retry_after, ..RateLimit::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    #[test]
    fn a_json_429_waits_for_the_longer_of_header_and_body() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("12"));
        let body = br#"{"errors":["You've performed this action too many times."],"error_type":"rate_limit","extras":{"wait_seconds":30,"time_left":"30 seconds"},"error_id":"admin_api_key_rate_limit"}"#;
        let error = error_for(StatusCode::TOO_MANY_REQUESTS, &headers, body, Purpose::Read, at(0));
        assert_eq!(error, ConnectorError::RateLimited { retry_at: at(30) });
    }

    #[test]
    fn a_plain_text_429_uses_retry_after() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("5"));
        let body = b"Slow down, too many requests from this IP address";
        let error = error_for(StatusCode::TOO_MANY_REQUESTS, &headers, body, Purpose::Read, at(0));
        assert_eq!(error, ConnectorError::RateLimited { retry_at: at(5) });
    }

    #[test]
    fn a_bad_key_is_unauthorized_and_a_forbidden_action_is_refused() {
        let headers = HeaderMap::new();
        let bad_key =
            br#"{"errors":["The API username or key is invalid."],"error_type":"invalid_access"}"#;
        let error = error_for(StatusCode::FORBIDDEN, &headers, bad_key, Purpose::Act, at(0));
        assert!(
            matches!(error, ConnectorError::Unauthorized { ref platform_reason } if platform_reason.contains("invalid"))
        );
        let not_allowed = br#"{"errors":["You are not permitted to view the requested resource."],"error_type":"invalid_access"}"#;
        let error = error_for(StatusCode::FORBIDDEN, &headers, not_allowed, Purpose::Act, at(0));
        assert!(matches!(error, ConnectorError::Refused { status: 403, .. }), "{error:?}");
        let error = error_for(StatusCode::FORBIDDEN, &headers, not_allowed, Purpose::Read, at(0));
        assert!(matches!(error, ConnectorError::Unauthorized { .. }), "{error:?}");
    }

    #[test]
    fn a_422_joins_its_errors_and_a_502_page_is_transient() {
        let headers = HeaderMap::new();
        let body = br#"{"action":"create_post","errors":["Body is too short","Title is missing"]}"#;
        let error =
            error_for(StatusCode::UNPROCESSABLE_ENTITY, &headers, body, Purpose::Act, at(0));
        assert_eq!(
            error,
            ConnectorError::Refused {
                status: 422,
                platform_reason: "Body is too short; Title is missing".into()
            }
        );
        let error =
            error_for(StatusCode::BAD_GATEWAY, &headers, b"<html>502</html>", Purpose::Read, at(0));
        assert!(matches!(error, ConnectorError::Transient { .. }));
    }
}
