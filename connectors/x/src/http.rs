//! One request to X and the translation of its answer: rate-limit headers into a [`RateLimit`],
//! problem bodies and statuses into [`ConnectorError`], bodies into typed JSON.

use crate::wire::Problem;
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
pub(crate) use trellis_connector_kit::http::endpoint;
use trellis_connector_kit::http::{exchange, header_value, RawAnswer};
use trellis_core::{ConnectorError, RateLimit};

/// How long to stay away after a 429 that states no reset: one X rate-limit window is 15 minutes,
/// but most limits refill sooner, so a minute is a compromise that never hammers.
const DEFAULT_RETRY: Duration = Duration::seconds(60);

/// A successful answer: its status, the budget it stated and its raw body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub rate_limit: RateLimit,
    pub body: Vec<u8>,
}

/// Sends a request with the bearer token and reads the whole body, mapping every failure.
pub(crate) async fn send(request: RequestBuilder, token: &str) -> Result<Answer, ConnectorError> {
    let RawAnswer { status, headers, body } = exchange(request.bearer_auth(token)).await?;
    let rate_limit = rate_limit(&headers, Utc::now());
    if status.is_success() {
        return Ok(Answer { status, rate_limit, body });
    }
    let problem: Problem = serde_json::from_slice(&body).unwrap_or_default();
    let reason = problem.reason().unwrap_or_else(|| status.to_string());
    Err(match status {
        StatusCode::TOO_MANY_REQUESTS => ConnectorError::RateLimited {
            retry_at: rate_limit
                .retry_after
                .or(rate_limit.reset_at)
                .unwrap_or_else(|| Utc::now() + DEFAULT_RETRY),
        },
        StatusCode::UNAUTHORIZED => ConnectorError::Unauthorized { platform_reason: reason },
        status if status.is_server_error() => {
            ConnectorError::Transient { reason: format!("{status}: {reason}") }
        }
        status => ConnectorError::Refused { status: status.as_u16(), platform_reason: reason },
    })
}

/// Parses a successful body; see [`trellis_connector_kit::http::decode`].
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, ConnectorError> {
    trellis_connector_kit::http::decode(&answer.body)
}

/// Reads `x-rate-limit-*` (reset in Unix seconds) and `retry-after` (seconds). A 429's reset
/// doubles as its retry time.
pub(crate) fn rate_limit(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
    let number = |name: &str| header_value::<i64>(headers, name);
    let count = |name: &str| number(name).and_then(|value| u32::try_from(value).ok());
    RateLimit {
        limit: count("x-rate-limit-limit"),
        remaining: count("x-rate-limit-remaining"),
        reset_at: number("x-rate-limit-reset").and_then(|secs| DateTime::from_timestamp(secs, 0)),
        retry_after: number("retry-after").map(|secs| now + Duration::seconds(secs.max(0))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn rate_limit_headers_are_read_as_numbers_and_unix_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("x-rate-limit-limit", HeaderValue::from_static("300"));
        headers.insert("x-rate-limit-remaining", HeaderValue::from_static("299"));
        headers.insert("x-rate-limit-reset", HeaderValue::from_static("1700000900"));
        let limit = rate_limit(&headers, Utc::now());
        assert_eq!(limit.limit, Some(300));
        assert_eq!(limit.remaining, Some(299));
        assert_eq!(limit.reset_at, DateTime::from_timestamp(1_700_000_900, 0));
        assert_eq!(limit.retry_after, None);
    }

    #[test]
    fn a_cut_body_is_transient_and_a_wrong_shape_is_malformed() {
        let answer = |body: &str| Answer {
            status: StatusCode::OK,
            rate_limit: RateLimit::default(),
            body: body.as_bytes().to_vec(),
        };
        let cut = decode::<crate::wire::Page>(&answer(r#"{"data":[{"id":"1","te"#));
        assert!(matches!(cut, Err(ConnectorError::Transient { .. })), "{cut:?}");
        let wrong = decode::<crate::wire::Page>(&answer(r#"{"meta":{"result_count":"many"}}"#));
        assert!(matches!(wrong, Err(ConnectorError::Malformed { .. })), "{wrong:?}");
    }
}
