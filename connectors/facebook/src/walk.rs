//! One walk down a newest-first list (the feed, the conversation list) from a stream's watermark:
//! the page being read, what the walk has seen, and how it ends — finished, out of budget, or
//! interrupted by an error — each with the cursor to commit beside what was read.
//!
//! Every stream walks the same way ([`Walk::run`]): read a page, hand each item changed since the
//! watermark to the stream's step, follow `paging.next` until the list reaches the watermark or
//! ends. The streams differ only in the list they walk and in what reading one item means (a post
//! is mapped on the spot; a post's comments or a conversation's messages cost more requests).

use crate::connector::FacebookConnector;
use crate::cursor::{Newest, Watermark};
use crate::http::{follow, without_token};
use crate::wire::Page;
use chrono::{DateTime, Utc};
use reqwest::Url;
use std::collections::{BTreeSet, HashSet};
use std::future::Future;
use trellis_core::{AccountAccess, ConnectorError, CursorUpdate, PollRequest, StreamPoll};

/// One item of a list page: what the stream's step reads, with the id and the `updated_time`
/// (Unix seconds) the walk orders and remembers it by.
pub(crate) struct Listed<T> {
    pub item: T,
    pub id: String,
    pub time: i64,
}

/// What reading one item came to.
pub(crate) enum ItemRead {
    /// Read in full: the item counts as done.
    Done,
    /// Left unread because the poll's request budget is spent: the walk pauses before it.
    OutOfBudget,
}

/// What a stream does with each listed item changed since its watermark: map it on the spot (a
/// feed post), or read what hangs under it (a post's comments, a conversation's messages),
/// counting those requests in `walk.requests`. Messages read go to `walk.poll`. A trait rather
/// than an async closure: the walk's future must be `Send`, which closures cannot yet promise.
pub(crate) trait ItemReader<T> {
    fn read(
        &mut self,
        walk: &mut Walk<'_>,
        item: Listed<T>,
    ) -> impl Future<Output = Result<ItemRead, ConnectorError>> + Send;
}

pub(crate) struct Walk<'a> {
    connector: &'a FacebookConnector,
    pub access: &'a AccountAccess,
    stream: &'static str,
    stored: Option<&'a String>,
    pub watermark: Watermark,
    newest: Newest,
    /// The page being read.
    pub url: Url,
    /// Items of the current page already read in full (by this walk or the one it resumes).
    done: BTreeSet<String>,
    /// Every item id this walk met; meeting one twice means a repeated or stale page.
    seen: HashSet<String>,
    pub requests: u32,
    pub poll: StreamPoll,
    /// When the walk (or the walk it resumes) began.
    started: DateTime<Utc>,
}

impl<'a> Walk<'a> {
    /// Starts where the stored cursor says: at its resume page, or at `first_page(since)`.
    pub fn start(
        connector: &'a FacebookConnector,
        request: &'a PollRequest,
        stream: &'static str,
        first_page: impl FnOnce(i64) -> Result<Url, ConnectorError>,
    ) -> Result<Self, ConnectorError> {
        let watermark = connector.watermark(request, stream);
        let started = watermark
            .resume
            .as_ref()
            .and_then(|resume| resume.started)
            .and_then(|seconds| DateTime::from_timestamp(seconds, 0))
            .unwrap_or_else(Utc::now);
        let (url, done, newest) = match &watermark.resume {
            Some(resume) => (
                follow(&request.access.base_url, &resume.url)?,
                resume.done.clone(),
                Newest::from_resume(resume),
            ),
            None => (first_page(watermark.since)?, BTreeSet::new(), Newest::default()),
        };
        Ok(Self {
            connector,
            access: &request.access,
            stream,
            stored: request.cursors.get(stream),
            watermark,
            newest,
            url,
            done,
            seen: HashSet::new(),
            requests: 0,
            poll: StreamPoll::default(),
            started,
        })
    }

    pub fn budget_spent(&self) -> bool {
        self.requests >= self.connector.config.max_requests_per_poll
    }

