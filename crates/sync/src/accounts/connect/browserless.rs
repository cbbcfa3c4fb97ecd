//! Completing an authorization from a terminal: follow the authorize URL once; a platform that
//! consents without a browser (the simulators do) answers with a redirect carrying the code.
//! Otherwise the operator opens the URL, approves, and pastes the address they were sent back to.

use super::ConnectError;
use std::io::{BufRead, Write};
use trellis_core::ConnectorError;

/// The `code` and `state` a platform sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    pub state: String,
}

/// Opens `authorize` without following redirects. `Ok(None)` when the platform wants a person
/// (it answered a page, not a redirect).
pub async fn authorize_without_browser(
    authorize: &url::Url,
) -> Result<Option<Callback>, ConnectError> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|error| unreachable(format!("http client: {error}")))?;
    let answer = client
        .get(authorize.clone())
        .send()
        .await
        .map_err(|error| unreachable(format!("authorize page: {error}")))?;
    if !answer.status().is_redirection() {
        if answer.status().is_client_error() {
            let status = answer.status();
            let body = answer.text().await.unwrap_or_default();
            return Err(ConnectError::Invalid(format!(
                "the authorize page refused the request ({status}): {}",
                body.chars().take(300).collect::<String>()
            )));
        }
        return Ok(None);
    }
    let location = answer
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ConnectError::Invalid("the authorize page redirected nowhere".to_owned()))?;
    let target = authorize
        .join(location)
        .map_err(|_| ConnectError::Invalid(format!("unreadable redirect {location:?}")))?;
    parse_callback(target.as_str()).map(Some)
}

/// Asks the operator to authorize in a browser and paste the address they land on.
pub fn authorize_in_browser(authorize: &url::Url) -> Result<Callback, ConnectError> {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "open this address in a browser and approve trellis:\n\n  {authorize}\n");
    let _ = write!(err, "then paste the address the browser was sent back to: ");
    let _ = err.flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| ConnectError::Invalid(format!("cannot read the address: {error}")))?;
    parse_callback(line.trim())
}

/// The code and state of a redirect URL, or the platform's reason for giving none.
pub fn parse_callback(address: &str) -> Result<Callback, ConnectError> {
    let url = url::Url::parse(address)
        .map_err(|_| ConnectError::Invalid(format!("{address:?} is not an address")))?;
    let param = |name: &str| {
        url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
    };
    if let Some(error) = param("error") {
        let detail = param("error_description").unwrap_or(error);
        return Err(ConnectError::Invalid(format!("authorization was not granted: {detail}")));
    }
    match (param("code"), param("state")) {
        (Some(code), Some(state)) => Ok(Callback { code, state }),
        _ => Err(ConnectError::Invalid(
            "the address holds no code and state: paste the whole address".to_owned(),
        )),
    }
}

fn unreachable(reason: String) -> ConnectError {
    ConnectError::Unreachable(ConnectorError::Transient { reason })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn a_callback_address_gives_its_code_and_state() {
        let callback = parse_callback("http://127.0.0.1:8080/cb?state=s%201&code=abc").unwrap();
        assert_eq!(callback, Callback { code: "abc".into(), state: "s 1".into() });
    }

    #[test]
    fn a_declined_authorization_says_why() {
        let err = parse_callback("http://h/cb?error=access_denied&error_description=User+said+no")
            .unwrap_err();
        assert!(err.to_string().contains("User said no"), "{err}");
    }

    #[test]
    fn an_address_without_a_code_is_refused() {
        assert!(parse_callback("http://h/cb?state=s").is_err());
        assert!(parse_callback("not an address").is_err());
    }
}
