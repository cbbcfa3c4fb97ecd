//! The cursor of each Facebook stream, stored as a small JSON object.
//!
//! Every stream walks a list ordered newest first by an `updated_time` with one-second resolution
//! (the feed, the feed again for comment activity, the Messenger conversation list). The cursor is
//! a watermark: `since`, the newest `updated_time` fully read, and `at`, the ids already read at
//! exactly that second. The next walk reads everything newer, and items at `since` not in `at`.
//!
//! Two seconds at one instant cannot be told apart, so an item changed again within the second it
//! was read would hide behind `at`. Ids therefore enter `at` only if their second was older than
//! the settle time when the walk began; otherwise the instant is re-read, which the store's upsert
//! absorbs.
//!
//! A walk cut short (an error or the page budget) stores `resume`: the page to read again (its URL
//! without the token), the ids of that page already done, and the newest instant the walk had
//! reached, so the pages already read commit with a cursor that continues exactly below them.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Watermark {
    /// Unix seconds: everything updated before this instant has been read.
    pub since: i64,
    /// Ids read at exactly `since`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub at: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Resume>,
}

/// An interrupted walk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Resume {
    /// The page to read next (again), as the platform linked it, without the access token.
    pub url: String,
    /// Items of that page already read in full.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub done: BTreeSet<String>,
    /// The newest instant and the ids at it that the walk has read so far.
    pub newest: i64,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub newest_ids: BTreeSet<String>,
    /// When the walk read its first page (Unix seconds): what it read can only be as fresh as that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<i64>,
}

impl Watermark {
    pub fn starting_at(time: DateTime<Utc>) -> Self {
        Self { since: time.timestamp(), at: BTreeSet::new(), resume: None }
    }

    pub fn parse(stored: &str) -> Result<Self, String> {
        serde_json::from_str(stored).map_err(|error| error.to_string())
    }

    pub fn encode(&self) -> String {
        // A struct of numbers and strings always serializes; an empty cursor would only backfill.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Whether an item updated at `time` (Unix seconds) is already read.
    pub fn covers(&self, time: i64, id: &str) -> bool {
        time < self.since || (time == self.since && self.at.contains(id))
    }
}

/// The newest instant a walk has seen, with the ids at it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Newest {
    pub time: Option<i64>,
    pub ids: BTreeSet<String>,
}

impl Newest {
    pub fn from_resume(resume: &Resume) -> Self {
        Self { time: Some(resume.newest), ids: resume.newest_ids.clone() }
    }

    pub fn see(&mut self, time: i64, id: &str) {
        match self.time {
            Some(current) if time < current => {}
            Some(current) if time == current => {
                self.ids.insert(id.to_owned());
            }
            _ => {
                self.time = Some(time);
                self.ids = BTreeSet::from([id.to_owned()]);
            }
        }
    }

    /// The watermark after a finished walk from `old` that began at `started`: the newest instant
    /// read, with its ids only if that instant had settled when the walk began (see the module
    /// comment; a later item change within that second could only have been missed).
    pub fn finish(self, old: &Watermark, started: DateTime<Utc>, settle: Duration) -> Watermark {
        let (since, mut at) = match self.time {
            Some(time) if time > old.since => (time, self.ids),
            Some(time) if time == old.since => {
                (time, old.at.iter().cloned().chain(self.ids).collect())
            }
            _ => (old.since, old.at.clone()),
        };
        if since > (started - settle).timestamp() {
            at.clear();
        }
        Watermark { since, at, resume: None }
    }

    /// The watermark of a walk suspended before `url`, with `done` items of that page read.
    pub fn suspend(
        self,
        old: &Watermark,
        url: String,
        done: BTreeSet<String>,
        started: DateTime<Utc>,
    ) -> Watermark {
        Watermark {
            since: old.since,
            at: old.at.clone(),
            resume: Some(Resume {
                url,
                done,
                newest: self.time.unwrap_or(old.since),
                newest_ids: self.ids,
                started: Some(started.timestamp()),
            }),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap()
    }

    #[test]
    fn a_finished_walk_moves_the_watermark_to_the_newest_instant_and_its_ids() {
        let old = Watermark::starting_at(now() - Duration::hours(1));
        let mut newest = Newest::default();
        newest.see(1_699_999_000, "b");
        newest.see(1_699_999_500, "a");
        newest.see(1_699_999_500, "c");
        newest.see(1_699_990_000, "d");
        let next = newest.finish(&old, now(), Duration::seconds(5));
        assert_eq!(next.since, 1_699_999_500);
        assert_eq!(next.at, BTreeSet::from(["a".to_owned(), "c".to_owned()]));
        assert!(next.covers(1_699_999_500, "a") && !next.covers(1_699_999_500, "e"));
        assert!(next.covers(1_699_999_499, "z"));
        assert_eq!(Watermark::parse(&next.encode()).unwrap(), next);
    }

    #[test]
    fn an_instant_younger_than_the_settle_time_is_read_again() {
        let old = Watermark::starting_at(now() - Duration::hours(1));
        let mut newest = Newest::default();
        newest.see(now().timestamp() - 1, "a");
        let next = newest.finish(&old, now(), Duration::seconds(5));
        assert_eq!(next.since, now().timestamp() - 1);
        assert!(!next.covers(now().timestamp() - 1, "a"));
    }

    #[test]
    fn a_quiet_walk_keeps_the_watermark() {
        let old = Watermark { since: 10, at: BTreeSet::from(["x".to_owned()]), resume: None };
        assert_eq!(Newest::default().finish(&old, now(), Duration::seconds(5)), old);
    }

    #[test]
    fn a_suspended_walk_remembers_its_page_and_newest_instant() {
        let old = Watermark::starting_at(now() - Duration::hours(1));
        let mut newest = Newest::default();
        newest.see(1_699_999_000, "b");
        let done = BTreeSet::from(["p1".to_owned()]);
        let suspended =
            newest.clone().suspend(&old, "http://h/v1.0/1/feed?until=5".into(), done, now());
        assert_eq!(suspended.since, old.since);
        let resume = suspended.resume.clone().unwrap();
        assert_eq!(Newest::from_resume(&resume), newest);
        assert_eq!(Watermark::parse(&suspended.encode()).unwrap(), suspended);
        assert!(Watermark::parse("garbage").is_err());
    }
}
