//! The `mentions` stream: `GET /2/users/:id/mentions`, newest first, `since_id` from the cursor,
//! `next_token` to the end; the new cursor is the newest id read.

use crate::connector::{XConnector, MENTIONS};
use crate::cursor::{MentionsCursor, MentionsGap};
use crate::mapping::{tweet_message, users_by_id};
use crate::wire::{compare_ids, Page, TWEET_FIELDS, USER_FIELDS};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use trellis_core::{ConnectorError, CursorUpdate, PollRequest, StreamPoll};

/// What bounds one walk down the timeline.
struct Walk {
    since: Option<String>,
    until: Option<String>,
    start_time: Option<String>,
    /// The newest id already known from an earlier, interrupted walk.
    newest_known: Option<String>,
}

impl XConnector {
    pub(crate) async fn poll_mentions(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let account = access.platform_account_id.as_str();
        let stored = request.cursors.get(MENTIONS);
        let cursor = stored.and_then(|value| match MentionsCursor::parse(value) {
            Ok(cursor) => Some(cursor),
            Err(error) => {
                // Starting over within the backfill window re-reads some mentions, which the
                // store's upsert absorbs; refusing to poll would stall the account for good.
                tracing::warn!(account_id = %access.account_id, %error, "unreadable mentions cursor, backfilling");
                None
            }
        });
        let backfill_from = Utc::now() - self.config.backfill_window;
        let walk = match &cursor {
            None => Walk {
                since: None,
                until: None,
                start_time: Some(backfill_from.format("%Y-%m-%dT%H:%M:%SZ").to_string()),
                newest_known: None,
            },
            Some(MentionsCursor::CaughtUp { newest }) => Walk {
                since: Some(newest.clone()),
                until: None,
                start_time: None,
                newest_known: None,
            },
            Some(MentionsCursor::Resuming(gap)) => Walk {
                since: gap.since.clone(),
                until: Some(gap.until.clone()),
                start_time: gap.start_time.clone(),
                newest_known: Some(gap.newest.clone()),
            },
        };
        let not_before = walk
            .start_time
            .as_deref()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map(|time| time.with_timezone(&Utc));

        let mut poll = StreamPoll::default();
        let mut newest: Option<String> = None;
        let mut oldest: Option<String> = None;
        let mut token: Option<String> = None;
        let mut pages = 0;
        let finished = loop {
            if pages >= self.config.max_pages_per_poll.max(1) {
                poll.more = true;
                break false;
            }
            let mut query = vec![
                ("max_results", self.config.page_size.clamp(5, 100).to_string()),
                ("tweet.fields", TWEET_FIELDS.to_owned()),
                ("expansions", "author_id".to_owned()),
                ("user.fields", USER_FIELDS.to_owned()),
            ];
            let bounds = [("since_id", &walk.since), ("until_id", &walk.until)];
            query.extend(bounds.iter().filter_map(|(k, v)| (*v).clone().map(|v| (*k, v))));
            if let Some(start_time) = &walk.start_time {
                query.push(("start_time", start_time.clone()));
            }
            if let Some(token) = &token {
                query.push(("pagination_token", token.clone()));
            }
            let fetched = self.get_page(access, &["2", "users", account, "mentions"], &query).await;
            let in_range = |id: &str| {
                walk.since.as_deref().is_none_or(|since| compare_ids(id, since).is_gt())
                    && walk.until.as_deref().is_none_or(|until| compare_ids(id, until).is_lt())
                    && (token.is_none()
                        || oldest.as_deref().is_none_or(|o| compare_ids(id, o).is_lt()))
            };
            let (page, rate_limit) = match fetched
                .and_then(|(page, limit)| check_range(&page, in_range).map(|()| (page, limit)))
            {
                Ok(answer) => answer,
                Err(error) if pages == 0 => return Err(error),
                Err(error) => {
                    poll.interrupted = Some(error);
                    poll.more = true;
                    break false;
                }
            };
            pages += 1;
            poll.rate_limit = Some(rate_limit);
            if let Some(errors) = &page.errors {
                tracing::warn!(account_id = %access.account_id, count = errors.len(), first = %errors[0], "partial errors beside mentions");
            }
            let users = page.includes.as_ref().map(|i| users_by_id(&i.users)).unwrap_or_default();
            let mut older_than_window = false;
            for raw in page.data.unwrap_or_default() {
                let message = match tweet_message(raw, &users, account) {
                    Ok(message) => message,
                    Err(error) => {
                        tracing::warn!(account_id = %access.account_id, %error, "skipping unreadable tweet");
                        continue;
                    }
                };
                let id = message.platform_id.as_str().to_owned();
                // Track bounds by id, not by position: pages can arrive reordered or repeated.
                keep_extreme(&mut newest, &id, Ordering::Greater);
                keep_extreme(&mut oldest, &id, Ordering::Less);
                if not_before.is_some_and(|bound| message.created_at < bound) {
                    older_than_window = true;
                    continue;
                }
                poll.messages.push(message);
            }
            token = page.meta.next_token;
            if token.is_none() || older_than_window {
                break true;
            }
        };

        let next = if finished {
            walk.newest_known.or(newest).map(|newest| MentionsCursor::CaughtUp { newest })
        } else {
            let until = match (oldest, &walk.until) {
                (Some(oldest), Some(until)) if compare_ids(until, &oldest).is_lt() => {
                    Some(until.clone())
                }
                (Some(oldest), _) => Some(oldest),
                (None, until) => until.clone(),
            };
            match (walk.newest_known.or(newest), until) {
                (Some(newest), Some(until)) => Some(MentionsCursor::Resuming(MentionsGap {
                    newest,
                    until,
                    since: walk.since,
                    start_time: walk.start_time,
                })),
                _ => None,
            }
        };
        if let Some(next) = next.filter(|next| Some(next) != cursor.as_ref()) {
            poll.cursors.push(CursorUpdate { stream: MENTIONS.to_owned(), value: next.encode() });
        }
        Ok(poll)
    }
}

/// Replaces `slot` with `id` when `id` compares as `wanted` against it (or the slot is empty).
pub(crate) fn keep_extreme(slot: &mut Option<String>, id: &str, wanted: Ordering) {
    if slot.as_deref().is_none_or(|current| compare_ids(id, current) == wanted) {
        *slot = Some(id.to_owned());
    }
}

/// Refuses a page holding an item outside the range asked for: a stale or repeated page (a cache
/// replaying an earlier answer) whose missing `next_token` would otherwise end the walk early and
/// skip what lies below. Refused like a truncated body, as transient.
pub(crate) fn check_range(
    page: &Page,
    in_range: impl Fn(&str) -> bool,
) -> Result<(), ConnectorError> {
    let ids = page.data.iter().flatten().filter_map(|item| item.get("id")?.as_str());
    match ids.into_iter().find(|id| !in_range(id)) {
        Some(id) => Err(ConnectorError::Transient {
            reason: format!("page outside the requested range (stale or repeated), item {id}"),
        }),
        None => Ok(()),
    }
}
