//! The client side every connector repeats: its HTTP clients, where a call goes, reading an
//! answer whole, decoding it, and reading numbers out of headers. What a refusal means stays with
//! each platform.
//!
//! Requests the `oauth2` crate builds are plain `http` values; [`exchange_built`] and
//! [`RawAnswer::into_http`] carry them over reqwest. The `http` crate is named through axum's
//! re-export: it is the same crate reqwest and oauth2 speak.

use axum::http;
use reqwest::header::HeaderMap;
use reqwest::{RequestBuilder, StatusCode, Url};
use serde::de::DeserializeOwned;
use std::str::FromStr;
use std::time::Duration;
use trellis_core::ConnectorError;

/// How trellis introduces itself to platforms.
const USER_AGENT: &str = concat!("trellis/", env!("CARGO_PKG_VERSION"));

/// The client a connector polls and acts with: `timeout` per request, connection to last byte,
/// after which a slow answer is a transient failure.
///
/// It follows no redirect: the platform APIs answer where they are asked, and a redirect from an
/// address an admin gave (a forum) must not lead the server to another one, such as a cloud
/// metadata address, that the address check never saw. A redirect answer is read as a failure.
pub fn client(timeout: Duration) -> Result<reqwest::Client, ConnectorError> {
    build(reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()))
}

/// The client for OAuth token endpoints: as [`client`], never following a redirect, so a code, a
/// verifier or a client secret is never sent on to wherever a redirect points (the `oauth2`
/// crate's advice). A redirect answer is read as the failure it is.
pub fn token_client(timeout: Duration) -> Result<reqwest::Client, ConnectorError> {
    build(reqwest::Client::builder().timeout(timeout).redirect(reqwest::redirect::Policy::none()))
}

fn build(builder: reqwest::ClientBuilder) -> Result<reqwest::Client, ConnectorError> {
    builder
        .user_agent(USER_AGENT)
        .build()
        .map_err(|error| ConnectorError::Misconfigured(format!("http client: {error}")))
}

/// The error for a stream name a connector does not poll: a caller's mistake, not the platform's.
pub fn unknown_stream(channel: trellis_core::Channel, stream: &str) -> ConnectorError {
    ConnectorError::Misconfigured(format!("{} has no stream {stream:?}", channel.as_str()))
}

/// An answer read whole: the connection is done with once this exists, so a body cut short has
/// already shown up as a transient error or as an incomplete body for [`decode`] to judge.
#[derive(Debug)]
pub struct RawAnswer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The answer as a plain `http` response, for the `oauth2` crate to read.
    pub fn into_http(self) -> http::Response<Vec<u8>> {
        let mut response = http::Response::new(self.body);
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers;
        response
    }
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

/// Sends a request built as a plain `http` request (the `oauth2` crate builds its token requests
/// so) with `client`, and reads the whole answer as [`exchange`] does.
pub async fn exchange_built(
    client: &reqwest::Client,
    request: http::Request<Vec<u8>>,
) -> Result<RawAnswer, ConnectorError> {
    let request = reqwest::Request::try_from(request).map_err(|error| {
        ConnectorError::Misconfigured(format!("unsendable request: {}", error.without_url()))
    })?;
    exchange(RequestBuilder::from_parts(client.clone(), request)).await
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

/// Why a successful answer could not be read as what was expected (a library's parser says how,
/// in `error`): judged as [`decode`] judges, cut short is transient and complete but of the wrong
/// shape malformed.
pub fn unreadable(body: &[u8], error: impl std::fmt::Display) -> ConnectorError {
    match decode::<serde::de::IgnoredAny>(body) {
        Err(cut_or_not_json) => cut_or_not_json,
        Ok(_) => ConnectorError::Malformed { reason: error.to_string() },
    }
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
    fn an_unknown_stream_names_the_platform_and_the_stream() {
        let error = unknown_stream(trellis_core::Channel::Facebook, "stories");
        assert_eq!(
            error,
            ConnectorError::Misconfigured("facebook has no stream \"stories\"".into())
        );
    }

    #[tokio::test]
    async fn a_built_request_is_sent_as_built_and_its_answer_handed_back_whole() {
        use axum::routing::post;
        let app = axum::Router::new().route(
            "/token",
            post(|headers: http::HeaderMap, body: String| async move {
                let agent = headers[http::header::USER_AGENT].to_str().unwrap_or_default();
                let answer = format!("{agent}|{body}");
                (StatusCode::CREATED, [("x-echo", "yes")], answer)
            }),
        );
        let served =
            crate::serve::Served::bind("127.0.0.1:0".parse().unwrap(), app, "test").await.unwrap();
        let request = http::Request::post(format!("{}/token", served.base_url()))
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(b"grant_type=refresh_token".to_vec())
            .unwrap();
        let answer =
            exchange_built(&token_client(Duration::from_secs(5)).unwrap(), request).await.unwrap();
        assert_eq!(answer.status, StatusCode::CREATED);
        assert_eq!(answer.body, format!("{USER_AGENT}|grant_type=refresh_token").into_bytes());
        let response = answer.into_http();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["x-echo"], "yes");
        served.shutdown().await;
    }

    #[tokio::test]
    async fn the_token_client_does_not_follow_redirects() {
        use axum::response::Redirect;
        use axum::routing::{get, post};
        let app = axum::Router::new()
            .route("/token", post(|| async { Redirect::temporary("/elsewhere") }))
            .route("/elsewhere", get(|| async { "followed" }).post(|| async { "followed" }));
        let served =
            crate::serve::Served::bind("127.0.0.1:0".parse().unwrap(), app, "test").await.unwrap();
        let request = http::Request::post(format!("{}/token", served.base_url()))
            .body(b"code=secret".to_vec())
            .unwrap();
        let answer =
            exchange_built(&token_client(Duration::from_secs(5)).unwrap(), request).await.unwrap();
        assert_eq!(answer.status, StatusCode::TEMPORARY_REDIRECT);
        served.shutdown().await;
    }

    #[tokio::test]
    async fn the_api_client_does_not_follow_a_redirect_to_another_address() {
        use axum::response::Redirect;
        use axum::routing::get;
        let app = axum::Router::new().route(
            "/latest.json",
            get(|| async { Redirect::temporary("http://169.254.169.254/") }),
        );
        let served =
            crate::serve::Served::bind("127.0.0.1:0".parse().unwrap(), app, "test").await.unwrap();
        let client = client(Duration::from_secs(5)).unwrap();
        let answer = client.get(format!("{}/latest.json", served.base_url())).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::TEMPORARY_REDIRECT);
        served.shutdown().await;
    }

    #[test]
    fn an_unreadable_answer_is_transient_when_cut_and_malformed_when_whole() {
        let cut = unreadable(br#"{"access_token":"a"#, "missing field");
        assert!(matches!(cut, ConnectorError::Transient { .. }), "{cut:?}");
        let whole = unreadable(br#"{"access_token":"a"}"#, "missing field `token_type`");
        assert_eq!(
            whole,
            ConnectorError::Malformed { reason: "missing field `token_type`".into() }
        );
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
