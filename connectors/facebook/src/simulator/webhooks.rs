//! Signed webhook deliveries as the Graph API sends them, for tests and the demo.

use super::world::World;
use crate::wire::parse_time;
use serde_json::{json, Value};

/// A delivery body and the `X-Hub-Signature-256` value that signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDelivery {
    pub body: Vec<u8>,
    pub signature: String,
}

/// One `page` delivery: a Messenger event per message id, a feed change per comment id (or
/// `remove` for a deleted comment). Unknown ids are left out.
pub(crate) fn delivery(
    world: &World,
    comments: &[&str],
    messages: &[&str],
    secret: &str,
) -> SignedDelivery {
    let seconds = |time: &str| parse_time(time).map_or(0, |time| time.timestamp());
    let messaging: Vec<Value> = messages
        .iter()
        .filter_map(|id| world.messages.get(*id))
        .map(|state| {
            let message = &state.message;
            let recipient = message.to.data.first().map(|to| to.id.clone()).unwrap_or_default();
            json!({
                "sender": {"id": message.from.id},
                "recipient": {"id": recipient},
                "timestamp": seconds(&message.created_time) * 1000,
                "message": {"mid": message.id, "text": message.message},
            })
        })
        .collect();
    let changes: Vec<Value> = comments
        .iter()
        .filter_map(|id| world.comments.get(*id))
        .map(|state| {
            let comment = &state.comment;
            let parent =
                comment.parent.as_ref().map_or(state.post_id.clone(), |parent| parent.id.clone());
            json!({"field": "feed", "value": {
                "item": "comment",
                "verb": if state.deleted { "remove" } else { "add" },
                "comment_id": comment.id,
                "post_id": state.post_id,
                "parent_id": parent,
                "from": comment.from,
                "message": comment.message,
                "created_time": seconds(&comment.created_time),
            }})
        })
        .collect();
    let time = chrono::Utc::now().timestamp_millis();
    let body = json!({"object": "page", "entry": [{
        "id": world.page.id, "time": time, "messaging": messaging, "changes": changes,
    }]});
    let body = body.to_string().into_bytes();
    let signature = crate::webhook::sign(secret, &body);
    SignedDelivery { body, signature }
}
