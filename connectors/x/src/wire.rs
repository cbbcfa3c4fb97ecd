//! The X API v2 JSON shapes trellis reads and the simulator writes. Only the fields trellis uses
//! are typed; the connector keeps each item's full JSON verbatim beside the typed view.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields and expansions asked for on the mentions timeline (PLATFORMS.md, to the field).
pub const TWEET_FIELDS: &str = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets,lang,public_metrics";
pub const USER_FIELDS: &str = "username,name,verified,public_metrics,profile_image_url";
pub const DM_EVENT_FIELDS: &str =
    "id,text,event_type,created_at,sender_id,dm_conversation_id,participant_ids,attachments";

/// A tweet as `tweet.fields` above describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tweet {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author_id: Option<String>,
    /// `2024-05-01T12:00:00.000Z`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_reply_to_user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub referenced_tweets: Option<Vec<ReferencedTweet>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metrics: Option<Value>,
}

/// `replied_to`, `quoted` or `retweeted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencedTweet {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub name: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_metrics: Option<UserMetrics>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_image_url: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserMetrics {
    pub followers_count: i64,
    pub following_count: i64,
    pub tweet_count: i64,
    pub listed_count: i64,
}

/// A DM event as `dm_event.fields` above describe it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DmEvent {
    pub id: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dm_conversation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participant_ids: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Includes {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_id: Option<String>,
    #[serde(default)]
    pub result_count: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_token: Option<String>,
}

/// One page of a timeline. `data` stays raw JSON so each item can be kept verbatim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Vec<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<Includes>,
    /// Partial errors beside the data (a deleted referenced tweet, a suspended author).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Value>>,
    #[serde(default)]
    pub meta: Meta,
}

/// An RFC 7807 problem (`application/problem+json`), and the OAuth error shape beside it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub problem_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl Problem {
    /// The most specific human-readable reason the body gives.
    pub fn reason(&self) -> Option<String> {
        self.detail
            .clone()
            .or_else(|| self.error_description.clone())
            .or_else(|| self.title.clone())
            .or_else(|| self.error.clone())
    }
}

/// X's timestamp format, millisecond precision.
pub fn format_time(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// X ids are decimal snowflakes without leading zeros: longer is newer, equal lengths compare as
/// text. Avoids parsing ids that may one day outgrow `u64`.
pub fn compare_ids(a: &str, b: &str) -> std::cmp::Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}
