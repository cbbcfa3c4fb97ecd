//! Delivering one claimed outbox entry, and putting a sent reply into its conversation.

use super::OutboxSettings;
use crate::accounts::AccessError;
use crate::SyncContext;
use chrono::{DateTime, Utc};
use std::future::Future;
use trellis_core::{
    Account, Backoff, ConnectorError, ConversationKey, Delivered, Direction, IngestBatch, Message,
    MessageKind, NewContact, NewMessage, OutboundAction, OutboxItem, OutboxResult, StoreError,
    StoreResult,
};

/// Delivers `item` (already claimed) and records how it ended. Errors are only the store's.
pub async fn deliver(
    ctx: &SyncContext,
    item: &OutboxItem,
    settings: &OutboxSettings,
) -> StoreResult<OutboxItem> {
    let account = ctx.store.get_account(item.account_id).await?;
    let now = Utc::now();
    let result = match ctx.access(&account).await {
        Ok(access) => {
            let connector = ctx.connectors.get(account.channel);
            connector.deliver(&access, &item.action).await
        }
        Err(AccessError::NeedsReauth(reason)) => {
            Err(ConnectorError::Unauthorized { platform_reason: reason })
        }
        Err(other) => {
            Err(ConnectorError::Transient { reason: format!("cannot open credentials: {other}") })
        }
    };
    let outcome = match result {
        Ok(delivered) => {
            tracing::info!(outbox_id = %item.id, account_id = %account.id, action = item.action.name(), platform_id = %delivered.platform_id, "outbound action sent");
            let sent = OutboxResult::Sent {
                platform_id: delivered.platform_id.as_str().to_owned(),
                thread_platform_id: delivered
                    .thread_platform_id
                    .as_ref()
                    .map(|id| id.as_str().to_owned()),
            };
            let claim_ends = item.next_attempt_at.unwrap_or(now);
            let sent = record_sent(
                || ctx.store.complete_outbound(item.id, &settings.node_id, sent.clone(), now),
                claim_ends,
                SENT_RECORD_RETRY,
            )
            .await?;
            record_sent_message(ctx, &account, item, &delivered).await;
            return Ok(sent);
        }
        Err(error) => settle_failure(ctx, &account, item, error, settings).await,
    };
    ctx.store.complete_outbound(item.id, &settings.node_id, outcome, now).await
}

/// Waits between attempts to record a delivery the platform already took.
const SENT_RECORD_RETRY: Backoff =
    Backoff { base: chrono::Duration::milliseconds(250), cap: chrono::Duration::seconds(5) };

/// Records that the platform took the action, through `complete` (the store's). Losing this fact
/// means posting twice: the entry stays `sending` and is delivered again once its claim ends. So
/// a store that cannot be reached (or a write that failed on its side) is tried again, with
/// backoff, for as long as the claim is ours; a refusal (the entry is no longer sending) is not.
pub(crate) async fn record_sent<F, Fut>(
    complete: F,
    claim_ends: DateTime<Utc>,
    backoff: Backoff,
) -> StoreResult<OutboxItem>
where
    F: Fn() -> Fut,
    Fut: Future<Output = StoreResult<OutboxItem>>,
{
    let mut failures: u32 = 0;
    loop {
        let error = match complete().await {
            Ok(sent) => return Ok(sent),
            Err(error @ (StoreError::Unavailable(_) | StoreError::Backend(_))) => error,
            Err(refused) => return Err(refused),
        };
        failures = failures.saturating_add(1);
        let wait = backoff.delay(failures);
        if Utc::now() + wait >= claim_ends {
            tracing::error!(error = %error, attempts = failures, "cannot record a delivered action before its claim ends: it may be delivered again");
            return Err(error);
        }
        tracing::warn!(error = %error, retry_in_ms = wait.num_milliseconds(), "cannot record a delivered action yet, retrying");
        tokio::time::sleep(wait.to_std().unwrap_or_default()).await;
    }
}

