//! One walk down a newest-first list (the feed, the conversation list) from a stream's watermark:
//! the page being read, what the walk has seen, and how it ends — finished, out of budget, or
//! interrupted by an error — each with the cursor to commit beside what was read.

use crate::connector::FacebookConnector;
use crate::cursor::{Newest, Watermark};
use crate::http::{follow, without_token};
use chrono::{DateTime, Utc};
use reqwest::Url;
use std::collections::{BTreeSet, HashSet};
use trellis_core::{ConnectorError, CursorUpdate, PollRequest, StreamPoll};

pub(crate) struct Walk<'a> {
    connector: &'a FacebookConnector,
    stream: &'static str,
    stored: Option<&'a String>,
    pub watermark: Watermark,
    pub newest: Newest,
    /// The page being read.
    pub url: Url,
    /// Items of the current page already read in full (by this walk or the one it resumes).
    pub done: BTreeSet<String>,
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

    /// Moves on to the page a `paging.next` link names.
    pub fn advance(&mut self, base_url: &str, next: &str) -> Result<(), ConnectorError> {
        self.url = follow(base_url, next)?;
        self.done.clear();
        Ok(())
    }

    /// The walk reached the end of what is new.
    pub fn finish(mut self) -> StreamPoll {
        let config = &self.connector.config;
        let next = self.newest.clone().finish(&self.watermark, self.started, config.settle);
        self.commit(next);
        self.poll
    }

    /// The page budget ran out: commit what was read and say more is waiting.
    pub fn pause(mut self) -> StreamPoll {
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
    pub fn fail(self, error: ConnectorError) -> Result<StreamPoll, ConnectorError> {
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
