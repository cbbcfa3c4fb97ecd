//! One conversation with everything an agent reads before answering: its messages oldest first,
//! its timeline (who did what, and which rule) and its SLA clocks. The REST API answers it as
//! JSON, the CLI prints it, the web inbox renders it.

use crate::access::{Permission, Principal};
use crate::error::ServiceResult;
use serde::Serialize;
use trellis_core::{Conversation, ConversationId, ConversationSla, Message, Store, TimelineEvent};

#[derive(Debug, Clone, Serialize)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    pub timeline: Vec<TimelineEvent>,
    pub sla: Option<ConversationSla>,
}

pub async fn conversation_detail(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
) -> ServiceResult<ConversationDetail> {
    principal.require(Permission::ReadInbox)?;
    let conversation = super::visible(store, principal, id).await?;
    let messages = store.conversation_messages(id).await?;
    let timeline = store.conversation_timeline(id).await?;
    let sla = store.conversation_sla(id).await?;
    Ok(ConversationDetail { conversation, messages, timeline, sla })
}
