//! The walk both streams share: `GET <list>.json`, newest first, 50 a page, then
//! `?before=<smallest id so far>` down to the cursor (or, on a first connection, down to the
//! backfill window by `created_at`). The new cursor is the newest id read.

use crate::connector::DiscourseConnector;
use crate::cursor::{Gap, StreamCursor};
use crate::http::{decode, endpoint, send, Purpose};
use crate::mapping::{link_parents, post_message, read_post};
use crate::topics::TopicCache;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use trellis_core::{
    AccountAccess, ConnectorError, CursorUpdate, MessageKind, NewMessage, PollRequest, StreamPoll,
};

/// One of the two listings: where it is and what its posts become.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Listing {
    pub stream: &'static str,
    /// `posts.json`, `private-posts.json`.
    pub path: &'static str,
    /// The answer's array: `latest_posts`, `private_posts`.
    pub key: &'static str,
    pub kind: MessageKind,
}

/// What bounds one walk.
struct Bounds {
    before: Option<u64>,
    stop_at: Option<u64>,
    not_before: Option<DateTime<Utc>>,
    newest_known: Option<u64>,
}

/// One page read and mapped.
struct Page {
    messages: Vec<NewMessage>,
    newest: Option<u64>,
    oldest: Option<u64>,
    /// An item at or below the cursor, or older than the backfill window, was met.
    reached_end: bool,
    /// A topic fetch failed at a post: the page stops there, `oldest` just above it.
    stopped: Option<ConnectorError>,
}

impl DiscourseConnector {
    pub(crate) async fn walk(
        &self,
        request: &PollRequest,
        listing: Listing,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let cursor = request.cursors.get(listing.stream).and_then(|stored| {
            StreamCursor::parse(stored)
                .map_err(|error| {
                    // Backfilling again re-reads some posts, which the store's upsert absorbs;
                    // refusing to poll would stall the account for good.
                    tracing::warn!(account_id = %access.account_id, stream = listing.stream, %error, "unreadable cursor, backfilling");
                })
                .ok()
        });
        let mut bounds = match &cursor {
            None => Bounds {
                before: None,
                stop_at: None,
                not_before: Some(Utc::now() - self.config.backfill_window),
                newest_known: None,
            },
            Some(StreamCursor::CaughtUp { newest }) => Bounds {
                before: None,
                stop_at: Some(*newest),
                not_before: None,
                newest_known: None,
            },
            Some(StreamCursor::Resuming(gap)) => Bounds {
                before: Some(gap.before),
                stop_at: gap.stop_at,
                not_before: gap
                    .not_before
                    .as_deref()
                    .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
                    .map(|time| time.with_timezone(&Utc)),
                newest_known: Some(gap.newest),
            },
        };

        let mut poll = StreamPoll::default();
        let mut topics = TopicCache::default();
        let mut newest_read: Option<u64> = None;
        let mut pages = 0;
        let finished = loop {
            if pages == self.config.max_pages_per_poll {
                poll.more = true;
                break false;
            }
            let page = match self.read_page(access, listing, &bounds, &mut topics).await {
                Ok((page, _))
                    if pages == 0 && page.messages.is_empty() && page.stopped.is_some() =>
                {
                    return Err(page.stopped.unwrap_or(ConnectorError::Transient {
                        reason: "topic fetch failed".into(),
                    }));
                }
                Ok(page) => page,
                Err(error) if pages == 0 => return Err(error),
                Err(error) => {
                    poll.interrupted = Some(error);
                    poll.more = true;
                    break false;
                }
            };
            pages += 1;
            poll.rate_limit = Some(page.1);
            let page = page.0;
            poll.messages.extend(page.messages);
            newest_read = newest_read.max(page.newest);
            match page.oldest {
                Some(oldest) => bounds.before = Some(oldest),
                // Nothing below `before`: the bottom of the listing.
                None => break true,
            }
            if let Some(error) = page.stopped {
                poll.interrupted = Some(error);
                poll.more = true;
                break false;
            }
            if page.reached_end {
                break true;
            }
        };

        let mut known: HashMap<(u64, u32), u64> = topics.numbers;
        for message in &poll.messages {
            let topic = message.raw.get("topic_id").and_then(serde_json::Value::as_u64);
            let number = message.raw.get("post_number").and_then(serde_json::Value::as_u64);
            if let (Some(topic), Some(number), Ok(id)) =
                (topic, number, message.platform_id.as_str().parse::<u64>())
            {
                if let Ok(number) = u32::try_from(number) {
                    known.insert((topic, number), id);
                }
            }
        }
        link_parents(&mut poll.messages, &known);

        // A stale first page can hold only posts below the cursor: never move the cursor back.
        let newest = bounds.newest_known.or(newest_read).max(bounds.stop_at);
        let next = match (finished, newest, bounds.before) {
            (true, Some(newest), _) => Some(StreamCursor::CaughtUp { newest }),
            (false, Some(newest), Some(before)) => Some(StreamCursor::Resuming(Gap {
                newest,
                before,
                stop_at: bounds.stop_at,
                not_before: bounds.not_before.map(|time| time.to_rfc3339()),
            })),
            _ => None,
        };
        if let Some(next) = next.filter(|next| Some(next) != cursor.as_ref()) {
            poll.cursors
                .push(CursorUpdate { stream: listing.stream.to_owned(), value: next.encode() });
        }
        Ok(poll)
    }

