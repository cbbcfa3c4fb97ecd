//! A stream's cursor as a stored string.
//!
//! Caught up, a cursor is the plain id of the newest post seen: the next poll pages down from the
//! newest until it reaches it. A poll cut short (an error or the page budget after some pages)
//! stores a resume state as a small JSON object instead, so the pages already read commit with a
//! cursor that continues exactly below them, and a long backfill under faults still finishes.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StreamCursor {
    /// Every post up to and including `newest` has been read.
    CaughtUp {
        newest: u64,
    },
    Resuming(Gap),
}

/// Everything from `before` (exclusive) up to `newest` has been read; what lies below `before`
/// down to `stop_at` (exclusive), or down to `not_before` on a first backfill, is still to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Gap {
    pub newest: u64,
    pub before: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_at: Option<u64>,
    /// RFC 3339; the backfill's lower bound by `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
}

impl StreamCursor {
    pub fn parse(stored: &str) -> Result<Self, String> {
        if stored.starts_with('{') {
            serde_json::from_str(stored).map(Self::Resuming).map_err(|error| error.to_string())
        } else {
            stored
                .parse()
                .map(|newest| Self::CaughtUp { newest })
                .map_err(|_| format!("cursor {stored:?} is neither a post id nor a resume state"))
        }
    }

    pub fn encode(&self) -> String {
        match self {
            Self::CaughtUp { newest } => newest.to_string(),
            // Serializing numbers and strings cannot fail; an empty cursor would only re-backfill.
            Self::Resuming(gap) => serde_json::to_string(gap).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_up_cursor_is_the_plain_post_id() {
        let cursor = StreamCursor::CaughtUp { newest: 1042 };
        assert_eq!(cursor.encode(), "1042");
        assert_eq!(StreamCursor::parse("1042"), Ok(cursor));
    }

    #[test]
    fn a_resume_state_round_trips() {
        let gap = StreamCursor::Resuming(Gap {
            newest: 900,
            before: 400,
            stop_at: None,
            not_before: Some("2024-05-01T00:00:00Z".into()),
        });
        assert_eq!(StreamCursor::parse(&gap.encode()), Ok(gap));
    }

    #[test]
    fn garbage_is_refused() {
        assert!(StreamCursor::parse("").is_err());
        assert!(StreamCursor::parse("12ab").is_err());
        assert!(StreamCursor::parse("{\"newest\":\"x\"}").is_err());
    }
}
