//! The simulated forum's state: users, topics (public and private-message) and posts, and how the
//! API renders them.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Posts per listing page, as Discourse serves them.
pub(crate) const PAGE_SIZE: usize = 50;
/// Posts a topic answer embeds before `post_stream.stream` takes over.
const TOPIC_CHUNK: usize = 20;

#[derive(Debug, Clone)]
pub(crate) struct SimUser {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub trust_level: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct SimTopic {
    pub id: u64,
    pub title: String,
    pub category_id: Option<u64>,
    /// A private-message topic, readable by its participants only.
    pub private: bool,
    /// Lowercase usernames of a private message's participants.
    pub participants: Vec<String>,
    pub posts: Vec<u64>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimPost {
    pub id: u64,
    pub topic_id: u64,
    pub post_number: u32,
    pub username: String,
    pub raw: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reply_to_post_number: Option<u32>,
    pub post_type: u8,
    pub hidden: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    /// `(username, post_action_type_id)` of every flag.
    pub flags: Vec<(String, u8)>,
}

#[derive(Debug, Default)]
pub(crate) struct World {
    /// By lowercase username.
    pub users: HashMap<String, SimUser>,
    pub topics: BTreeMap<u64, SimTopic>,
    pub posts: BTreeMap<u64, SimPost>,
    next_user: i64,
    next_topic: u64,
    next_post: u64,
}

/// Which listing a page is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListingKind {
    Public,
    PrivateOf,
}

impl World {
    pub fn new() -> Self {
        Self { next_user: 1, next_topic: 1, next_post: 1, ..Self::default() }
    }

    pub fn add_user(&mut self, username: &str, name: &str, trust_level: i64) -> SimUser {
        let key = username.to_lowercase();
        if let Some(user) = self.users.get(&key) {
            return user.clone();
        }
        let user = SimUser {
            id: self.next_user,
            username: username.to_owned(),
            name: name.to_owned(),
            trust_level,
        };
        self.next_user += 1;
        self.users.insert(key, user.clone());
        user
    }

    pub fn add_topic(
        &mut self,
        title: &str,
        category_id: Option<u64>,
        participants: Option<Vec<String>>,
    ) -> u64 {
        let id = self.next_topic;
        self.next_topic += 1;
        let private = participants.is_some();
        let participants = participants
            .unwrap_or_default()
            .into_iter()
            .map(|username| username.to_lowercase())
            .collect();
        let topic = SimTopic {
            id,
            title: title.to_owned(),
            category_id,
            private,
            participants,
            posts: Vec::new(),
        };
        self.topics.insert(id, topic);
        id
    }

    /// Appends a post to a topic; `None` if the topic does not exist.
    pub fn add_post(
        &mut self,
        topic_id: u64,
        username: &str,
        raw: String,
        created_at: DateTime<Utc>,
        reply_to_post_number: Option<u32>,
        post_type: u8,
    ) -> Option<u64> {
        let topic = self.topics.get_mut(&topic_id)?;
        let id = self.next_post;
        self.next_post += 1;
        let post_number = u32::try_from(topic.posts.len() + 1).unwrap_or(u32::MAX);
        topic.posts.push(id);
        let post = SimPost {
            id,
            topic_id,
            post_number,
            username: username.to_owned(),
            raw,
            created_at,
            updated_at: created_at,
            reply_to_post_number,
            post_type,
            hidden: false,
            deleted_at: None,
            flags: Vec::new(),
        };
        self.posts.insert(id, post);
        Some(id)
    }

    /// Whether `username` may read `topic`.
    pub fn can_read(&self, username: &str, topic: &SimTopic) -> bool {
        !topic.private || topic.participants.contains(&username.to_lowercase())
    }

