//! The `feed` stream: `GET /{page-id}/feed?since=<watermark>`, newest first by `updated_time`,
//! following `paging.next` links (time-based: `since`, `until`, `__paging_token`) until none is
//! left. Every post updated since the watermark is read again, so edits arrive.

use crate::connector::{FacebookConnector, FEED};
use crate::http::endpoint;
use crate::mapping::post_message;
use crate::walk::{param_i64, repeated, Walk};
use crate::wire::{parse_time, FEED_FIELDS};
use serde_json::Value;
use trellis_core::{ConnectorError, PollRequest, StreamPoll};

impl FacebookConnector {
    pub(crate) async fn poll_feed(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let page_id = access.platform_account_id.as_str();
        let limit = self.config.page_size.clamp(1, 100).to_string();
        let mut walk = Walk::start(self, request, FEED, |since| {
            let mut url = endpoint(&access.base_url, &[page_id, "feed"])?;
            url.query_pairs_mut()
                .append_pair("fields", FEED_FIELDS)
                .append_pair("since", &since.to_string())
                .append_pair("limit", &limit);
            Ok(url)
        })?;
        loop {
            if walk.budget_spent() {
                return Ok(walk.pause());
            }
            let (page, rate_limit) = match self.get_page(access, walk.url.clone()).await {
                Ok(answer) => answer,
                Err(error) => return walk.fail(error),
            };
            walk.requests += 1;
            walk.poll.rate_limit = Some(rate_limit);
            let items = match timed_items(&page.data, param_i64(&walk.url, "until"), &mut walk) {
                Ok(items) => items,
                Err(error) => return walk.fail(error),
            };
            let mut reached_old = false;
            for (raw, id, time) in items {
                if walk.watermark.covers(time, &id) {
                    reached_old |= time < walk.watermark.since;
                    continue;
                }
                walk.newest.see(time, &id);
                if walk.done.contains(&id) {
                    continue;
                }
                match post_message(raw, page_id) {
                    Ok(message) => walk.poll.messages.push(message),
                    Err(error) => {
                        tracing::warn!(account_id = %access.account_id, post_id = %id, %error, "skipping unreadable post");
                    }
                }
            }
            // A server that ignores `since` still ends the walk once it pages below the watermark.
            match page.next() {
                Some(next) if !reached_old => {
                    if let Err(error) = walk.advance(&access.base_url, next) {
                        return walk.fail(error);
                    }
                }
                _ => return Ok(walk.finish()),
            }
        }
    }
}

/// A page's items with their id and `updated_time` (Unix seconds), checked before any is used: an
/// item newer than the page's `until` bound or met earlier in the walk marks a stale or repeated
/// page, refused whole. Items without an id or a time are skipped with a warning.
pub(crate) fn timed_items(
    data: &[Value],
    until: Option<i64>,
    walk: &mut Walk<'_>,
) -> Result<Vec<(Value, String, i64)>, ConnectorError> {
    let mut items = Vec::with_capacity(data.len());
    for raw in data {
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
        items.push((raw.clone(), id.to_owned(), time.timestamp()));
    }
    for (_, id, _) in &items {
        walk.meet(id)?;
    }
    Ok(items)
}
