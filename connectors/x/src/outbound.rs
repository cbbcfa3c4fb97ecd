//! Outbound actions as X calls: reply (`POST /2/tweets`), DM (`POST /2/dm_conversations/…`), hide
//! and unhide a reply (`PUT /2/tweets/:id/hidden`), delete an own tweet (`DELETE /2/tweets/:id`).

use crate::connector::XConnector;
use crate::http::{decode, endpoint, send};
use serde::Deserialize;
use serde_json::json;
use trellis_core::{
    AccountAccess, Channel, ConnectorError, Delivered, DmTarget, OutboundAction, PlatformId,
};

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct DmSent {
    dm_conversation_id: String,
    dm_event_id: String,
}

#[derive(Deserialize)]
struct Hidden {
    hidden: bool,
}

#[derive(Deserialize)]
struct Deleted {
    deleted: bool,
}

impl XConnector {
    pub(crate) async fn deliver_action(
        &self,
        access: &AccountAccess,
        action: &OutboundAction,
    ) -> Result<Delivered, ConnectorError> {
        let token = access.credentials.access_token.as_str();
        let base = access.base_url.as_str();
        let delivered = match action {
            OutboundAction::Reply { in_reply_to, text } => {
                let url = endpoint(base, &["2", "tweets"])?;
                let body = json!({"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}});
                let answer = send(self.client.post(url).json(&body), token).await?;
                let created: Data<Created> = decode(&answer)?;
                Delivered { platform_id: id(&created.data.id)?, thread_platform_id: None }
            }
            OutboundAction::DirectMessage { to, text } => {
                let url = match to {
                    DmTarget::Conversation(conversation) => endpoint(
                        base,
                        &["2", "dm_conversations", conversation.as_str(), "messages"],
                    )?,
                    DmTarget::Participant(participant) => endpoint(
                        base,
                        &["2", "dm_conversations", "with", participant.as_str(), "messages"],
                    )?,
                };
                let answer =
                    send(self.client.post(url).json(&json!({"text": text})), token).await?;
                let sent: Data<DmSent> = decode(&answer)?;
                Delivered {
                    platform_id: id(&sent.data.dm_event_id)?,
                    thread_platform_id: Some(id(&sent.data.dm_conversation_id)?),
                }
            }
            OutboundAction::Hide { id: target } | OutboundAction::Unhide { id: target } => {
                let hide = matches!(action, OutboundAction::Hide { .. });
                let url = endpoint(base, &["2", "tweets", target.as_str(), "hidden"])?;
                let answer =
                    send(self.client.put(url).json(&json!({"hidden": hide})), token).await?;
                let hidden: Data<Hidden> = decode(&answer)?;
                if hidden.data.hidden != hide {
                    return Err(ConnectorError::Malformed {
                        reason: format!(
                            "asked hidden={hide}, x answered hidden={}",
                            hidden.data.hidden
                        ),
                    });
                }
                Delivered { platform_id: target.clone(), thread_platform_id: None }
            }
            OutboundAction::Delete { id: target } => {
                let url = endpoint(base, &["2", "tweets", target.as_str()])?;
                let answer = send(self.client.delete(url), token).await?;
                let deleted: Data<Deleted> = decode(&answer)?;
                if !deleted.data.deleted {
                    return Err(ConnectorError::Refused {
                        status: answer.status.as_u16(),
                        platform_reason: "x answered deleted=false".to_owned(),
                    });
                }
                Delivered { platform_id: target.clone(), thread_platform_id: None }
            }
            OutboundAction::Flag { .. } => {
                // X API v2 has no endpoint to report a tweet; agents hide or block instead.
                return Err(ConnectorError::Unsupported {
                    channel: Channel::X,
                    action: action.name(),
                });
            }
        };
        tracing::debug!(account_id = %access.account_id, action = action.name(), platform_id = %delivered.platform_id, "delivered to x");
        Ok(delivered)
    }
}

fn id(value: &str) -> Result<PlatformId, ConnectorError> {
    PlatformId::parse(value).map_err(|error| ConnectorError::Malformed {
        reason: format!("platform id {value:?}: {error}"),
    })
}
