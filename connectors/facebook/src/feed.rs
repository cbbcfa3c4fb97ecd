//! The `feed` stream: `GET /{page-id}/feed?since=<watermark>`, newest first by `updated_time`,
//! following `paging.next` links (time-based: `since`, `until`, `__paging_token`) until none is
//! left. Every post updated since the watermark is read again, so edits arrive.

use crate::connector::{FacebookConnector, FEED};
use crate::http::endpoint;
use crate::mapping::post_message;
use crate::walk::{param_i64, repeated, ItemRead, ItemReader, Listed, Walk};
use crate::wire::{parse_time, Page, FEED_FIELDS};
use reqwest::Url;
use serde_json::Value;
use trellis_core::{AccountAccess, ConnectorError, PollRequest, StreamPoll};

impl FacebookConnector {
    pub(crate) async fn poll_feed(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let limit = self.config.page_size.clamp(1, 100);
        let walk =
            Walk::start(self, request, FEED, |since| feed_page(access, FEED_FIELDS, since, limit))?;
        walk.run(feed_items, MapPost).await
    }
}

/// The feed stream reads a post by mapping it: the feed answer holds the whole post.
struct MapPost;

impl ItemReader<Value> for MapPost {
    async fn read(
        &mut self,
        walk: &mut Walk<'_>,
        post: Listed<Value>,
    ) -> Result<ItemRead, ConnectorError> {
        let page_id = walk.access.platform_account_id.as_str();
        match post_message(post.item, page_id) {
            Ok(message) => walk.poll.messages.push(message),
            Err(error) => {
                tracing::warn!(account_id = %walk.access.account_id, post_id = %post.id, %error, "skipping unreadable post");
            }
        }
        Ok(ItemRead::Done)
    }
}

/// The first page of the Page's feed from `since` (Unix seconds), asking for `fields`: the feed
/// stream wants whole posts, the comments stream only which posts changed.
pub(crate) fn feed_page(
    access: &AccountAccess,
    fields: &str,
    since: i64,
    limit: u8,
) -> Result<Url, ConnectorError> {
    let mut url = endpoint(&access.base_url, &[access.platform_account_id.as_str(), "feed"])?;
    url.query_pairs_mut()
        .append_pair("fields", fields)
        .append_pair("since", &since.to_string())
        .append_pair("limit", &limit.to_string());
    Ok(url)
}

/// A feed page's posts with their id and `updated_time`, checked before any is used: a post newer
/// than the page's `until` bound or met earlier in the walk marks a stale or repeated page,
/// refused whole. Posts without an id or a time are skipped with a warning.
pub(crate) fn feed_items(
    page: &Page,
    walk: &mut Walk<'_>,
) -> Result<Vec<Listed<Value>>, ConnectorError> {
    let until = param_i64(&walk.url, "until");
    let mut items = Vec::with_capacity(page.data.len());
    for raw in &page.data {
        let id = raw.get("id").and_then(Value::as_str);
        let time = ["updated_time", "created_time"]
            .iter()
            .find_map(|field| raw.get(*field).and_then(Value::as_str).and_then(parse_time));
        let (Some(id), Some(time)) = (id, time) else {
            tracing::warn!(item = %raw.get("id").unwrap_or(&serde_json::Value::Null), "skipping an item without id or time");
            continue;
        };
        if until.is_some_and(|until| time.timestamp() > until) {
            return Err(repeated(id));
        }
        items.push(Listed { item: raw.clone(), id: id.to_owned(), time: time.timestamp() });
    }
    for item in &items {
        walk.meet(&item.id)?;
    }
    Ok(items)
}
