//! The simulated platform's content: users, tweets and DM events, and the timeline queries over
//! them, rendered with exactly the fields a request asked for.

use crate::wire::{format_time, DmEvent, ReferencedTweet, Tweet, User};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashSet};

/// X's snowflake epoch (2010-11-04), in Unix milliseconds.
const TWEPOCH_MS: i64 = 1_288_834_974_657;

#[derive(Debug, Clone)]
pub(crate) struct SimTweet {
    pub tweet: Tweet,
    pub at: DateTime<Utc>,
    /// Users this tweet mentions, so it shows on their mentions timeline.
    pub mentions: Vec<String>,
    pub hidden: bool,
    pub deleted: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct SimDm {
    pub event: DmEvent,
    pub at: DateTime<Utc>,
}

/// A timeline request, validated.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimelineQuery {
    pub max_results: usize,
    pub since_id: Option<u64>,
    pub until_id: Option<u64>,
    pub start_time: Option<DateTime<Utc>>,
    pub end_time: Option<DateTime<Utc>>,
    /// Only items strictly older (smaller id) than this, from a `pagination_token`.
    pub before: Option<u64>,
}

/// The `*.fields` and `expansions` a request named.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields {
    pub item: HashSet<String>,
    pub user: HashSet<String>,
    pub expansions: HashSet<String>,
}

impl Fields {
    pub fn parse(item: Option<&str>, user: Option<&str>, expansions: Option<&str>) -> Self {
        let set = |list: Option<&str>| -> HashSet<String> {
            list.unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self { item: set(item), user: set(user), expansions: set(expansions) }
    }
}

pub(crate) fn encode_token(id: u64) -> String {
    format!("7140d{id:x}")
}

pub(crate) fn decode_token(token: &str) -> Option<u64> {
    u64::from_str_radix(token.strip_prefix("7140d")?, 16).ok()
}

#[derive(Debug)]
pub(crate) struct World {
    pub brand_id: String,
    pub users: BTreeMap<String, User>,
    pub tweets: BTreeMap<u64, SimTweet>,
    pub dm_events: BTreeMap<u64, SimDm>,
    last_id: u64,
    /// The newest creation time so far: new content never predates it, so ids stay time-ordered.
    pub clock: DateTime<Utc>,
}

impl World {
    pub fn new(brand: User) -> Self {
        let brand_id = brand.id.clone();
        let users = BTreeMap::from([(brand_id.clone(), brand)]);
        Self {
            brand_id,
            users,
            tweets: BTreeMap::new(),
            dm_events: BTreeMap::new(),
            last_id: 0,
            clock: DateTime::<Utc>::MIN_UTC,
        }
    }

    /// A snowflake for `at`: time in the high bits, strictly increasing across calls.
    fn next_id(&mut self, at: DateTime<Utc>) -> u64 {
        let millis = u64::try_from(at.timestamp_millis() - TWEPOCH_MS).unwrap_or(0);
        self.last_id = (millis << 22).max(self.last_id + 1);
        self.clock = self.clock.max(at);
        self.last_id
    }

