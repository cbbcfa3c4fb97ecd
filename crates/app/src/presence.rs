//! Who else is on a conversation: viewing it, or typing a reply or a note. A browser renews its
//! presence every few seconds while the conversation is open; a presence not renewed within
//! [`PRESENCE_TTL`] ends (swept by `serve`), and closing the conversation ends it at once. Every
//! change reaches the other agents as a `presence_updated` live event, from any node.

use crate::access::{Permission, Principal};
use crate::error::{ServiceError, ServiceResult};
use chrono::{Duration, Utc};
use trellis_core::{ConversationId, PresenceEntry, PresenceState, Store, UserId};

/// How long a presence holds without renewal; browsers renew at a third of it.
pub const PRESENCE_TTL: Duration = Duration::seconds(30);

fn me(principal: &Principal) -> ServiceResult<UserId> {
    principal.require(Permission::ReadInbox)?;
    principal
        .user_id
        .ok_or_else(|| ServiceError::Invalid("presence belongs to a signed-in user".into()))
}

/// The caller is on `conversation` in `state` for [`PRESENCE_TTL`]; who is on it now.
pub async fn mark(
    store: &dyn Store,
    principal: &Principal,
    conversation: ConversationId,
    state: PresenceState,
) -> ServiceResult<Vec<PresenceEntry>> {
    let user = me(principal)?;
    crate::conversations::visible(store, principal, conversation).await?;
    let now = Utc::now();
    let entry = PresenceEntry {
        conversation_id: conversation,
        user_id: user,
        state,
        expires_at: now + PRESENCE_TTL,
    };
    store.set_presence(entry).await?;
    Ok(store.presence(conversation, now).await?)
}

/// The caller left `conversation`.
pub async fn leave(
    store: &dyn Store,
    principal: &Principal,
    conversation: ConversationId,
) -> ServiceResult<()> {
    let user = me(principal)?;
    store.clear_presence(conversation, user).await?;
    Ok(())
}

/// Who is on `conversation` now.
pub async fn on(
    store: &dyn Store,
    principal: &Principal,
    conversation: ConversationId,
) -> ServiceResult<Vec<PresenceEntry>> {
    principal.require(Permission::ReadInbox)?;
    crate::conversations::visible(store, principal, conversation).await?;
    Ok(store.presence(conversation, Utc::now()).await?)
}
