//! The client side every connector repeats: where a call goes, reading an answer whole, decoding
//! it, and reading numbers out of headers. What a refusal means stays with each platform.

use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::str::FromStr;
use trellis_core::ConnectorError;

/// An answer read whole: the connection is done with once this exists, so a body cut short has
/// already shown up as a transient error or as an incomplete body for [`decode`] to judge.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

/// Joins `segments` (each percent-encoded) onto an account's base URL, keeping any path prefix a
/// proxy or a sub-folder install puts in front of the API (`https://example.com/forum/`).
pub fn endpoint(base_url: &str, segments: &[&str]) -> Result<Url, ConnectorError> {
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

/// Sends a prepared request (auth already attached) and reads the whole body. Only transport
/// failures are errors here; judging the status is the platform's business.
pub async fn exchange(request: RequestBuilder) -> Result<RawAnswer, ConnectorError> {
    let response = request.send().await.map_err(transport_error)?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(transport_error)?.to_vec();
    Ok(RawAnswer { status, headers, body })
}

/// Parses a successful body. A body cut short (the connection dropped mid-answer) is transient; a
/// complete body of the wrong shape is malformed, since asking again would get the same.
pub fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ConnectorError> {
    serde_json::from_slice(body).map_err(|error| {
        let trimmed = body.trim_ascii_end();
        let complete = trimmed.ends_with(b"}") || trimmed.ends_with(b"]");
        if error.is_eof() || !complete {
            ConnectorError::Transient { reason: format!("truncated body: {error}") }
        } else {
            ConnectorError::Malformed { reason: error.to_string() }
        }
    })
}

/// A failure to reach the platform or to read its answer: always worth a retry. The URL is left
/// out of the reason, since some platforms (the Graph API) carry the token in it.
pub fn transport_error(error: reqwest::Error) -> ConnectorError {
    let what = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_body() || error.is_decode() {
        "body interrupted"
    } else {
        "request failed"
    };
    ConnectorError::Transient { reason: format!("{what}: {}", error.without_url()) }
}

/// A header's value parsed as a number (or anything `FromStr`), ignoring surrounding spaces;
/// `None` when it is absent, not text, or does not parse.
pub fn header_value<T: FromStr>(headers: &HeaderMap, name: &str) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Page {
        data: Vec<u32>,
    }

    #[test]
    fn endpoints_keep_a_proxy_prefix_and_encode_segments() {
        let url = endpoint("http://proxy.local/x-api/", &["2", "tweets", "1/2"]).unwrap();
        assert_eq!(url.as_str(), "http://proxy.local/x-api/2/tweets/1%2F2");
        let url = endpoint("https://example.com/forum", &["t", "42.json"]).unwrap();
        assert_eq!(url.as_str(), "https://example.com/forum/t/42.json");
    }

    #[test]
    fn an_unusable_base_url_is_a_misconfiguration() {
        assert!(matches!(endpoint("not a url", &["2"]), Err(ConnectorError::Misconfigured(_))));
        assert!(matches!(
            endpoint("mailto:someone@example.com", &["2"]),
            Err(ConnectorError::Misconfigured(_))
        ));
    }

    #[test]
    fn a_cut_body_is_transient_and_a_wrong_shape_is_malformed() {
        let cut = decode::<Page>(br#"{"data":[1,2"#);
        assert!(matches!(cut, Err(ConnectorError::Transient { .. })), "{cut:?}");
        let wrong = decode::<Page>(br#"{"data":"many"}"#);
        assert!(matches!(wrong, Err(ConnectorError::Malformed { .. })), "{wrong:?}");
        assert_eq!(decode::<Page>(br#"{"data":[1,2]}"#).unwrap().data, vec![1, 2]);
    }

    #[test]
    fn header_values_parse_trimmed_or_not_at_all() {
        let mut headers = HeaderMap::new();
        headers.insert("x-rate-limit-remaining", HeaderValue::from_static(" 299 "));
        headers.insert("retry-after", HeaderValue::from_static("1.5"));
        headers.insert("x-bad", HeaderValue::from_static("soon"));
        assert_eq!(header_value::<u32>(&headers, "x-rate-limit-remaining"), Some(299));
        assert_eq!(header_value::<f64>(&headers, "retry-after"), Some(1.5));
        assert_eq!(header_value::<i64>(&headers, "retry-after"), None);
        assert_eq!(header_value::<i64>(&headers, "x-bad"), None);
        assert_eq!(header_value::<i64>(&headers, "x-missing"), None);
    }
}