    /// One listing page, newest first, strictly below `before`.
    pub fn listing(&self, kind: ListingKind, viewer: &str, before: Option<u64>) -> Vec<Value> {
        let upper = before.unwrap_or(u64::MAX);
        self.posts
            .range(..upper)
            .rev()
            .filter(|(_, post)| {
                let Some(topic) = self.topics.get(&post.topic_id) else { return false };
                match kind {
                    ListingKind::Public => !topic.private,
                    ListingKind::PrivateOf => topic.private && self.can_read(viewer, topic),
                }
            })
            .take(PAGE_SIZE)
            // Private listings leave the topic title out, as the topic-context fallback expects.
            .map(|(_, post)| self.post_json(post, kind == ListingKind::Public))
            .collect()
    }

    pub fn post_json(&self, post: &SimPost, with_topic: bool) -> Value {
        let user = self.users.get(&post.username.to_lowercase());
        let topic = self.topics.get(&post.topic_id);
        let mut value = json!({
            "id": post.id,
            "name": user.map(|u| u.name.clone()),
            "username": post.username,
            "avatar_template": format!("/user_avatar/forum.example/{}/{{size}}/{}_2.png", post.username.to_lowercase(), user.map_or(0, |u| u.id)),
            "created_at": timestamp(post.created_at),
            "cooked": cook(&post.raw),
            "raw": post.raw,
            "post_number": post.post_number,
            "post_type": post.post_type,
            "updated_at": timestamp(post.updated_at),
            "reply_to_post_number": post.reply_to_post_number,
            "topic_id": post.topic_id,
            "user_id": user.map(|u| u.id),
            "hidden": post.hidden,
            "deleted_at": post.deleted_at.map(timestamp),
            "trust_level": user.map(|u| u.trust_level),
            "version": 1 + i64::from(post.updated_at > post.created_at),
        });
        if let (true, Some(topic)) = (with_topic, topic) {
            value["topic_title"] = topic.title.clone().into();
            value["topic_slug"] = slug(&topic.title).into();
            value["category_id"] = topic.category_id.into();
        }
        value
    }

    pub fn topic_json(&self, topic: &SimTopic) -> Value {
        let visible: Vec<&SimPost> = topic
            .posts
            .iter()
            .filter_map(|id| self.posts.get(id))
            .filter(|post| post.deleted_at.is_none())
            .collect();
        let posts: Vec<Value> =
            visible.iter().take(TOPIC_CHUNK).map(|post| self.post_json(post, false)).collect();
        json!({
            "id": topic.id,
            "title": topic.title,
            "fancy_title": topic.title,
            "slug": slug(&topic.title),
            "posts_count": visible.len(),
            "category_id": topic.category_id,
            "archetype": if topic.private { "private_message" } else { "regular" },
            "post_stream": {
                "posts": posts,
                "stream": visible.iter().map(|post| post.id).collect::<Vec<_>>(),
            },
        })
    }
}

pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn slug(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        "topic".to_owned()
    } else {
        words.join("-")
    }
}

/// Renders markdown the way a reader would see it, enough for the connector's HTML-to-text:
/// paragraphs on blank lines, line breaks, bold, escaped HTML, emoji shortcodes as images.
pub(crate) fn cook(raw: &str) -> String {
    let escaped =
        raw.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    let mut html = String::new();
    for paragraph in escaped.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let mut text = paragraph.trim().replace('\n', "<br>\n");
        while let (Some(open), true) = (text.find("**"), text.matches("**").count() >= 2) {
            text.replace_range(open..open + 2, "<strong>");
            if let Some(close) = text.find("**") {
                text.replace_range(close..close + 2, "</strong>");
            }
        }
        for (code, _) in [(":heart:", ()), (":tada:", ()), (":slight_smile:", ())] {
            let name = code.trim_matches(':');
            let image = format!("<img src=\"/images/emoji/twitter/{name}.png?v=12\" title=\"{code}\" class=\"emoji\" alt=\"{code}\" loading=\"lazy\">");
            text = text.replace(code, &image);
        }
        html.push_str(&format!("<p>{text}</p>\n"));
    }
    html.trim_end().to_owned()
}
