//! The cursors of the two X streams, as stored strings.
//!
//! Caught up, a cursor is the plain newest id seen, as PLATFORMS.md prescribes. A poll cut short
//! (an error or the page budget after some pages) stores a resume state instead, as a small JSON
//! object, so the pages already read commit with a cursor that continues exactly below them:
//! a backfill under a 20 % fault rate then still finishes instead of restarting forever.

use serde::{Deserialize, Serialize};

/// Where the mentions stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MentionsCursor {
    /// Everything up to and including `newest` has been read.
    CaughtUp { newest: String },
    /// Everything newer than `until` (up to `newest`) has been read; the gap down to `since`
    /// (or down to `start_time` on a first backfill) is still to read.
    Resuming(MentionsGap),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct MentionsGap {
    pub newest: String,
    pub until: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
}

/// Where the DM stream stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DmCursor {
    /// Every event up to and including `newest` has been read.
    Seen { newest: String },
    /// A newest-first walk stopped before reaching `stop_at` (or `not_before` on a first backfill);
    /// it continues with `token`, and when done the stream has seen everything up to `newest`.
    Resuming(DmWalk),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DmWalk {
    pub newest: String,
    pub token: String,
    /// The oldest event read so far: every page of the rest of the walk lies below it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
}

impl MentionsCursor {
    pub fn parse(stored: &str) -> Result<Self, String> {
        if stored.starts_with('{') {
            serde_json::from_str(stored).map(Self::Resuming).map_err(|error| error.to_string())
        } else {
            plain_id(stored).map(|newest| Self::CaughtUp { newest })
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Self::CaughtUp { newest } => newest.clone(),
            Self::Resuming(gap) => json(gap),
        }
    }
}

impl DmCursor {
    pub fn parse(stored: &str) -> Result<Self, String> {
        if stored.starts_with('{') {
            serde_json::from_str(stored).map(Self::Resuming).map_err(|error| error.to_string())
        } else {
            plain_id(stored).map(|newest| Self::Seen { newest })
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Self::Seen { newest } => newest.clone(),
            Self::Resuming(walk) => json(walk),
        }
    }
}

fn plain_id(stored: &str) -> Result<String, String> {
    if !stored.is_empty() && stored.bytes().all(|b| b.is_ascii_digit()) {
        Ok(stored.to_owned())
    } else {
        Err(format!("cursor {stored:?} is neither an id nor a resume state"))
    }
}

fn json<T: Serialize>(value: &T) -> String {
    // Serializing a struct of strings cannot fail; an empty string would only restart the stream.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_up_cursor_is_the_plain_newest_id() {
        let cursor = MentionsCursor::CaughtUp { newest: "1790000000000000001".into() };
        assert_eq!(cursor.encode(), "1790000000000000001");
        assert_eq!(MentionsCursor::parse(&cursor.encode()).unwrap(), cursor);
    }

    #[test]
    fn resume_states_round_trip() {
        let gap = MentionsCursor::Resuming(MentionsGap {
            newest: "90".into(),
            until: "40".into(),
            since: None,
            start_time: Some("2024-05-01T00:00:00Z".into()),
        });
        assert_eq!(MentionsCursor::parse(&gap.encode()).unwrap(), gap);
        let walk = DmCursor::Resuming(DmWalk {
            newest: "90".into(),
            token: "abc".into(),
            below: Some("50".into()),
            stop_at: Some("10".into()),
            not_before: None,
        });
        assert_eq!(DmCursor::parse(&walk.encode()).unwrap(), walk);
    }

    #[test]
    fn garbage_is_refused() {
        assert!(MentionsCursor::parse("").is_err());
        assert!(DmCursor::parse("12ab").is_err());
        assert!(DmCursor::parse("{\"newest\":1}").is_err());
    }
}
