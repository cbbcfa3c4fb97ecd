//! The `dm_events` stream: `GET /2/dm_events` has no `since_id`, so each poll walks newest-first
//! until an event at or below the newest id already seen (ids are time-ordered snowflakes, so this
//! also stops correctly when that very event was deleted).

use crate::connector::{XConnector, DM_EVENTS};
use crate::cursor::{DmCursor, DmWalk};
use crate::mapping::{dm_message, users_by_id};
use crate::mentions::{check_range, keep_extreme};
use crate::wire::{compare_ids, DM_EVENT_FIELDS, USER_FIELDS};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;
use trellis_core::{ConnectorError, CursorUpdate, PollRequest, StreamPoll};

impl XConnector {
    pub(crate) async fn poll_dm_events(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let account = access.platform_account_id.as_str();
        let cursor = request.cursors.get(DM_EVENTS).and_then(|value| match DmCursor::parse(value) {
            Ok(cursor) => Some(cursor),
            Err(error) => {
                tracing::warn!(account_id = %access.account_id, %error, "unreadable dm cursor, backfilling");
                None
            }
        });
        let backfill_from = (Utc::now() - self.config.backfill_window).to_rfc3339();
        let (stop_at, mut token, mut newest_known, not_before, mut walk_oldest) = match &cursor {
            None => (None, None, None, Some(backfill_from), None),
            Some(DmCursor::Seen { newest }) => (Some(newest.clone()), None, None, None, None),
            Some(DmCursor::Resuming(walk)) => (
                walk.stop_at.clone(),
                Some(walk.token.clone()),
                Some(walk.newest.clone()),
                walk.not_before.clone(),
                walk.below.clone(),
            ),
        };
        let not_before_time = not_before
            .as_deref()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map(|time| time.with_timezone(&Utc));

        let mut poll = StreamPoll::default();
        let mut newest: Option<String> = None;
        let mut pages = 0;
        let finished = loop {
            if pages >= self.config.max_pages_per_poll.max(1) {
                poll.more = true;
                break false;
            }
            let mut query = vec![
                ("max_results", self.config.page_size.clamp(1, 100).to_string()),
                ("event_types", "MessageCreate".to_owned()),
                ("dm_event.fields", DM_EVENT_FIELDS.to_owned()),
                ("expansions", "sender_id".to_owned()),
                ("user.fields", USER_FIELDS.to_owned()),
            ];
            if let Some(token) = &token {
                query.push(("pagination_token", token.clone()));
            }
            let fetched = self.get_page(access, &["2", "dm_events"], &query).await;
            // Within one walk, every page lies strictly below the ones before it.
            let in_range = |id: &str| {
                token.is_none() || walk_oldest.as_deref().is_none_or(|o| compare_ids(id, o).is_lt())
            };
            let (page, rate_limit) = match fetched
                .and_then(|(page, limit)| check_range(&page, in_range).map(|()| (page, limit)))
            {
                Ok(answer) => answer,
                Err(ConnectorError::Refused { status: 400, platform_reason })
                    if pages == 0 && newest_known.is_some() =>
                {
                    // A resume token the platform no longer honours: walk again from the top down
                    // to the same stop; what was read before is re-read and absorbed by the upsert.
                    tracing::warn!(account_id = %access.account_id, reason = %platform_reason, "dm resume token refused, walking again");
                    token = None;
                    newest_known = None;
                    walk_oldest = None;
                    continue;
                }
                Err(error) if pages == 0 => return Err(error),
                Err(error) => {
                    poll.interrupted = Some(error);
                    poll.more = true;
                    break false;
                }
            };
            pages += 1;
            poll.rate_limit = Some(rate_limit);
            let users = page.includes.as_ref().map(|i| users_by_id(&i.users)).unwrap_or_default();
            let mut reached_seen = false;
            for raw in page.data.unwrap_or_default() {
                let message = match dm_message(raw, &users, account) {
                    Ok(Some(message)) => message,
                    Ok(None) => continue,
                    Err(error) => {
                        tracing::warn!(account_id = %access.account_id, %error, "skipping unreadable dm event");
                        continue;
                    }
                };
                let id = message.platform_id.as_str();
                keep_extreme(&mut walk_oldest, id, Ordering::Less);
                let seen = stop_at.as_deref().is_some_and(|stop| compare_ids(id, stop).is_le());
                let too_old = not_before_time.is_some_and(|bound| message.created_at < bound);
                if seen || too_old {
                    // Finish the page rather than stop here: it may arrive out of order.
                    reached_seen = true;
                    continue;
                }
                keep_extreme(&mut newest, id, Ordering::Greater);
                poll.messages.push(message);
            }
            token = page.meta.next_token;
            if token.is_none() || reached_seen {
                break true;
            }
        };

        let newest = newest_known.or(newest);
        let next = match (finished, newest, token) {
            (true, Some(newest), _) => Some(DmCursor::Seen { newest }),
            (false, Some(newest), Some(token)) => Some(DmCursor::Resuming(DmWalk {
                newest,
                token,
                below: walk_oldest,
                stop_at,
                not_before,
            })),
            _ => None,
        };
        if let Some(next) = next.filter(|next| Some(next) != cursor.as_ref()) {
            poll.cursors.push(CursorUpdate { stream: DM_EVENTS.to_owned(), value: next.encode() });
        }
        Ok(poll)
    }
}
