//! Helpers for connector tests: they stand in for the store and the account set-up, so a test
//! reads as what a connector does rather than as plumbing.

use std::collections::HashMap;
use trellis_core::{AccountAccess, AccountId, Credentials, StreamPoll};

/// An account pointed at a simulator (or any base URL), as an admin connecting it would leave it.
pub fn access(base_url: String, platform_account_id: &str, token: &str) -> AccountAccess {
    AccountAccess {
        account_id: AccountId(1),
        platform_account_id: platform_account_id.to_owned(),
        base_url,
        credentials: Credentials { access_token: token.to_owned() },
    }
}

/// Saves a poll's cursors as the store would, in the same step as its messages.
pub fn commit(cursors: &mut HashMap<String, String>, poll: &StreamPoll) {
    for cursor in &poll.cursors {
        cursors.insert(cursor.stream.clone(), cursor.value.clone());
    }
}

/// The platform ids of a poll's messages, in the order they came.
pub fn ids(poll: &StreamPoll) -> Vec<String> {
    poll.messages.iter().map(|message| message.platform_id.as_str().to_owned()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use trellis_core::CursorUpdate;

    #[test]
    fn committing_a_poll_overwrites_only_its_streams() {
        let mut cursors = HashMap::from([
            ("mentions".to_owned(), "1".to_owned()),
            ("dm_events".to_owned(), "a".to_owned()),
        ]);
        let poll = StreamPoll {
            cursors: vec![CursorUpdate { stream: "mentions".into(), value: "9".into() }],
            ..StreamPoll::default()
        };
        commit(&mut cursors, &poll);
        assert_eq!(cursors["mentions"], "9");
        assert_eq!(cursors["dm_events"], "a");
    }

    #[test]
    fn access_carries_the_token_it_was_given() {
        let access = access("http://127.0.0.1:1".into(), "acme", "key-1");
        assert_eq!(access.credentials.access_token, "key-1");
        assert_eq!(access.platform_account_id, "acme");
    }
}
