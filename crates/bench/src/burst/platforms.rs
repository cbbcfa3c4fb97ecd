//! The three platform simulators of a burst, in-process on local ports: started with their rate
//! limits lifted (the burst measures trellis, not the platforms' budgets), filled with a burst of
//! realistic traffic, and able to say what they generated and how many requests they served.

use super::verify::plain_words;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashSet;
use std::net::SocketAddr;
use trellis_connector_discourse::simulator as discourse;
use trellis_connector_facebook::simulator as facebook;
use trellis_connector_x::simulator as x;
use trellis_core::Channel;

/// Budgets no burst reaches: every page the connectors ask for is answered.
const UNLIMITED: u32 = 10_000_000;

/// The running simulators.
pub struct Platforms {
    pub x: x::Simulator,
    pub facebook: facebook::Simulator,
    pub discourse: discourse::Simulator,
}

/// What one platform generated: the ids a connector must deliver (each once), and a few of them
/// with their text, to be searched for afterwards.
#[derive(Debug, Clone)]
pub struct Generated {
    pub channel: Channel,
    pub ids: HashSet<String>,
    pub known: Vec<KnownMessage>,
}

/// A generated message whose text the platform holds.
#[derive(Debug, Clone)]
pub struct KnownMessage {
    pub platform_id: String,
    pub text: String,
}

/// How `messages` are split across the platforms and their kinds of content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub x_mentions: usize,
    pub x_dms: usize,
    pub facebook_posts: usize,
    pub facebook_comments: usize,
    pub facebook_messages: usize,
    pub discourse_topics: usize,
    pub discourse_posts: usize,
    pub discourse_private_posts: usize,
}

impl Split {
    /// About 35 % X (4 mentions to 1 DM), 35 % Facebook (posts, comments under them, Messenger)
    /// and 30 % Discourse (public topics with about 40 posts each, and private messages).
    pub fn of(messages: usize) -> Self {
        let x = messages * 35 / 100;
        let facebook = messages * 35 / 100;
        let discourse = messages - x - facebook;
        let x_dms = x / 5;
        let facebook_posts = facebook / 10;
        let facebook_messages = facebook / 4;
        let discourse_private_posts = discourse / 5;
        let discourse_posts = discourse - discourse_private_posts;
        Self {
            x_mentions: x - x_dms,
            x_dms,
            facebook_posts,
            facebook_comments: facebook - facebook_posts - facebook_messages,
            facebook_messages,
            discourse_topics: (discourse_posts / 40).max(1),
            discourse_posts,
            discourse_private_posts,
        }
    }
}

impl Platforms {
    /// Starts the three simulators on free local ports, seeded with `seed`.
    pub async fn start(seed: u64) -> std::io::Result<Self> {
        let local: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 0));
        let x = x::Simulator::start(
            local,
            x::SimulatorConfig {
                seed,
                limits: x::Limits {
                    mentions: UNLIMITED,
                    dm_events: UNLIMITED,
                    users_me: UNLIMITED,
                    ..x::Limits::default()
                },
                ..Default::default()
            },
        )
        .await?;
        let facebook = facebook::Simulator::start(
            local,
            facebook::SimulatorConfig {
                seed,
                limits: facebook::Limits { calls: UNLIMITED, ..facebook::Limits::default() },
                ..Default::default()
            },
        )
        .await?;
        let discourse = discourse::Simulator::start(
            local,
            discourse::SimulatorConfig {
                seed,
                limits: discourse::Limits {
                    requests_per_window: UNLIMITED,
                    ..discourse::Limits::default()
                },
                ..Default::default()
            },
        )
        .await?;
        Ok(Self { x, facebook, discourse })
    }

    /// Generates the burst, spread over the six days before `end` (inside the connectors' default
    /// week of backfill), and returns what each platform must deliver.
    pub fn generate(&self, split: Split, end: DateTime<Utc>) -> Vec<Generated> {
        let start = Some(end - Duration::days(6));
        let end = Some(end);
        let xs = self.x.generate(&x::TrafficSpec {
            mentions: split.x_mentions,
            dms: split.x_dms,
            start,
            end,
            authors: (split.x_mentions / 20).max(250),
            ..Default::default()
        });
        let fb = self.facebook.generate(&facebook::TrafficSpec {
            posts: split.facebook_posts,
            comments: split.facebook_comments,
            messages: split.facebook_messages,
            start,
            end,
            authors: (split.facebook_comments / 20).max(200),
            ..Default::default()
        });
        let forum = self.discourse.generate(&discourse::TrafficSpec {
            topics: split.discourse_topics,
            posts: split.discourse_posts,
            private_posts: split.discourse_private_posts,
            start,
            end,
            ..Default::default()
        });
        vec![
            Generated {
                channel: Channel::X,
                ids: xs.mentions.iter().chain(&xs.dms).cloned().collect(),
                known: samples(&xs.mentions, |id| text(self.x.tweet(id), "text"))
                    .into_iter()
                    .chain(samples(&xs.dms, |id| text(self.x.dm_event(id), "text")))
                    .collect(),
            },
            Generated {
                channel: Channel::Facebook,
                ids: fb.posts.iter().chain(&fb.comments).chain(&fb.messages).cloned().collect(),
                known: samples(&fb.comments, |id| text(self.facebook.comment(id), "message"))
                    .into_iter()
                    .chain(samples(&fb.messages, |id| text(self.facebook.message(id), "message")))
                    .collect(),
            },
            Generated {
                channel: Channel::Discourse,
                ids: forum.posts.iter().map(u64::to_string).collect(),
                known: samples(&forum.posts, |id| {
                    let post = self.discourse.post(*id).filter(|post| post["deleted_at"].is_null());
                    text(post, "raw")
                }),
            },
        ]
    }

    /// Requests the three platforms have answered so far.
    pub fn requests(&self) -> usize {
        self.x.requests().len() + self.facebook.requests().len() + self.discourse.requests().len()
    }
}

/// Three messages of `ids`, from its start, middle and end: each the first from there whose text
/// has at least two plain words to search for.
fn samples<T: ToString>(ids: &[T], text_of: impl Fn(&T) -> Option<String>) -> Vec<KnownMessage> {
    let mut known: Vec<KnownMessage> = Vec::new();
    for start in [0, ids.len() / 3, ids.len() * 2 / 3] {
        let found = ids.iter().skip(start).find_map(|id| {
            let platform_id = id.to_string();
            if known.iter().any(|k| k.platform_id == platform_id) {
                return None;
            }
            let text = text_of(id).filter(|text| plain_words(text).len() >= 2)?;
            Some(KnownMessage { platform_id, text })
        });
        known.extend(found);
    }
    known
}

fn text(json: Option<serde_json::Value>, field: &str) -> Option<String> {
    json.and_then(|value| value[field].as_str().map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_split_uses_every_message_and_gives_each_platform_its_share() {
        for messages in [2_000, 100_000, 99_999] {
            let split = Split::of(messages);
            let total = split.x_mentions
                + split.x_dms
                + split.facebook_posts
                + split.facebook_comments
                + split.facebook_messages
                + split.discourse_posts
                + split.discourse_private_posts;
            assert_eq!(total, messages);
            assert_eq!(split.x_mentions + split.x_dms, messages * 35 / 100);
            assert!(split.discourse_topics >= 1 && split.discourse_topics < split.discourse_posts);
        }
    }
}
