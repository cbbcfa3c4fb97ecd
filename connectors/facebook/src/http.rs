//! One request to the Graph API and the translation of its answer: usage headers into a
//! [`RateLimit`], error envelopes into [`ConnectorError`], bodies into typed JSON.
//!
//! The token travels as the `access_token` query parameter. reqwest puts the URL into its error
//! messages, so every transport error is stripped of its URL (by the connector kit) before it can
//! reach a log.

use crate::wire::{ErrorBody, GraphError};
use chrono::{DateTime, Duration, Utc};
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::HashMap;
pub(crate) use trellis_connector_kit::http::endpoint;
use trellis_connector_kit::http::{exchange, RawAnswer};
use trellis_core::{ConnectorError, RateLimit};

/// The Graph API states usage as a percentage of a rolling one-hour budget.
const USAGE_WINDOW: Duration = Duration::hours(1);

/// Below this share of the budget used, usage does not pace polling: the scheduler's own intervals
/// apply, so a backfill with more waiting continues at once. From here on the remaining budget is
/// spread over the window, slowing down long before the platform throttles. One poll reads at most
/// `max_pages_per_poll` pages, so usage can overshoot this point by one poll's calls, never by more.
const USAGE_PACED_FROM_PERCENT: f64 = 50.0;

/// Whether a call reads (polling, verifying) or acts (outbound): a permission error on a read means
/// the token lacks a scope and an admin must re-authorize; on an action it refuses that action only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Read,
    Act,
}

/// A successful answer: the budget it stated and its raw body.
#[derive(Debug)]
pub(crate) struct Answer {
    pub rate_limit: RateLimit,
    pub body: Vec<u8>,
}

/// The URL of a `paging.next` link, followed as given (path and query untouched) but sent to the
/// configured base URL's scheme, host and port, so a proxy or the simulator stays in the loop. A
/// path prefix the base URL puts before its version segment is kept in front. Any
/// `access_token` in the link is dropped: the current token is added when sending.
pub(crate) fn follow(base_url: &str, next: &str) -> Result<Url, ConnectorError> {
    let link = Url::parse(next).or_else(|_| {
        base(base_url)?.join(next).map_err(|error| ConnectorError::Malformed {
            reason: format!("paging link is no url: {error}"),
        })
    })?;
    let mut url = base(base_url)?;
    let prefix = base_prefix(url.path());
    url.set_path(&format!("{prefix}{}", link.path()));
    let pairs: Vec<(String, String)> = link
        .query_pairs()
        .filter(|(name, _)| name != "access_token")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.set_query(None);
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    Ok(url)
}

/// The part of a base path before its `/v{N}.{M}` segment (`/fb` in `/fb/v19.0`).
fn base_prefix(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((prefix, last)) if is_version(last) => prefix.to_owned(),
        _ => trimmed.to_owned(),
    }
}

pub(crate) fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').and_then(|rest| rest.split_once('.')).is_some_and(|(major, minor)| {
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The URL with its token removed: what a resume cursor may store.
pub(crate) fn without_token(url: &Url) -> String {
    let mut clean = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "access_token")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    clean.set_query(None);
    if !pairs.is_empty() {
        clean.query_pairs_mut().extend_pairs(pairs);
    }
    clean.to_string()
}

fn base(base_url: &str) -> Result<Url, ConnectorError> {
    Url::parse(base_url)
        .map_err(|error| ConnectorError::Misconfigured(format!("base url {base_url:?}: {error}")))
}

/// Sends a request with the token as `access_token` and reads the whole body, mapping every
/// failure. `throttle_wait` is how long to stay away after a throttle that states no time.
pub(crate) async fn send(
    request: RequestBuilder,
    token: &str,
    purpose: Purpose,
    throttle_wait: Duration,
) -> Result<Answer, ConnectorError> {
    let answer = exchange(request.query(&[("access_token", token)])).await?;
    let now = Utc::now();
    if answer.status.is_success() {
        let rate_limit = rate_limit(&answer.headers, now);
        return Ok(Answer { rate_limit, body: answer.body });
    }
    Err(refusal(&answer, purpose, now, throttle_wait))
}

/// What a failed answer means: its Graph error envelope classified, or its status alone.
pub(crate) fn refusal(
    answer: &RawAnswer,
    purpose: Purpose,
    now: DateTime<Utc>,
    throttle_wait: Duration,
) -> ConnectorError {
    let error = serde_json::from_slice::<ErrorBody>(&answer.body).ok().map(|body| body.error);
    let rate_limit = rate_limit(&answer.headers, now);
    classify(answer.status, error, rate_limit, purpose, now, throttle_wait)
}

