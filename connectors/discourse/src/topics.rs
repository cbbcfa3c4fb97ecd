//! Topic context for posts that do not carry it: `GET /t/{id}.json`, once per topic per poll, and
//! remembered across polls for a few minutes: a private-message backfill interrupted by failures
//! would otherwise fetch the same topics again on every attempt and barely move.

use crate::connector::DiscourseConnector;
use crate::http::{decode, endpoint, send, Purpose};
use crate::mapping::TopicContext;
use crate::wire::Topic;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a topic's title is trusted without asking again; a renamed topic shows within it.
const REMEMBER_FOR: Duration = Duration::from_secs(600);
/// Bounds the memory of remembered topics; past it, everything is forgotten at once.
const REMEMBER_AT_MOST: usize = 20_000;

/// Topic contexts remembered across polls, by (forum base URL, topic id).
#[derive(Debug, Default)]
pub(crate) struct RememberedTopics(Mutex<HashMap<(String, u64), (TopicContext, Instant)>>);

impl RememberedTopics {
    fn get(&self, base_url: &str, topic_id: u64) -> Option<TopicContext> {
        let map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (context, at) = map.get(&(base_url.to_owned(), topic_id))?;
        (at.elapsed() < REMEMBER_FOR).then(|| context.clone())
    }

    fn put(&self, base_url: &str, topic_id: u64, context: TopicContext) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= REMEMBER_AT_MOST {
            map.clear();
        }
        map.insert((base_url.to_owned(), topic_id), (context, Instant::now()));
    }
}
use trellis_core::{AccountAccess, ConnectorError};

/// Topics already asked about in this poll, and the post numbers their streams revealed.
#[derive(Debug, Default)]
pub(crate) struct TopicCache {
    topics: HashMap<u64, TopicContext>,
    /// `(topic id, post number)` → post id, from the topics' first posts.
    pub numbers: HashMap<(u64, u32), u64>,
}

impl TopicCache {
    /// The context of `topic_id`, fetched on first use. A topic the account may not see (deleted,
    /// a private message it left) yields an empty context rather than failing the poll; a
    /// retryable failure is returned so the page is read again later with its titles.
    pub async fn context(
        &mut self,
        connector: &DiscourseConnector,
        access: &AccountAccess,
        topic_id: u64,
    ) -> Result<TopicContext, ConnectorError> {
        if let Some(context) = self.topics.get(&topic_id) {
            return Ok(context.clone());
        }
        if let Some(context) = connector.topics.get(&access.base_url, topic_id) {
            self.topics.insert(topic_id, context.clone());
            return Ok(context);
        }
        let context = match connector.fetch_topic(access, topic_id).await {
            Ok(topic) => {
                for post in topic.post_stream.iter().flat_map(|stream| &stream.posts) {
                    self.numbers.insert((topic.id, post.post_number), post.id);
                }
                let context =
                    TopicContext { title: Some(topic.title), category_id: topic.category_id };
                connector.topics.put(&access.base_url, topic_id, context.clone());
                context
            }
            Err(error) if error.is_retryable() => return Err(error),
            Err(ConnectorError::Unauthorized { platform_reason }) => {
                return Err(ConnectorError::Unauthorized { platform_reason })
            }
            Err(error) => {
                tracing::warn!(account_id = %access.account_id, topic_id, %error, "topic context unavailable");
                TopicContext::default()
            }
        };
        self.topics.insert(topic_id, context.clone());
        Ok(context)
    }
}

impl DiscourseConnector {
    pub(crate) async fn fetch_topic(
        &self,
        access: &AccountAccess,
        topic_id: u64,
    ) -> Result<Topic, ConnectorError> {
        let url = endpoint(&access.base_url, &["t", &format!("{topic_id}.json")])?;
        let answer = send(self.client.get(url), access, Purpose::Act).await?;
        decode(&answer)
    }
}
