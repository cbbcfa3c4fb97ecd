//! Conversations as agents work them: the list with its filters and views ([`list`]), one
//! conversation with everything read before answering ([`detail`]), and the changes agents make
//! ([`commands`]), and answering it without answering twice ([`replies`]).

pub mod commands;
pub mod detail;
pub mod list;
pub mod notes;
pub mod replies;

pub use commands::{bulk_update, patch, take, BulkOutcome, ConversationChange};
pub use detail::{conversation_detail, ConversationDetail};
pub use list::{
    list_conversations, AssigneeParam, ConversationList, ConversationListItem, ConversationQuery,
    View,
};
pub use notes::{add_note, Note};
pub use replies::{reply, OtherReply, ReplyError, ReplyOptions};

use crate::access::Principal;
use crate::error::ServiceResult;
use trellis_core::{Conversation, ConversationId, Store, StoreError};

/// Conversation `id`, when `principal` works its brand. One outside their brands is answered as
/// one that does not exist (the same error, word for word), so its id tells an agent nothing.
pub async fn visible(
    store: &dyn Store,
    principal: &Principal,
    id: ConversationId,
) -> ServiceResult<Conversation> {
    let conversation = store.get_conversation(id).await?;
    if !principal.serves(conversation.brand_id) {
        return Err(StoreError::not_found("conversation", id).into());
    }
    Ok(conversation)
}
