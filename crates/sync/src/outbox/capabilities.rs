//! Which outbound actions a platform has no call for, known before anything is queued: an agent
//! asking to flag a tweet hears "not supported" at once instead of finding a failed entry later.
//!
//! The connectors are the authority (their `deliver` answers `Unsupported`); this table says the
//! same thing ahead of time, and a test below holds the two together.

use trellis_core::{Channel, ConnectorError, OutboundAction};

/// The refusal `action` would meet on `channel` whatever its target, or `None` when the platform
/// has a call for it (it may still refuse a particular target; the outbox records that).
pub fn unsupported(channel: Channel, action: &OutboundAction) -> Option<ConnectorError> {
    let missing = match (channel, action) {
        // X API v2 has no endpoint to report a tweet; Facebook has none to flag to moderators.
        (Channel::X | Channel::Facebook, OutboundAction::Flag { .. }) => true,
        // Discourse hides only through a staff flag, which an agent asks for explicitly.
        (Channel::Discourse, OutboundAction::Hide { .. }) => true,
        _ => false,
    };
    missing.then(|| ConnectorError::Unsupported { channel, action: action.name() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::accounts::Connectors;
    use trellis_core::{AccountAccess, AccountId, Credentials, FlagReason, PlatformId};

    fn actions() -> Vec<OutboundAction> {
        let id = PlatformId::parse("123").unwrap();
        vec![
            OutboundAction::Reply { in_reply_to: id.clone(), text: "hi".into() },
            OutboundAction::Hide { id: id.clone() },
            OutboundAction::Unhide { id: id.clone() },
            OutboundAction::Delete { id: id.clone() },
            OutboundAction::Flag { id, reason: FlagReason::Spam },
        ]
    }

    /// Each connector is asked for real, against an address nobody listens on: an action it has
    /// a call for fails to connect, one it has none for is refused before any call.
    #[tokio::test]
    async fn the_table_agrees_with_what_each_connector_refuses() {
        let timeout = std::time::Duration::from_secs(2);
        let connectors = Connectors::with(
            trellis_connector_x::XConfig { timeout, ..Default::default() },
            trellis_connector_facebook::FacebookConfig { timeout, ..Default::default() },
            trellis_connector_discourse::DiscourseConfig { timeout, ..Default::default() },
        )
        .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let closed = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        for channel in [Channel::X, Channel::Facebook, Channel::Discourse] {
            let access = AccountAccess {
                account_id: AccountId(1),
                platform_account_id: "acme".into(),
                base_url: closed.clone(),
                credentials: Credentials { access_token: "token".into() },
            };
            for action in actions() {
                let answer = connectors.get(channel).deliver(&access, &action).await;
                let refused = matches!(answer, Err(ConnectorError::Unsupported { .. }));
                assert_eq!(
                    unsupported(channel, &action).is_some(),
                    refused,
                    "{} on {channel}: the connector answered {answer:?}",
                    action.name()
                );
            }
        }
    }

    #[test]
    fn the_refusal_names_the_action_and_the_platform() {
        let flag = &actions()[4];
        let refusal = unsupported(Channel::X, flag).unwrap();
        assert_eq!(refusal.to_string(), "flag is not supported on x");
        assert!(unsupported(Channel::Discourse, flag).is_none());
    }
}