/// Retry what may succeed later (within the attempt bound); fail for good what will not, in the
/// platform's own words.
async fn settle_failure(
    ctx: &SyncContext,
    account: &Account,
    item: &OutboxItem,
    error: ConnectorError,
    settings: &OutboxSettings,
) -> OutboxResult {
    let now = Utc::now();
    let log_failure = |kept: &str| {
        tracing::warn!(outbox_id = %item.id, account_id = %account.id, action = item.action.name(), attempts = item.attempts, error = %error, outcome = kept, "outbound action not delivered");
    };
    match &error {
        ConnectorError::RateLimited { .. } | ConnectorError::Transient { .. } => {
            let retry_at = error.retry_at(now, settings.backoff, item.attempts);
            match retry_at {
                Some(retry_at) if item.attempts < settings.max_attempts => {
                    log_failure("retry");
                    OutboxResult::Retry { error: error.to_string(), retry_at }
                }
                _ => {
                    log_failure("failed");
                    OutboxResult::Failed {
                        error: format!("gave up after {} attempts: {error}", item.attempts),
                    }
                }
            }
        }
        ConnectorError::Unauthorized { platform_reason } => {
            log_failure("failed");
            ctx.mark_needs_reauth(account, platform_reason).await;
            OutboxResult::Failed { error: error.to_string() }
        }
        ConnectorError::Refused { platform_reason, .. } => {
            log_failure("failed");
            OutboxResult::Failed { error: platform_reason.clone() }
        }
        // A malformed answer may hide a delivered action: retrying could post twice.
        ConnectorError::Malformed { .. }
        | ConnectorError::Unsupported { .. }
        | ConnectorError::Misconfigured(_) => {
            log_failure("failed");
            OutboxResult::Failed { error: error.to_string() }
        }
    }
}

/// Puts a sent reply or DM into its conversation as an outbound message with the platform's id,
/// so agents see it in the thread at once and a later poll of the same item updates it instead
/// of adding a copy. A failure here is logged only: the action itself was delivered.
async fn record_sent_message(
    ctx: &SyncContext,
    account: &Account,
    item: &OutboxItem,
    delivered: &Delivered,
) {
    let (Some(conversation_id), Some(text)) = (item.conversation_id, sent_text(&item.action))
    else {
        return;
    };
    let messages = match ctx.store.conversation_messages(conversation_id).await {
        Ok(messages) => messages,
        Err(error) => {
            tracing::warn!(outbox_id = %item.id, error = %error, "cannot read the conversation of a sent reply");
            return;
        }
    };
    let Some(message) = outbound_message(ctx, account, item, delivered, &messages, text).await
    else {
        tracing::warn!(outbox_id = %item.id, account_id = %account.id, "the account's platform id cannot author a message");
        return;
    };
    let conversation = ctx.store.get_conversation(conversation_id).await;
    if let Ok(conversation) = &conversation {
        if ConversationKey::for_message(&message) != conversation.key {
            tracing::warn!(outbox_id = %item.id, conversation_id = %conversation_id, "the sent message groups into another conversation");
        }
    }
    let batch =
        IngestBatch { account_id: account.id, messages: vec![message], cursors: Vec::new() };
    if let Err(error) = ctx.store.ingest(batch).await {
        tracing::warn!(outbox_id = %item.id, error = %error, "cannot store a sent reply in its conversation");
    }
}

fn sent_text(action: &OutboundAction) -> Option<&str> {
    match action {
        OutboundAction::Reply { text, .. } | OutboundAction::DirectMessage { text, .. } => {
            Some(text)
        }
        _ => None,
    }
}

async fn outbound_message(
    ctx: &SyncContext,
    account: &Account,
    item: &OutboxItem,
    delivered: &Delivered,
    messages: &[Message],
    text: &str,
) -> Option<NewMessage> {
    let target = match &item.action {
        OutboundAction::Reply { in_reply_to, .. } => {
            messages.iter().find(|m| &m.platform_id == in_reply_to)
        }
        _ => messages.iter().max_by_key(|m| (m.created_at, m.id)),
    };
    let kind = match target.map(|m| m.kind) {
        Some(MessageKind::DirectMessage) => MessageKind::DirectMessage,
        Some(MessageKind::ForumPost) => MessageKind::ForumPost,
        Some(MessageKind::Post | MessageKind::Comment) => MessageKind::Comment,
        Some(MessageKind::Mention | MessageKind::Reply) | None => match &item.action {
            OutboundAction::DirectMessage { .. } => MessageKind::DirectMessage,
            _ => MessageKind::Reply,
        },
    };
    let parent = match &item.action {
        OutboundAction::Reply { in_reply_to, .. } => Some(in_reply_to.clone()),
        _ => None,
    };
    // The conversation's own thread keeps the message in it; the platform's says the same for
    // a conversation that had none yet.
    let thread = target
        .and_then(|m| m.thread_platform_id.clone())
        .or_else(|| delivered.thread_platform_id.clone());
    Some(NewMessage {
        platform_id: delivered.platform_id.clone(),
        kind,
        direction: Direction::Outbound,
        author: brand_contact(ctx, account, messages).await?,
        parent_platform_id: parent,
        thread_platform_id: thread,
        thread_title: None,
        text: text.to_owned(),
        lang: None,
        raw: serde_json::json!({"source": "outbox", "outbox_id": item.id}),
        created_at: Utc::now(),
        deleted_at: None,
    })
}

