//! The `conversations` stream: Messenger. `GET /{page-id}/conversations?platform=messenger` lists
//! conversations newest `updated_time` first, cursor-paged with no time filter, so the walk stops
//! at the first conversation older than the watermark. For each changed conversation the inline
//! `messages` (newest first) are read, and older pages followed, down to the watermark: a message
//! created before it was read when its conversation last changed.

use crate::connector::{FacebookConnector, CONVERSATIONS};
use crate::http::{endpoint, follow};
use crate::mapping::dm_message;
use crate::walk::{repeated, ItemRead, ItemReader, Listed, Walk};
use crate::wire::{parse_time, Conversation, Page, CONVERSATION_FIELDS};
use serde_json::Value;
use std::collections::HashSet;
use trellis_core::{AccountAccess, ConnectorError, NewMessage, PollRequest, StreamPoll};

/// A conversation with this many message pages newer than the watermark is read no further.
const MAX_MESSAGE_PAGES: u32 = 1_000;

impl FacebookConnector {
    pub(crate) async fn poll_conversations(
        &self,
        request: &PollRequest,
    ) -> Result<StreamPoll, ConnectorError> {
        let access = &request.access;
        let page_id = access.platform_account_id.as_str();
        let fields = CONVERSATION_FIELDS.replace("{n}", &self.config.inline_messages.to_string());
        // Each conversation carries its newest messages inline: fewer a page keeps pages small.
        let limit = self.config.page_size.clamp(1, 25).to_string();
        let walk = Walk::start(self, request, CONVERSATIONS, |_| {
            let mut url = endpoint(&access.base_url, &[page_id, "conversations"])?;
            url.query_pairs_mut()
                .append_pair("platform", "messenger")
                .append_pair("fields", &fields)
                .append_pair("limit", &limit);
            Ok(url)
        })?;
        walk.run(read_conversations, ConversationMessages(self)).await
    }
}

/// The conversations stream reads a changed conversation by reading its new messages.
struct ConversationMessages<'c>(&'c FacebookConnector);

impl ItemReader<Conversation> for ConversationMessages<'_> {
    async fn read(
        &mut self,
        walk: &mut Walk<'_>,
        conversation: Listed<Conversation>,
    ) -> Result<ItemRead, ConnectorError> {
        if walk.budget_spent() {
            return Ok(ItemRead::OutOfBudget);
        }
        // A conversation read at exactly the watermark had its messages of that second read too.
        let since = walk.watermark.since;
        let read_at_since = walk.watermark.at.contains(&conversation.id);
        let access = walk.access;
        let messages = self
            .0
            .new_messages(access, &conversation.item, (since, read_at_since), &mut walk.requests)
            .await?;
        walk.poll.messages.extend(messages);
        Ok(ItemRead::Done)
    }
}

impl FacebookConnector {
    /// The conversation's messages created after `since` (Unix seconds), and at `since` unless the
    /// second was read already, newest first. All or nothing.
    async fn new_messages(
        &self,
        access: &AccountAccess,
        conversation: &Conversation,
        (since, read_at_since): (i64, bool),
        requests: &mut u32,
    ) -> Result<Vec<NewMessage>, ConnectorError> {
        let page_id = access.platform_account_id.as_str();
        let mut page = conversation.messages.clone().unwrap_or_default();
        let mut seen = HashSet::new();
        let mut messages = Vec::new();
        for _ in 0..MAX_MESSAGE_PAGES {
            let mut reached_old = false;
            for raw in &page.data {
                let id = raw.get("id").and_then(Value::as_str).unwrap_or_default();
                if !seen.insert(id.to_owned()) {
                    return Err(repeated(id));
                }
            }
            let link = page.next().map(str::to_owned);
            for raw in page.data {
                let created = raw.get("created_time").and_then(Value::as_str).and_then(parse_time);
                let created = created.map(|created| created.timestamp());
                if created.is_some_and(|created| created < since) {
                    reached_old = true;
                    continue;
                }
                if read_at_since && created == Some(since) {
                    continue;
                }
                match dm_message(raw, &conversation.id, page_id) {
                    Ok(message) => messages.push(message),
                    Err(error) => {
                        tracing::warn!(account_id = %access.account_id, conversation_id = %conversation.id, %error, "skipping unreadable message");
                    }
                }
            }
            let next = match (reached_old, link) {
                (false, Some(next)) => follow(&access.base_url, &next)?,
                _ => break,
            };
            page = self.get_page(access, next).await?.0;
            *requests += 1;
        }
        Ok(messages)
    }
}

/// The conversations of a page with their `updated_time`, refusing the page if one repeats.
fn read_conversations(
    page: &Page,
    walk: &mut Walk<'_>,
) -> Result<Vec<Listed<Conversation>>, ConnectorError> {
    let mut conversations = Vec::with_capacity(page.data.len());
    for raw in &page.data {
        let parsed = serde_json::from_value::<Conversation>(raw.clone()).ok().and_then(|c| {
            let time = parse_time(&c.updated_time)?.timestamp();
            Some(Listed { id: c.id.clone(), time, item: c })
        });
        match parsed {
            Some(conversation) => conversations.push(conversation),
            None => {
                tracing::warn!(item = %raw.get("id").unwrap_or(&serde_json::Value::Null), "skipping an unreadable conversation")
            }
        }
    }
    for conversation in &conversations {
        walk.meet(&conversation.id)?;
    }
    Ok(conversations)
}
