//! One request to Discourse and the translation of its answer: `Retry-After` and `wait_seconds`
//! into a [`RateLimit`], error bodies and statuses into [`ConnectorError`], bodies into JSON.

use crate::auth::ApiAuth;
use crate::wire::ErrorBody;
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
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

/// Joins `segments` (percent-encoded) onto the account's base URL, keeping a sub-folder install's
/// prefix (`https://example.com/forum`).
pub(crate) fn endpoint(base_url: &str, segments: &[&str]) -> Result<Url, ConnectorError> {
    let mut url = Url::parse(base_url).map_err(|error| {
        ConnectorError::Misconfigured(format!("base url {base_url:?}: {error}"))
    })?;
    url.path_segments_mut()
        .map_err(|()| {
            ConnectorError::Misconfigured(format!("base url {base_url:?} cannot have a path"))
        })?
        .pop_if_empty()
        .extend(segments);
    Ok(url)
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
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(transport_error)?.to_vec();
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

/// Parses a successful body. A body cut short is transient; a complete one of the wrong shape is
/// malformed.
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, ConnectorError> {
    serde_json::from_slice(&answer.body).map_err(|error| {
        let trimmed = answer.body.trim_ascii_end();
        let complete = trimmed.ends_with(b"}") || trimmed.ends_with(b"]");
        if error.is_eof() || !complete {
            ConnectorError::Transient { reason: format!("truncated body: {error}") }
        } else {
            ConnectorError::Malformed { reason: error.to_string() }
        }
    })
}

fn transport_error(error: reqwest::Error) -> ConnectorError {
    let what = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "body interrupted"
    } else {
        "request failed"
    };
    // Without the url: it can carry nothing secret today, but a proxy prefix might.
    ConnectorError::Transient { reason: format!("{what}: {}", error.without_url()) }
}

/// Discourse states no budget on success; a 429 says when to come back in `Retry-After`
/// (seconds) and in the body's `extras.wait_seconds`. The later of the two wins.
pub(crate) fn rate_limit(
    headers: &HeaderMap,
    wait_seconds: Option<f64>,
    now: DateTime<Utc>,
) -> RateLimit {
    let header = headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<f64>().ok());
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

    #[test]
    fn endpoints_keep_a_subfolder_prefix() {
        let url = endpoint("https://example.com/forum/", &["t", "42.json"]);
        assert_eq!(
            url.map(|u| u.to_string()).ok().as_deref(),
            Some("https://example.com/forum/t/42.json")
        );
    }
}
