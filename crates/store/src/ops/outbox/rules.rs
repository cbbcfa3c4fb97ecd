//! The outbox's rules, pure so they are unit-tested without a database: which keys are usable, what
//! an attempt's outcome writes, and how a list is asked for.

use crate::ops::accounts_state::{excerpt, MAX_LISTED};
use trellis_core::{OutboxFilter, OutboxResult, OutboxState, StoreError};

/// Entries listed when a filter asks for none (`OutboxFilter::default()`).
pub(crate) const DEFAULT_LISTED: u32 = 100;

/// The longest idempotency key accepted, in bytes.
const MAX_KEY_BYTES: usize = 200;

/// A usable idempotency key, kept exactly as given: trimming would make two keys one.
pub(crate) fn idempotency_key(key: &str) -> Result<&str, StoreError> {
    if key.trim().is_empty() {
        return Err(StoreError::Invalid("an outbox entry needs an idempotency key".into()));
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(StoreError::Invalid(format!(
            "an idempotency key has at most {MAX_KEY_BYTES} bytes, not {}",
            key.len()
        )));
    }
    Ok(key)
}

/// The columns an attempt's outcome writes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Completion {
    pub state: OutboxState,
    pub platform_id: Option<String>,
    pub thread_platform_id: Option<String>,
    pub error: Option<String>,
    pub next_attempt_at: Option<i64>,
    pub sent_at: Option<i64>,
}

/// What `result` makes of a sending entry at `now` (microseconds). A sent entry forgets the
/// errors of earlier attempts; a retry is due again at its `retry_at`.
pub(crate) fn completion(result: OutboxResult, now: i64) -> Result<Completion, StoreError> {
    let error_text = |error: &str| {
        let error = error.trim();
        if error.is_empty() {
            return Err(StoreError::Invalid("a failed attempt must say what went wrong".into()));
        }
        Ok(Some(excerpt(error).to_owned()))
    };
    Ok(match result {
        OutboxResult::Sent { platform_id, thread_platform_id } => {
            let platform_id = platform_id.trim();
            if platform_id.is_empty() {
                return Err(StoreError::Invalid(
                    "a sent entry needs the platform id of what was created or acted on".into(),
                ));
            }
            Completion {
                state: OutboxState::Sent,
                platform_id: Some(platform_id.to_owned()),
                thread_platform_id,
                error: None,
                next_attempt_at: None,
                sent_at: Some(now),
            }
        }
        OutboxResult::Retry { error, retry_at } => Completion {
            state: OutboxState::Queued,
            platform_id: None,
            thread_platform_id: None,
            error: error_text(&error)?,
            next_attempt_at: Some(crate::time::to_micros(retry_at)),
            sent_at: None,
        },
        OutboxResult::Failed { error } => Completion {
            state: OutboxState::Failed,
            platform_id: None,
            thread_platform_id: None,
            error: error_text(&error)?,
            next_attempt_at: None,
            sent_at: None,
        },
    })
}

/// The list query for `filter`: its conditions are numbered in the order account, conversation,
/// state (those present), then the limit.
pub(crate) fn list_sql(filter: &OutboxFilter) -> String {
    let mut conditions = Vec::new();
    let mut next = 1;
    let mut condition = |column: &str| {
        conditions.push(format!("{column} = ${next}"));
        next += 1;
    };
    if filter.account.is_some() {
        condition("account_id");
    }
    if filter.conversation.is_some() {
        condition("conversation_id");
    }
    if filter.state.is_some() {
        condition("state");
    }
    let filter_sql = if conditions.is_empty() {
        String::new()
    } else {
        format!(" where {}", conditions.join(" and "))
    };
    format!(
        "select {} from outbox{filter_sql} order by id desc limit ${next}",
        crate::rows_connection::OUTBOX_COLUMNS
    )
}

/// The rows a list returns: the filter's limit, [`DEFAULT_LISTED`] for none, at most `MAX_LISTED`.
pub(crate) fn list_limit(filter: &OutboxFilter) -> i64 {
    let limit = if filter.limit == 0 { DEFAULT_LISTED } else { filter.limit };
    i64::from(limit.min(MAX_LISTED))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use trellis_core::{AccountId, ConversationId};

    #[test]
    fn a_list_binds_only_the_filters_it_names() {
        let all = list_sql(&OutboxFilter::default());
        assert!(all.ends_with("from outbox order by id desc limit $1"), "{all}");
        let filter = OutboxFilter {
            account: Some(AccountId(1)),
            state: Some(OutboxState::Failed),
            ..Default::default()
        };
        let some = list_sql(&filter);
        assert!(
            some.ends_with("where account_id = $1 and state = $2 order by id desc limit $3"),
            "{some}"
        );
        let by_conversation =
            OutboxFilter { conversation: Some(ConversationId(2)), ..Default::default() };
        assert!(list_sql(&by_conversation).contains("where conversation_id = $1 order"));
    }

    #[test]
    fn a_list_without_a_limit_gets_the_default_and_never_more_than_the_maximum() {
        assert_eq!(list_limit(&OutboxFilter::default()), i64::from(DEFAULT_LISTED));
        let huge = OutboxFilter { limit: u32::MAX, ..Default::default() };
        assert_eq!(list_limit(&huge), i64::from(MAX_LISTED));
    }

    #[test]
    fn a_sent_entry_forgets_earlier_errors_and_is_never_due_again() {
        let sent = OutboxResult::Sent { platform_id: " 42 ".into(), thread_platform_id: None };
        let done = completion(sent, 7).unwrap();
        assert_eq!(done.state, OutboxState::Sent);
        assert_eq!(done.platform_id.as_deref(), Some("42"));
        assert_eq!((done.error, done.next_attempt_at, done.sent_at), (None, None, Some(7)));
    }

    #[test]
    fn a_retry_is_queued_for_its_time_and_a_failure_is_final() {
        let retry_at = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let retry = OutboxResult::Retry { error: "http 503".into(), retry_at };
        let again = completion(retry, 7).unwrap();
        assert_eq!(again.state, OutboxState::Queued);
        assert_eq!(again.next_attempt_at, Some(retry_at.timestamp_micros()));
        let failed = completion(OutboxResult::Failed { error: "duplicate".into() }, 7).unwrap();
        assert_eq!((failed.state, failed.next_attempt_at), (OutboxState::Failed, None));
        assert_eq!(failed.error.as_deref(), Some("duplicate"));
    }

    #[test]
    fn outcomes_without_words_or_ids_are_refused() {
        let blank = [
            OutboxResult::Failed { error: " ".into() },
            OutboxResult::Sent { platform_id: String::new(), thread_platform_id: None },
        ];
        for result in blank {
            assert!(matches!(completion(result, 0), Err(StoreError::Invalid(_))));
        }
        assert!(idempotency_key(" ").is_err());
        assert!(idempotency_key(&"k".repeat(201)).is_err());
        assert_eq!(idempotency_key(" reply-1").unwrap(), " reply-1");
    }
}
