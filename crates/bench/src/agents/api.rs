//! The HTTP API as one agent calls it: a bearer token on every request, JSON in and out, each
//! call timed from sending to the last byte of the body.

use serde_json::Value;
use std::time::{Duration, Instant};

/// How long one API call may take before it counts as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Clients for the API: one for calls (with a timeout), one for event streams (none: they last).
#[derive(Clone)]
pub struct Http {
    pub calls: reqwest::Client,
    pub streams: reqwest::Client,
}

impl Http {
    pub fn new() -> anyhow::Result<Self> {
        let calls = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()?;
        let streams = reqwest::Client::builder()
            .connect_timeout(REQUEST_TIMEOUT)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self { calls, streams })
    }
}

/// One signed-in agent.
#[derive(Debug, Clone)]
pub struct Login {
    pub user_id: i64,
    pub token: String,
}

/// Why a call failed: an error status (with the body's code) or no answer at all.
#[derive(Debug, Clone)]
pub struct CallError(pub String);

/// An answered call: its JSON body and how long it took.
pub struct Answer {
    pub body: Value,
    pub elapsed: Duration,
}

/// The API at `base_url`, called as `login`.
#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base_url: String,
    bearer: String,
}

impl Api {
    pub fn new(http: &Http, base_url: &str, login: &Login) -> Self {
        Self {
            http: http.calls.clone(),
            base_url: base_url.to_owned(),
            bearer: format!("Bearer {}", login.token),
        }
    }

    pub async fn get(&self, path: &str) -> Result<Answer, CallError> {
        self.call(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Result<Answer, CallError> {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Result<Answer, CallError> {
        self.call(reqwest::Method::PATCH, path, Some(body)).await
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Answer, CallError> {
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base_url))
            .header(reqwest::header::AUTHORIZATION, &self.bearer);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response =
            request.send().await.map_err(|error| CallError(format!("{method} {path}: {error}")))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| CallError(format!("{method} {path}: reading the body: {error}")))?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            let short: String = text.chars().take(200).collect();
            return Err(CallError(format!("{method} {path}: {status} {short}")));
        }
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|error| CallError(format!("{method} {path}: not JSON: {error}")))?
        };
        Ok(Answer { body, elapsed })
    }
}

/// The conversation ids of a list page (`{"items": [{"id": …}, …]}`).
pub fn conversation_ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|item| item["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Whether a conversation page holds a message from the customer (something to reply to).
pub fn has_inbound(detail: &Value) -> bool {
    detail["messages"]
        .as_array()
        .is_some_and(|messages| messages.iter().any(|m| m["direction"] == "inbound"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_list_page_gives_its_ids_in_order() {
        let page = json!({"items": [{"id": 7}, {"id": 3}], "next": "x"});
        assert_eq!(conversation_ids(&page), [7, 3]);
        assert!(conversation_ids(&json!({})).is_empty());
    }

    #[test]
    fn only_a_customer_message_is_something_to_reply_to() {
        let outbound = json!({"messages": [{"direction": "outbound"}]});
        let both = json!({"messages": [{"direction": "outbound"}, {"direction": "inbound"}]});
        assert!(!has_inbound(&outbound));
        assert!(has_inbound(&both));
    }
}