    /// Reads one page below `bounds.before` and maps it, topic context included. Fails as a whole,
    /// so a page is either committed complete or read again.
    async fn read_page(
        &self,
        access: &AccountAccess,
        listing: Listing,
        bounds: &Bounds,
        topics: &mut TopicCache,
    ) -> Result<(Page, trellis_core::RateLimit), ConnectorError> {
        let url = endpoint(&access.base_url, &[listing.path])?;
        let mut request = self.client.get(url);
        if let Some(before) = bounds.before {
            request = request.query(&[("before", before)]);
        }
        let answer = send(request, access, Purpose::Read).await?;
        let body: serde_json::Value = decode(&answer)?;
        let items = match body.get(listing.key) {
            Some(serde_json::Value::Array(items)) => items.clone(),
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(_) => {
                return Err(ConnectorError::Malformed {
                    reason: format!("{} is not an array", listing.key),
                })
            }
        };
        let ids: Vec<Option<u64>> =
            items.iter().map(|item| item.get("id").and_then(serde_json::Value::as_u64)).collect();
        if let Some(before) = bounds.before {
            // `before` is exclusive; an item above it means a stale or replayed page, whose
            // shortness would otherwise end the walk early and skip what lies below. Equal is
            // tolerated: some versions include the `before` post itself.
            if let Some(id) = ids.iter().flatten().find(|id| **id > before) {
                return Err(ConnectorError::Transient {
                    reason: format!("page above before={before} (stale or repeated), post {id}"),
                });
            }
        }
        let mut page = Page {
            messages: Vec::new(),
            newest: None,
            oldest: None,
            reached_end: false,
            stopped: None,
        };
        // Newest first whatever order the page came in, so a stop mid-page leaves a clean bound.
        let mut items: Vec<_> = items.into_iter().zip(ids).collect();
        items.sort_by_key(|(_, id)| std::cmp::Reverse(*id));
        for (raw, id) in items {
            let Some(id) = id.filter(|id| bounds.before.is_none_or(|before| *id < before)) else {
                continue;
            };
            // Bounds by id, not position: pages may arrive reordered.
            page.newest = page.newest.max(Some(id));
            page.oldest = Some(page.oldest.map_or(id, |oldest| oldest.min(id)));
            if bounds.stop_at.is_some_and(|stop_at| id <= stop_at) {
                page.reached_end = true;
                continue;
            }
            let post = match read_post(&raw) {
                Ok(Some(post)) => post,
                Ok(None) => continue,
                Err(error) => {
                    tracing::warn!(account_id = %access.account_id, post_id = id, %error, "skipping unreadable post");
                    continue;
                }
            };
            if bounds.not_before.is_some_and(|bound| post.created_at < bound) {
                page.reached_end = true;
                continue;
            }
            let context = if post.topic_title.is_some() {
                Default::default()
            } else {
                match topics.context(self, access, post.topic_id).await {
                    Ok(context) => context,
                    Err(error) => {
                        // Keep what is above this post; the next poll starts again at it.
                        page.oldest = Some(id + 1);
                        page.stopped = Some(error);
                        break;
                    }
                }
            };
            let username = access.platform_account_id.as_str();
            match post_message(&post, raw, listing.kind, username, &context) {
                Ok(message) => page.messages.push(message),
                Err(error) => {
                    tracing::warn!(account_id = %access.account_id, post_id = id, %error, "skipping unmappable post");
                }
            }
        }
        Ok((page, answer.rate_limit))
    }
}