/// The error a failed answer means, by the Graph error code first and the status second.
pub(crate) fn classify(
    status: StatusCode,
    error: Option<GraphError>,
    rate_limit: RateLimit,
    purpose: Purpose,
    now: DateTime<Utc>,
    throttle_wait: Duration,
) -> ConnectorError {
    let Some(error) = error else {
        return if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            ConnectorError::Transient { reason: status.to_string() }
        } else {
            ConnectorError::Refused { status: status.as_u16(), platform_reason: status.to_string() }
        };
    };
    let reason = match &error.error_subcode {
        Some(subcode) => format!("{} (code {}, subcode {subcode})", error.message, error.code),
        None => format!("{} (code {})", error.message, error.code),
    };
    match error.code {
        // 102 session key invalid, 104 no token: both need a (new) token like 190.
        190 | 102 | 104 => ConnectorError::Unauthorized { platform_reason: reason },
        4 | 17 | 32 | 613 | 80001..=80009 => ConnectorError::RateLimited {
            retry_at: rate_limit.retry_after.unwrap_or(now + throttle_wait),
        },
        10 | 200..=299 if purpose == Purpose::Read => {
            ConnectorError::Unauthorized { platform_reason: reason }
        }
        // Codes 1 and 2 are the Graph API's own "unexpected error, retry later".
        1 | 2 => ConnectorError::Transient { reason },
        _ if status.is_server_error() || error.is_transient == Some(true) => {
            ConnectorError::Transient { reason }
        }
        _ => ConnectorError::Refused { status: status.as_u16(), platform_reason: reason },
    }
}

/// Parses a successful body; see [`trellis_connector_kit::http::decode`].
pub(crate) fn decode<T: DeserializeOwned>(answer: &Answer) -> Result<T, ConnectorError> {
    trellis_connector_kit::http::decode(&answer.body)
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    call_count: f64,
    #[serde(default)]
    total_cputime: f64,
    #[serde(default)]
    total_time: f64,
    #[serde(default)]
    estimated_time_to_regain_access: Option<f64>,
}

impl Usage {
    fn percent(&self) -> f64 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }
}

