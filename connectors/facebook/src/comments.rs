//! The `comments` stream: walks the feed by `updated_time` from its own watermark (ids and times
//! only) and, for each post whose activity changed, reads the post's comments and replies whole
//! through `GET /{post-id}/comments?filter=stream&order=chronological&summary=true`, cursor-paged
//! with `after`. Reading a changed post whole is what lets edits and hides arrive: the comments
//! edge states no per-comment update time to page from.

use crate::connector::{FacebookConnector, COMMENTS};
use crate::feed::{feed_items, feed_page};
use crate::http::{endpoint, follow};
use crate::mapping::comment_message;
use crate::walk::{repeated, ItemRead, ItemReader, Listed, Walk};
use crate::wire::{COMMENT_FIELDS, FEED_CHANGE_FIELDS};
use serde_json::Value;
use std::collections::HashSet;
use trellis_core::{AccountAccess, ConnectorError, NewMessage, PollRequest, RateLimit, StreamPoll};

/// A post with this many comment pages is read no further in one go; its newest comments wait.
const MAX_COMMENT_PAGES: u32 = 1_000;

impl FacebookConnector {
    pub(crate) async fn poll_comments(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        // Fewer posts a page than the feed stream: each one may cost several comment pages.
        let limit = self.config.page_size.clamp(1, 25);
        let walk = Walk::start(self, request, COMMENTS, |since| {
            feed_page(access, FEED_CHANGE_FIELDS, since, limit)
        })?;
        walk.run(feed_items, PostComments(self)).await
    }
}

/// The comments stream reads a changed post by reading every comment under it.
struct PostComments<'c>(&'c FacebookConnector);

impl ItemReader<Value> for PostComments<'_> {
    async fn read(
        &mut self,
        walk: &mut Walk<'_>,
        post: Listed<Value>,
    ) -> Result<ItemRead, ConnectorError> {
        if walk.budget_spent() {
            return Ok(ItemRead::OutOfBudget);
        }
        let access = walk.access;
        let (messages, rate_limit) =
            self.0.post_comments(access, &post.id, &mut walk.requests).await?;
        walk.poll.messages.extend(messages);
        walk.poll.rate_limit = rate_limit.or(walk.poll.rate_limit);
        Ok(ItemRead::Done)
    }
}

impl FacebookConnector {
    /// Every comment and reply under one post, oldest first. All or nothing: a failure on any page
    /// leaves the post to be read again.
    async fn post_comments(
        &self,
        access: &AccountAccess,
        post_id: &str,
        requests: &mut u32,
    ) -> Result<(Vec<NewMessage>, Option<RateLimit>), ConnectorError> {
        let page_id = access.platform_account_id.as_str();
        let mut url = endpoint(&access.base_url, &[post_id, "comments"])?;
        url.query_pairs_mut()
            .append_pair("fields", COMMENT_FIELDS)
            .append_pair("filter", "stream")
            .append_pair("order", "chronological")
            .append_pair("summary", "true")
            .append_pair("limit", &self.config.page_size.clamp(1, 100).to_string());
        let mut seen = HashSet::new();
        let mut messages = Vec::new();
        let mut rate_limit = None;
        let mut stated_total = 0;
        for _ in 0..MAX_COMMENT_PAGES {
            let (page, limit) = self.get_page(access, url.clone()).await?;
            *requests += 1;
            rate_limit = Some(limit);
            if let Some(summary) = &page.summary {
                stated_total = stated_total.max(summary.total_count);
            }
            let ids: Vec<&str> =
                page.data.iter().filter_map(|raw| raw.get("id")?.as_str()).collect();
            if let Some(id) = ids.iter().find(|id| seen.contains(**id)) {
                return Err(repeated(id));
            }
            seen.extend(ids.into_iter().map(str::to_owned));
            let next = page.next().map(str::to_owned);
            for raw in page.data {
                match comment_message(raw, post_id, page_id) {
                    Ok(message) => messages.push(message),
                    Err(error) => {
                        tracing::warn!(account_id = %access.account_id, post_id, %error, "skipping unreadable comment");
                    }
                }
            }
            match next {
                Some(next) => url = follow(&access.base_url, &next)?,
                None => break,
            }
        }
        // The summary counts what the walk began with; fewer read means a comment was deleted
        // meanwhile, or comments the token may not see. Not an error: the Graph API documents the
        // count as approximate, and refusing would stall the post for good.
        if (seen.len() as u64) < stated_total {
            tracing::debug!(account_id = %access.account_id, post_id, read = seen.len(), stated_total, "fewer comments than the summary states");
        }
        Ok((messages, rate_limit))
    }
}