    /// Records an item of the current page, refusing one already met in this walk.
    pub fn meet(&mut self, id: &str) -> Result<(), ConnectorError> {
        if self.seen.insert(id.to_owned()) {
            Ok(())
        } else {
            Err(repeated(id))
        }
    }

    /// Reads the list page by page from where the walk stands down to the watermark or the end
    /// of the list. `list` turns a page into its items, refusing a stale or repeated page whole;
    /// `reader` reads each item changed since the watermark and not already done on a resumed
    /// page.
    /// Ends as [`Walk::finish`], [`Walk::pause`] or [`Walk::fail`] say.
    pub async fn run<T>(
        mut self,
        list: impl Fn(&Page, &mut Self) -> Result<Vec<Listed<T>>, ConnectorError>,
        mut reader: impl ItemReader<T>,
    ) -> Result<StreamPoll, ConnectorError> {
        loop {
            if self.budget_spent() {
                return Ok(self.pause());
            }
            let (page, rate_limit) =
                match self.connector.get_page(self.access, self.url.clone()).await {
                    Ok(answer) => answer,
                    Err(error) => return self.fail(error),
                };
            self.requests += 1;
            self.poll.rate_limit = Some(rate_limit);
            let items = match list(&page, &mut self) {
                Ok(items) => items,
                Err(error) => return self.fail(error),
            };
            let mut reached_old = false;
            for listed in items {
                let (id, time) = (listed.id.clone(), listed.time);
                if self.watermark.covers(time, &id) {
                    reached_old |= time < self.watermark.since;
                    continue;
                }
                if self.done.contains(&id) {
                    continue;
                }
                match reader.read(&mut self, listed).await {
                    Ok(ItemRead::Done) => {}
                    Ok(ItemRead::OutOfBudget) => return Ok(self.pause()),
                    Err(error) => return self.fail(error),
                }
                self.newest.see(time, &id);
                self.done.insert(id);
            }
            // A server that ignores `since` still ends the walk once it pages below the watermark.
            match page.next() {
                Some(next) if !reached_old => {
                    if let Err(error) = self.advance(next) {
                        return self.fail(error);
                    }
                }
                _ => return Ok(self.finish()),
            }
        }
    }

    /// Moves on to the page a `paging.next` link names.
    fn advance(&mut self, next: &str) -> Result<(), ConnectorError> {
        self.url = follow(&self.access.base_url, next)?;
        self.done.clear();
        Ok(())
    }

    /// The walk reached the end of what is new.
    fn finish(mut self) -> StreamPoll {
        let config = &self.connector.config;
        let next = self.newest.clone().finish(&self.watermark, self.started, config.settle);
        self.commit(next);
        self.poll
    }

    /// The page budget ran out: commit what was read and say more is waiting.
    fn pause(mut self) -> StreamPoll {
        let next = self.newest.clone().suspend(
            &self.watermark,
            without_token(&self.url),
            self.done.clone(),
            self.started,
        );
        self.commit(next);
        self.poll.more = true;
        self.poll
    }

    /// An error stopped the walk: before any page was read it is the poll's error; after, the poll
    /// returns what it read with a cursor resuming at the current page.
    fn fail(self, error: ConnectorError) -> Result<StreamPoll, ConnectorError> {
        if self.requests == 0 {
            return Err(error);
        }
        let mut poll = self.pause();
        poll.interrupted = Some(error);
        Ok(poll)
    }

    fn commit(&mut self, next: Watermark) {
        let value = next.encode();
        if self.stored != Some(&value) {
            self.poll.cursors.push(CursorUpdate { stream: self.stream.to_owned(), value });
        }
    }
}

/// A page holding an item this walk already met: a repeated or stale page, whose missing `next`
/// would otherwise end the walk early. Transient, like a truncated body.
pub(crate) fn repeated(id: &str) -> ConnectorError {
    ConnectorError::Transient { reason: format!("repeated or stale page, item {id} met twice") }
}

/// A query parameter of a URL as a number.
pub(crate) fn param_i64(url: &Url, name: &str) -> Option<i64> {
    url.query_pairs().find(|(key, _)| key == name).and_then(|(_, value)| value.parse().ok())
}
