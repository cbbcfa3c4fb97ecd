//! The Graph API's JSON, as far as trellis reads and the simulator writes it. Field names follow
//! the platform exactly; optional fields are optional because the API omits what a token may not
//! see (`from` needs a Page token) or what a `fields=` list did not ask for.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `fields=` of the feed stream. Comments come as a bare summary (`limit(0)`): the `comments`
/// stream reads them through their own edge, where they can be paged.
pub const FEED_FIELDS: &str =
    "id,message,created_time,updated_time,from,comments.limit(0).summary(true)";
/// `fields=` of the comments stream's walk over the feed: only what decides which posts changed.
pub const FEED_CHANGE_FIELDS: &str = "id,updated_time";
/// `fields=` of the comments edge.
pub const COMMENT_FIELDS: &str = "id,message,created_time,from,parent,comment_count,is_hidden";
/// `fields=` of the Messenger conversation list; `{n}` is the inline message page size.
pub const CONVERSATION_FIELDS: &str = "id,updated_time,snippet,unread_count,participants,messages.limit({n}){id,created_time,from,to,message}";
/// `fields=` of a conversation's message edge.
pub const MESSAGE_FIELDS: &str = "id,created_time,from,to,message";

/// How the Graph API writes times: `2021-07-23T09:50:48+0000`.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%z";

/// Parses a Graph time, also accepting RFC 3339 (`+00:00`, `Z`) as proxies and webhooks write it.
pub fn parse_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(value, TIME_FORMAT)
        .or_else(|_| DateTime::parse_from_rfc3339(value))
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

/// Writes a time as the Graph API does.
pub fn format_time(time: DateTime<Utc>) -> String {
    time.format(TIME_FORMAT).to_string()
}

/// A person or Page as `from`, `to.data[]` or `participants.data[]` show it. Messenger adds
/// `email: "<id>@facebook.com"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `{"data":[…]}` without paging, as `to` and `participants` are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct List<T> {
    pub data: Vec<T>,
}

/// One page of an edge. Items stay raw JSON so one unreadable item skips only itself and the
/// platform's own JSON is kept verbatim beside the message.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub data: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Paging>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Summary>,
}

impl Page {
    /// The full URL of the next page; absent on the last page, whatever the page's length.
    pub fn next(&self) -> Option<&str> {
        self.paging.as_ref()?.next.as_deref()
    }
}

/// `paging`: cursors on cursor-paged edges, plus full `next`/`previous` URLs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursors: Option<Cursors>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    pub before: String,
    pub after: String,
}

/// `summary` of the comments edge.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub order: String,
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub can_comment: bool,
}

/// A Page feed post.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    pub created_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Actor>,
}

/// A comment or a reply to a comment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    #[serde(default)]
    pub message: String,
    pub created_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Actor>,
    /// Present on replies to comments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ParentRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_hidden: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentRef {
    pub id: String,
}

/// A Messenger conversation as the conversation list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    pub updated_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unread_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub participants: Option<List<Actor>>,
    /// The newest messages, newest first, with paging to older ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Page>,
}

/// One Messenger message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessengerMessage {
    pub id: String,
    pub created_time: String,
    pub from: Actor,
    pub to: List<Actor>,
    #[serde(default)]
    pub message: String,
}

/// The error envelope every failed Graph call answers with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: GraphError,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GraphError {
    #[serde(default)]
    pub message: String,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub code: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_subcode: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_user_msg: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_transient: Option<bool>,
    #[serde(default)]
    pub fbtrace_id: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn graph_times_round_trip_and_rfc3339_is_accepted() {
        let time = parse_time("2021-07-23T09:50:48+0000").unwrap();
        assert_eq!(time.timestamp(), 1_627_033_848);
        assert_eq!(format_time(time), "2021-07-23T09:50:48+0000");
        assert_eq!(parse_time("2021-07-23T09:50:48Z"), Some(time));
        assert_eq!(parse_time("yesterday"), None);
    }
}
