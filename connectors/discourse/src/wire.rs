//! Discourse's JSON, as far as the connector reads it. Fields Discourse may omit are optional, and
//! every post is also kept verbatim as `raw` JSON on the message.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `post_type` of an ordinary post.
pub const POST_TYPE_REGULAR: u8 = 1;
/// `post_type` of a moderator action ("this topic was closed").
pub const POST_TYPE_MODERATOR_ACTION: u8 = 2;
/// `post_type` of a small action (a topic moved, a user invited).
pub const POST_TYPE_SMALL_ACTION: u8 = 3;
/// `post_type` of a whisper, visible to staff only.
pub const POST_TYPE_WHISPER: u8 = 4;

/// One post as `/posts.json`, `/private-posts.json`, `/t/{id}.json` and webhooks carry it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Post {
    pub id: u64,
    pub topic_id: u64,
    #[serde(default)]
    pub post_number: u32,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub cooked: Option<String>,
    /// The markdown source; present on `/posts.json` and for staff, absent on some listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub reply_to_post_number: Option<u32>,
    #[serde(default = "regular")]
    pub post_type: u8,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_slug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category_id: Option<u64>,
    /// Webhook payloads say whether the topic is a private message here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_archetype: Option<String>,
    #[serde(default)]
    pub trust_level: Option<i64>,
    #[serde(default)]
    pub avatar_template: Option<String>,
}

fn regular() -> u8 {
    POST_TYPE_REGULAR
}

/// `GET /posts.json`.
#[derive(Debug, Deserialize)]
pub struct LatestPosts {
    #[serde(default)]
    pub latest_posts: Vec<serde_json::Value>,
}

/// `GET /private-posts.json`.
#[derive(Debug, Deserialize)]
pub struct PrivatePosts {
    #[serde(default)]
    pub private_posts: Vec<serde_json::Value>,
}

/// `GET /t/{id}.json`, the parts the connector reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Topic {
    pub id: u64,
    pub title: String,
    #[serde(default)]
    pub category_id: Option<u64>,
    #[serde(default)]
    pub archetype: Option<String>,
    #[serde(default)]
    pub post_stream: Option<PostStream>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostStream {
    /// The first posts (at most 20), with their numbers.
    #[serde(default)]
    pub posts: Vec<PostRef>,
    /// Every post id of the topic.
    #[serde(default)]
    pub stream: Vec<u64>,
}

/// Just enough of a topic's post to map a `reply_to_post_number` to a post id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PostRef {
    pub id: u64,
    pub post_number: u32,
}

/// `GET /session/current.json`.
#[derive(Debug, Deserialize)]
pub struct CurrentSession {
    pub current_user: CurrentUser,
}

#[derive(Debug, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// The error body of most failures: `{"errors":[…],"error_type":…,"extras":{…}}`.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    #[serde(default)]
    pub errors: Vec<String>,
    #[serde(default)]
    pub error_type: Option<String>,
    #[serde(default)]
    pub extras: Option<ErrorExtras>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ErrorExtras {
    #[serde(default)]
    pub wait_seconds: Option<f64>,
}

impl ErrorBody {
    /// The errors joined into one reason, or `None` when the body stated none.
    pub fn reason(&self) -> Option<String> {
        let joined = self.errors.join("; ");
        (!joined.is_empty()).then_some(joined)
    }
}