/// Maps the usage headers onto a [`RateLimit`]. The usage is the highest percentage stated by
/// `X-App-Usage` or any entry of `X-Business-Use-Case-Usage` (call count, CPU time or total time).
/// Below [`USAGE_PACED_FROM_PERCENT`] it states no budget. From there: `limit` 100, `remaining` 100
/// minus the usage, `reset_at` one hour ahead since usage is a rolling hour; the scheduler spreads
/// the remaining percent over that hour, so polling slows as usage climbs and stops at 100.
/// `estimated_time_to_regain_access` (minutes) above zero becomes `retry_after` either way.
pub(crate) fn rate_limit(headers: &HeaderMap, now: DateTime<Utc>) -> RateLimit {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let mut usages: Vec<Usage> = Vec::new();
    if let Some(app) = header("x-app-usage").and_then(|v| serde_json::from_str(v).ok()) {
        usages.push(app);
    }
    if let Some(business) = header("x-business-use-case-usage")
        .and_then(|v| serde_json::from_str::<HashMap<String, Vec<Usage>>>(v).ok())
    {
        usages.extend(business.into_values().flatten());
    }
    if usages.is_empty() {
        return RateLimit::default();
    }
    let percent = usages.iter().map(Usage::percent).fold(0.0, f64::max).clamp(0.0, 100.0);
    let regain =
        usages.iter().filter_map(|usage| usage.estimated_time_to_regain_access).fold(0.0, f64::max);
    let retry_after = (regain > 0.0).then(|| now + Duration::seconds((regain * 60.0) as i64));
    if percent < USAGE_PACED_FROM_PERCENT {
        return RateLimit { retry_after, ..RateLimit::default() };
    }
    // Whole percent points, rounded up so 99.5 % leaves nothing to spend.
    let remaining = 100 - (percent.ceil() as u32).min(100);
    RateLimit {
        limit: Some(100),
        remaining: Some(remaining),
        reset_at: Some(now + USAGE_WINDOW),
        retry_after,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn the_highest_usage_percentage_decides_what_remains() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":16,"total_cputime":15,"total_time":12}"#),
        );
        headers.insert("x-business-use-case-usage", HeaderValue::from_static(
            r#"{"104":[{"type":"pages","call_count":40,"total_cputime":71.5,"total_time":3,"estimated_time_to_regain_access":0}]}"#,
        ));
        let limit = rate_limit(&headers, now());
        assert_eq!(limit.remaining, Some(28));
        assert_eq!(limit.limit, Some(100));
        assert_eq!(limit.reset_at, Some(now() + Duration::hours(1)));
        assert_eq!(limit.retry_after, None);
    }

    #[test]
    fn usage_below_half_the_budget_does_not_pace_polling() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":49,"total_cputime":10,"total_time":12}"#),
        );
        assert_eq!(rate_limit(&headers, now()), RateLimit::default());
        headers.insert(
            "x-app-usage",
            HeaderValue::from_static(r#"{"call_count":50,"total_cputime":10,"total_time":12}"#),
        );
        assert_eq!(rate_limit(&headers, now()).remaining, Some(50));
    }

    #[test]
    fn a_throttled_business_use_case_states_when_access_returns() {
        let mut headers = HeaderMap::new();
        headers.insert("x-business-use-case-usage", HeaderValue::from_static(
            r#"{"104":[{"type":"pages","call_count":100,"total_cputime":20,"total_time":20,"estimated_time_to_regain_access":7}]}"#,
        ));
        let limit = rate_limit(&headers, now());
        assert_eq!(limit.remaining, Some(0));
        assert_eq!(limit.retry_after, Some(now() + Duration::minutes(7)));
        let error = classify(
            StatusCode::BAD_REQUEST,
            Some(GraphError {
                code: 32,
                message: "(#32) Page request limit reached".into(),
                ..Default::default()
            }),
            limit,
            Purpose::Read,
            now(),
            Duration::seconds(60),
        );
        assert_eq!(error, ConnectorError::RateLimited { retry_at: now() + Duration::minutes(7) });
    }

    #[test]
    fn error_codes_map_to_what_the_scheduler_does() {
        let error = |code, subcode, purpose| {
            let graph = GraphError {
                code,
                error_subcode: subcode,
                message: "m".into(),
                ..Default::default()
            };
            classify(
                StatusCode::BAD_REQUEST,
                Some(graph),
                RateLimit::default(),
                purpose,
                now(),
                Duration::seconds(60),
            )
        };
        assert!(
            matches!(error(190, Some(463), Purpose::Read), ConnectorError::Unauthorized { platform_reason } if platform_reason.contains("463"))
        );
        assert!(matches!(error(190, Some(460), Purpose::Act), ConnectorError::Unauthorized { .. }));
        assert_eq!(
            error(17, None, Purpose::Read),
            ConnectorError::RateLimited { retry_at: now() + Duration::seconds(60) }
        );
        assert!(matches!(error(10, None, Purpose::Read), ConnectorError::Unauthorized { .. }));
        assert!(matches!(
            error(200, None, Purpose::Act),
            ConnectorError::Refused { status: 400, .. }
        ));
        assert!(matches!(error(2, None, Purpose::Read), ConnectorError::Transient { .. }));
        let server = classify(
            StatusCode::BAD_GATEWAY,
            None,
            RateLimit::default(),
            Purpose::Read,
            now(),
            Duration::seconds(1),
        );
        assert!(matches!(server, ConnectorError::Transient { .. }));
    }

    #[test]
    fn paging_links_keep_their_query_but_go_to_the_configured_host() {
        let next = "https://graph.facebook.com/v19.0/104/feed?since=1&until=9&__paging_token=enc%3D&access_token=SECRET";
        let url = follow("http://127.0.0.1:9/proxy/v19.0", next).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/proxy/v19.0/104/feed?since=1&until=9&__paging_token=enc%3D"
        );
        let plain = follow("http://127.0.0.1:9/v21.0/", next).unwrap();
        assert_eq!(plain.path(), "/v19.0/104/feed");
        assert!(!without_token(&Url::parse(next).unwrap()).contains("SECRET"));
    }

    #[test]
    fn endpoints_append_to_the_versioned_base() {
        let url = endpoint("http://h/v19.0", &["104_5", "comments"]).unwrap();
        assert_eq!(url.as_str(), "http://h/v19.0/104_5/comments");
        assert!(matches!(endpoint("nope", &["x"]), Err(ConnectorError::Misconfigured(_))));
    }
}