    pub fn add_tweet(
        &mut self,
        author_id: &str,
        text: String,
        at: DateTime<Utc>,
        reply_to: Option<u64>,
        lang: &str,
    ) -> u64 {
        let at = at.max(self.clock);
        let id = self.next_id(at);
        let parent = reply_to.and_then(|parent| self.tweets.get(&parent));
        let conversation_id = parent
            .and_then(|parent| parent.tweet.conversation_id.clone())
            .unwrap_or_else(|| id.to_string());
        let mut mentions: Vec<String> = parent.map(|p| p.mentions.clone()).unwrap_or_default();
        if let Some(parent) = parent {
            mentions.extend(parent.tweet.author_id.clone());
        }
        // `@handle` in the text mentions that user, as on X.
        for user in self.users.values() {
            if text.contains(&format!("@{}", user.username)) {
                mentions.push(user.id.clone());
            }
        }
        mentions.retain(|user| user != author_id);
        mentions.sort();
        mentions.dedup();
        let tweet = Tweet {
            id: id.to_string(),
            text,
            author_id: Some(author_id.to_owned()),
            created_at: Some(format_time(at)),
            conversation_id: Some(conversation_id),
            in_reply_to_user_id: parent.and_then(|parent| parent.tweet.author_id.clone()),
            referenced_tweets: reply_to.map(|parent| {
                vec![ReferencedTweet { kind: "replied_to".into(), id: parent.to_string() }]
            }),
            lang: Some(lang.to_owned()),
            public_metrics: Some(
                json!({"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0}),
            ),
        };
        self.tweets.insert(id, SimTweet { tweet, at, mentions, hidden: false, deleted: false });
        id
    }

    pub fn add_dm(
        &mut self,
        sender_id: &str,
        conversation_id: &str,
        participants: Vec<String>,
        text: String,
        at: DateTime<Utc>,
    ) -> u64 {
        let at = at.max(self.clock);
        let id = self.next_id(at);
        let event = DmEvent {
            id: id.to_string(),
            event_type: "MessageCreate".into(),
            text: Some(text),
            created_at: Some(format_time(at)),
            sender_id: Some(sender_id.to_owned()),
            dm_conversation_id: Some(conversation_id.to_owned()),
            participant_ids: Some(participants),
            attachments: None,
        };
        self.dm_events.insert(id, SimDm { event, at });
        id
    }

    /// The one-to-one conversation id X uses: both user ids, smaller first.
    pub fn one_to_one(a: &str, b: &str) -> String {
        let (low, high) = if crate::wire::compare_ids(a, b).is_le() { (a, b) } else { (b, a) };
        format!("{low}-{high}")
    }

    /// `GET /2/users/:id/mentions`, newest first.
    pub fn mentions_page(&self, user_id: &str, query: &TimelineQuery, fields: &Fields) -> Value {
        let matching = self.tweets.iter().rev().filter(|(id, tweet)| {
            !tweet.deleted
                && tweet.mentions.iter().any(|mentioned| mentioned == user_id)
                && query.since_id.is_none_or(|since| **id > since)
                && query.until_id.is_none_or(|until| **id < until)
                && query.before.is_none_or(|before| **id < before)
                && query.start_time.is_none_or(|start| tweet.at >= start)
                && query.end_time.is_none_or(|end| tweet.at < end)
        });
        let mut items: Vec<(u64, &SimTweet)> =
            matching.take(query.max_results + 1).map(|(id, t)| (*id, t)).collect();
        let more = items.len() > query.max_results;
        items.truncate(query.max_results);
        let mut errors = Vec::new();
        let data: Vec<Value> = items
            .iter()
            .map(|(_, tweet)| {
                for reference in tweet.tweet.referenced_tweets.iter().flatten() {
                    let gone = reference.id.parse::<u64>().ok().and_then(|id| self.tweets.get(&id)).is_none_or(|t| t.deleted);
                    if gone {
                        errors.push(json!({
                            "value": reference.id, "detail": format!("Could not find tweet with referenced_tweets.id: [{}].", reference.id),
                            "title": "Not Found Error", "resource_type": "tweet", "parameter": "referenced_tweets.id",
                            "resource_id": reference.id, "type": "https://api.twitter.com/2/problems/resource-not-found"
                        }));
                    }
                }
                let mut value = select(&tweet.tweet, &fields.item, &["id", "text"]);
                value.insert("edit_history_tweet_ids".into(), json!([tweet.tweet.id]));
                Value::Object(value)
            })
            .collect();
        let authors = items.iter().filter_map(|(_, tweet)| tweet.tweet.author_id.clone());
        let includes =
            fields.expansions.contains("author_id").then(|| self.users_json(authors, &fields.user));
        page(
            data,
            includes,
            errors,
            more.then(|| items.last().map(|(id, _)| encode_token(*id))).flatten(),
        )
    }

    /// `GET /2/dm_events`, newest first.
    pub fn dm_page(&self, user_id: &str, query: &TimelineQuery, fields: &Fields) -> Value {
        let matching = self.dm_events.iter().rev().filter(|(id, dm)| {
            dm.event.participant_ids.iter().flatten().any(|participant| participant == user_id)
                && query.before.is_none_or(|before| **id < before)
                // X keeps 30 days of DM events.
                && dm.at >= Utc::now() - chrono::Duration::days(30)
        });
        let mut items: Vec<(u64, &SimDm)> =
            matching.take(query.max_results + 1).map(|(id, dm)| (*id, dm)).collect();
        let more = items.len() > query.max_results;
        items.truncate(query.max_results);
        let data = items
            .iter()
            .map(|(_, dm)| {
                Value::Object(select(&dm.event, &fields.item, &["id", "event_type", "text"]))
            })
            .collect();
        let senders = items.iter().filter_map(|(_, dm)| dm.event.sender_id.clone());
        let includes =
            fields.expansions.contains("sender_id").then(|| self.users_json(senders, &fields.user));
        let next = more.then(|| items.last().map(|(id, _)| encode_token(*id))).flatten();
        let mut body = page(data, includes, Vec::new(), next);
        // The DM timeline's meta never carries newest_id / oldest_id (PLATFORMS.md).
        if let Some(meta) = body.get_mut("meta").and_then(Value::as_object_mut) {
            meta.remove("newest_id");
            meta.remove("oldest_id");
        }
        body
    }

    fn users_json(
        &self,
        ids: impl Iterator<Item = String>,
        user_fields: &HashSet<String>,
    ) -> Vec<Value> {
        let mut seen = HashSet::new();
        ids.filter(|id| seen.insert(id.clone()))
            .filter_map(|id| self.users.get(&id))
            .map(|user| Value::Object(select(user, user_fields, &["id", "name", "username"])))
            .collect()
    }
}

/// The object's JSON keeping only `always` and the requested fields.
fn select<T: serde::Serialize>(
    item: &T,
    requested: &HashSet<String>,
    always: &[&str],
) -> Map<String, Value> {
    let Ok(Value::Object(mut object)) = serde_json::to_value(item) else {
        return Map::new();
    };
    object.retain(|key, _| always.contains(&key.as_str()) || requested.contains(key));
    object
}

fn page(
    data: Vec<Value>,
    users: Option<Vec<Value>>,
    errors: Vec<Value>,
    next: Option<String>,
) -> Value {
    let mut meta = Map::new();
    if let (Some(first), Some(last)) = (data.first(), data.last()) {
        meta.insert("newest_id".into(), first["id"].clone());
        meta.insert("oldest_id".into(), last["id"].clone());
    }
    meta.insert("result_count".into(), json!(data.len()));
    if let Some(next) = next {
        meta.insert("next_token".into(), json!(next));
    }
    let mut body = Map::new();
    if !data.is_empty() {
        body.insert("data".into(), Value::Array(data));
        if let Some(users) = users.filter(|users| !users.is_empty()) {
            body.insert("includes".into(), json!({"users": users}));
        }
    }
    if !errors.is_empty() {
        body.insert("errors".into(), Value::Array(errors));
    }
    body.insert("meta".into(), Value::Object(meta));
    Value::Object(body)
}