/// The brand account as a contact: as polling last described it when the conversation has an
/// outbound message already (so its handle is not wiped), else from the account itself.
async fn brand_contact(
    ctx: &SyncContext,
    account: &Account,
    messages: &[Message],
) -> Option<NewContact> {
    let own = messages.iter().find(|m| {
        m.direction == Direction::Outbound && m.raw.get("source").is_none_or(|s| s != "outbox")
    });
    if let Some(own) = own {
        if let Ok(contact) = ctx.store.get_contact(own.contact_id).await {
            return Some(NewContact {
                platform_id: contact.platform_id,
                handle: contact.handle,
                display_name: contact.display_name,
                follower_count: contact.follower_count,
                verified: contact.verified,
            });
        }
    }
    Some(NewContact {
        platform_id: trellis_core::PlatformId::parse(&account.platform_account_id).ok()?,
        handle: None,
        display_name: Some(account.display_name.clone()),
        follower_count: None,
        verified: false,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use trellis_core::{AccountId, Actor, OutboxId, OutboxState, PlatformId};

    const QUICK: Backoff =
        Backoff { base: chrono::Duration::milliseconds(1), cap: chrono::Duration::milliseconds(1) };

    fn sent_item() -> OutboxItem {
        let now = Utc::now();
        OutboxItem {
            id: OutboxId(1),
            account_id: AccountId(1),
            conversation_id: None,
            action: OutboundAction::Reply {
                in_reply_to: PlatformId::parse("9").unwrap(),
                text: "hi".into(),
            },
            idempotency_key: "k".into(),
            requested_by: Actor::System,
            state: OutboxState::Sent,
            attempts: 1,
            next_attempt_at: None,
            platform_id: Some("10".into()),
            thread_platform_id: None,
            error: None,
            created_at: now,
            updated_at: now,
            sent_at: Some(now),
        }
    }

    /// A completion failing with `error` the first `failures` times, counting its calls.
    async fn flaky(
        calls: &AtomicU32,
        failures: u32,
        error: fn() -> StoreError,
    ) -> StoreResult<OutboxItem> {
        if calls.fetch_add(1, Ordering::SeqCst) < failures {
            return Err(error());
        }
        Ok(sent_item())
    }

    #[tokio::test]
    async fn a_delivered_action_is_recorded_once_the_store_is_back_within_the_claim() {
        let calls = AtomicU32::new(0);
        let claim_ends = Utc::now() + chrono::Duration::minutes(2);
        let down = || StoreError::Unavailable("pool timed out".into());
        let sent = record_sent(|| flaky(&calls, 2, down), claim_ends, QUICK).await.unwrap();
        assert_eq!(sent.state, OutboxState::Sent);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_entry_no_longer_sending_is_not_recorded_again() {
        let calls = AtomicU32::new(0);
        let claim_ends = Utc::now() + chrono::Duration::minutes(2);
        let taken = || StoreError::Conflict("outbox entry 1 is sent".into());
        let result = record_sent(|| flaky(&calls, 5, taken), claim_ends, QUICK).await;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn recording_gives_up_when_the_next_try_would_come_after_the_claim_ends() {
        let calls = AtomicU32::new(0);
        let claim_ends = Utc::now() + chrono::Duration::milliseconds(100);
        let slow =
            Backoff { base: chrono::Duration::seconds(1), cap: chrono::Duration::seconds(1) };
        let down = || StoreError::Unavailable("pool timed out".into());
        let result = record_sent(|| flaky(&calls, 5, down), claim_ends, slow).await;
        assert!(matches!(result, Err(StoreError::Unavailable(_))), "{result:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
