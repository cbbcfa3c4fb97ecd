//! Outbound actions as Graph calls: comment replies, Messenger sends, hide/unhide and delete.
//! Facebook has no call to flag content to its moderators.

use crate::connector::FacebookConnector;
use crate::http::{decode, endpoint, Purpose};
use crate::mapping::platform_id;
use crate::wire::{Actor, List};
use serde::Deserialize;
use serde_json::json;
use trellis_core::{
    AccountAccess, Channel, ConnectorError, Delivered, DmTarget, OutboundAction, PlatformId,
};

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Sent {
    message_id: String,
}

#[derive(Deserialize)]
struct Success {
    success: bool,
}

#[derive(Deserialize)]
struct Participants {
    participants: List<Actor>,
}

impl FacebookConnector {
    pub(crate) async fn deliver_action(
        &self,
        access: &AccountAccess,
        action: &OutboundAction,
    ) -> Result<Delivered, ConnectorError> {
        match action {
            OutboundAction::Reply { in_reply_to, text } => {
                self.reply(access, in_reply_to, text).await
            }
            OutboundAction::DirectMessage { to, text } => self.send_message(access, to, text).await,
            OutboundAction::Hide { id } => self.set_hidden(access, id, true).await,
            OutboundAction::Unhide { id } => self.set_hidden(access, id, false).await,
            OutboundAction::Delete { id } => {
                let url = endpoint(&access.base_url, &[id.as_str()])?;
                let answer = self.call(self.client.delete(url), access, Purpose::Act).await?;
                succeeded(decode(&answer)?, id)
            }
            OutboundAction::Flag { .. } => Err(ConnectorError::Unsupported {
                channel: Channel::Facebook,
                action: action.name(),
            }),
        }
    }

    /// `POST /{post-or-comment-id}/comments message=…`. The reply's thread is the post: the id
    /// itself for a post (`{page}_{post}`), else the post part of a comment id (`{post}_{comment}`).
    async fn reply(
        &self,
        access: &AccountAccess,
        in_reply_to: &PlatformId,
        text: &str,
    ) -> Result<Delivered, ConnectorError> {
        let url = endpoint(&access.base_url, &[in_reply_to.as_str(), "comments"])?;
        let request = self.client.post(url).form(&[("message", text)]);
        let answer = self.call(request, access, Purpose::Act).await?;
        let created: Created = decode(&answer)?;
        let page = access.platform_account_id.as_str();
        let target = in_reply_to.as_str();
        let thread = match target.split_once('_') {
            Some((prefix, _)) if prefix == page => target.to_owned(),
            Some((post, _)) => format!("{page}_{post}"),
            None => target.to_owned(),
        };
        Ok(Delivered {
            platform_id: malformed(platform_id(&created.id))?,
            thread_platform_id: Some(malformed(platform_id(&thread))?),
        })
    }

    /// `POST /{page-id}/messages` with a `RESPONSE` message. A conversation target is resolved to
    /// its person (PSID) first: the Send API addresses people, not threads.
    async fn send_message(
        &self,
        access: &AccountAccess,
        to: &DmTarget,
        text: &str,
    ) -> Result<Delivered, ConnectorError> {
        let page = access.platform_account_id.as_str();
        let (recipient, thread) = match to {
            DmTarget::Participant(psid) => (psid.as_str().to_owned(), None),
            DmTarget::Conversation(conversation) => {
                let mut url = endpoint(&access.base_url, &[conversation.as_str()])?;
                url.query_pairs_mut().append_pair("fields", "participants");
                let answer = self.call(self.client.get(url), access, Purpose::Act).await?;
                let found: Participants = decode(&answer)?;
                let person = found.participants.data.into_iter().find(|actor| actor.id != page);
                let person = person.ok_or_else(|| ConnectorError::Refused {
                    status: 400,
                    platform_reason: format!("conversation {conversation} has no one to write to"),
                })?;
                (person.id, Some(conversation.clone()))
            }
        };
        let url = endpoint(&access.base_url, &[page, "messages"])?;
        let body = json!({
            "recipient": {"id": recipient},
            "messaging_type": "RESPONSE",
            "message": {"text": text},
        });
        let answer = self.call(self.client.post(url).json(&body), access, Purpose::Act).await?;
        let sent: Sent = decode(&answer)?;
        Ok(Delivered {
            platform_id: malformed(platform_id(&sent.message_id))?,
            thread_platform_id: thread,
        })
    }

    /// `POST /{comment-id} is_hidden=true|false`.
    async fn set_hidden(
        &self,
        access: &AccountAccess,
        id: &PlatformId,
        hidden: bool,
    ) -> Result<Delivered, ConnectorError> {
        let url = endpoint(&access.base_url, &[id.as_str()])?;
        let request = self.client.post(url).form(&[("is_hidden", hidden.to_string())]);
        let answer = self.call(request, access, Purpose::Act).await?;
        succeeded(decode(&answer)?, id)
    }
}

fn succeeded(success: Success, id: &PlatformId) -> Result<Delivered, ConnectorError> {
    if success.success {
        Ok(Delivered { platform_id: id.clone(), thread_platform_id: None })
    } else {
        Err(ConnectorError::Refused {
            status: 200,
            platform_reason: "the graph api answered success false".into(),
        })
    }
}

fn malformed<T>(result: Result<T, String>) -> Result<T, ConnectorError> {
    result.map_err(|reason| ConnectorError::Malformed { reason })
}
